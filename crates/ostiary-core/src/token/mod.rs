//! The token endpoint (RFC 6749 §3.2): the grant type's parameters, then the grant, whose store
//! operation authenticates the client.

mod client_auth;
mod code;
mod issue;
mod refresh;
mod seal;

use ostiary_store::Store;

use client_auth::{client_auth_error, request_credentials};
use code::CodeRequest;
use refresh::RefreshRequest;

use crate::Provider;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;

pub use client_auth::parse_basic;

/// A token request's grant, parsed without the store.
enum TokenRequest {
    AuthorizationCode(CodeRequest),
    RefreshToken(RefreshRequest),
}

impl TokenRequest {
    fn parse<S>(provider: &Provider<S>, params: &Params) -> Result<Self, OAuthError> {
        // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
        if params.has_repeated() {
            return Err(OAuthError::invalid_request(
                "a parameter was sent more than once",
            ));
        }
        match params.get("grant_type") {
            None => Err(OAuthError::invalid_request("grant_type is required")),
            Some("authorization_code") => Ok(TokenRequest::AuthorizationCode(CodeRequest::parse(
                provider, params,
            )?)),
            Some("refresh_token") => Ok(TokenRequest::RefreshToken(RefreshRequest::parse(
                provider, params,
            )?)),
            Some(_) => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "this grant type is not supported",
            )),
        }
    }
}

impl<S: Store> Provider<S> {
    /// Handles a token request: `authorization` is the `Authorization` header value, `params` the form
    /// body. Returns the JSON body of a successful response (RFC 6749 §5.1), to be sent with
    /// `Cache-Control: no-store`, or the error to send (RFC 6749 §5.2).
    ///
    /// The client is authenticated by the grant's own store operation, which reads the client with
    /// the code or the token (`CodeStore::exchange_code`, `TokenStore::refresh_grant`): one store
    /// operation per grant, and wrong credentials still change nothing. A request refused before
    /// that is authenticated first, so `invalid_client` comes before any other error.
    pub async fn token(
        &self,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<String, OAuthError> {
        let (client_id, secret) = request_credentials(authorization, params)?;
        let client = self
            .inner
            .registry
            .presented(&client_id, &secret)
            .map_err(client_auth_error)?;
        match TokenRequest::parse(self, params) {
            Ok(TokenRequest::AuthorizationCode(request)) => {
                self.authorization_code_grant(client, request).await
            }
            Ok(TokenRequest::RefreshToken(request)) => {
                self.refresh_token_grant(client, request).await
            }
            Err(error) => {
                self.inner
                    .registry
                    .authenticate_presented(&client)
                    .await
                    .map_err(client_auth_error)?;
                Err(error)
            }
        }
    }
}
