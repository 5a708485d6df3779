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
    let mut scopes = prompt.scopes.clone();
    scopes.sort_by_key(|s| display_rank(&s.scope));
    let page = ConsentPage {
        platform,
        client: &prompt.client,
        user: &prompt.user_display_name,
        scopes: &scopes,
        fields: &prompt.request.fields,
        csrf,
    };
    render(&page, StatusCode::OK, platform)
}

/// The order scopes are listed in on the consent page: identity first, then profile data, then API
/// permissions, and staying connected last (a stable sort keeps the rest in their given order).
fn display_rank(scope: &str) -> u8 {
    match scope {
        "openid" => 0,
        "profile" => 1,
        "email" => 2,
        "offline_access" => 4,
        _ => 3,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use ostiary_core::authorize::RequestForm;

    fn client() -> ClientDisplay {
        ClientDisplay {
            name: "<b>Evil & Co</b>".to_owned(),
            logo_uri: Some("https://evil.example/logo.png?a=1&b=\"2\"".to_owned()),
            client_uri: None,
            tos_uri: Some("https://evil.example/tos".to_owned()),
            policy_uri: None,
        }
    }

    async fn body(response: Response<Body>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn login_page_escapes_everything_it_repeats() {
        let prompt = LoginPrompt {
            request: RequestForm {
                fields: vec![("state", "\"><script>x</script>".to_owned())],
            },
            client: client(),
            login_hint: Some("a\"b<c".to_owned()),
            error: Some("The username or password is incorrect."),
        };
        let html = body(login("Plat<form>", &prompt, "tok")).await;
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>Evil"));
        assert!(!html.contains("Plat<form>"));
        assert!(html.contains("value=\"&#34;&#62;&#60;script&#62;x&#60;/script&#62;\""));
        assert!(
            html.contains("value=\"a&#34;b&#60;c\""),
            "the login hint is escaped too"
        );
        assert!(html.contains("name=\"csrf_token\" value=\"tok\""));
        assert!(html.contains("role=\"alert\""));
        assert!(!html.contains("<script"), "no JavaScript at all");
    }

    #[tokio::test]
    async fn consent_page_lists_identity_first_and_links_only_what_exists() {
        let scope = |s: &str, granted: bool| ScopeDescription {
            scope: s.to_owned(),
            description: format!("describes {s}"),
            already_granted: granted,
        };
        let prompt = ConsentPrompt {
            request: RequestForm::default(),
            client: client(),
            user_display_name: "Alice".to_owned(),
            scopes: vec![
                scope("email", true),
                scope("offline_access", false),
                scope("openid", true),
                scope("orders:read", false),
            ],
        };
        let html = body(consent("Platform", &prompt, "tok")).await;
        let at = |s: &str| html.find(&format!("describes {s}")).unwrap();
        assert!(at("openid") < at("email") && at("email") < at("orders:read"));
        assert!(at("orders:read") < at("offline_access"));
        assert_eq!(html.matches("(already allowed)").count(), 2);
        assert!(html.contains("Terms of service"));
        assert!(
            !html.contains("Privacy policy"),
            "no link without a policy_uri"
        );
        assert!(!html.contains("?a=1&b="), "attribute values are escaped");
    }

    #[tokio::test]
    async fn error_pages_show_status_and_code() {
        let response = error("Platform", CSRF_FAILED);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let html = body(response).await;
        assert!(html.contains("csrf_token_mismatch") && html.contains("HTTP 403"));
    }
}
