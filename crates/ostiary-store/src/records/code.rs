use super::UnixTime;
use crate::{ClientId, Digest, FamilyId, ScopeSet, SessionId, UserId};

/// An authorization code (RFC 6749 §4.1.2) as stored: everything the token endpoint needs to check the
/// exchange and issue tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// The keyed digest of the code.
    pub digest: Digest,
    /// The client the code was issued to (RFC 6749 §4.1.3: bound to it).
    pub client_id: ClientId,
    /// The user who authorized.
    pub user_id: UserId,
    /// The redirect URI of the authorization request, exactly (RFC 6749 §4.1.3: must be repeated).
    pub redirect_uri: String,
    /// The granted scopes.
    pub scope: ScopeSet,
    /// The S256 PKCE challenge (RFC 7636 §4.4), absent only for clients with a PKCE exception.
    pub code_challenge: Option<String>,
    /// The OIDC `nonce` of the request, echoed into the ID token.
    pub nonce: Option<String>,
    /// The browser session the code was issued in.
    pub session_id: SessionId,
    /// When the user authenticated (`auth_time`).
    pub auth_time: UnixTime,
    /// Authentication methods (`amr`) of that authentication.
    pub amr: Vec<String>,
    /// The token family the exchange will create: known in advance so a replayed code can revoke it
    /// (RFC 6749 §4.1.2).
    pub family_id: FamilyId,
    /// When the code was issued.
    pub created_at: UnixTime,
    /// When it stops being exchangeable.
    pub expires_at: UnixTime,
}

/// The result of [`crate::CodeStore::consume_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // returned once per exchange and consumed at once: boxing would only add an allocation
pub enum ConsumeCode {
    /// This caller consumed the code: exactly one caller ever gets this.
    Consumed(AuthorizationCode),
    /// The code had already been consumed: a replay (RFC 6749 §4.1.2). The family it produced should be
    /// revoked.
    AlreadyUsed {
        /// The family the first exchange created (or was about to create).
        family_id: FamilyId,
        /// The client the code was issued to.
        client_id: ClientId,
    },
    /// The code expired before it was consumed.
    Expired,
    /// No such code (never issued, or purged).
    NotFound,
}

/// What [`crate::CodeStore::exchange_code`] writes when its check accepts the code: a token family and
/// its first tokens (as for [`crate::TokenStore::create_family`], `from_code` being the exchanged code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFamily {
    /// The family.
    pub family: super::TokenFamily,
    /// Its first access token.
    pub access: Option<super::AccessTokenRecord>,
    /// Its first refresh token.
    pub refresh: Option<super::RefreshTokenRecord>,
}

/// The result of [`crate::CodeStore::exchange_code`]. In every case but [`Self::Unauthenticated`] and
/// [`Self::NotConsumed`] the code is spent for good.
#[derive(Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // returned once per exchange and consumed at once
pub enum CodeExchange<T, R> {
    /// The presented credentials are not a client's (unknown client, wrong secret): nothing was
    /// read of the code and nothing was written.
    Unauthenticated,
    /// This caller consumed the code, its check accepted it, and the family was created. With the
    /// code come the authenticated client and the code's user as the exchange found them (`None` if
    /// no such user exists), what the token response needs without a read of its own, and what else
    /// the check made.
    Issued {
        /// The consumed code.
        code: AuthorizationCode,
        /// The client the credentials authenticated.
        client: super::Client,
        /// The code's user.
        user: Option<super::User>,
        /// What the check returned beside the family.
        checked: T,
    },
    /// This caller consumed the code and its check refused it (`R`, the check's reason); nothing else
    /// was written.
    Refused(R),
    /// This caller consumed the code, but the family was not created: the error
    /// [`crate::TokenStore::create_family`] gives (`Conflict("session ended")` for a session that ended
    /// since the code was issued, …); nothing else was written.
    NotCreated(crate::StoreError),
    /// The code was not consumed: [`ConsumeCode::AlreadyUsed`] (its family is revoked),
    /// [`ConsumeCode::Expired`] or [`ConsumeCode::NotFound`].
    NotConsumed(ConsumeCode),
}
