//! The workloads and the virtual user that runs them: one HTTP client (keep-alive pool) and one
//! cookie jar each, like one browser or one relying-party worker.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::AUTHORIZATION;
use ring::rand::SystemRandom;
use url::Url;

use super::cookies::Jar;
use super::error::{Failure, Kind, Step};
use super::flow::{self, Interaction, TokenSet};
use super::oidc::{self, ClientCredentials, ProviderMetadata};
use super::pick::Member;

/// What the discovery workload checks of a discovery document: a JSON object whose `issuer` is the
/// provider's own. The other members are skipped (their JSON syntax still checked) rather than built
/// into a `Value` tree: see [`oidc::parse_json`].
#[derive(serde::Deserialize)]
struct DiscoveryCheck<'a> {
    #[serde(borrow)]
    issuer: Option<std::borrow::Cow<'a, str>>,
}

/// What the discovery workload checks of a JWK Set: its `keys` array, each key skipped.
#[derive(serde::Deserialize)]
struct JwksCheck {
    keys: Option<Vec<serde::de::IgnoredAny>>,
}

/// What a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Workload {
    /// Discovery document and JWKS GETs, alternating.
    Discovery,
    /// RFC 7662 introspection of a valid access token, client authenticated with HTTP Basic.
    Introspection,
    /// UserInfo with a Bearer access token (RFC 6750 §2.1).
    Userinfo,
    /// The refresh-token grant with rotation: every virtual user always presents its newest token.
    Refresh,
    /// Sign-in with an existing session and consent: authorize → 302 with code → token exchange.
    Sso,
    /// Full sign-in with a fresh cookie jar: authorize → sign-in form → consent → code → token.
    Password,
    /// Plain GETs of the hello-world baseline server.
    Baseline,
}

impl Workload {
    /// Every provider workload, in report order.
    pub const PROVIDER: [Workload; 6] = [
        Workload::Discovery,
        Workload::Introspection,
        Workload::Userinfo,
        Workload::Refresh,
        Workload::Sso,
        Workload::Password,
    ];

    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::Discovery => "discovery",
            Workload::Introspection => "introspection",
            Workload::Userinfo => "userinfo",
            Workload::Refresh => "refresh",
            Workload::Sso => "sso",
            Workload::Password => "password",
            Workload::Baseline => "baseline",
        }
    }

    /// Whether each virtual user signs in once before the warm-up.
    fn needs_session(self) -> bool {
        matches!(
            self,
            Workload::Introspection | Workload::Userinfo | Workload::Refresh | Workload::Sso
        )
    }
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown workload name.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown workload (expected discovery, introspection, userinfo, refresh, sso, password or baseline)"
)]
pub struct UnknownWorkload;

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Workload::Baseline]
            .into_iter()
            .chain(Workload::PROVIDER)
            .find(|w| w.as_str() == s)
            .ok_or(UnknownWorkload)
    }
}

/// A user the generator signs in as.
#[derive(Clone)]
pub struct UserCredentials {
    /// The `username` form field.
    pub username: String,
    password: String,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl UserCredentials {
    /// A user.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The password, for the sign-in form.
    pub fn password(&self) -> &str {
        &self.password
    }
}

/// The provider under test and how the generator acts on it.
///
/// Built by [`Target::new`], which precomputes what every flow sends alike; the fields are public
/// to read, and a `Target` is shared read-only behind an `Arc` once built.
#[derive(Debug)]
pub struct Target {
    /// The discovered endpoints.
    pub meta: ProviderMetadata,
    /// The confidential client.
    pub client: ClientCredentials,
    /// The client's registered redirect URI (never contacted: the generator stops at the 302).
    pub redirect_uri: Url,
    /// The `scope` of authorization requests.
    pub scope: String,
    /// Users; virtual user `i` signs in as user `i mod len`.
    pub users: Vec<UserCredentials>,
    /// The authorization endpoint with the parameters every authorization request shares already
    /// in its query, so a flow only appends its own three (see [`Target::authorization_url`]).
    authorization_base: Url,
}

impl Target {
    /// The target; precomputes the shared part of every authorization request.
    pub fn new(
        meta: ProviderMetadata,
        client: ClientCredentials,
        redirect_uri: Url,
        scope: String,
        users: Vec<UserCredentials>,
    ) -> Self {
        let mut authorization_base = meta.authorization_endpoint.clone();
        // RFC 6749 §3.1: the endpoint's own query is kept; RFC 6749 §4.1.1, RFC 7636 §4.3.
        authorization_base
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("scope", &scope)
            .append_pair("code_challenge_method", "S256");
        Self {
            meta,
            client,
            redirect_uri,
            scope,
            users,
            authorization_base,
        }
    }

