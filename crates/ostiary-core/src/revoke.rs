//! Token revocation (RFC 7009).

use ostiary_store::Store;

use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;
use crate::resource::Presented;

impl<S: Store> Provider<S> {
    /// Handles a revocation request (RFC 7009 §2.1) authenticated with `client_secret_basic`.
    ///
    /// Revoking a refresh token revokes its whole family, access tokens included (RFC 7009 §2.1: "SHOULD
    /// also invalidate all access tokens based on the same authorization grant"); revoking an access token
    /// revokes that token. A client can revoke only its own tokens; an unknown token, or another client's,
    /// is answered 200 and left alone (RFC 7009 §2.2: invalid tokens do not cause an error, and the answer
    /// must not reveal whether another client's token exists).
    pub async fn revoke(
        &self,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<(), OAuthError> {
        let client = self.authenticate_client(authorization, params).await?;
        let Some(token) = params.get("token") else {
            return Err(OAuthError::invalid_request("token is required"));
        };
        let now = self.now();
        let store = &self.inner.store;
        match self.classify(token) {
            Presented::Access(digest) => {
                if let Some(grant) = self.find_access(digest).await.map_err(server_error)?
                    && grant.family.client_id == client.id
                {
                    store
                        .revoke_access_token(digest, now)
                        .await
                        .map_err(server_error)?;
                }
            }
            Presented::Refresh(digest) => {
                if let Some(grant) = self.find_refresh(digest).await.map_err(server_error)?
                    && grant.family.client_id == client.id
                {
                    store
                        .revoke_family(grant.family.id, now)
                        .await
                        .map_err(server_error)?;
                }
            }
            Presented::Unknown => {}
        }
        Ok(())
    }
}

fn server_error(error: ostiary_store::StoreError) -> OAuthError {
    tracing::error!(error = %error, "store failure at the revocation endpoint");
    OAuthError::server_error()
}
