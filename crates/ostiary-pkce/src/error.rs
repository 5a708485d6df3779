//! Error types. Every message is fixed text: none ever echoes the rejected input, so a caller may
//! pass `to_string()` straight into an OAuth `error_description`.

/// Why a `code_verifier` was rejected (RFC 7636 §4.1).
///
/// At the token endpoint both variants map to `invalid_grant` or `invalid_request` (the
/// caller's choice; RFC 7636 §4.6 names `invalid_grant` for a verifier that does not match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// RFC 7636 §4.1: "minimum length of 43 characters and a maximum length of 128 characters".
    #[error("code_verifier must be 43 to 128 characters long")]
    InvalidLength,
    /// RFC 7636 §4.1: `code-verifier = 43*128unreserved`, where
    /// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`.
    #[error("code_verifier may contain only A-Z, a-z, 0-9, '-', '.', '_' and '~'")]
    InvalidCharacter,
}

/// Why a `code_challenge` / `code_challenge_method` pair was rejected (RFC 7636 §4.2–§4.4.1).
///
/// At the authorization endpoint every variant maps to `invalid_request` (RFC 7636 §4.4.1).
/// The variants are distinct so the server can say precisely what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// RFC 7636 §4.4.1: the client did not send `code_challenge` ("code challenge required").
    /// An empty value counts as absent (RFC 6749 §3.1).
    #[error("code_challenge is required")]
    MissingChallenge,
    /// RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA256(...)) without padding, which is
    /// exactly 43 characters.
    #[error("code_challenge must be exactly 43 characters for S256")]
    InvalidLength,
    /// RFC 7636 §4.2 with RFC 7636 Appendix A: an S256 challenge uses only the base64url alphabet
    /// (A-Z, a-z, 0-9, '-', '_'), without padding.
    #[error("code_challenge may contain only base64url characters (A-Z, a-z, 0-9, '-', '_')")]
    InvalidCharacter,
    /// RFC 7636 §4.2: the 43 characters must be the canonical base64url encoding of a 32-byte
    /// SHA-256 digest; the last character carries 2 unused bits that must be zero.
    #[error("code_challenge is not the canonical base64url encoding of a SHA-256 digest")]
    NonCanonical,
    /// RFC 7636 §4.2/§4.4.1: `code_challenge_method=plain` was sent. This crate supports only
    /// S256 ("transform algorithm not supported").
    #[error("code_challenge_method plain is not supported; use S256")]
    PlainNotSupported,
    /// RFC 7636 §4.3: `code_challenge_method` was absent (or empty, RFC 6749 §3.1), which means
    /// `plain`. Rejected like [`ChallengeError::PlainNotSupported`], but kept distinct so the
    /// server can tell the client it must send `code_challenge_method=S256` explicitly.
    #[error("code_challenge_method is required and must be S256 (an absent method means plain)")]
    MissingMethod,
    /// RFC 7636 §4.4.1: a method other than `S256` or `plain` ("transform algorithm not
    /// supported"). Method names are compared exactly, so `s256` is unknown too.
    #[error("code_challenge_method is not supported; use S256")]
    UnknownMethod,
}

/// The `code_verifier` does not match the stored `code_challenge` (RFC 7636 §4.6).
///
/// At the token endpoint this maps to `invalid_grant` (RFC 7636 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum VerificationError {
    /// RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) differs from the
    /// `code_challenge` stored with the authorization code.
    #[error("code_verifier does not match code_challenge")]
    Mismatch,
}

/// A new `code_verifier` could not be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// RFC 7636 §7.1 requires a high-entropy verifier; the operating system's CSPRNG failed to
    /// supply 32 random bytes, so no verifier was produced.
    #[error("the operating system random number generator failed")]
    RandomUnavailable,
}
