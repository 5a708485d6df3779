//! The token endpoint (RFC 6749 §3.2): client authentication, then a plain `match` on the grant type
//! (a well-formed refresh request leaves the authentication to its store operation, see `refresh`).

mod client_auth;
mod code;
mod issue;
mod refresh;
mod seal;

use ostiary_store::Store;

use refresh::{Caller, RefreshRequest};

use crate::Provider;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;

pub use client_auth::parse_basic;

/// The grant types the token endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantType {
    AuthorizationCode,
    RefreshToken,
}

impl GrantType {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "authorization_code" => Some(GrantType::AuthorizationCode),
            "refresh_token" => Some(GrantType::RefreshToken),
            _ => None,
        }
    }
}

impl<S: Store> Provider<S> {
    /// Handles a token request: `authorization` is the `Authorization` header value, `params` the form
    /// body. Returns the JSON body of a successful response (RFC 6749 §5.1), to be sent with
    /// `Cache-Control: no-store`, or the error to send (RFC 6749 §5.2).
    pub async fn token(
        &self,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<String, OAuthError> {
        // A well-formed refresh request is authenticated by the store operation that reads its token
        // (with the token's client): one store operation instead of two.
        if let Some((presented, request)) = self.presented_refresh(authorization, params) {
            return self
                .refresh_token_grant(Caller::Presented(presented), request)
                .await;
        }
        let client = self.authenticate_client(authorization, params).await?;
        let Some(grant_type) = params.get("grant_type") else {
            return Err(OAuthError::invalid_request("grant_type is required"));
        };
        let Some(grant_type) = GrantType::parse(grant_type) else {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "this grant type is not supported",
            ));
        };
        match grant_type {
            GrantType::AuthorizationCode => self.authorization_code_grant(&client, params).await,
            GrantType::RefreshToken => {
                let request = RefreshRequest::parse(self, params)?;
                self.refresh_token_grant(Caller::Authenticated(client.id), request)
                    .await
            }
        }
    }
}
