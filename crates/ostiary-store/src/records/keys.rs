use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::UnixTime;

/// The life-cycle state of a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SigningKeyState {
    /// Published in the JWKS, not yet signing.
    Next,
    /// Signing.
    Active,
    /// No longer signing; published until the tokens it signed have expired.
    Retired,
}

impl SigningKeyState {
    /// The storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SigningKeyState::Next => "next",
            SigningKeyState::Active => "active",
            SigningKeyState::Retired => "retired",
        }
    }

    /// Parses the storage spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "next" => Some(SigningKeyState::Next),
            "active" => Some(SigningKeyState::Active),
            "retired" => Some(SigningKeyState::Retired),
            _ => None,
        }
    }
}

/// A signing key as stored. **This record holds private key material in recoverable form**: it is one of
/// the two secrets the server must be able to read back (with the digest keys).
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The JWS algorithm (`ES256`, `EdDSA`, `RS256`).
    pub alg: String,
    /// The private key, DER-encoded (PKCS#8, or PKCS#1 for RSA). Secret.
    pub private_der: Zeroizing<Vec<u8>>,
    /// Its state.
    pub state: SigningKeyState,
    /// When it was created and published.
    pub published_at: UnixTime,
    /// When it started signing.
    pub activated_at: Option<UnixTime>,
    /// When it stopped signing.
    pub retired_at: Option<UnixTime>,
}

impl fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_der", &"[redacted]")
            .field("state", &self.state)
            .field("published_at", &self.published_at)
            .field("activated_at", &self.activated_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

/// A digest key as stored (see [`crate::secret`]). **Secret, recoverable.**
#[derive(Clone)]
pub struct DigestKeyRecord {
    /// The key id and bytes.
    pub material: crate::DigestKeyMaterial,
    /// Whether it digests new secrets. Exactly one stored key is current.
    pub current: bool,
    /// When it was created.
    pub created_at: UnixTime,
}

impl fmt::Debug for DigestKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestKeyRecord")
            .field("material", &self.material)
            .field("current", &self.current)
            .field("created_at", &self.created_at)
            .finish()
    }
}
