//! Client authentication at the token, revocation and introspection endpoints: `client_secret_basic`
//! only (RFC 6749 §2.3.1).

use base64ct::{Base64, Encoding};
use ostiary_store::{AuthenticateError, Client, Store};

use crate::Provider;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;

/// The longest `Authorization` header value looked at.
const MAX_AUTHORIZATION_LEN: usize = 1024;

fn invalid_client(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, description)
}

/// Extracts `client_id` and `client_secret` from an HTTP Basic `Authorization` header value.
///
/// RFC 6749 §2.3.1: the id and secret are `application/x-www-form-urlencoded` *before* being put in the
/// Basic credentials, so both are url-decoded after base64-decoding. RFC 7617 §2: the scheme name is
/// case-insensitive; the user-id cannot contain a colon, the password can.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    if header.len() > MAX_AUTHORIZATION_LEN {
        return None;
    }
    let (scheme, credentials) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = Base64::decode_vec(credentials.trim_start_matches(' ')).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| crate::params::decode_value(s.as_bytes()).ok();
    let (id, secret) = (decode(id)?, decode(secret)?);
    if id.is_empty() || secret.is_empty() {
        return None;
    }
    Some((id, secret))
}

/// The error a failed client authentication answers: `invalid_client` whatever the reason (the reason
/// is for logs), `server_error` if the store failed.
pub(crate) fn client_auth_error(error: AuthenticateError) -> OAuthError {
    match error {
        AuthenticateError::Store(e) => {
            tracing::error!(error = %e, "store failure during client authentication");
            OAuthError::server_error()
        }
        _ => client_auth_failed(),
    }
}

/// `invalid_client` for credentials that are not a client's.
pub(crate) fn client_auth_failed() -> OAuthError {
    invalid_client("client authentication failed")
}

/// The client credentials of a token, revocation or introspection request, checked as far as they can
/// be without the store: `client_secret_basic` only, and a `client_id` in the body must agree.
pub(crate) fn request_credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<(String, String), OAuthError> {
    // Only client_secret_basic is accepted: a secret in the body is client_secret_post, refused whether
    // or not a Basic header is also present (RFC 6749 §2.3: "MUST NOT use more than one
    // authentication method in each request").
    if params.get("client_secret").is_some() || params.is_repeated("client_secret") {
        return Err(invalid_client(
            "client_secret_post is not supported: authenticate with HTTP Basic (client_secret_basic)",
        ));
    }
    if params.get("client_assertion").is_some() {
        return Err(invalid_client(
            "client assertions are not supported: use client_secret_basic",
        ));
    }
    let Some(header) = authorization else {
        return Err(invalid_client(
            "client authentication with HTTP Basic is required",
        ));
    };
    let Some((client_id, secret)) = parse_basic(header) else {
        return Err(invalid_client(
            "the Authorization header is not valid HTTP Basic credentials",
        ));
    };
    // A client_id in the body must agree with the authenticated one (RFC 6749 §3.2.1).
    if params.is_repeated("client_id") || params.get("client_id").is_some_and(|id| id != client_id)
    {
        return Err(invalid_client(
            "client_id does not match the authenticated client",
        ));
    }
    Ok((client_id, secret))
}

impl<S: Store> Provider<S> {
    /// Authenticates the client of a token, revocation or introspection request, then refuses repeated
    /// parameters. Every authentication failure is `invalid_client` (401 with `WWW-Authenticate: Basic`).
    pub(crate) async fn authenticate_client(
        &self,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<Client, OAuthError> {
        let (client_id, secret) = request_credentials(authorization, params)?;
        let client = self
            .inner
            .registry
            .authenticate(&client_id, &secret)
            .await
            .map_err(client_auth_error)?;
        // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
        if params.has_repeated() {
            return Err(OAuthError::invalid_request(
                "a parameter was sent more than once",
            ));
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", Base64::encode_string(raw.as_bytes()))
    }

    #[test]
    fn decodes_form_encoded_credentials() {
        assert_eq!(
            parse_basic(&basic("id:secret")),
            Some(("id".into(), "secret".into()))
        );
        assert_eq!(
            parse_basic(&basic("id%3Ax:s%2Bb+c")),
            Some(("id:x".into(), "s+b c".into()))
        );
        assert_eq!(
            parse_basic(&basic("id:sec:ret")),
            Some(("id".into(), "sec:ret".into()))
        );
        // Each part is one form-encoded value: `&` and `=` in it are its own characters.
        assert_eq!(
            parse_basic(&basic("i=d:s&e=c")),
            Some(("i=d".into(), "s&e=c".into()))
        );
        assert_eq!(
            parse_basic(&format!("basic {}", Base64::encode_string(b"a:b"))),
            Some(("a".into(), "b".into()))
        );
    }

    #[test]
    fn refuses_malformed_headers() {
        for bad in [
            "Bearer abc".to_owned(),
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            basic("no-colon"),
            basic(":secret"),
            basic("id:"),
            basic("id:%zz"),
            format!("Basic {}", "A".repeat(2000)),
        ] {
            assert_eq!(parse_basic(&bad), None, "{bad}");
        }
    }
}
