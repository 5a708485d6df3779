//! Protocol errors: the wire codes, and one error type per surface that knows how it is sent.

/// The error codes of OAuth 2.0 and OpenID Connect, as sent on the wire.
///
/// Each variant quotes the sentence of the specification that defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// RFC 6749 §4.1.2.1, §5.2: "The request is missing a required parameter, includes an invalid
    /// parameter value, includes a parameter more than once, or is otherwise malformed."
    InvalidRequest,
    /// RFC 6749 §5.2: "Client authentication failed (e.g., unknown client, no client authentication
    /// included, or unsupported authentication method)."
    InvalidClient,
    /// RFC 6749 §5.2: "The provided authorization grant (e.g., authorization code, resource owner
    /// credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used
    /// in the authorization request, or was issued to another client."
    InvalidGrant,
    /// RFC 6749 §4.1.2.1, §5.2: "The authenticated client is not authorized to use this authorization
    /// grant type."
    UnauthorizedClient,
    /// RFC 6749 §5.2: "The authorization grant type is not supported by the authorization server."
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1, §5.2: "The requested scope is invalid, unknown, malformed, or exceeds the scope
    /// granted by the resource owner."
    InvalidScope,
    /// RFC 6749 §4.1.2.1: "The resource owner or authorization server denied the request."
    AccessDenied,
    /// RFC 6749 §4.1.2.1: "The authorization server does not support obtaining an authorization code using
    /// this method."
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1: "The authorization server encountered an unexpected condition that prevented it
    /// from fulfilling the request."
    ServerError,
    /// RFC 6749 §4.1.2.1: "The authorization server is currently unable to handle the request due to a
    /// temporary overloading or maintenance of the server."
    TemporarilyUnavailable,
    /// RFC 6750 §3.1: "The access token provided is expired, revoked, malformed, or invalid for other
    /// reasons."
    InvalidToken,
    /// RFC 6750 §3.1: "The request requires higher privileges than provided by the access token."
    InsufficientScope,
    /// RFC 7009 §2.2.1: "The authorization server does not support the revocation of the presented token
    /// type."
    UnsupportedTokenType,
    /// OIDC Core §3.1.2.6: "The Authorization Server requires End-User interaction of some form to
    /// proceed."
    InteractionRequired,
    /// OIDC Core §3.1.2.6: "The Authorization Server requires End-User authentication."
    LoginRequired,
    /// OIDC Core §3.1.2.6: "The Authorization Server requires End-User consent."
    ConsentRequired,
    /// OIDC Core §3.1.2.6: "The OP does not support use of the request parameter."
    RequestNotSupported,
    /// OIDC Core §3.1.2.6: "The OP does not support use of the request_uri parameter."
    RequestUriNotSupported,
    /// OIDC Core §3.1.2.6: "The OP does not support use of the registration parameter."
    RegistrationNotSupported,
}

impl ErrorCode {
    /// The wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::RegistrationNotSupported => "registration_not_supported",
        }
    }

    /// The HTTP status of a direct (non-redirect) response carrying this error: RFC 6749 §5.2 (400, and
    /// 401 for `invalid_client`), RFC 6750 §3.1 (401 `invalid_token`, 403 `insufficient_scope`), and 500 /
    /// 503 for the server's own conditions.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// An error answered directly as JSON `{"error", "error_description"}`: the token, revocation and
/// introspection endpoints (RFC 6749 §5.2). The description is fixed text, never an echo of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The wire code.
    pub code: ErrorCode,
    /// Human-readable, fixed text.
    pub description: &'static str,
}

impl OAuthError {
    /// A new error.
    pub const fn new(code: ErrorCode, description: &'static str) -> Self {
        Self { code, description }
    }

    /// The HTTP status to answer with.
    pub const fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// Whether the response must carry `WWW-Authenticate: Basic` (RFC 6749 §5.2, `invalid_client`).
    pub fn needs_basic_challenge(&self) -> bool {
        self.code == ErrorCode::InvalidClient
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "error": self.code.as_str(), "error_description": self.description })
            .to_string()
    }

    pub(crate) const fn invalid_request(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub(crate) const fn invalid_grant(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub(crate) const fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }
}

/// An error of a resource request with a bearer token (RFC 6750 §3): sent as `WWW-Authenticate: Bearer`
/// (and, for userinfo, as the status code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BearerError {
    /// No token at all: RFC 6750 §3.1 says the challenge SHOULD NOT carry an error code then.
    #[error("no access token")]
    Missing,
    /// `invalid_request`, `invalid_token` or `insufficient_scope`, with fixed text.
    #[error("{code}: {description}", code = .0.as_str(), description = .1)]
    Error(ErrorCode, &'static str),
}

impl BearerError {
    /// The HTTP status (RFC 6750 §3.1): 401 without a token or with a bad one, 400 for a malformed
    /// request, 403 for insufficient scope, 500 for the server's own failure.
    pub const fn http_status(&self) -> u16 {
        match self {
            BearerError::Missing => 401,
            BearerError::Error(code, _) => code.http_status(),
        }
    }

    /// The `WWW-Authenticate` header value (RFC 6750 §3).
    pub fn challenge(&self, realm: &str) -> String {
        match self {
            BearerError::Missing => format!("Bearer realm=\"{realm}\""),
            BearerError::Error(code, description) => format!(
                "Bearer realm=\"{realm}\", error=\"{}\", error_description=\"{description}\"",
                code.as_str()
            ),
        }
    }

    pub(crate) const fn invalid_token() -> Self {
        BearerError::Error(
            ErrorCode::InvalidToken,
            "the access token is invalid, expired or revoked",
        )
    }
}

/// An error page shown at the authorization endpoint when the request cannot be redirected back to the
/// client (an unknown client or an unregistered redirect URI: RFC 6749 §4.1.2.1 "MUST NOT automatically
/// redirect"), or when the server itself fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPage {
    /// The HTTP status.
    pub status: u16,
    /// The wire code the condition corresponds to, for logs and for developers reading the page.
    pub code: ErrorCode,
    /// A one-line title for the user.
    pub title: &'static str,
    /// A fixed explanation for the user and the partner's developer.
    pub message: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(ErrorCode::InvalidClient.http_status(), 401);
        assert_eq!(ErrorCode::InvalidGrant.http_status(), 400);
        assert_eq!(ErrorCode::InvalidToken.http_status(), 401);
        assert_eq!(ErrorCode::InsufficientScope.http_status(), 403);
        assert_eq!(BearerError::Missing.http_status(), 401);
    }

    #[test]
    fn token_error_json_and_challenge() {
        let e = OAuthError::new(ErrorCode::InvalidClient, "client authentication failed");
        assert!(e.needs_basic_challenge());
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["error"], "invalid_client");
        assert_eq!(v["error_description"], "client authentication failed");
    }

    #[test]
    fn bearer_challenges() {
        assert_eq!(
            BearerError::Missing.challenge("ostiary"),
            "Bearer realm=\"ostiary\""
        );
        assert_eq!(
            BearerError::invalid_token().challenge("ostiary"),
            "Bearer realm=\"ostiary\", error=\"invalid_token\", error_description=\"the access token is invalid, expired or revoked\""
        );
    }
}
