//! The browser side of the authorization code flow: authorize (PKCE S256, `state`, `nonce`),
//! follow redirects, fill the sign-in and consent forms found on the pages, collect the code from
//! the redirect back to the client; then the code exchange at the token endpoint.

use std::borrow::Cow;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, LOCATION};
use ring::rand::SystemRandom;
use url::Url;

use super::error::{Failure, Kind, Step};
use super::form::{self, FormMethod};
use super::oidc::{self, Pkce};
use super::pick::{self, Member};
use super::workload::{Target, UserCredentials};

/// Redirects and pages one flow may go through before it is declared stuck.
const MAX_HOPS: u32 = 10;

/// Tokens from a token response.
#[derive(Clone)]
pub struct TokenSet {
    /// `access_token`.
    pub access_token: String,
    /// `refresh_token`, if issued.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSet([redacted])")
    }
}

/// What the browser part of a flow returns.
struct Callback {
    code: String,
    requests: u32,
}

/// Whether pages may be answered (a password flow) or only redirects are expected (SSO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interaction {
    /// Sign in and consent if asked.
    Allowed,
    /// Session and consent exist: any page is an error.
    Forbidden,
}

/// Runs one complete flow; returns the tokens and the number of HTTP requests made.
pub async fn sign_in(
    http: &reqwest::Client,
    rng: &SystemRandom,
    target: &Target,
    user: &UserCredentials,
    interaction: Interaction,
) -> Result<(TokenSet, u32), Failure> {
    let pkce = Pkce::generate(rng);
    let state = oidc::random_token(rng, 16);
    let nonce = oidc::random_token(rng, 16);
    let url = target.authorization_url(&state, &nonce, &pkce.challenge);
    let callback = browse(http, target, user, url, interaction, &state).await?;
    let tokens = exchange_code(http, target, &callback.code, &pkce, &nonce).await?;
    Ok((tokens, callback.requests + 1))
}

/// Whether `location` is the client's redirect URI (ignoring its query).
fn is_callback(location: &Url, redirect_uri: &Url) -> bool {
    location.scheme() == redirect_uri.scheme()
        && location.host_str() == redirect_uri.host_str()
        && location.port_or_known_default() == redirect_uri.port_or_known_default()
        && location.path() == redirect_uri.path()
}

/// The query of a `Location` that is plainly the redirect URI followed by `?query`, or `None` if
/// that cannot be told without parsing it as a URL.
///
/// Joining and parsing every callback URL was a measurable share of the generator's CPU. Reading
/// the query in place gives the same parameters as [`is_callback`] and [`Url::query`] would when
/// the redirect URI (a parsed, hence normalized, URL) has no query or fragment of its own, and the
/// rest has nothing the URL parser would cut (`#`), strip (tab) or trim (a trailing space): a
/// header value has no other control characters, and the characters the parser percent-encodes
/// decode back to themselves.
fn callback_query<'l>(location: &'l str, redirect_uri: &Url) -> Option<&'l str> {
    if redirect_uri.query().is_some() || redirect_uri.fragment().is_some() {
        return None;
    }
    let query = location
        .strip_prefix(redirect_uri.as_str())?
        .strip_prefix('?')?;
    (!query.contains(['#', '\t', ' '])).then_some(query)
}

