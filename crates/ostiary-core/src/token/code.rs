//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5–§4.6, OIDC Core §3.1.3).

use std::sync::Arc;

use ostiary_pkce::{CodeChallenge, CodeVerifier};
use ostiary_store::{
    AuthorizationCode, Client, ClientId, CodeExchange, ConsumeCode, Digest, NewFamily,
    PresentedClient, SecretKind, Store, StoreError, Subject, TokenFamily,
};

use super::client_auth::client_auth_failed;
use super::issue::{Grant, Minted};
use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;

/// The parameters of an authorization code request (RFC 6749 §4.1.3), parsed without the store.
pub(super) struct CodeRequest {
    digest: Digest,
    redirect_uri: String,
    verifier: Option<String>,
}

impl CodeRequest {
    pub(super) fn parse<S>(provider: &Provider<S>, params: &Params) -> Result<Self, OAuthError> {
        let Some(code) = params.get("code") else {
            return Err(OAuthError::invalid_request("code is required"));
        };
        let Some(redirect_uri) = params.get("redirect_uri") else {
            return Err(OAuthError::invalid_request("redirect_uri is required"));
        };
        let digest = provider
            .digest(SecretKind::AuthorizationCode, code)
            .ok_or_else(invalid_code)?;
        Ok(Self {
            digest,
            redirect_uri: redirect_uri.to_owned(),
            verifier: params.get("code_verifier").map(str::to_owned),
        })
    }
}

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("the authorization code is invalid, expired or already used")
}

impl<S: Store> Provider<S> {
    /// The grant for the client whose credentials are `credentials`: the exchange's store operation
    /// authenticates them before it touches the code.
    pub(super) async fn authorization_code_grant(
        &self,
        credentials: PresentedClient,
        request: CodeRequest,
    ) -> Result<String, OAuthError> {
        let CodeRequest {
            digest,
            redirect_uri,
            verifier,
        } = request;
        let now = self.now();
        let store = &self.inner.store;

        // The code's rules, run by the store on the authenticated client and the consumed code. It
        // mints the new tokens (their kind is the client's): their digests are written, their
        // secrets come back with the outcome and never leave this function.
        let check = {
            let keyring = Arc::clone(&self.inner.digests);
            let lifetimes = self.inner.config.lifetimes;
            move |client: &Client, record: &AuthorizationCode| {
                check_binding(record, client.id, &redirect_uri)?;
                check_pkce(record, verifier.as_deref())?;
                let family = family_of(record, client.id, lifetimes.grant, now);
                let minted =
                    Minted::mint(&keyring, client, true).ok_or_else(OAuthError::server_error)?;
                let (access, refresh) = minted.digests();
                let (access, refresh) =
                    Minted::records_for(access, refresh, &lifetimes, &family, &record.scope, now);
                let new = NewFamily {
                    family,
                    access: Some(access),
                    refresh,
                };
                Ok((new, minted))
            }
        };
        // Single use (RFC 6749 §4.1.2): exactly one request consumes the code, and a refused exchange
        // (wrong client, redirect_uri or verifier) spends it too; wrong credentials do not (the store
        // authenticates them first). A replay revokes what the first exchange issued (the store does
        // so in the same atomic step). The family is created in the same store operation as the
        // consume.
        let (record, client, user, minted) = match store
            .exchange_code(digest, now, credentials, check)
            .await
            .map_err(server_error)?
        {
            CodeExchange::Issued {
                code,
                client,
                user,
                checked,
            } => (code, client, user, checked),
            CodeExchange::Unauthenticated => return Err(client_auth_failed()),
            CodeExchange::Refused(error) => return Err(error),
            // The user signed out (or the session expired) between the code and its exchange.
            CodeExchange::NotCreated(StoreError::Conflict("session ended")) => {
                return Err(OAuthError::invalid_grant(
                    "the session this code was issued in has ended",
                ));
            }
            CodeExchange::NotCreated(StoreError::Conflict(_)) => return Err(invalid_code()),
            CodeExchange::NotCreated(e) => return Err(server_error(e)),
            CodeExchange::NotConsumed(ConsumeCode::AlreadyUsed {
                family_id,
                client_id,
            }) => {
                tracing::warn!(%family_id, %client_id, "authorization code replayed: its tokens were revoked");
                return Err(invalid_code());
            }
            // Expired or unknown.
            _ => return Err(invalid_code()),
        };
        let family = family_of(&record, client.id, self.inner.config.lifetimes.grant, now);

        // The code's user, read by the exchange itself.
        let user = match user {
            Some(user) if !user.disabled => user,
            _ => {
                // The family was created with the code; its tokens were never handed out.
                store
                    .revoke_family(family.id, now)
                    .await
                    .map_err(server_error)?;
                return Err(OAuthError::invalid_grant(
                    "the user of this authorization is no longer active",
                ));
            }
        };
        self.respond(
            &minted,
            &Grant {
                client: &client,
                family: &family,
                scope: &record.scope,
                user: Some(&user),
                nonce: record.nonce.as_deref(),
                now,
            },
        )
    }
}

/// The family a code's exchange creates: the code's user, scope, session and authentication, for
/// `lifetime` seconds from `now`.
fn family_of(
    record: &AuthorizationCode,
    client_id: ClientId,
    lifetime: i64,
    now: i64,
) -> TokenFamily {
    TokenFamily {
        id: record.family_id,
        client_id,
        subject: Subject::User(record.user_id),
        scope: record.scope.clone(),
        session_id: Some(record.session_id),
        org_authorization_id: None,
        auth_time: Some(record.auth_time),
        amr: record.amr.clone(),
        created_at: now,
        expires_at: now + lifetime,
        revoked_at: None,
    }
}

/// RFC 6749 §4.1.3: the code was issued to this client, and `redirect_uri` is identical to the one of the
/// authorization request.
fn check_binding(
    record: &AuthorizationCode,
    client: ClientId,
    redirect_uri: &str,
) -> Result<(), OAuthError> {
    if record.client_id != client {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if record.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    Ok(())
}

/// RFC 7636 §4.6: the verifier must hash to the stored challenge. A verifier without a stored challenge is
/// refused too (RFC 9700 §4.8.2, PKCE downgrade).
fn check_pkce(record: &AuthorizationCode, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (&record.code_challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent but the authorization request had no code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (Some(challenge), Some(verifier)) => {
            let challenge =
                CodeChallenge::parse(challenge).map_err(|_| OAuthError::server_error())?;
            let verifier = CodeVerifier::parse(verifier)
                .map_err(|_| OAuthError::invalid_grant("code_verifier is malformed"))?;
            ostiary_pkce::verify(&challenge, &verifier).map_err(|_| {
                OAuthError::invalid_grant("code_verifier does not match the code_challenge")
            })
        }
    }
}

pub(super) fn server_error(error: StoreError) -> OAuthError {
    tracing::error!(error = %error, "store failure at the token endpoint");
    OAuthError::server_error()
}