    /// The authorization request of one flow: the shared parameters and its `state`, `nonce` and
    /// `code_challenge`.
    ///
    /// Only these three are appended per flow, to a clone of the precomputed URL: form-encoding
    /// every parameter again per flow was a measurable share of the generator's CPU, and setting
    /// the whole query instead (`Url::set_query`) would still re-scan and re-encode the shared
    /// part. The three are base64url, which form-urlencoding passes through unchanged in one
    /// piece, so appending each is one scan and one copy.
    pub fn authorization_url(&self, state: &str, nonce: &str, code_challenge: &str) -> Url {
        let mut url = self.authorization_base.clone();
        url.query_pairs_mut()
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge);
        url
    }

    /// Whether `scope` requests an ID token (OIDC Core §3.1.2.1: it contains `openid`).
    pub fn requests_openid(&self) -> bool {
        self.scope.split(' ').any(|s| s == "openid")
    }
}

/// What a virtual user drives.
#[derive(Clone, Debug)]
pub enum Job {
    /// A provider workload.
    Provider(Workload, Arc<Target>),
    /// GETs of the baseline server at this URL.
    Baseline(Url),
}

impl Job {
    /// The workload this job runs.
    pub fn workload(&self) -> Workload {
        match self {
            Job::Provider(w, _) => *w,
            Job::Baseline(_) => Workload::Baseline,
        }
    }
}

/// Builds one virtual user's HTTP client: no automatic redirects, its own cookie jar, keep-alive.
pub fn http_client(jar: Arc<Jar>, timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar)
        .timeout(timeout)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
}

/// One virtual user.
#[derive(Debug)]
pub struct VirtualUser {
    job: Job,
    http: reqwest::Client,
    jar: Arc<Jar>,
    rng: SystemRandom,
    user: Option<UserCredentials>,
    tokens: Option<TokenSet>,
    iteration: u64,
}

impl VirtualUser {
    /// Virtual user number `index` for `job`.
    pub fn new(job: Job, index: usize, timeout: Duration) -> Result<Self, reqwest::Error> {
        let jar = Arc::new(Jar::new());
        let http = http_client(Arc::clone(&jar), timeout)?;
        let user = match &job {
            Job::Provider(_, target) if !target.users.is_empty() => {
                target.users.get(index % target.users.len()).cloned()
            }
            _ => None,
        };
        Ok(Self {
            job,
            http,
            jar,
            rng: SystemRandom::new(),
            user,
            tokens: None,
            iteration: 0,
        })
    }

    /// Prepares the virtual user before the warm-up: for token-based and SSO workloads, one full
    /// sign-in that leaves a session, a consent and tokens behind.
    pub async fn setup(&mut self) -> Result<(), Failure> {
        let Job::Provider(workload, target) = &self.job else {
            return Ok(());
        };
        let needs_user = workload.needs_session() || *workload == Workload::Password;
        let user = match (&self.user, needs_user) {
            (Some(user), _) => user.clone(),
            (None, true) => return Err(Failure::new(Step::Setup, Kind::Missing("--user"), "")),
            (None, false) => return Ok(()),
        };
        if !workload.needs_session() {
            return Ok(());
        }
        let target = Arc::clone(target);
        let (tokens, _) =
            flow::sign_in(&self.http, &self.rng, &target, &user, Interaction::Allowed)
                .await
                .map_err(|f| {
                    let detail = format!("at {}: {}", f.step.as_str(), f.detail);
                    Failure::new(Step::Setup, f.kind, detail)
                })?;
        if *workload == Workload::Refresh && tokens.refresh_token.is_none() {
            return Err(Failure::new(
                Step::Setup,
                Kind::Missing("refresh_token (does the scope need offline_access?)"),
                "",
            ));
        }
        self.tokens = Some(tokens);
        Ok(())
    }

    /// Runs one iteration; returns how many HTTP requests it made.
    pub async fn iterate(&mut self) -> Result<u32, Failure> {
        self.iteration += 1;
        let target = match &self.job {
            Job::Baseline(url) => return baseline(&self.http, url.clone()).await,
            Job::Provider(_, target) => Arc::clone(target),
        };
        match self.job.workload() {
            Workload::Discovery => self.discovery(&target).await,
            Workload::Introspection => self.introspect(&target).await,
            Workload::Userinfo => self.userinfo(&target).await,
            Workload::Refresh => self.refresh(&target).await,
            Workload::Sso => self.flow(&target, Interaction::Forbidden).await,
            Workload::Password => {
                // A fresh browser every time: no session, so the sign-in form is shown.
                self.jar.clear();
                self.flow(&target, Interaction::Allowed).await
            }
            Workload::Baseline => Ok(0),
        }
    }

