//! Minting the tokens of a response: the access token (opaque or RFC 9068 JWT), the refresh token and the
//! ID token, and the JSON body (RFC 6749 §5.1, OIDC Core §3.1.3.3).

use ostiary_jose::{AccessTokenClaims, IdTokenClaims};
use ostiary_store::{
    AccessTokenFormat, AccessTokenRecord, BearerSecret, Client, RefreshTokenRecord, ScopeSet,
    SecretKind, TokenFamily, User,
};
use serde::Serialize;

use crate::Provider;
use crate::claims::standard_claims;
use crate::error::OAuthError;

/// What an issuance produced: the response body and the records to store.
pub(crate) struct Issued {
    pub(crate) json: String,
    pub(crate) access: AccessTokenRecord,
    pub(crate) refresh: Option<RefreshTokenRecord>,
}

/// What to issue.
pub(crate) struct Grant<'a> {
    pub(crate) client: &'a Client,
    pub(crate) family: &'a TokenFamily,
    /// The access token's scope: the family's or narrower.
    pub(crate) scope: &'a ScopeSet,
    /// The user, for ID tokens (only user grants).
    pub(crate) user: Option<&'a User>,
    /// The authorization request's nonce (code exchange only: OIDC Core §12.2 errata, none on refresh).
    pub(crate) nonce: Option<&'a str>,
    pub(crate) with_refresh: bool,
    pub(crate) now: i64,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl<S> Provider<S> {
    pub(crate) fn issue(&self, grant: &Grant<'_>) -> Result<Issued, OAuthError> {
        let lifetimes = &self.inner.config.lifetimes;
        let now = grant.now;
        let access_expires = (now + lifetimes.access_token).min(grant.family.expires_at);
        let (access_token, access_digest) = self.access_token(grant, access_expires)?;
        let access = AccessTokenRecord {
            digest: access_digest,
            family_id: grant.family.id,
            scope: grant.scope.clone(),
            issued_at: now,
            expires_at: access_expires,
            revoked_at: None,
        };
        let refresh = if grant.with_refresh {
            let (token, digest) = self
                .mint(SecretKind::RefreshToken)
                .ok_or_else(OAuthError::server_error)?;
            let record = RefreshTokenRecord {
                digest,
                family_id: grant.family.id,
                issued_at: now,
                expires_at: (now + lifetimes.refresh_token).min(grant.family.expires_at),
                rotated_at: None,
                successor: None,
                retry_until: None,
                sealed_retry: None,
            };
            Some((token, record))
        } else {
            None
        };
        let id_token = match grant.user {
            Some(user) if grant.scope.contains("openid") => {
                Some(self.id_token(grant, user, access_token.expose_secret())?)
            }
            _ => None,
        };
        let body = TokenResponse {
            access_token: access_token.expose_secret(),
            token_type: "Bearer",
            expires_in: access_expires - now,
            refresh_token: refresh.as_ref().map(|(t, _)| t.expose_secret()),
            scope: grant.scope.to_string(),
            id_token,
        };
        let json = serde_json::to_string(&body).map_err(|_| OAuthError::server_error())?;
        Ok(Issued {
            json,
            access,
            refresh: refresh.map(|(_, r)| r),
        })
    }

    /// An opaque access token, or a JWT (RFC 9068) whose `jti` is digested for lookups.
    fn access_token(
        &self,
        grant: &Grant<'_>,
        expires_at: i64,
    ) -> Result<(BearerSecret, ostiary_store::Digest), OAuthError> {
        match grant.client.metadata.access_token_format {
            AccessTokenFormat::Jwt => {
                let (jti, digest) = self
                    .mint(SecretKind::JwtId)
                    .ok_or_else(OAuthError::server_error)?;
                let issuer = self.issuer();
                let mut claims = AccessTokenClaims::new(
                    issuer,
                    grant.family.subject.sub(),
                    issuer,
                    grant.client.id.to_string(),
                    jti.expose_secret(),
                    grant.now,
                    expires_at,
                );
                claims.scope = Some(grant.scope.to_string());
                claims.auth_time = grant.family.auth_time;
                let jwt = self
                    .inner
                    .keys
                    .get()
                    .sign_access_token(&claims)
                    .map_err(|e| {
                        tracing::error!(error = %e, "signing an access token failed");
                        OAuthError::server_error()
                    })?;
                Ok((BearerSecret::from_issued(jwt), digest))
            }
            _ => self
                .mint(SecretKind::AccessToken)
                .ok_or_else(OAuthError::server_error),
        }
    }

    /// The ID token (OIDC Core §2, §3.1.3.6): `at_hash` always, since an access token is always issued.
    fn id_token(
        &self,
        grant: &Grant<'_>,
        user: &User,
        access_token: &str,
    ) -> Result<String, OAuthError> {
        let keys = self.inner.keys.get();
        let family = grant.family;
        let mut claims = IdTokenClaims::new(
            self.issuer(),
            user.id.to_string(),
            grant.client.id.to_string(),
            grant.now,
            grant.now + self.inner.config.lifetimes.id_token,
        );
        claims.auth_time = family.auth_time;
        claims.nonce = grant.nonce.map(str::to_owned);
        claims.amr = (!family.amr.is_empty()).then(|| family.amr.clone());
        claims.sid = family.session_id.map(|s| s.to_string());
        claims.at_hash = Some(keys.signing_alg().token_hash(access_token));
        claims.standard = standard_claims(user, grant.scope);
        keys.sign_id_token(&claims).map_err(|e| {
            tracing::error!(error = %e, "signing an ID token failed");
            OAuthError::server_error()
        })
    }
}
