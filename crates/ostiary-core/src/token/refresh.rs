//! The refresh token grant (RFC 6749 §6) with rotation on every use (RFC 9700 §4.14.2) and a retry window.
//!
//! A rotated-out refresh token presented again within the retry window — a client retrying after a lost
//! response, two tabs racing — gets the same tokens as the request that rotated it (sealed under the old
//! token, see `seal`): the same access and refresh tokens, scope and expiry, and an ID token with the
//! same claims, signed again. Presented after the window, it is a replay and the whole family is
//! revoked.

use ostiary_store::{
    Client, RotateOutcome, Rotation, ScopeSet, SecretKind, Store, Subject, TokenFamily, User,
};

use super::code::server_error;
use super::issue::{Grant, Minted, access_kind};
use super::seal::{self, RetryState, Sealed};
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
        let grant = Grant {
            client,
            family,
            scope: &scope,
            user: user.as_ref(),
            nonce: None,
            now,
        };
        let minted = self.mint_tokens(client, true)?;
        let (access, refresh) = minted.records(&self.inner.config.lifetimes, family, &scope, now);
        let json = self.respond(&minted, &grant)?;
        let (access_secret, refresh_secret) = minted.secrets();
        let (Some(refresh_secret), Some(refresh)) = (refresh_secret, refresh) else {
            return Err(OAuthError::server_error());
        };
        // A retry gets these tokens back: sealed under the presented token, which only its holder has.
        let retry = RetryState {
            issued_at: now,
            access: access_secret.to_owned().into(),
            refresh: refresh_secret.to_owned().into(),
            scope: scope.to_string(),
        };
        let sealing_key = self
            .inner
            .digests
            .derive_sealing_key(&secret)
            .ok_or_else(OAuthError::server_error)?;
        let sealed = retry
            .encode()
            .and_then(|plain| seal::seal(&sealing_key, &plain, &self.inner.rng))
            .ok_or_else(OAuthError::server_error)?;
        let rotation = Rotation {
            presented: digest,
            refresh,
            access,
            sealed_retry: sealed,
            retry_until: now + self.inner.config.lifetimes.refresh_retry_window,
            now,
        };
        match store
            .rotate_refresh(&rotation)
            .await
            .map_err(server_error)?
        {
            RotateOutcome::Rotated => Ok(json),
            RotateOutcome::Retry { sealed_retry } => {
                let plain = seal::open(&sealing_key, &sealed_retry).ok_or_else(invalid)?;
                match Sealed::decode(&plain).ok_or_else(invalid)? {
                    Sealed::State(state) => self
                        .retry_response(client, family, user.as_ref(), &state)
                        .ok_or_else(invalid),
                    Sealed::Response(json) => Ok(json.to_string()),
                }
            }
            RotateOutcome::Replay { family_id } => {
                tracing::warn!(%family_id, client_id = %client.id, "refresh token replayed: token family revoked");
                Err(invalid())
            }
            _ => Err(invalid()),
        }
    }
}

impl<S> Provider<S> {
    /// The response to a retry: the tokens `state` holds, in the response the rotation gave (the ID
    /// token, and a JWT access token, signed again with the same claims). `None` if the tokens no
    /// longer parse as this client's (its access token format changed within the window).
    fn retry_response(
        &self,
        client: &Client,
        family: &TokenFamily,
        user: Option<&User>,
        state: &RetryState,
    ) -> Option<String> {
        let digests = &self.inner.digests;
        let minted = Minted::from_parts(
            digests
                .parse_presented(access_kind(client), &state.access)
                .ok()?,
            digests
                .parse_presented(SecretKind::RefreshToken, &state.refresh)
                .ok()?,
        );
        let scope = ScopeSet::parse(&state.scope).ok()?;
        let grant = Grant {
            client,
            family,
            scope: &scope,
            user,
            nonce: None,
            now: state.issued_at,
        };
        self.respond(&minted, &grant).ok()
    }
}
