//! The server-rendered pages: sign-in, consent and error. askama templates under `templates/`, compiled
//! in and HTML-escaped automatically; no JavaScript anywhere.

use askama::Template;
use http::{Response, StatusCode};
use ostiary_core::authorize::{ClientDisplay, ConsentPrompt, LoginPrompt, ScopeDescription};

use crate::response::{self, Body};

/// The stylesheet, served at [`crate::STYLESHEET_PATH`].
pub(crate) const STYLESHEET: &str = include_str!("../assets/ostiary.css");

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    platform: &'a str,
    client: &'a ClientDisplay,
    fields: &'a [(&'static str, String)],
    csrf: &'a str,
    login_hint: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    platform: &'a str,
    client: &'a ClientDisplay,
    user: &'a str,
    scopes: &'a [ScopeDescription],
    fields: &'a [(&'static str, String)],
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView<'a> {
    platform: &'a str,
    status: u16,
    title: &'a str,
    message: &'a str,
    code: &'a str,
}

/// What an error page says: fixed text only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) message: &'static str,
    /// The error code for developers: an OAuth code, or one of the HTTP layer's own.
    pub(crate) code: &'static str,
}

impl PageError {
    pub(crate) const fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        message: &'static str,
    ) -> Self {
        Self {
            status,
            title,
            message,
            code,
        }
    }
}

impl From<ostiary_core::ErrorPage> for PageError {
    fn from(page: ostiary_core::ErrorPage) -> Self {
        Self {
            status: StatusCode::from_u16(page.status).unwrap_or(StatusCode::BAD_REQUEST),
            title: page.title,
            message: page.message,
            code: page.code.as_str(),
        }
    }
}

/// The sign-in form.
pub(crate) fn login(platform: &str, prompt: &LoginPrompt, csrf: &str) -> Response<Body> {
    let page = LoginPage {
        platform,
        client: &prompt.client,
        fields: &prompt.request.fields,
        csrf,
        login_hint: prompt.login_hint.as_deref().unwrap_or_default(),
        error: prompt.error,
    };
    render(&page, StatusCode::OK, platform)
}

/// The consent form.
pub(crate) fn consent(platform: &str, prompt: &ConsentPrompt, csrf: &str) -> Response<Body> {
    let page = ConsentPage {
        platform,
        client: &prompt.client,
        user: &prompt.user_display_name,
        scopes: &prompt.scopes,
        fields: &prompt.request.fields,
        csrf,
    };
    render(&page, StatusCode::OK, platform)
}

/// An error page.
pub(crate) fn error(platform: &str, error: PageError) -> Response<Body> {
    let view = ErrorView {
        platform,
        status: error.status.as_u16(),
        title: error.title,
        message: error.message,
        code: error.code,
    };
    match view.render() {
        Ok(body) => response::html(error.status, body),
        Err(_) => fallback(),
    }
}

fn render(page: &impl Template, status: StatusCode, platform: &str) -> Response<Body> {
    match page.render() {
        Ok(body) => response::html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            error(platform, SERVER_ERROR)
        }
    }
}

/// A page that cannot fail to build, for when even the error template fails.
fn fallback() -> Response<Body> {
    response::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned(),
    )
}

/// The server's own failure.
pub(crate) const SERVER_ERROR: PageError = PageError::new(
    StatusCode::INTERNAL_SERVER_ERROR,
    "server_error",
    "Something went wrong",
    "The server could not handle the request. Please try again later.",
);

/// A form submission without a matching CSRF token.
pub(crate) const CSRF_FAILED: PageError = PageError::new(
    StatusCode::FORBIDDEN,
    "csrf_token_mismatch",
    "This form can no longer be used",
    "For your safety the form was not submitted: it did not come from this page, or it has expired. \
     Go back to the application and start again.",
);

/// An unknown path.
pub(crate) const NOT_FOUND: PageError = PageError::new(
    StatusCode::NOT_FOUND,
    "not_found",
    "Page not found",
    "There is nothing at this address.",
);

/// A method the route does not accept.
pub(crate) const METHOD_NOT_ALLOWED: PageError = PageError::new(
    StatusCode::METHOD_NOT_ALLOWED,
    "method_not_allowed",
    "Method not allowed",
    "This address does not accept this kind of request.",
);

/// Parameters that could not be parsed (bad encoding, too many, too long).
pub(crate) const BAD_PARAMETERS: PageError = PageError::new(
    StatusCode::BAD_REQUEST,
    "invalid_request",
    "Invalid request",
    "The request parameters could not be read: they are malformed, too many or too long.",
);

/// A form post whose body is not `application/x-www-form-urlencoded`.
pub(crate) const NOT_A_FORM: PageError = PageError::new(
    StatusCode::BAD_REQUEST,
    "invalid_request",
    "Invalid request",
    "The form was not sent as application/x-www-form-urlencoded.",
);

/// A consent form without a valid decision.
pub(crate) const BAD_DECISION: PageError = PageError::new(
    StatusCode::BAD_REQUEST,
    "invalid_request",
    "Invalid request",
    "The form did not say whether to allow or deny the request.",
);

/// A request body over the size limit.
pub(crate) const TOO_LARGE: PageError = PageError::new(
    StatusCode::PAYLOAD_TOO_LARGE,
    "invalid_request",
    "Request too large",
    "The request was larger than this server accepts.",
);

/// A request body that did not arrive in time.
pub(crate) const TIMEOUT: PageError = PageError::new(
    StatusCode::REQUEST_TIMEOUT,
    "invalid_request",
    "Request timed out",
    "The request did not arrive in time. Please try again.",
);
