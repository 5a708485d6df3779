use serde::{Deserialize, Serialize};

use super::UnixTime;
use crate::{
    ClientId, Digest, FamilyId, OrgAuthorizationId, OrganizationId, ScopeSet, SessionId, UserId,
};

/// Whom a token is about: the `sub` of the tokens of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Subject {
    /// A user, for tokens from the authorization code flow.
    User(UserId),
    /// An organization, for tokens from an active organization authorization.
    Organization(OrganizationId),
}

impl Subject {
    /// The `sub` claim value: the user's or organization's id.
    pub fn sub(&self) -> String {
        match self {
            Subject::User(id) => id.to_string(),
            Subject::Organization(id) => id.to_string(),
        }
    }
}

/// A token family: the grant that every access and refresh token descending from one authorization code
/// exchange (or one organization client-credentials issuance) belongs to. Revoking the family revokes them
/// all (RFC 6749 §10.4, RFC 9700 §4.14.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFamily {
    /// The family id.
    pub id: FamilyId,
    /// The client the tokens were issued to.
    pub client_id: ClientId,
    /// Whom the tokens are about.
    pub subject: Subject,
    /// The scope originally granted: the upper bound for every refresh (RFC 6749 §6).
    pub scope: ScopeSet,
    /// The browser session the grant was made in, for user grants.
    pub session_id: Option<SessionId>,
    /// The organization authorization the grant depends on, for organization grants.
    pub org_authorization_id: Option<OrgAuthorizationId>,
    /// When the user authenticated (`auth_time`, repeated in refreshed ID tokens), for user grants.
    pub auth_time: Option<UnixTime>,
    /// Authentication methods (`amr`) of that authentication.
    pub amr: Vec<String>,
    /// When the family was created.
    pub created_at: UnixTime,
    /// Absolute end of the family: no refresh token in it outlives this.
    pub expires_at: UnixTime,
    /// When the family was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

impl TokenFamily {
    /// Whether the family's tokens may still be used at `now`.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// An access token as stored: looked up by the digest of the opaque token, or of the `jti` of a JWT access
/// token (RFC 9068), so that both kinds can be introspected and revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    /// The keyed digest of the opaque token, or of the JWT's `jti`.
    pub digest: Digest,
    /// The family it belongs to.
    pub family_id: FamilyId,
    /// Its scope: the family's scope or a narrower one (RFC 6749 §6).
    pub scope: ScopeSet,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// When it was revoked on its own (RFC 7009), if it was.
    pub revoked_at: Option<UnixTime>,
}

/// A refresh token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// The keyed digest of the token.
    pub digest: Digest,
    /// The family it belongs to.
    pub family_id: FamilyId,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires (never after the family's `expires_at`).
    pub expires_at: UnixTime,
    /// When it was rotated out, if it was: from then on it is spent.
    pub rotated_at: Option<UnixTime>,
    /// The token that replaced it.
    pub successor: Option<Digest>,
    /// Until when a retry of the rotation gets [`Self::sealed_retry`] back.
    pub retry_until: Option<UnixTime>,
    /// The rotation's response, sealed under this token (only its holder can open it), kept until
    /// `retry_until` so a client that lost the response can get the same one again.
    pub sealed_retry: Option<Vec<u8>>,
}

/// An access token with the family it belongs to: what introspection and userinfo need, in one lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenGrant {
    /// The token.
    pub token: AccessTokenRecord,
    /// Its family.
    pub family: TokenFamily,
}

impl AccessTokenGrant {
    /// Whether the token may be used at `now`: not expired, not revoked, its family active.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.token.revoked_at.is_none() && now < self.token.expires_at && self.family.is_active(now)
    }
}

/// A refresh token with the family it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenGrant {
    /// The token.
    pub token: RefreshTokenRecord,
    /// Its family.
    pub family: TokenFamily,
}

/// The new tokens of a refresh-token rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The digest of the refresh token presented.
    pub presented: Digest,
    /// The new refresh token (its `family_id` must be the presented token's family).
    pub refresh: RefreshTokenRecord,
    /// The new access token (same family).
    pub access: AccessTokenRecord,
    /// The response sealed under the presented token, returned to retries until `retry_until`.
    pub sealed_retry: Vec<u8>,
    /// End of the retry window.
    pub retry_until: UnixTime,
    /// The time of the rotation.
    pub now: UnixTime,
}

/// The result of [`crate::TokenStore::refresh_grant`].
#[derive(Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // returned once per refresh and consumed at once
pub enum RefreshGrantOutcome<T, R> {
    /// No refresh token has the presented digest.
    NotFound,
    /// The caller's check refused the grant (`R`, its reason); nothing was written.
    Refused(R),
    /// The check accepted and returned a rotation; `outcome` is what rotating did. With it, the token,
    /// its family, the family's client and user as the check saw them (what the response needs), and
    /// what else the check made.
    Checked {
        /// The presented token and its family.
        grant: RefreshTokenGrant,
        /// The family's client (`None` if it no longer exists).
        client: Option<super::Client>,
        /// The family's user (`None` for an organization's family, or a user that no longer exists).
        user: Option<super::User>,
        /// What the check returned beside the rotation.
        checked: T,
        /// What [`crate::TokenStore::rotate_refresh`] of the check's rotation gave.
        outcome: RotateOutcome,
    },
}

/// The result of [`crate::TokenStore::rotate_refresh`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotateOutcome {
    /// This caller rotated the token: exactly one caller ever gets this for a given presented token.
    Rotated,
    /// The token had just been rotated by another request, within its retry window, and its successor has
    /// not been used: answer with the sealed response of that rotation (the same result).
    Retry {
        /// The winner's response, sealed under the presented token.
        sealed_retry: Vec<u8>,
    },
    /// The token was rotated earlier (outside the window, or its successor is already spent): a replay.
    /// The family should be revoked (RFC 9700 §4.14.2).
    Replay {
        /// The family of the replayed token.
        family_id: FamilyId,
    },
    /// The token, or its family, is expired or revoked, or does not exist.
    Invalid,
}
