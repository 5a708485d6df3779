//! Validating an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).
//!
//! The order matters: the client and the redirect URI are checked first, and until both are known good
//! every error is an error *page* (RFC 6749 §4.1.2.1: the server "MUST NOT automatically redirect the
//! user-agent to the invalid redirection URI"). Only then can errors be redirected back to the client,
//! which the type makes explicit: a [`Rejection::Redirect`] can only be built from a [`VerifiedRedirect`].

use ostiary_pkce::{ChallengeError, CodeChallenge};
use ostiary_redirect::{VerifiedRedirect, match_redirect_uri};
use ostiary_store::{Client, ClientId, ClientStore, ScopeSet, SubjectType};

use crate::error::{ErrorCode, ErrorPage};
use crate::params::Params;

/// The longest `state` accepted.
pub const MAX_STATE_LEN: usize = 2048;
/// The longest `nonce` accepted.
pub const MAX_NONCE_LEN: usize = 512;
/// The longest `login_hint` accepted.
pub const MAX_LOGIN_HINT_LEN: usize = 256;

/// The authorization parameters Ostiary understands, repeated as hidden fields by the sign-in and
/// consent forms so the request survives the interaction without server-side state.
const FORWARDED: [&str; 11] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
];

/// `prompt` (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Prompt {
    pub(crate) none: bool,
    pub(crate) login: bool,
    pub(crate) consent: bool,
}

/// A validated authorization request.
#[derive(Debug)]
pub(crate) struct AuthorizeRequest {
    pub(crate) client: Client,
    pub(crate) redirect: VerifiedRedirect,
    pub(crate) state: Option<String>,
    pub(crate) scope: ScopeSet,
    pub(crate) nonce: Option<String>,
    pub(crate) challenge: Option<CodeChallenge>,
    pub(crate) prompt: Prompt,
    pub(crate) max_age: Option<i64>,
    pub(crate) login_hint: Option<String>,
    /// The parameters to repeat in forms.
    pub(crate) forwarded: Forwarded,
}

/// The parameters a sign-in or consent form repeats, kept as one string: most requests (a user signed
/// in who consented before) never show a form, and nine separate strings were most of the
/// allocations of validating one.
#[derive(Debug)]
pub(crate) struct Forwarded {
    text: String,
    fields: Vec<(&'static str, std::ops::Range<usize>)>,
}

impl Forwarded {
    fn from_params(params: &Params) -> Self {
        let present = || {
            FORWARDED
                .iter()
                .filter_map(|&name| params.get(name).map(|value| (name, value)))
        };
        let mut text = String::with_capacity(present().map(|(_, value)| value.len()).sum());
        let mut fields = Vec::with_capacity(present().count());
        for (name, value) in present() {
            let start = text.len();
            text.push_str(value);
            fields.push((name, start..text.len()));
        }
        Self { text, fields }
    }

    /// The fields of a form that repeats the request, in [`FORWARDED`]'s order.
    pub(crate) fn to_fields(&self) -> Vec<(&'static str, String)> {
        self.fields
            .iter()
            .map(|(name, range)| (*name, self.text[range.clone()].to_owned()))
            .collect()
    }
}

/// A request that was refused, and how the refusal is delivered.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// Shown to the user: the client or redirect URI could not be trusted.
    Page(ErrorPage),
    /// Sent back to the client's verified redirect URI.
    Redirect(String),
}

impl AuthorizeRequest {
    /// An error redirect for this (validated) request.
    pub(crate) fn error(&self, code: ErrorCode, description: &'static str, issuer: &str) -> String {
        self.redirect.authorization_error(
            code.as_str(),
            Some(description),
            self.state.as_deref(),
            issuer,
        )
    }
}

pub(crate) fn page(
    status: u16,
    code: ErrorCode,
    title: &'static str,
    message: &'static str,
) -> Rejection {
    Rejection::Page(ErrorPage {
        status,
        code,
        title,
        message,
    })
}

