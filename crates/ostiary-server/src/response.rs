//! Building responses: JSON with the OAuth caching rules, HTML with the security headers, redirects.

use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION,
    PRAGMA, REFERRER_POLICY, WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{Response, StatusCode};
use http_body_util::Full;
use ostiary_core::{BearerError, ErrorCode, OAuthError};

/// The body type of every response.
pub(crate) type Body = Full<Bytes>;

/// The realm of `WWW-Authenticate` challenges (RFC 9110 §11.5).
pub(crate) const REALM: &str = "ostiary";
/// The challenge of an `invalid_client` answer (RFC 6749 §5.2, RFC 7617 §2).
const BASIC_CHALLENGE: &str = "Basic realm=\"ostiary\"";

/// The Content Security Policy of every HTML page: nothing but our stylesheet and `https:` or `data:`
/// images (client logos); no scripts at all; never framed (clickjacking); no `<base>` tricks.
/// `form-action` is deliberately absent: Chrome applies it to the redirect that follows a form post,
/// which here goes to the client's redirect URI.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src https: data:; \
                              base-uri 'none'; frame-ancestors 'none'";

fn with_headers(
    status: StatusCode,
    body: impl Into<Bytes>,
    headers: &[(HeaderName, &'static str)],
) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let map = response.headers_mut();
    for (name, value) in headers {
        map.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}

/// A JSON response that no cache may store (RFC 6749 §5.1: `Cache-Control: no-store`, `Pragma:
/// no-cache`).
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    with_headers(
        status,
        body,
        &[
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
            (PRAGMA, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
    )
}

/// A public JSON document (discovery, JWKS): readable from any origin (RFC 8414 §3 and OIDC Discovery
/// documents are public), not cached either so key rotations are seen at once.
pub(crate) fn public_json(body: impl Into<Bytes>) -> Response<Body> {
    let mut response = json(StatusCode::OK, body);
    response.headers_mut().insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// An error of the token, revocation or introspection endpoint (RFC 6749 §5.2): JSON, its status, and
/// `WWW-Authenticate: Basic` for `invalid_client` (401).
pub(crate) fn oauth_error(error: &OAuthError) -> Response<Body> {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, error.to_json());
    if error.needs_basic_challenge() {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static(BASIC_CHALLENGE));
    }
    response
}

/// An `invalid_request` JSON error with a status of the HTTP layer's own (400, 405, 408, 413).
pub(crate) fn invalid_request(status: StatusCode, description: &'static str) -> Response<Body> {
    json(
        status,
        OAuthError::new(ErrorCode::InvalidRequest, description).to_json(),
    )
}

/// A UserInfo error (RFC 6750 §3): its status and the `WWW-Authenticate: Bearer` challenge, no body.
pub(crate) fn bearer_error(error: &BearerError) -> Response<Body> {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = with_headers(
        status,
        Bytes::new(),
        &[
            (CACHE_CONTROL, "no-store"),
            (PRAGMA, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
    );
    // The challenge holds our realm and fixed text only, so it is always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&error.challenge(REALM)) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// An HTML page with the security headers every page carries.
pub(crate) fn html(status: StatusCode, body: String) -> Response<Body> {
    with_headers(
        status,
        body,
        &[
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CONTENT_SECURITY_POLICY, CSP),
            (X_FRAME_OPTIONS, "DENY"),
            (CACHE_CONTROL, "no-store"),
            (PRAGMA, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (REFERRER_POLICY, "no-referrer"),
        ],
    )
}

/// A redirect (302 after a GET, 303 after a form post so the browser follows with a GET). `None` if the
/// location is not a valid header value (it always is: the redirect builder percent-encodes).
pub(crate) fn redirect(status: StatusCode, location: &str) -> Option<Response<Body>> {
    let location = HeaderValue::from_str(location).ok()?;
    let mut response = with_headers(
        status,
        Bytes::new(),
        &[
            (CACHE_CONTROL, "no-store"),
            (PRAGMA, "no-cache"),
            // The authorization URL must not leak to the client's page as a referrer.
            (REFERRER_POLICY, "no-referrer"),
        ],
    );
    response.headers_mut().insert(LOCATION, location);
    Some(response)
}

/// An empty response that no cache may store (a successful revocation, RFC 7009 §2.2).
pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    with_headers(
        status,
        Bytes::new(),
        &[(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")],
    )
}

/// A short plain-text response (health check).
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    with_headers(
        status,
        body,
        &[
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
    )
}

/// The stylesheet: public and cacheable for an hour.
pub(crate) fn stylesheet(body: &'static str) -> Response<Body> {
    with_headers(
        StatusCode::OK,
        body,
        &[
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
    )
}

/// Adds an `Allow` header (RFC 9110 §15.5.6: a 405 must list the allowed methods).
pub(crate) fn with_allow(mut response: Response<Body>, allow: &'static str) -> Response<Body> {
    response
        .headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static(allow));
    response
}
