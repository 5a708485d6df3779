//! The refresh token grant (RFC 6749 §6) with rotation on every use (RFC 9700 §4.14.2) and a retry window.
//!
//! A rotated-out refresh token presented again within the retry window — a client retrying after a lost
//! response, two tabs racing — gets the same tokens as the request that rotated it (sealed under the old
//! token, see `seal`): the same access and refresh tokens, scope and expiry, and an ID token with the
//! same claims, signed again. Presented after the window, it is a replay and the whole family is
//! revoked.

use std::sync::Arc;

use ostiary_store::{
    BearerSecret, Client, ClientId, Digest, PresentedClient, RefreshGrantOutcome,
    RefreshTokenGrant, RotateOutcome, Rotation, ScopeSet, SecretKind, Store, Subject, TokenFamily,
    User,
};

use super::client_auth::client_auth_error;
use super::code::server_error;
use super::issue::{Grant, Minted, access_kind};
use super::seal::{self, RetryState, Sealed};
use crate::Provider;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;

/// The parameters of a refresh token request (RFC 6749 §6), parsed without the store.
pub(super) struct RefreshRequest {
    /// The presented refresh token: its text (a retry's response is sealed under it) and digest.
    secret: BearerSecret,
    digest: Digest,
    /// `scope`, if sent: it must only narrow the family's.
    requested: Option<ScopeSet>,
}

impl RefreshRequest {
    pub(super) fn parse<S>(provider: &Provider<S>, params: &Params) -> Result<Self, OAuthError> {
        let Some(presented) = params.get("refresh_token") else {
            return Err(OAuthError::invalid_request("refresh_token is required"));
        };
        let (secret, digest) = provider
            .inner
            .digests
            .parse_presented(SecretKind::RefreshToken, presented)
            .map_err(|_| invalid())?;
        // RFC 6749 §6: a requested scope must be well formed; whether it only narrows is checked
        // against the family.
        let requested = params
            .get("scope")
            .map(ScopeSet::parse)
            .transpose()
            .map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "scope is malformed"))?;
        Ok(Self {
            secret,
            digest,
            requested,
        })
    }
}

/// Why the check inside the store refused a refresh.
enum Refusal {
    /// The presented credentials are not those of the token's client: either they are wrong
    /// (`invalid_client`) or the token is another client's (`invalid_grant`), which authenticating
    /// them on their own decides.
    Credentials,
    /// The grant's own rules refused it.
    Grant(OAuthError),
}