/// Validates `params` in the order of the module documentation.
pub(crate) async fn validate<S: ClientStore + Sync>(
    store: &S,
    params: &Params,
    issuer: &str,
) -> Result<AuthorizeRequest, Rejection> {
    let client = find_client(store, params).await?;
    let redirect = verify_redirect(&client, params)?;
    let state = params.get("state").map(str::to_owned);

    // From here on, errors go back to the client (RFC 6749 §4.1.2.1), with `state` and `iss` (RFC 9207).
    let fail = |code: ErrorCode, description: &'static str| {
        Rejection::Redirect(redirect.authorization_error(
            code.as_str(),
            Some(description),
            state.as_deref(),
            issuer,
        ))
    };
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        // An oversized state cannot be echoed: answer without it.
        return Err(Rejection::Redirect(redirect.authorization_error(
            ErrorCode::InvalidRequest.as_str(),
            Some("state is too long"),
            None,
            issuer,
        )));
    }
    if params.has_repeated() {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "a parameter was sent more than once",
        ));
    }
    match params.get("response_type") {
        None => return Err(fail(ErrorCode::InvalidRequest, "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "only response_mode=query is supported",
        ));
    }
    // OIDC Core §6: request objects are not supported, and say so with their own codes.
    if params.get("request").is_some() {
        return Err(fail(
            ErrorCode::RequestNotSupported,
            "the request parameter is not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(
            ErrorCode::RequestUriNotSupported,
            "the request_uri parameter is not supported",
        ));
    }
    if params.get("registration").is_some() {
        return Err(fail(
            ErrorCode::RegistrationNotSupported,
            "the registration parameter is not supported",
        ));
    }
    if client.metadata.subject_type != SubjectType::User {
        return Err(fail(
            ErrorCode::UnauthorizedClient,
            "this client is registered for organization access only",
        ));
    }

    let scope = requested_scope(&client, params).map_err(|(c, d)| fail(c, d))?;
    let challenge = pkce(&client, params).map_err(|d| fail(ErrorCode::InvalidRequest, d))?;
    let prompt =
        parse_prompt(params.get("prompt")).map_err(|d| fail(ErrorCode::InvalidRequest, d))?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(parse_max_age(v).ok_or_else(|| {
            fail(
                ErrorCode::InvalidRequest,
                "max_age must be a non-negative integer",
            )
        })?),
    };
    let nonce = params.get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        return Err(fail(ErrorCode::InvalidRequest, "nonce is too long"));
    }
    let login_hint = params
        .get("login_hint")
        .filter(|h| h.len() <= MAX_LOGIN_HINT_LEN)
        .map(str::to_owned);

    let forwarded = Forwarded::from_params(params);
    Ok(AuthorizeRequest {
        client,
        redirect,
        state,
        scope,
        nonce,
        challenge,
        prompt,
        max_age,
        login_hint,
        forwarded,
    })
}

async fn find_client<S: ClientStore + Sync>(
    store: &S,
    params: &Params,
) -> Result<Client, Rejection> {
    if params.is_repeated("client_id") {
        return Err(page(
            400,
            ErrorCode::InvalidRequest,
            "Invalid request",
            "The client_id parameter was sent more than once.",
        ));
    }
    let Some(client_id) = params.get("client_id") else {
        return Err(page(
            400,
            ErrorCode::InvalidRequest,
            "Invalid request",
            "The request has no client_id.",
        ));
    };
    let unknown = || {
        page(
            400,
            ErrorCode::InvalidClient,
            "Unknown application",
            "The application that sent you here is not registered with this server.",
        )
    };
    let id: ClientId = client_id.parse().map_err(|_| unknown())?;
    match store.get_client(id).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(unknown()),
        Err(e) => {
            tracing::error!(error = %e, "store failure while looking up a client");
            Err(page(
                500,
                ErrorCode::ServerError,
                "Something went wrong",
                "The server could not handle the request. Please try again later.",
            ))
        }
    }
}

