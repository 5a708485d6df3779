//! The UserInfo endpoint (OIDC Core §5.3) with bearer tokens in the `Authorization` header
//! (RFC 6750 §2.1).

use ostiary_store::{Store, Subject};
use serde::Serialize;

use crate::Provider;
use crate::claims::standard_claims;
use crate::error::{BearerError, ErrorCode};
use crate::resource::Presented;

/// The longest `Authorization` header value looked at.
const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;

#[derive(Serialize)]
struct UserInfo {
    sub: String,
    #[serde(flatten)]
    claims: ostiary_jose::StandardClaims,
}

/// Extracts the token of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme is
/// case-insensitive, RFC 7235 §2.1).
pub fn bearer_token(header: &str) -> Option<&str> {
    if header.len() > MAX_AUTHORIZATION_LEN {
        return None;
    }
    let (scheme, token) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim_matches(' ');
    (!token.is_empty() && !token.contains(' ')).then_some(token)
}

impl<S: Store> Provider<S> {
    /// Handles a UserInfo request. `authorization` is the `Authorization` header; `token_elsewhere` says
    /// whether an `access_token` was also (or instead) sent in the query or body, which Ostiary refuses
    /// (RFC 6750 §2: one method only; the query method is discouraged by RFC 9700 §2.2.1). Returns the
    /// JSON claims.
    pub async fn userinfo(
        &self,
        authorization: Option<&str>,
        token_elsewhere: bool,
    ) -> Result<String, BearerError> {
        let header = match (authorization, token_elsewhere) {
            (Some(_), true) => {
                return Err(BearerError::Error(
                    ErrorCode::InvalidRequest,
                    "send the access token in one place only",
                ));
            }
            (None, true) => {
                return Err(BearerError::Error(
                    ErrorCode::InvalidRequest,
                    "send the access token in the Authorization header",
                ));
            }
            (None, false) => return Err(BearerError::Missing),
            (Some(header), false) => header,
        };
        let token = bearer_token(header).ok_or(BearerError::Error(
            ErrorCode::InvalidRequest,
            "the Authorization header is not a Bearer token",
        ))?;
        let Presented::Access(digest) = self.classify(token) else {
            return Err(BearerError::invalid_token());
        };
        let now = self.now();
        let grant = self
            .find_access(digest)
            .await
            .map_err(|e| server_error(&e))?;
        let Some(grant) = grant.filter(|g| g.is_active(now)) else {
            return Err(BearerError::invalid_token());
        };
        // OIDC Core §5.3: the access token must come from an OpenID Connect request.
        if !grant.token.scope.contains("openid") {
            return Err(BearerError::Error(
                ErrorCode::InsufficientScope,
                "the access token does not carry the openid scope",
            ));
        }
        let Subject::User(user_id) = grant.family.subject else {
            return Err(BearerError::Error(
                ErrorCode::InsufficientScope,
                "the access token is not about a user",
            ));
        };
        let user = self
            .inner
            .store
            .get_user(user_id)
            .await
            .map_err(|e| server_error(&e))?;
        let Some(user) = user.filter(|u| !u.disabled) else {
            return Err(BearerError::invalid_token());
        };
        let body = UserInfo {
            sub: user.id.to_string(),
            claims: standard_claims(&user, &grant.token.scope),
        };
        // Names, e-mail and the like: a few hundred bytes.
        crate::json::to_string(&body, 2 * crate::json::OVERHEAD).map_err(|_| {
            BearerError::Error(
                ErrorCode::ServerError,
                "the server could not complete the request",
            )
        })
    }
}

fn server_error(error: &ostiary_store::StoreError) -> BearerError {
    tracing::error!(error = %error, "store failure at the userinfo endpoint");
    BearerError::Error(
        ErrorCode::ServerError,
        "the server could not complete the request",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer a b"), None);
    }
}
