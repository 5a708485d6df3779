//! Minting the tokens of a response: the access token (opaque or RFC 9068 JWT), the refresh token and the
//! ID token, and the JSON body (RFC 6749 §5.1, OIDC Core §3.1.3.3).

use ostiary_jose::{AccessTokenClaims, IdTokenClaims};
use ostiary_store::{
    AccessTokenFormat, AccessTokenRecord, BearerSecret, Client, Digest, DigestKeyring,
    RefreshTokenRecord, ScopeSet, SecretKind, TokenFamily, User,
};
use serde::Serialize;

use crate::Provider;
use crate::claims::standard_claims;
use crate::config::Lifetimes;
use crate::error::OAuthError;

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
    pub(crate) now: i64,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// The secrets of a response, minted before anything is stored: the store keeps only their digests.
pub(crate) struct Minted {
    /// The opaque access token, or the `jti` of a JWT access token (signed in [`Provider::respond`]).
    access: BearerSecret,
    access_digest: Digest,
    refresh: Option<(BearerSecret, Digest)>,
}

impl Minted {
    /// New secrets under `keyring`'s current key: an access token (its `jti`, for a client with JWT
    /// access tokens) and, if asked, a refresh token. `None` if the system RNG fails.
    pub(crate) fn mint(
        keyring: &DigestKeyring,
        client: &Client,
        with_refresh: bool,
    ) -> Option<Self> {
        let kind = access_kind(client);
        if !with_refresh {
            let (access, access_digest) = keyring.mint(kind).ok()?;
            return Some(Self {
                access,
                access_digest,
                refresh: None,
            });
        }
        let [(access, access_digest), refresh] =
            keyring.mint_pair(kind, SecretKind::RefreshToken).ok()?;
        Some(Self {
            access,
            access_digest,
            refresh: Some(refresh),
        })
    }

    /// Tokens minted before, parsed again from their text (a refresh retry: see `seal::RetryState`).
    pub(crate) fn from_parts(
        access: (BearerSecret, Digest),
        refresh: (BearerSecret, Digest),
    ) -> Self {
        Self {
            access: access.0,
            access_digest: access.1,
            refresh: Some(refresh),
        }
    }

    /// The text of the access token (or its `jti`) and of the refresh token, if any.
    pub(crate) fn secrets(&self) -> (&str, Option<&str>) {
        (
            self.access.expose_secret(),
            self.refresh.as_ref().map(|(t, _)| t.expose_secret()),
        )
    }

    /// The digests of the access token (or its `jti`) and of the refresh token: what the store keeps.
    pub(crate) fn digests(&self) -> (Digest, Option<Digest>) {
        (self.access_digest, self.refresh.as_ref().map(|(_, d)| *d))
    }

    /// The records to store for a grant whose family is `family`, from the digests alone: pure and
    /// free of secrets, so a store may build them inside its write transaction (see
    /// `CodeStore::exchange_code` and `TokenStore::refresh_grant`).
    pub(crate) fn records_for(
        access: Digest,
        refresh: Option<Digest>,
        lifetimes: &Lifetimes,
        family: &TokenFamily,
        scope: &ScopeSet,
        now: i64,
    ) -> (AccessTokenRecord, Option<RefreshTokenRecord>) {
        let access = AccessTokenRecord {
            digest: access,
            family_id: family.id,
            scope: scope.clone(),
            issued_at: now,
            expires_at: access_expiry(lifetimes, family, now),
            revoked_at: None,
        };
        let refresh = refresh.map(|digest| RefreshTokenRecord {
            digest,
            family_id: family.id,
            issued_at: now,
            expires_at: (now + lifetimes.refresh_token).min(family.expires_at),
            rotated_at: None,
            successor: None,
            retry_until: None,
            sealed_retry: None,
        });
        (access, refresh)
    }
}

/// An access token lives its configured lifetime, never past its family.
fn access_expiry(lifetimes: &Lifetimes, family: &TokenFamily, now: i64) -> i64 {
    (now + lifetimes.access_token).min(family.expires_at)
}

/// The kind of secret a client's access tokens are: an opaque token, or the `jti` of a JWT.
pub(crate) fn access_kind(client: &Client) -> SecretKind {
    match client.metadata.access_token_format {
        AccessTokenFormat::Jwt => SecretKind::JwtId,
        _ => SecretKind::AccessToken,
    }
}

impl<S> Provider<S> {
    /// The token response (RFC 6749 §5.1, OIDC Core §3.1.3.3) for `minted`: signs the JWT access token
    /// (if the client has those) and the ID token (for a user and the `openid` scope).
    pub(crate) fn respond(&self, minted: &Minted, grant: &Grant<'_>) -> Result<String, OAuthError> {
        let now = grant.now;
        let access_expires = access_expiry(&self.inner.config.lifetimes, grant.family, now);
        let jwt;
        let access_token = match grant.client.metadata.access_token_format {
            AccessTokenFormat::Jwt => {
                jwt = self.access_jwt(grant, minted.access.expose_secret(), access_expires)?;
                jwt.as_str()
            }
            _ => minted.access.expose_secret(),
        };
        let id_token = match grant.user {
            Some(user) if grant.scope.contains("openid") => {
                Some(self.id_token(grant, user, access_token)?)
            }
            _ => None,
        };
        let body = TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: access_expires - now,
            refresh_token: minted.refresh.as_ref().map(|(t, _)| t.expose_secret()),
            scope: grant.scope.as_str(),
            id_token,
        };
        let capacity = crate::json::OVERHEAD
            + body.access_token.len()
            + body.refresh_token.map_or(0, str::len)
            + body.scope.len()
            + body.id_token.as_ref().map_or(0, String::len);
        crate::json::to_string(&body, capacity).map_err(|_| OAuthError::server_error())
    }

    /// A JWT access token (RFC 9068) with the minted `jti` (whose digest the store keeps).
    fn access_jwt(
        &self,
        grant: &Grant<'_>,
        jti: &str,
        expires_at: i64,
    ) -> Result<String, OAuthError> {
        let issuer = self.issuer();
        let mut claims = AccessTokenClaims::new(
            issuer,
            grant.family.subject.sub(),
            issuer,
            grant.client.id.to_string(),
            jti,
            grant.now,
            expires_at,
        );
        claims.scope = Some(grant.scope.to_string());
        claims.auth_time = grant.family.auth_time;
        self.inner
            .keys
            .get()
            .sign_access_token(&claims)
            .map_err(|e| {
                tracing::error!(error = %e, "signing an access token failed");
                OAuthError::server_error()
            })
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