/// Follows the authorization request through redirects and pages to the callback.
async fn browse(
    http: &reqwest::Client,
    target: &Target,
    user: &UserCredentials,
    start: Url,
    interaction: Interaction,
    state: &str,
) -> Result<Callback, Failure> {
    let mut request = http.get(start.clone());
    let mut url = start;
    let mut step = Step::Authorize;
    let (mut signed_in, mut consented) = (false, false);
    for hop in 1..=MAX_HOPS {
        let response = request
            .send()
            .await
            .map_err(|e| Failure::transport(step, &e))?;
        let status = response.status();
        if status.is_redirection() {
            let missing = || Failure::new(step, Kind::Missing("Location"), "");
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(missing)?;
            let issuer = &target.meta.issuer;
            if let Some(query) = callback_query(location, &target.redirect_uri) {
                let code = check_callback(query, state, issuer)?;
                return Ok(Callback {
                    code,
                    requests: hop,
                });
            }
            let location = url.join(location).map_err(|_| missing())?;
            if is_callback(&location, &target.redirect_uri) {
                let code = check_callback(location.query().unwrap_or(""), state, issuer)?;
                return Ok(Callback {
                    code,
                    requests: hop,
                });
            }
            // 302/303 after a form POST become a GET, as browsers do.
            request = http.get(location.clone());
            url = location;
            continue;
        }
        let body = oidc::read_body(step, response).await?;
        if status != StatusCode::OK {
            return Err(Failure::status(step, status.as_u16(), &body));
        }
        let html = String::from_utf8_lossy(&body);
        let forms = form::parse_forms(&html);
        if interaction == Interaction::Forbidden {
            return Err(Failure::new(
                step,
                Kind::Page("shown although session and consent exist"),
                form::describe(&forms),
            ));
        }
        let (form, submitter, fill, next) =
            if let Some(form) = forms.iter().find(|f| f.has_password()) {
                if signed_in {
                    return Err(Failure::new(
                        Step::SignIn,
                        Kind::Page("sign-in form shown again (credentials rejected?)"),
                        form::describe(&forms),
                    ));
                }
                if !form.has_field("username") {
                    return Err(Failure::new(
                        Step::SignIn,
                        Kind::Missing("username field"),
                        "",
                    ));
                }
                signed_in = true;
                let submitter = form.controls.iter().position(form::Control::is_submitter);
                let fill = vec![
                    ("username", user.username.as_str()),
                    ("password", user.password()),
                ];
                (form, submitter, fill, Step::SignIn)
            } else if let Some((form, submitter)) = forms.iter().find_map(|f| {
                f.allow_submitter()
                    .map(|i| (f, Some(i)))
                    .or_else(|| f.is_buttonless_allow().then_some((f, None)))
            }) {
                if consented {
                    return Err(Failure::new(
                        Step::Consent,
                        Kind::Page("consent form shown again"),
                        form::describe(&forms),
                    ));
                }
                consented = true;
                (form, submitter, Vec::new(), Step::Consent)
            } else {
                return Err(Failure::new(
                    step,
                    Kind::Page("no sign-in or consent form"),
                    form::describe(&forms),
                ));
            };
        let action = match form.action.as_deref() {
            None | Some("") => url.clone(),
            Some(action) => url
                .join(action)
                .map_err(|_| Failure::new(next, Kind::Wrong("form action"), action))?,
        };
        let entries = form.entries(submitter, &fill);
        request = match form.method {
            FormMethod::Post => http.post(action.clone()).form(&entries),
            FormMethod::Get => {
                let mut get = action.clone();
                get.query_pairs_mut().clear().extend_pairs(&entries);
                http.get(get)
            }
        };
        url = action;
        step = next;
    }
    Err(Failure::new(
        step,
        Kind::Page("too many redirects or pages"),
        "",
    ))
}

/// Checks the authorization response (RFC 6749 §4.1.2), the callback URL's `query`, and returns
/// the code. Of repeated parameters the last counts.
fn check_callback(query: &str, state: &str, issuer: &str) -> Result<String, Failure> {
    let mut code = None;
    let (mut got_state, mut iss, mut error) = (None, None, None);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value),
            "state" => got_state = Some(value),
            "iss" => iss = Some(value),
            "error" => error = Some(value),
            _ => {}
        }
    }
    if let Some(error) = error {
        // RFC 6749 §4.1.2.1: the authorization server reported an error.
        let error = oidc_error(&error);
        return Err(Failure::new(Step::Callback, Kind::OAuthError(error), ""));
    }
    // RFC 6749 §4.1.2: `state` is returned exactly when it was sent.
    if got_state.as_deref() != Some(state) {
        return Err(Failure::new(Step::Callback, Kind::Wrong("state"), ""));
    }
    // RFC 9207 §2.4: when `iss` is present it must equal the issuer.
    if iss.as_deref().is_some_and(|iss| iss != issuer) {
        return Err(Failure::new(Step::Callback, Kind::Wrong("iss"), ""));
    }
    code.filter(|c| !c.is_empty())
        .map(Cow::into_owned)
        .ok_or_else(|| Failure::new(Step::Callback, Kind::Missing("code"), ""))
}

