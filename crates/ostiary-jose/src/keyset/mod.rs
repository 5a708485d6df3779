//! A key set with rotation states (next → active → retired), its JWKS, and the signing and
//! verification entry points.

mod rotation;

use std::fmt;
use std::str::FromStr;

use crate::claims::{AccessTokenClaims, IdTokenClaims, Jwt, LogoutTokenClaims};
use crate::sign::{self, SignError};
use crate::verify::{self, KeyLookup, Validation, VerifyError};
use crate::{Algorithm, Jwks, KeyError, PublicJwk, SigningKey};

pub use rotation::{RotationPolicy, RotationReport};

/// Where a key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyState {
    /// Published in the JWKS so caches pick it up, not signing yet.
    Next,
    /// The one key that signs.
    Active,
    /// No longer signs; stays published until every token it signed has expired.
    Retired,
}

impl KeyState {
    /// `"next"`, `"active"` or `"retired"`, for persistence.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyState {
    type Err = KeySetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "next" => Ok(KeyState::Next),
            "active" => Ok(KeyState::Active),
            "retired" => Ok(KeyState::Retired),
            _ => Err(KeySetError::UnknownState),
        }
    }
}

/// A key with its state and state timestamps (Unix seconds), as the server persists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedKey {
    /// The signing key.
    pub key: SigningKey,
    /// Its state.
    pub state: KeyState,
    /// When it was created and first published in the JWKS.
    pub published_at: i64,
    /// When it became active (`None` while next).
    pub activated_at: Option<i64>,
    /// When it was retired (`None` unless retired).
    pub retired_at: Option<i64>,
}

impl ManagedKey {
    /// The key's `kid`.
    pub fn kid(&self) -> &str {
        self.key.kid()
    }

    /// Whether the timestamps fit the state (next: none; active: activated; retired: both).
    fn is_consistent(&self) -> bool {
        match self.state {
            KeyState::Next => self.activated_at.is_none() && self.retired_at.is_none(),
            KeyState::Active => self.activated_at.is_some() && self.retired_at.is_none(),
            KeyState::Retired => self.activated_at.is_some() && self.retired_at.is_some(),
        }
    }
}

/// Why a key set could not be built or rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeySetError {
    /// No active key: nothing could sign.
    #[error("the key set has no active key")]
    NoActiveKey,
    /// More than one active key.
    #[error("the key set has more than one active key")]
    MultipleActiveKeys,
    /// More than one next key.
    #[error("the key set has more than one next key")]
    MultipleNextKeys,
    /// Two keys share a `kid`.
    #[error("two keys share a kid")]
    DuplicateKid,
    /// A key's timestamps do not fit its state.
    #[error("a key's timestamps do not fit its state")]
    InconsistentTimestamps,
    /// A persisted state name is not `next`, `active` or `retired`.
    #[error("unknown key state")]
    UnknownState,
    /// A rotation policy duration is negative.
    #[error("invalid rotation policy: durations must not be negative")]
    InvalidPolicy,
    /// Creating a new key failed (e.g. RS256, which cannot be generated).
    #[error("creating a new key failed")]
    NewKey(#[source] KeyError),
}

/// The server's signing keys: exactly one active key, at most one next key, any number of
/// retired keys, no two with the same `kid` (the first two rules hold by construction).
/// Cheap to clone (keys are shared), so a server can clone, rotate and swap. The JWKS JSON is
/// serialized once per change.
#[derive(Clone, Debug)]
pub struct KeySet {
    active: ManagedKey,
    next: Option<ManagedKey>,
    retired: Vec<ManagedKey>,
    jwks_json: String,
}

impl KeySet {
    /// A fresh set for a first start: an active key and a next key, both from `new_key`
    /// (e.g. `|| SigningKey::generate(Algorithm::Es256)`), both published at `now`.
    pub fn bootstrap(
        now: i64,
        mut new_key: impl FnMut() -> Result<SigningKey, KeyError>,
    ) -> Result<KeySet, KeySetError> {
        let active = new_key().map_err(KeySetError::NewKey)?;
        let next = new_key().map_err(KeySetError::NewKey)?;
        KeySet::from_keys(vec![
            ManagedKey {
                key: active,
                state: KeyState::Active,
                published_at: now,
                activated_at: Some(now),
                retired_at: None,
            },
            ManagedKey {
                key: next,
                state: KeyState::Next,
                published_at: now,
                activated_at: None,
                retired_at: None,
            },
        ])
    }

    /// A set holding only `key`, active since `now` (first start from an imported key; the
    /// first [`KeySet::rotate`] adds a next key).
    pub fn single(key: SigningKey, now: i64) -> KeySet {
        let active = ManagedKey {
            key,
            state: KeyState::Active,
            published_at: now,
            activated_at: Some(now),
            retired_at: None,
        };
        KeySet::assemble(active, None, Vec::new())
    }

    /// Rebuilds a set from persisted keys, checking its invariants: exactly one active key, at
    /// most one next key, unique `kid`s, timestamps consistent with states.
    pub fn from_keys(keys: Vec<ManagedKey>) -> Result<KeySet, KeySetError> {
        for (index, key) in keys.iter().enumerate() {
            if !key.is_consistent() {
                return Err(KeySetError::InconsistentTimestamps);
            }
            if keys
                .iter()
                .skip(index + 1)
                .any(|other| other.kid() == key.kid())
            {
                return Err(KeySetError::DuplicateKid);
            }
        }
        let (mut active, mut next, mut retired) = (None, None, Vec::new());
        for key in keys {
            match key.state {
                KeyState::Active if active.is_some() => {
                    return Err(KeySetError::MultipleActiveKeys);
                }
                KeyState::Active => active = Some(key),
                KeyState::Next if next.is_some() => return Err(KeySetError::MultipleNextKeys),
                KeyState::Next => next = Some(key),
                KeyState::Retired => retired.push(key),
            }
        }
        let active = active.ok_or(KeySetError::NoActiveKey)?;
        Ok(KeySet::assemble(active, next, retired))
    }