    async fn discovery(&self, target: &Target) -> Result<u32, Failure> {
        if self.iteration % 2 == 1 {
            let step = Step::Discovery;
            let body = oidc::get_ok(&self.http, step, target.meta.discovery_url.clone()).await?;
            let doc: DiscoveryCheck<'_> = oidc::parse_json(step, &body)?;
            match doc.issuer {
                Some(issuer) if issuer == target.meta.issuer => {}
                Some(_) => return Err(Failure::new(step, Kind::Wrong("issuer"), "")),
                None => return Err(Failure::new(step, Kind::Missing("issuer"), "")),
            }
        } else {
            let step = Step::Jwks;
            let body = oidc::get_ok(&self.http, step, target.meta.jwks_uri.clone()).await?;
            let jwks: JwksCheck = oidc::parse_json(step, &body)?;
            // RFC 7517 §5: a JWK Set has a `keys` array; a provider that signs has at least one.
            if jwks.keys.is_none_or(|keys| keys.is_empty()) {
                return Err(Failure::new(step, Kind::Missing("keys"), ""));
            }
        }
        Ok(1)
    }

    fn access_token(&self, step: Step) -> Result<&str, Failure> {
        self.tokens
            .as_ref()
            .map(|t| t.access_token.as_str())
            .ok_or_else(|| Failure::new(step, Kind::Missing("access token from setup"), ""))
    }

    async fn introspect(&self, target: &Target) -> Result<u32, Failure> {
        let step = Step::Introspection;
        let endpoint = target
            .meta
            .introspection_endpoint
            .clone()
            .ok_or_else(|| Failure::new(step, Kind::Missing("introspection_endpoint"), ""))?;
        let response = self
            .http
            .post(endpoint)
            .header(AUTHORIZATION, target.client.basic_header())
            .form(&[
                ("token", self.access_token(step)?),
                ("token_type_hint", "access_token"),
            ])
            .send()
            .await
            .map_err(|e| Failure::transport(step, &e))?;
        let body = oidc::expect_ok(step, response).await?;
        check_introspection(step, &body)?;
        Ok(1)
    }

    async fn userinfo(&self, target: &Target) -> Result<u32, Failure> {
        let step = Step::Userinfo;
        let endpoint = target
            .meta
            .userinfo_endpoint
            .clone()
            .ok_or_else(|| Failure::new(step, Kind::Missing("userinfo_endpoint"), ""))?;
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(self.access_token(step)?)
            .send()
            .await
            .map_err(|e| Failure::transport(step, &e))?;
        let body = oidc::expect_ok(step, response).await?;
        check_userinfo(step, &body)?;
        Ok(1)
    }

    async fn refresh(&mut self, target: &Target) -> Result<u32, Failure> {
        let step = Step::Refresh;
        let old = self
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.clone())
            .ok_or_else(|| Failure::new(step, Kind::Missing("refresh token from setup"), ""))?;
        let response = self
            .http
            .post(target.meta.token_endpoint.clone())
            .header(AUTHORIZATION, target.client.basic_header())
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", old.as_str()),
            ])
            .send()
            .await
            .map_err(|e| Failure::transport(step, &e))?;
        let tokens = flow::check_token_response(step, response, target, None).await?;
        match tokens.refresh_token.as_deref() {
            None => {
                return Err(Failure::new(
                    step,
                    Kind::Missing("refresh_token (not rotated)"),
                    "",
                ));
            }
            Some(new) if new == old => {
                return Err(Failure::new(
                    step,
                    Kind::Wrong("refresh_token (not rotated)"),
                    "",
                ));
            }
            Some(_) => {}
        }
        self.tokens = Some(tokens);
        Ok(1)
    }

    async fn flow(&mut self, target: &Target, interaction: Interaction) -> Result<u32, Failure> {
        let user = self
            .user
            .clone()
            .ok_or_else(|| Failure::new(Step::Authorize, Kind::Missing("--user"), ""))?;
        let (tokens, requests) =
            flow::sign_in(&self.http, &self.rng, target, &user, interaction).await?;
        self.tokens = Some(tokens);
        Ok(requests)
    }
}

