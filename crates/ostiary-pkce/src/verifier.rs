//! The `code_verifier` secret (RFC 7636 §4.1) and its S256 transformation (§4.2).

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::challenge::CodeChallenge;
use crate::error::{GenerateError, VerifierError};

/// Shortest valid verifier, in characters (RFC 7636 §4.1).
pub(crate) const MIN_LEN: usize = 43;
/// Longest valid verifier, in characters (RFC 7636 §4.1).
pub(crate) const MAX_LEN: usize = 128;
/// Random bytes in a generated verifier: 256 bits, encoded as 43 base64url characters
/// (RFC 7636 §4.1 recommends a 32-octet sequence).
const GENERATED_BYTES: usize = 32;

/// A PKCE `code_verifier` (RFC 7636 §4.1): 43 to 128 characters of `[A-Z] [a-z] [0-9] - . _ ~`.
///
/// The verifier is a secret until it is presented at the token endpoint: its `Debug` output is
/// `CodeVerifier([redacted])`, it has no `Display`, its value is reachable only through
/// [`CodeVerifier::expose_secret`], and its memory is zeroed when it is dropped.
/// It deliberately has no `PartialEq`: compare a verifier with a challenge through
/// [`verify`](crate::verify), which is constant-time.
#[derive(Clone)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    /// Parses a `code_verifier` as received in a token request (RFC 7636 §4.5).
    ///
    /// # Errors
    ///
    /// [`VerifierError::InvalidLength`] unless the value is 43 to 128 characters long;
    /// [`VerifierError::InvalidCharacter`] if any character is outside the unreserved set.
    pub fn parse(value: &str) -> Result<Self, VerifierError> {
        let bytes = value.as_bytes();
        // RFC 7636 §4.1: 43 to 128 characters. Every allowed character is one ASCII byte, so a
        // byte length outside the range can never be valid, whatever the characters are.
        if !(MIN_LEN..=MAX_LEN).contains(&bytes.len()) {
            return Err(VerifierError::InvalidLength);
        }
        // RFC 7636 §4.1: code-verifier = 43*128unreserved. The fold does not stop at the first
        // bad byte, so the time spent does not depend on where a valid verifier's classes lie.
        let all_unreserved = bytes.iter().fold(true, |ok, &b| ok & is_unreserved(b));
        if !all_unreserved {
            return Err(VerifierError::InvalidCharacter);
        }
        Ok(Self(String::from(value)))
    }

    /// Generates a fresh verifier from 32 bytes of the operating system's CSPRNG
    /// (`ring::rand::SystemRandom`), base64url-encoded without padding: 43 characters,
    /// 256 bits of entropy (RFC 7636 §4.1, §7.1).
    ///
    /// Meant for clients and tests; a server only ever parses verifiers.
    ///
    /// # Errors
    ///
    /// [`GenerateError::RandomUnavailable`] if the operating system's CSPRNG fails.
    pub fn generate() -> Result<Self, GenerateError> {
        let mut random = Zeroizing::new([0u8; GENERATED_BYTES]);
        SystemRandom::new()
            .fill(random.as_mut())
            .map_err(|_| GenerateError::RandomUnavailable)?;
        // The base64url alphabet is a subset of the unreserved set, and 32 bytes encode to
        // exactly 43 characters, so the result satisfies RFC 7636 §4.1 by construction.
        Ok(Self(Base64UrlUnpadded::encode_string(random.as_ref())))
    }

    /// Computes the S256 `code_challenge` for this verifier (RFC 7636 §4.2):
    /// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
    #[must_use]
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge::from_digest(self.s256_digest())
    }

    /// The verifier's characters, to send in a token request (RFC 7636 §4.5).
    ///
    /// This is the secret itself: do not log it, and do not compare it with `==`.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// SHA-256 over the verifier's ASCII characters (RFC 7636 §4.2, S256).
    pub(crate) fn s256_digest(&self) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let mut out = [0u8; 32];
        // SHA-256 output is always 32 bytes; `zip` never indexes out of bounds regardless.
        for (dst, src) in out.iter_mut().zip(digest.as_ref()) {
            *dst = *src;
        }
        out
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

impl Drop for CodeVerifier {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for CodeVerifier {}

/// RFC 3986 §2.3 `unreserved`, as used by RFC 7636 §4.1:
/// `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
pub(crate) const fn is_unreserved(b: u8) -> bool {
    matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests;
