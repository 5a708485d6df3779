//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5–§4.6, OIDC Core §3.1.3).

use ostiary_pkce::{CodeChallenge, CodeVerifier};
use ostiary_store::{
    AuthorizationCode, Client, ConsumeCode, SecretKind, Store, StoreError, Subject, TokenFamily,
};

use super::issue::Grant;
use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;

impl<S: Store> Provider<S> {
    pub(super) async fn authorization_code_grant(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<String, OAuthError> {
        let Some(code) = params.get("code") else {
            return Err(OAuthError::invalid_request("code is required"));
        };
        let Some(redirect_uri) = params.get("redirect_uri") else {
            return Err(OAuthError::invalid_request("redirect_uri is required"));
        };
        let invalid_code = || {
            OAuthError::invalid_grant("the authorization code is invalid, expired or already used")
        };
        let digest = self
            .digest(SecretKind::AuthorizationCode, code)
            .ok_or_else(invalid_code)?;
        let now = self.now();
        let store = &self.inner.store;

        // Single use (RFC 6749 §4.1.2): exactly one request consumes the code. A replay revokes what the
        // first exchange issued (the store does so in the same atomic step).
        let record = match store
            .consume_code(digest, now)
            .await
            .map_err(server_error)?
        {
            ConsumeCode::Consumed(record) => record,
            ConsumeCode::AlreadyUsed {
                family_id,
                client_id,
            } => {
                tracing::warn!(%family_id, %client_id, "authorization code replayed: its tokens were revoked");
                return Err(invalid_code());
            }
            _ => return Err(invalid_code()),
        };
        check_binding(&record, client, redirect_uri)?;
        check_pkce(&record, params.get("code_verifier"))?;

        let user = match store.get_user(record.user_id).await.map_err(server_error)? {
            Some(user) if !user.disabled => user,
            _ => {
                return Err(OAuthError::invalid_grant(
                    "the user of this authorization is no longer active",
                ));
            }
        };
        let family = TokenFamily {
            id: record.family_id,
            client_id: client.id,
            subject: Subject::User(user.id),
            scope: record.scope.clone(),
            session_id: Some(record.session_id),
            org_authorization_id: None,
            auth_time: Some(record.auth_time),
            amr: record.amr.clone(),
            created_at: now,
            expires_at: now + self.inner.config.lifetimes.grant,
            revoked_at: None,
        };
        let issued = self.issue(&Grant {
            client,
            family: &family,
            scope: &record.scope,
            user: Some(&user),
            nonce: record.nonce.as_deref(),
            with_refresh: true,
            now,
        })?;
        match store
            .create_family(
                &family,
                Some(&issued.access),
                issued.refresh.as_ref(),
                Some(digest),
            )
            .await
        {
            Ok(()) => Ok(issued.json),
            // The user signed out (or the session expired) between the code and its exchange.
            Err(StoreError::Conflict("session ended")) => Err(OAuthError::invalid_grant(
                "the session this code was issued in has ended",
            )),
            // A replay of this code won the race between our consume and our insert.
            Err(StoreError::Conflict(_)) => Err(invalid_code()),
            Err(e) => Err(server_error(e)),
        }
    }
}

/// RFC 6749 §4.1.3: the code was issued to this client, and `redirect_uri` is identical to the one of the
/// authorization request.
fn check_binding(
    record: &AuthorizationCode,
    client: &Client,
    redirect_uri: &str,
) -> Result<(), OAuthError> {
    if record.client_id != client.id {
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
