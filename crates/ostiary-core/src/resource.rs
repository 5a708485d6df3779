//! Access tokens presented back to the server: finding them (opaque or JWT) for UserInfo, introspection
//! and revocation.

use ostiary_jose::Validation;
use ostiary_store::{AccessTokenGrant, Digest, RefreshTokenGrant, SecretKind, Store, StoreError};

use crate::Provider;

/// A presented token, classified by its form.
pub(crate) enum Presented {
    Access(Digest),
    Refresh(Digest),
    Unknown,
}

impl<S: Store> Provider<S> {
    /// Classifies a presented token and digests it: opaque access and refresh tokens by their prefix, JWT
    /// access tokens (RFC 9068) by verifying them and digesting their `jti`.
    pub(crate) fn classify(&self, token: &str) -> Presented {
        if let Some(digest) = self.digest(SecretKind::AccessToken, token) {
            return Presented::Access(digest);
        }
        if let Some(digest) = self.digest(SecretKind::RefreshToken, token) {
            return Presented::Refresh(digest);
        }
        if token.bytes().filter(|&b| b == b'.').count() == 2 {
            // Audience is the API audience this server writes (the issuer); expiry is checked on the
            // stored record as well.
            let validation = Validation::new(self.issuer(), self.issuer(), self.now());
            if let Ok(claims) = self
                .inner
                .keys
                .get()
                .verify_access_token(token, &validation)
                && let Some(digest) = self.digest(SecretKind::JwtId, &claims.jti)
            {
                return Presented::Access(digest);
            }
        }
        Presented::Unknown
    }

    pub(crate) async fn find_access(
        &self,
        digest: Digest,
    ) -> Result<Option<AccessTokenGrant>, StoreError> {
        self.inner.store.get_access_token(digest).await
    }

    pub(crate) async fn find_refresh(
        &self,
        digest: Digest,
    ) -> Result<Option<RefreshTokenGrant>, StoreError> {
        self.inner.store.get_refresh_token(digest).await
    }
}
