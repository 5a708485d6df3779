//! The route table: paths, their methods, and whether their errors are JSON or HTML.

use http::Method;
use ostiary_core::discovery::paths;

/// The stylesheet's path.
pub const STYLESHEET_PATH: &str = "/assets/ostiary.css";
/// The sign-in form's target.
pub const LOGIN_PATH: &str = "/oauth/authorize/login";
/// The consent form's target.
pub const CONSENT_PATH: &str = "/oauth/authorize/consent";
/// The liveness probe.
pub const HEALTHZ_PATH: &str = "/healthz";

/// Every route Ostiary serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Authorize,
    Login,
    Consent,
    Token,
    Revoke,
    Introspect,
    Userinfo,
    OpenidConfiguration,
    OauthMetadata,
    Jwks,
    Healthz,
    Stylesheet,
}

/// The method sets routes accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Methods {
    GetPost,
    Post,
    GetHead,
}

impl Route {
    /// The route of an exact path (no trailing-slash or case variants: clients use the discovered URLs).
    pub(crate) fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            paths::AUTHORIZE => Route::Authorize,
            LOGIN_PATH => Route::Login,
            CONSENT_PATH => Route::Consent,
            paths::TOKEN => Route::Token,
            paths::REVOKE => Route::Revoke,
            paths::INTROSPECT => Route::Introspect,
            paths::USERINFO => Route::Userinfo,
            paths::OPENID_CONFIGURATION => Route::OpenidConfiguration,
            paths::OAUTH_AUTHORIZATION_SERVER => Route::OauthMetadata,
            paths::JWKS => Route::Jwks,
            HEALTHZ_PATH => Route::Healthz,
            STYLESHEET_PATH => Route::Stylesheet,
            _ => return None,
        })
    }

    /// The path, for logs (never the request's own text, which may be anything).
    pub(crate) fn path(self) -> &'static str {
        match self {
            Route::Authorize => paths::AUTHORIZE,
            Route::Login => LOGIN_PATH,
            Route::Consent => CONSENT_PATH,
            Route::Token => paths::TOKEN,
            Route::Revoke => paths::REVOKE,
            Route::Introspect => paths::INTROSPECT,
            Route::Userinfo => paths::USERINFO,
            Route::OpenidConfiguration => paths::OPENID_CONFIGURATION,
            Route::OauthMetadata => paths::OAUTH_AUTHORIZATION_SERVER,
            Route::Jwks => paths::JWKS,
            Route::Healthz => HEALTHZ_PATH,
            Route::Stylesheet => STYLESHEET_PATH,
        }
    }

    /// The methods the route accepts.
    fn methods(self) -> Methods {
        match self {
            // OIDC Core §3.1.2.1 (authorization) and §5.3.1 (UserInfo): GET and POST.
            Route::Authorize | Route::Userinfo => Methods::GetPost,
            // Forms and the RFC 6749 §3.2, RFC 7009 §2.1 and RFC 7662 §2.1 endpoints: POST only.
            Route::Login | Route::Consent | Route::Token | Route::Revoke | Route::Introspect => {
                Methods::Post
            }
            Route::OpenidConfiguration
            | Route::OauthMetadata
            | Route::Jwks
            | Route::Healthz
            | Route::Stylesheet => Methods::GetHead,
        }
    }

    /// The `Allow` header value (RFC 9110 §10.2.1).
    pub(crate) fn allow(self) -> &'static str {
        match self.methods() {
            Methods::GetPost => "GET, POST",
            Methods::Post => "POST",
            Methods::GetHead => "GET, HEAD",
        }
    }

    /// Whether the route accepts `method`.
    pub(crate) fn allows(self, method: &Method) -> bool {
        match self.methods() {
            Methods::GetPost => method == Method::GET || method == Method::POST,
            Methods::Post => method == Method::POST,
            Methods::GetHead => method == Method::GET || method == Method::HEAD,
        }
    }

    /// Whether the route answers errors in JSON (machine clients) rather than as an HTML page.
    pub(crate) fn json_errors(self) -> bool {
        matches!(
            self,
            Route::Token
                | Route::Revoke
                | Route::Introspect
                | Route::Userinfo
                | Route::OpenidConfiguration
                | Route::OauthMetadata
                | Route::Jwks
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Route; 12] = [
        Route::Authorize,
        Route::Login,
        Route::Consent,
        Route::Token,
        Route::Revoke,
        Route::Introspect,
        Route::Userinfo,
        Route::OpenidConfiguration,
        Route::OauthMetadata,
        Route::Jwks,
        Route::Healthz,
        Route::Stylesheet,
    ];

    #[test]
    fn paths_round_trip() {
        for route in ALL {
            assert_eq!(Route::from_path(route.path()), Some(route));
        }
        for unknown in [
            "/",
            "/oauth/token/",
            "/OAUTH/TOKEN",
            "/oauth",
            "/userinfo/x",
            "",
        ] {
            assert_eq!(Route::from_path(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn allow_matches_allows() {
        let methods = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ];
        for route in ALL {
            for method in &methods {
                let listed = route.allow().split(", ").any(|m| m == method.as_str());
                assert_eq!(route.allows(method), listed, "{route:?} {method}");
            }
        }
    }
}