    fn assemble(active: ManagedKey, next: Option<ManagedKey>, retired: Vec<ManagedKey>) -> KeySet {
        let mut set = KeySet {
            active,
            next,
            retired,
            jwks_json: String::new(),
        };
        set.jwks_json = set.jwks().to_json();
        set
    }

    /// Every key with its state, for persistence: active, next, then retired.
    pub fn keys(&self) -> impl Iterator<Item = &ManagedKey> {
        std::iter::once(&self.active)
            .chain(self.next.as_ref())
            .chain(self.retired.iter())
    }

    /// Consumes the set into its keys (active, next, then retired).
    pub fn into_keys(self) -> Vec<ManagedKey> {
        let mut keys = Vec::with_capacity(2 + self.retired.len());
        keys.push(self.active);
        keys.extend(self.next);
        keys.extend(self.retired);
        keys
    }

    /// The active key.
    pub fn active(&self) -> &ManagedKey {
        &self.active
    }

    /// The next key, if any.
    pub fn next(&self) -> Option<&ManagedKey> {
        self.next.as_ref()
    }

    /// The retired keys still published.
    pub fn retired(&self) -> &[ManagedKey] {
        &self.retired
    }

    /// The algorithm of the active key: use it for `at_hash` / `c_hash`
    /// ([`Algorithm::token_hash`]) of the ID token signed from this same `KeySet` value.
    pub fn signing_alg(&self) -> Algorithm {
        self.active.key.alg()
    }

    /// The distinct algorithms of the published keys, active first: what discovery lists in
    /// `id_token_signing_alg_values_supported` (OIDC Discovery 1.0 §3), including a next key's
    /// algorithm during a migration.
    pub fn published_algorithms(&self) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = Vec::with_capacity(Algorithm::ALL.len());
        for key in self.keys() {
            if !algs.contains(&key.key.alg()) {
                algs.push(key.key.alg());
            }
        }
        algs
    }

    /// The published keys as a JWK Set: active, next, then retired.
    pub fn jwks(&self) -> Jwks {
        // Unique kids are an invariant of `KeySet`, so this cannot fail; an empty set is the
        // safe fallback.
        Jwks::new(
            self.keys()
                .map(|key| key.key.public_jwk().clone())
                .collect(),
        )
        .unwrap_or_default()
    }

    /// The JWKS document (RFC 7517 §5) to serve at `jwks_uri`, serialized once per change.
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// Signs an ID token with the active key (`typ: "JWT"`).
    pub fn sign_id_token(&self, claims: &IdTokenClaims) -> Result<String, SignError> {
        self.sign(claims)
    }

    /// Signs a logout token with the active key (`typ: "logout+jwt"`).
    pub fn sign_logout_token(&self, claims: &LogoutTokenClaims) -> Result<String, SignError> {
        self.sign(claims)
    }

    /// Signs a JWT access token with the active key (`typ: "at+jwt"`).
    pub fn sign_access_token(&self, claims: &AccessTokenClaims) -> Result<String, SignError> {
        self.sign(claims)
    }

    fn sign<C: Jwt>(&self, claims: &C) -> Result<String, SignError> {
        sign::sign(&self.active.key, C::TYPE, claims)
    }

    /// Verifies an ID token signed by any published key of this set (e.g. an
    /// `id_token_hint`; see [`Validation::accept_expired`] and [`Validation::any_audience`]).
    pub fn verify_id_token(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<IdTokenClaims, VerifyError> {
        verify::verify(token, self, validation)
    }

    /// Verifies a logout token (`typ` must be `logout+jwt`).
    pub fn verify_logout_token(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<LogoutTokenClaims, VerifyError> {
        verify::verify(token, self, validation)
    }

    /// Verifies a JWT access token (`typ` must be `at+jwt`).
    pub fn verify_access_token(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<AccessTokenClaims, VerifyError> {
        verify::verify(token, self, validation)
    }
}

impl KeyLookup for KeySet {
    fn find_key(&self, kid: &str) -> Option<&PublicJwk> {
        self.keys()
            .map(|managed| managed.key.public_jwk())
            .find(|jwk| jwk.kid() == kid)
    }
}

impl KeyLookup for Jwks {
    fn find_key(&self, kid: &str) -> Option<&PublicJwk> {
        self.find(kid)
    }
}

impl Jwks {
    /// Verifies an ID token against this JWK Set (as a relying party would).
    pub fn verify_id_token(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<IdTokenClaims, VerifyError> {
        verify::verify(token, self, validation)
    }

    /// Verifies a logout token against this JWK Set.
    pub fn verify_logout_token(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<LogoutTokenClaims, VerifyError> {
        verify::verify(token, self, validation)
    }

    /// Verifies a JWT access token against this JWK Set (as a resource server would).
    pub fn verify_access_token(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<AccessTokenClaims, VerifyError> {
        verify::verify(token, self, validation)
    }
}

#[cfg(test)]
mod tests;
