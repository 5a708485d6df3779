//! The S256 `code_challenge` (RFC 7636 §4.2) and parsing it from an authorization request (§4.3).

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::error::ChallengeError;
use crate::method::ChallengeMethod;

/// Length of an S256 challenge: 32 digest bytes, base64url without padding (RFC 7636 §4.2).
const S256_LEN: usize = 43;

/// An S256 `code_challenge` (RFC 7636 §4.2): the canonical, unpadded base64url encoding of a
/// 32-byte SHA-256 digest, always 43 characters.
///
/// The challenge is not a secret (it travels in the authorization request's URL), so it has an
/// ordinary `Debug`, `Display` and `PartialEq`. A server stores [`CodeChallenge::as_str`] with the
/// authorization code and rebuilds the value with [`CodeChallenge::parse`] at the token
/// endpoint. Its method is always [`ChallengeMethod::S256`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeChallenge {
    /// The 43-character encoding, exactly as received (canonical, so also as re-encoded).
    encoded: String,
    /// The decoded SHA-256 digest, compared in constant time by [`verify`](crate::verify).
    digest: [u8; 32],
}

impl CodeChallenge {
    /// Parses an S256 `code_challenge` value (RFC 7636 §4.2).
    ///
    /// # Errors
    ///
    /// [`ChallengeError::MissingChallenge`] for an empty value (RFC 6749 §3.1);
    /// [`ChallengeError::InvalidLength`] unless it is exactly 43 characters;
    /// [`ChallengeError::InvalidCharacter`] for a character outside the base64url alphabet;
    /// [`ChallengeError::NonCanonical`] if it is not the canonical encoding of 32 bytes.
    pub fn parse(value: &str) -> Result<Self, ChallengeError> {
        let bytes = value.as_bytes();
        // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
        if bytes.is_empty() {
            return Err(ChallengeError::MissingChallenge);
        }
        // RFC 7636 §4.2: BASE64URL-ENCODE of a 32-byte SHA-256 digest is 43 characters.
        if bytes.len() != S256_LEN {
            return Err(ChallengeError::InvalidLength);
        }
        // RFC 7636 Appendix A: base64url alphabet, "with all trailing '=' characters omitted".
        if !bytes.iter().all(|&b| is_base64url(b)) {
            return Err(ChallengeError::InvalidCharacter);
        }
        // RFC 7636 §4.2: the value must decode to exactly the 32 bytes of a SHA-256 digest.
        // With length and alphabet checked, a decode failure can only be non-zero trailing bits.
        let mut digest = [0u8; 32];
        let decoded_len = Base64UrlUnpadded::decode(bytes, &mut digest)
            .map_err(|_| ChallengeError::NonCanonical)?
            .len();
        if decoded_len != digest.len() {
            return Err(ChallengeError::NonCanonical);
        }
        // Canonical form: re-encoding the digest must give back the input byte for byte, so one
        // digest has exactly one accepted challenge string (no malleable last character).
        let mut reencoded = [0u8; S256_LEN];
        let canonical = Base64UrlUnpadded::encode(&digest, &mut reencoded)
            .map_err(|_| ChallengeError::NonCanonical)?;
        if canonical != value {
            return Err(ChallengeError::NonCanonical);
        }
        Ok(Self {
            encoded: String::from(value),
            digest,
        })
    }

    /// Parses the `code_challenge` and `code_challenge_method` parameters of an authorization
    /// request (RFC 7636 §4.3), as `None` when a parameter is absent. Empty values count as
    /// absent (RFC 6749 §3.1).
    ///
    /// Checks run in this order, and the first failure is returned: the challenge is present,
    /// then the method is `S256`, then the challenge is a valid S256 challenge. So a `plain`
    /// request is reported as [`ChallengeError::PlainNotSupported`] whatever its challenge looks
    /// like. Whether PKCE is required at all is the caller's decision (a request carrying
    /// neither parameter yields [`ChallengeError::MissingChallenge`]).
    ///
    /// # Errors
    ///
    /// [`ChallengeError::MissingChallenge`] (§4.4.1), [`ChallengeError::MissingMethod`] (absent
    /// means `plain`, §4.3), [`ChallengeError::PlainNotSupported`],
    /// [`ChallengeError::UnknownMethod`] (§4.4.1), or any error of [`CodeChallenge::parse`].
    pub fn from_request(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Self, ChallengeError> {
        // RFC 7636 §4.4.1: "code challenge required"; RFC 6749 §3.1: empty is absent.
        let challenge = match challenge {
            Some(value) if !value.is_empty() => value,
            _ => return Err(ChallengeError::MissingChallenge),
        };
        // RFC 7636 §4.3: an absent method defaults to plain, which is refused.
        let method = method.ok_or(ChallengeError::MissingMethod)?;
        match ChallengeMethod::parse(method)? {
            ChallengeMethod::S256 => Self::parse(challenge),
        }
    }

    /// The challenge's 43 characters, for storage or for an authorization request URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// The transformation this challenge was made with: always [`ChallengeMethod::S256`].
    #[must_use]
    pub const fn method(&self) -> ChallengeMethod {
        ChallengeMethod::S256
    }

    /// Builds the challenge of a SHA-256 digest (RFC 7636 §4.2).
    pub(crate) fn from_digest(digest: [u8; 32]) -> Self {
        Self {
            encoded: Base64UrlUnpadded::encode_string(&digest),
            digest,
        }
    }

    /// The decoded SHA-256 digest.
    pub(crate) const fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

impl FromStr for CodeChallenge {
    type Err = ChallengeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded)
    }
}

/// The base64url alphabet (RFC 4648 §5): `A-Z a-z 0-9 - _`, no padding.
const fn is_base64url(b: u8) -> bool {
    matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_')
}

#[cfg(test)]
mod tests;