fn verify_redirect(client: &Client, params: &Params) -> Result<VerifiedRedirect, Rejection> {
    if params.is_repeated("redirect_uri") {
        return Err(page(
            400,
            ErrorCode::InvalidRequest,
            "Invalid request",
            "The redirect_uri parameter was sent more than once.",
        ));
    }
    // Ostiary requires redirect_uri on every request (OIDC Core §3.1.2.1 makes it REQUIRED), so the code
    // is always bound to an explicit, exactly matched URI.
    let Some(requested) = params.get("redirect_uri") else {
        return Err(page(
            400,
            ErrorCode::InvalidRequest,
            "Invalid request",
            "The request has no redirect_uri.",
        ));
    };
    // RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: exact string matching against the registered URIs.
    match_redirect_uri(&client.metadata.redirect_uris, requested, client.metadata.redirect_match_mode()).map_err(|_| {
        page(
            400,
            ErrorCode::InvalidRequest,
            "Unregistered redirect URI",
            "The application asked to send you back to an address it has not registered. For your safety you were not redirected.",
        )
    })
}

/// RFC 6749 §3.3: the scope is required here (no default scope), must parse, and must be within the
/// client's registered scopes.
fn requested_scope(
    client: &Client,
    params: &Params,
) -> Result<ScopeSet, (ErrorCode, &'static str)> {
    let Some(raw) = params.get("scope") else {
        return Err((ErrorCode::InvalidScope, "scope is required"));
    };
    let scope =
        ScopeSet::parse(raw).map_err(|_| (ErrorCode::InvalidScope, "scope is malformed"))?;
    if !scope.is_subset(&client.metadata.scope) {
        return Err((
            ErrorCode::InvalidScope,
            "scope exceeds the scopes registered for this client",
        ));
    }
    Ok(scope)
}

/// RFC 7636 §4.4.1 with Ostiary's policy: S256 only; required unless the client has an exception.
fn pkce(client: &Client, params: &Params) -> Result<Option<CodeChallenge>, &'static str> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    if challenge.is_none() && method.is_none() && !client.metadata.pkce_required {
        return Ok(None);
    }
    CodeChallenge::from_request(challenge, method)
        .map(Some)
        .map_err(|e| match e {
            ChallengeError::MissingChallenge => "code_challenge is required (PKCE with S256)",
            ChallengeError::PlainNotSupported => {
                "code_challenge_method plain is not supported; use S256"
            }
            ChallengeError::MissingMethod => "code_challenge_method is required and must be S256",
            ChallengeError::UnknownMethod => "code_challenge_method is not supported; use S256",
            _ => "code_challenge is not a valid S256 challenge",
        })
}

/// OIDC Core §3.1.2.1: space-delimited `none`, `login`, `consent`, `select_account`; `none` alone.
/// `select_account` is honoured by asking the user to sign in (one account per session here).
fn parse_prompt(value: Option<&str>) -> Result<Prompt, &'static str> {
    let mut prompt = Prompt::default();
    let Some(value) = value else {
        return Ok(prompt);
    };
    for token in value.split(' ') {
        match token {
            "none" => prompt.none = true,
            "login" | "select_account" => prompt.login = true,
            "consent" => prompt.consent = true,
            _ => return Err("prompt has an unsupported value"),
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(prompt)
}

fn parse_max_age(value: &str) -> Option<i64> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values() {
        assert_eq!(parse_prompt(None), Ok(Prompt::default()));
        assert!(parse_prompt(Some("none")).unwrap().none);
        let p = parse_prompt(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("bogus")).is_err());
        assert!(parse_prompt(Some("login  consent")).is_err());
    }

    #[test]
    fn max_age_values() {
        assert_eq!(parse_max_age("0"), Some(0));
        assert_eq!(parse_max_age("3600"), Some(3600));
        for bad in ["", "-1", "1.5", "+1", "99999999999", " 1"] {
            assert_eq!(parse_max_age(bad), None, "{bad}");
        }
    }
}