fn oidc_error(value: &str) -> String {
    super::error::sanitize_code(value)
}

/// Exchanges a code for tokens (RFC 6749 §4.1.3) and checks the response.
async fn exchange_code(
    http: &reqwest::Client,
    target: &Target,
    code: &str,
    pkce: &Pkce,
    nonce: &str,
) -> Result<TokenSet, Failure> {
    let response = http
        .post(target.meta.token_endpoint.clone())
        .header(AUTHORIZATION, target.client.basic_header())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", target.redirect_uri.as_str()),
            ("code_verifier", pkce.verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| Failure::transport(Step::Token, &e))?;
    check_token_response(Step::Token, response, target, Some(nonce)).await
}

/// Checks a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3 and §12.2).
pub async fn check_token_response(
    step: Step,
    response: reqwest::Response,
    target: &Target,
    nonce: Option<&str>,
) -> Result<TokenSet, Failure> {
    // RFC 6749 §5.1: the response MUST carry `Cache-Control: no-store`.
    let no_store = response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        });
    let status = response.status().as_u16();
    let body = oidc::expect_ok(step, response).await?;
    let members = oidc::pick_json(
        step,
        &body,
        [
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "id_token",
        ],
    )?;
    if status == 200 && !no_store {
        return Err(Failure::new(
            step,
            Kind::Missing("Cache-Control: no-store"),
            "",
        ));
    }
    let access_token = members.string(step, "access_token")?.to_owned();
    // RFC 6749 §7.1 / RFC 6750 §4: the type is case-insensitive "Bearer".
    if !members
        .string(step, "token_type")?
        .eq_ignore_ascii_case("bearer")
    {
        return Err(Failure::new(step, Kind::Wrong("token_type"), ""));
    }
    if !matches!(members.get("expires_in"), Member::Absent | Member::UInt(_)) {
        return Err(Failure::new(
            step,
            Kind::Wrong("expires_in (not a non-negative integer)"),
            "",
        ));
    }
    let refresh_token = match members.get("refresh_token") {
        Member::Absent => None,
        Member::Str(s) if !s.is_empty() => Some(s.as_ref().to_owned()),
        _ => return Err(Failure::new(step, Kind::Wrong("refresh_token"), "")),
    };
    let wants_id_token = step == Step::Token && target.requests_openid();
    match members.get("id_token") {
        Member::Absent if wants_id_token => {
            // OIDC Core §3.1.3.3: the code exchange of an `openid` request returns an ID token.
            return Err(Failure::new(step, Kind::Missing("id_token"), ""));
        }
        Member::Absent => {}
        _ => check_id_token(step, members.string(step, "id_token")?, target, nonce)?,
    }
    Ok(TokenSet {
        access_token,
        refresh_token,
    })
}

/// Checks the ID token's `iss`, `aud` and `nonce` (OIDC Core §3.1.3.7 items 2, 3 and 11); the
/// signature is not verified here (that is the relying party library's cost, not the server's).
fn check_id_token(
    step: Step,
    id_token: &str,
    target: &Target,
    nonce: Option<&str>,
) -> Result<(), Failure> {
    let payload = oidc::jwt_payload(step, id_token)?;
    let claims = pick::pick(&payload, ["iss", "aud", "nonce"])
        .ok_or_else(|| Failure::new(step, Kind::Wrong("id_token (payload JSON)"), ""))?;
    if claims.get("iss").as_str() != Some(target.meta.issuer.as_str()) {
        return Err(Failure::new(step, Kind::Wrong("id_token iss"), ""));
    }
    let client_id = Some(target.client.id.as_str());
    let audience_ok = match claims.get("aud") {
        Member::Str(aud) => *aud == target.client.id,
        Member::Array(list) => list.iter().any(|a| a.as_str() == client_id),
        _ => false,
    };
    if !audience_ok {
        return Err(Failure::new(step, Kind::Wrong("id_token aud"), ""));
    }
    if let Some(nonce) = nonce
        && claims.get("nonce").as_str() != Some(nonce)
    {
        return Err(Failure::new(step, Kind::Wrong("id_token nonce"), ""));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