/// Checks an introspection response for a valid token.
fn check_introspection(step: Step, body: &[u8]) -> Result<(), Failure> {
    let response = oidc::pick_json(step, body, ["active"])?;
    // RFC 7662 §2.2: `active` is a boolean; the token is valid, so it must be true.
    if *response.get("active") != Member::Bool(true) {
        return Err(Failure::new(step, Kind::Wrong("active (not true)"), ""));
    }
    Ok(())
}

/// Checks a UserInfo response.
fn check_userinfo(step: Step, body: &[u8]) -> Result<(), Failure> {
    let claims = oidc::pick_json(step, body, ["sub"])?;
    // OIDC Core §5.3.2: the `sub` claim MUST always be returned.
    claims.string(step, "sub")?;
    Ok(())
}

async fn baseline(http: &reqwest::Client, url: Url) -> Result<u32, Failure> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| Failure::transport(Step::Baseline, &e))?;
    let status = response.status().as_u16();
    let body = oidc::read_body(Step::Baseline, response).await?;
    if status != 200 {
        return Err(Failure::status(Step::Baseline, status, &body));
    }
    Ok(1)
}

#[cfg(test)]
mod discovery_checks {
    use super::{DiscoveryCheck, JwksCheck};

    #[test]
    fn the_issuer_is_read_and_every_other_member_skipped_but_still_checked() {
        let doc = r#"{"jwks_uri":"https://a.test/jwks","issuer":"https://a.test","scopes_supported":["openid",{"x":[1,2.5,null]}]}"#;
        let parsed: DiscoveryCheck<'_> = serde_json::from_str(doc).unwrap();
        assert_eq!(parsed.issuer.as_deref(), Some("https://a.test"));

        let missing: DiscoveryCheck<'_> = serde_json::from_str(r#"{"jwks_uri":"x"}"#).unwrap();
        assert_eq!(missing.issuer, None);
        // A syntax error in a skipped member still fails the check.
        assert!(serde_json::from_str::<DiscoveryCheck<'_>>(r#"{"issuer":"a","x":[1,}"#).is_err());
        assert!(serde_json::from_str::<DiscoveryCheck<'_>>(r#"{"issuer":7}"#).is_err());
    }

    #[test]
    fn a_jwk_set_needs_a_keys_array() {
        let set: JwksCheck =
            serde_json::from_str(r#"{"keys":[{"kty":"EC","crv":"P-256"}]}"#).unwrap();
        assert_eq!(set.keys.map(|k| k.len()), Some(1));
        let none: JwksCheck = serde_json::from_str(r#"{}"#).unwrap();
        assert!(none.keys.is_none());
        assert!(serde_json::from_str::<JwksCheck>(r#"{"keys":{}}"#).is_err());
    }
}

#[cfg(test)]
mod response_checks {
    use super::{Kind, Step, check_introspection, check_userinfo};

    #[test]
    fn introspection_needs_active_true() {
        let step = Step::Introspection;
        assert!(check_introspection(step, br#"{"active":true,"scope":"openid"}"#).is_ok());
        assert!(check_introspection(step, br#"{"active":false,"active":true}"#).is_ok());
        let not_true = Kind::Wrong("active (not true)");
        for body in [
            r#"{"active":false}"#,
            r#"{"active":"true"}"#,
            r#"{"active":1}"#,
            r#"{"active":null}"#,
            r#"{"x":{"active":true}}"#,
            r#"{}"#,
        ] {
            let kind = check_introspection(step, body.as_bytes()).unwrap_err().kind;
            assert_eq!(kind, not_true, "{body}");
        }
        for body in ["[]", r#"{"active":true} {}"#, ""] {
            let kind = check_introspection(step, body.as_bytes()).unwrap_err().kind;
            assert_eq!(kind, Kind::BadJson, "{body}");
        }
    }

    #[test]
    fn userinfo_needs_a_sub() {
        let step = Step::Userinfo;
        assert!(check_userinfo(step, br#"{"sub":"u","email":"a@b"}"#).is_ok());
        let kind = |body: &str| check_userinfo(step, body.as_bytes()).unwrap_err().kind;
        assert_eq!(kind(r#"{"email":"a@b"}"#), Kind::Missing("sub"));
        for body in [r#"{"sub":""}"#, r#"{"sub":7}"#, r#"{"sub":null}"#] {
            assert_eq!(kind(body), Kind::Wrong("sub"), "{body}");
        }
        assert_eq!(kind(r#""sub""#), Kind::BadJson);
    }
}
