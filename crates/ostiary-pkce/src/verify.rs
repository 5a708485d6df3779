//! Server-side verification (RFC 7636 §4.6).

use subtle::ConstantTimeEq;

use crate::challenge::CodeChallenge;
use crate::error::VerificationError;
use crate::verifier::CodeVerifier;

/// Checks a `code_verifier` against the `code_challenge` stored with the authorization code
/// (RFC 7636 §4.6), in constant time.
///
/// Computes `SHA256(ASCII(code_verifier))` and compares its 32 bytes with the challenge's
/// decoded digest using `subtle::ConstantTimeEq`. This is equivalent to comparing
/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` with the challenge string, because
/// [`CodeChallenge::parse`] accepts only the canonical encoding: each digest has exactly one
/// challenge string.
///
/// Returns a `Result` rather than a `bool` so that a forgotten check is a compiler warning
/// (`unused_must_use`) and `?` composes with the caller's error type.
///
/// # Errors
///
/// [`VerificationError::Mismatch`] if the verifier does not hash to the challenge
/// (the server answers `invalid_grant`, RFC 7636 §4.6).
pub fn verify(challenge: &CodeChallenge, verifier: &CodeVerifier) -> Result<(), VerificationError> {
    // RFC 7636 §4.6: S256 — compare SHA256(ASCII(code_verifier)) with the challenge, without
    // branching on the position of the first differing byte.
    let computed = verifier.s256_digest();
    if bool::from(computed.as_slice().ct_eq(challenge.digest().as_slice())) {
        Ok(())
    } else {
        Err(VerificationError::Mismatch)
    }
}
