//! The authorization endpoint (RFC 6749 §4.1.1–§4.1.2, OIDC Core §3.1.2) and the sign-in and consent
//! interactions it leads to.
//!
//! The interaction is stateless on the server: the sign-in and consent forms repeat the validated
//! authorization parameters as hidden fields ([`RequestForm`]), and every submission validates them again
//! from scratch, so a tampered form is no more than a new authorization request from the same browser.
//! Cross-site submissions are the HTTP layer's to stop (CSRF tokens).

mod flow;
mod request;

use ostiary_store::{BearerSecret, ScopeSet};

pub use crate::error::ErrorPage;
pub use request::{MAX_LOGIN_HINT_LEN, MAX_NONCE_LEN, MAX_STATE_LEN};

/// What to answer at the authorization endpoint, or after a sign-in or consent submission.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthorizeOutcome {
    /// Redirect the browser (303 after a form post, 302 otherwise) to this URI: the client's verified
    /// redirect URI with `code`, `state`, `iss`, or with `error`, `error_description`, `state`, `iss`.
    Redirect(String),
    /// Show an error page: the request cannot be sent back to the client.
    ErrorPage(ErrorPage),
    /// Show the sign-in form.
    Login(LoginPrompt),
    /// Show the consent form.
    Consent(ConsentPrompt),
}

/// The outcome of an interaction step, with the session cookie to set when the step signed the user in.
#[derive(Debug)]
pub struct Interaction {
    /// What to answer.
    pub outcome: AuthorizeOutcome,
    /// A new session: set its cookie (HttpOnly, SameSite=Lax, Secure on https) for `max_age` seconds.
    pub new_session: Option<NewSession>,
}

impl Interaction {
    pub(crate) fn new(outcome: AuthorizeOutcome) -> Self {
        Self {
            outcome,
            new_session: None,
        }
    }
}

/// A session just created by a sign-in.
#[derive(Debug)]
pub struct NewSession {
    /// The cookie value (a bearer secret).
    pub cookie: BearerSecret,
    /// The cookie lifetime in seconds.
    pub max_age: i64,
}

/// The authorization parameters a form must send back unchanged, as hidden fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestForm {
    /// Name and value pairs.
    pub fields: Vec<(&'static str, String)>,
}

/// What the application looks like to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDisplay {
    /// `client_name`.
    pub name: String,
    /// `logo_uri`.
    pub logo_uri: Option<String>,
    /// `client_uri`.
    pub client_uri: Option<String>,
    /// `tos_uri`.
    pub tos_uri: Option<String>,
    /// `policy_uri`.
    pub policy_uri: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Clone)]
pub struct LoginPrompt {
    /// Hidden fields.
    pub request: RequestForm,
    /// The application asking.
    pub client: ClientDisplay,
    /// A username to pre-fill (`login_hint`).
    pub login_hint: Option<String>,
    /// Why the last attempt failed, in fixed text.
    pub error: Option<&'static str>,
}

/// One scope as shown on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDescription {
    /// The scope token.
    pub scope: String,
    /// What it lets the application do, in plain words.
    pub description: String,
    /// Whether the user already granted it before.
    pub already_granted: bool,
}

/// The consent form.
#[derive(Debug, Clone)]
pub struct ConsentPrompt {
    /// Hidden fields.
    pub request: RequestForm,
    /// The application asking.
    pub client: ClientDisplay,
    /// The signed-in user's display name.
    pub user_display_name: String,
    /// The requested scopes.
    pub scopes: Vec<ScopeDescription>,
}

/// Describes a scope in plain words for the consent page.
pub fn describe_scope(scope: &str) -> String {
    match scope {
        "openid" => "Know who you are: your account identifier on this platform".to_owned(),
        "profile" => "See your name and profile details (picture, locale, time zone)".to_owned(),
        "email" => "See your e-mail address and whether it is verified".to_owned(),
        "offline_access" => "Stay connected when you are not using it".to_owned(),
        other => format!("Access the platform's API with the \u{201c}{other}\u{201d} permission"),
    }
}

pub(crate) fn describe_scopes(
    requested: &ScopeSet,
    granted: Option<&ScopeSet>,
) -> Vec<ScopeDescription> {
    requested
        .iter()
        .map(|scope| ScopeDescription {
            scope: scope.to_owned(),
            description: describe_scope(scope),
            already_granted: granted.is_some_and(|g| g.contains(scope)),
        })
        .collect()
}
