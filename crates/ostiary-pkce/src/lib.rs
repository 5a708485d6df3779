//! PKCE — Proof Key for Code Exchange ([RFC 7636]) for OAuth 2.0, **S256 only**.
//!
//! This crate parses and validates the PKCE parameters of an authorization code flow, verifies a
//! `code_verifier` against a stored `code_challenge` in constant time, and generates verifiers for
//! clients and tests. It is a leaf crate of the Ostiary authorization server, with no I/O, no
//! async and a tiny dependency list (`ring`, `base64ct`, `subtle`, `zeroize`, `thiserror`), so
//! any Rust service can embed it alone.
//!
//! # What it deliberately does not do
//!
//! - **It refuses the `plain` method.** `code_challenge_method=plain` is rejected with
//!   [`ChallengeError::PlainNotSupported`], and an *absent* method — which RFC 7636 §4.3 defines
//!   as `plain` — with its own [`ChallengeError::MissingMethod`], so a server can tell the client
//!   precisely that it must send `code_challenge_method=S256`. With `plain`, the challenge *is*
//!   the verifier, and anyone who sees the authorization request can redeem the code.
//! - It does not decide whether PKCE is required for a client, store challenges, or map errors
//!   to HTTP: those belong to the caller (in Ostiary, `ostiary-core`). Each error's
//!   documentation names the OAuth error code it maps to.
//! - It does not read HTTP requests: callers hand it the parameter values they parsed.
//!
//! # RFC 7636 mapping
//!
//! | RFC 7636 | here |
//! |---|---|
//! | §4.1 create a `code_verifier` (43–128 unreserved characters) | [`CodeVerifier::parse`], [`CodeVerifier::generate`] (32 CSPRNG bytes → 43 characters) |
//! | §4.2 create the `code_challenge` (S256 = BASE64URL(SHA256(ASCII(verifier)))) | [`CodeVerifier::challenge`], [`CodeChallenge::parse`] (exactly 43 characters, canonical base64url), [`ChallengeMethod`] |
//! | §4.3 client sends `code_challenge` and `code_challenge_method` | [`CodeChallenge::from_request`], [`ChallengeMethod::as_str`] |
//! | §4.4 / §4.4.1 server stores the challenge; errors | [`CodeChallenge::as_str`] to store; [`ChallengeError`] (`invalid_request`) |
//! | §4.5 client sends `code_verifier` | [`CodeVerifier::expose_secret`] |
//! | §4.6 server verifies | [`verify`] (constant-time); [`VerificationError`] (`invalid_grant`) |
//!
//! # Secrets
//!
//! A [`CodeVerifier`] is a secret: its `Debug` prints `CodeVerifier([redacted])`, it has no
//! `Display` and no `PartialEq`, its value is read only through
//! [`CodeVerifier::expose_secret`], and it is zeroed on drop. A [`CodeChallenge`] is public (it
//! travels in a URL), so it compares and prints normally. Error messages are fixed text and
//! never echo the rejected input.
//!
//! # Example
//!
//! ```
//! use ostiary_pkce::{verify, ChallengeError, ChallengeMethod, CodeChallenge, CodeVerifier};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Client: a fresh verifier and its S256 challenge (RFC 7636 §4.1, §4.2).
//! let verifier = CodeVerifier::generate()?;
//! let challenge = verifier.challenge();
//! let method = ChallengeMethod::S256.as_str();
//!
//! // Server, authorization endpoint: parse the request's parameters (§4.3) and store the
//! // challenge with the authorization code (§4.4).
//! let stored = CodeChallenge::from_request(Some(challenge.as_str()), Some(method))?;
//! let stored = stored.as_str().to_owned();
//!
//! // Server, token endpoint: parse the stored challenge and the presented verifier (§4.5),
//! // then verify in constant time (§4.6).
//! let challenge = CodeChallenge::parse(&stored)?;
//! let presented = CodeVerifier::parse(verifier.expose_secret())?;
//! verify(&challenge, &presented)?;
//!
//! // A different verifier does not match.
//! assert!(verify(&challenge, &CodeVerifier::generate()?).is_err());
//!
//! // `plain`, and an absent method (which means plain), are refused with distinct errors.
//! assert_eq!(
//!     CodeChallenge::from_request(Some(challenge.as_str()), Some("plain")),
//!     Err(ChallengeError::PlainNotSupported)
//! );
//! assert_eq!(
//!     CodeChallenge::from_request(Some(challenge.as_str()), None),
//!     Err(ChallengeError::MissingMethod)
//! );
//! # Ok(())
//! # }
//! ```
//!
//! [RFC 7636]: https://www.rfc-editor.org/rfc/rfc7636
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod challenge;
mod error;
mod method;
mod verifier;
mod verify;

pub use challenge::CodeChallenge;
pub use error::{ChallengeError, GenerateError, VerificationError, VerifierError};
pub use method::ChallengeMethod;
pub use verifier::CodeVerifier;
pub use verify::verify;
