//! The refresh token grant (RFC 6749 §6) with rotation on every use (RFC 9700 §4.14.2) and a retry window.
//!
//! A rotated-out refresh token presented again within the retry window — a client retrying after a lost
//! response, two tabs racing — gets the very same response as the request that rotated it (sealed under
//! the old token, see `seal`); presented after it, it is a replay and the whole family is revoked.

use ostiary_store::{Client, RotateOutcome, Rotation, ScopeSet, SecretKind, Store, Subject};

use super::code::server_error;
use super::issue::Grant;
use super::seal;
use crate::Provider;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;

impl<S: Store> Provider<S> {
    pub(super) async fn refresh_token_grant(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<String, OAuthError> {
        let Some(presented) = params.get("refresh_token") else {
            return Err(OAuthError::invalid_request("refresh_token is required"));
        };
        let invalid =
            || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
        let (secret, digest) = self
            .inner
            .digests
            .parse_presented(SecretKind::RefreshToken, presented)
            .map_err(|_| invalid())?;
        let store = &self.inner.store;
        let now = self.now();
        // The token, its family and the family's user in one read: the ID token needs the user.
        let (grant, user) = store
            .get_refresh_token_with_user(digest)
            .await
            .map_err(server_error)?
            .ok_or_else(invalid)?;
        let family = &grant.family;
        // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
        if family.client_id != client.id {
            return Err(invalid());
        }
        if !family.is_active(now) || now >= grant.token.expires_at {
            return Err(invalid());
        }
        // RFC 6749 §6: the scope may only narrow; absent means the original scope.
        let scope = match params.get("scope") {
            None => family.scope.clone(),
            Some(raw) => {
                let scope = ScopeSet::parse(raw)
                    .map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "scope is malformed"))?;
                if !scope.is_subset(&family.scope) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "scope exceeds the scope originally granted",
                    ));
                }
                scope
            }
        };
        let user = match (family.subject, user) {
            (Subject::User(id), Some(user)) if user.id == id && !user.disabled => Some(user),
            (Subject::User(_), _) => return Err(invalid()),
            _ => None,
        };
        let issued = self.issue(&Grant {
            client,
            family,
            scope: &scope,
            user: user.as_ref(),
            nonce: None,
            with_refresh: true,
            now,
        })?;
        let Some(refresh) = issued.refresh else {
            return Err(OAuthError::server_error());
        };
        let sealing_key = self
            .inner
            .digests
            .derive_sealing_key(&secret)
            .ok_or_else(OAuthError::server_error)?;
        let sealed = seal::seal(&sealing_key, issued.json.as_bytes(), &self.inner.rng)
            .ok_or_else(OAuthError::server_error)?;
        let rotation = Rotation {
            presented: digest,
            refresh,
            access: issued.access,
            sealed_retry: sealed,
            retry_until: now + self.inner.config.lifetimes.refresh_retry_window,
            now,
        };
        match store
            .rotate_refresh(&rotation)
            .await
            .map_err(server_error)?
        {
            RotateOutcome::Rotated => Ok(issued.json),
            RotateOutcome::Retry { sealed_retry } => {
                let json = seal::open(&sealing_key, &sealed_retry).ok_or_else(invalid)?;
                String::from_utf8(json).map_err(|_| invalid())
            }
            RotateOutcome::Replay { family_id } => {
                tracing::warn!(%family_id, client_id = %client.id, "refresh token replayed: token family revoked");
                Err(invalid())
            }
            _ => Err(invalid()),
        }
    }
}