impl<S: Store> Provider<S> {
    /// The grant for the client whose credentials are `credentials`: the store's refresh operation
    /// reads the token's client, and the check verifies them against it before anything else.
    pub(super) async fn refresh_token_grant(
        &self,
        credentials: PresentedClient,
        request: RefreshRequest,
    ) -> Result<String, OAuthError> {
        let RefreshRequest {
            secret,
            digest,
            requested,
        } = request;
        let now = self.now();
        // A retry gets the rotation's tokens back: sealed under the presented token, which only its
        // holder has.
        let sealing_key = self
            .inner
            .digests
            .derive_sealing_key(&secret)
            .ok_or_else(OAuthError::server_error)?;
        // The grant's rules, and the rotation they allow: the store runs this on the token, its family,
        // its client and its user as it reads them (on SQLite inside its write operation), before a
        // retry or a replay is decided. It mints the new tokens (their kind is the client's) and seals
        // them for a retry; it must not block.
        let check = {
            let credentials = credentials.clone();
            let keyring = Arc::clone(&self.inner.digests);
            let lifetimes = self.inner.config.lifetimes;
            let requested = requested.clone();
            let sealing_key = sealing_key.clone();
            let rng = self.inner.rng.clone();
            move |grant: &RefreshTokenGrant, client: Option<&Client>, user: Option<&User>| {
                let Some(client) = client.filter(|client| credentials.matches(client)) else {
                    return Err(Refusal::Credentials);
                };
                let family = &grant.family;
                check_grant(grant, client.id, now).map_err(Refusal::Grant)?;
                let scope =
                    granted_scope(requested.as_ref(), &family.scope).map_err(Refusal::Grant)?;
                check_user(family, user).map_err(Refusal::Grant)?;
                let fail = || Refusal::Grant(OAuthError::server_error());
                let minted = Minted::mint(&keyring, client, true).ok_or_else(fail)?;
                let (access_digest, refresh_digest) = minted.digests();
                let (access, refresh) = Minted::records_for(
                    access_digest,
                    refresh_digest,
                    &lifetimes,
                    family,
                    &scope,
                    now,
                );
                let (access_secret, refresh_secret) = minted.secrets();
                let (Some(refresh), Some(refresh_secret)) = (refresh, refresh_secret) else {
                    return Err(fail());
                };
                let retry = RetryState {
                    issued_at: now,
                    access: access_secret.to_owned().into(),
                    refresh: refresh_secret.to_owned().into(),
                    scope: scope.to_string(),
                };
                let sealed_retry = retry
                    .encode()
                    .and_then(|plain| seal::seal(&sealing_key, &plain, &rng))
                    .ok_or_else(fail)?;
                let rotation = Rotation {
                    presented: digest,
                    refresh,
                    access,
                    sealed_retry,
                    retry_until: now + lifetimes.refresh_retry_window,
                    now,
                };
                Ok((rotation, minted))
            }
        };
        let outcome = self
            .inner
            .store
            .refresh_grant(digest, check)
            .await
            .map_err(server_error)?;
        let (grant, client, user, minted, outcome) = match outcome {
            RefreshGrantOutcome::Checked {
                grant,
                client: Some(client),
                user,
                checked,
                outcome,
            } => (grant, client, user, checked, outcome),
            RefreshGrantOutcome::Refused(Refusal::Grant(error)) => return Err(error),
            // Unknown token, or credentials that are not its client's: which error comes first
            // (RFC 6749 §5.2) depends on whether the credentials are valid on their own.
            _ => return Err(self.refusal_for(&credentials).await),
        };
        // What the check accepted: the same scope, and the user it let through.
        let family = &grant.family;
        let scope = granted_scope(requested.as_ref(), &family.scope)?;
        let user = user.filter(|_| matches!(family.subject, Subject::User(_)));
        match outcome {
            RotateOutcome::Rotated => self.respond(
                &minted,
                &Grant {
                    client: &client,
                    family,
                    scope: &scope,
                    user: user.as_ref(),
                    nonce: None,
                    now,
                },
            ),
            RotateOutcome::Retry { sealed_retry } => {
                let plain = seal::open(&sealing_key, &sealed_retry).ok_or_else(invalid)?;
                match Sealed::decode(&plain).ok_or_else(invalid)? {
                    Sealed::State(state) => self
                        .retry_response(&client, family, user.as_ref(), &state)
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

    /// The error for a refresh the store found no grant for: `invalid_client` if the caller's
    /// credentials do not authenticate on their own, else `invalid_grant`.
    async fn refusal_for(&self, credentials: &PresentedClient) -> OAuthError {
        match self
            .inner
            .registry
            .authenticate_presented(credentials)
            .await
        {
            Ok(_) => invalid(),
            Err(error) => client_auth_error(error),
        }
    }
}

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}

/// RFC 6749 §6: the token was issued to the authenticated client, its family is live and it has not
/// expired.
fn check_grant(grant: &RefreshTokenGrant, client: ClientId, now: i64) -> Result<(), OAuthError> {
    let family = &grant.family;
    if family.client_id != client || !family.is_active(now) || now >= grant.token.expires_at {
        return Err(invalid());
    }
    Ok(())
}

/// A user's family needs its user, enabled.
fn check_user(family: &TokenFamily, user: Option<&User>) -> Result<(), OAuthError> {
    match (family.subject, user) {
        (Subject::User(id), Some(user)) if user.id == id && !user.disabled => Ok(()),
        (Subject::User(_), _) => Err(invalid()),
        _ => Ok(()),
    }
}

/// RFC 6749 §6: the scope may only narrow; absent means the original scope.
fn granted_scope(
    requested: Option<&ScopeSet>,
    original: &ScopeSet,
) -> Result<ScopeSet, OAuthError> {
    match requested {
        None => Ok(original.clone()),
        Some(scope) if scope.is_subset(original) => Ok(scope.clone()),
        Some(_) => Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "scope exceeds the scope originally granted",
        )),
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
