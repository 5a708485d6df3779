//! Everything an OpenID Connect provider signs or verifies: signing keys, a key set with
//! rotation, the JWKS, and ID, logout and JWT access tokens as JWS compact serializations.
//!
//! Signing uses [`ring`] directly (ECDSA P-256, Ed25519, RSA PKCS#1 v1.5) with the JOSE header
//! encoded once per key, so minting a token costs little more than the signature itself.
//!
//! # What it implements
//!
//! - **Keys** ([`SigningKey`]): ES256 (default), EdDSA with Ed25519, RS256 (RFC 7518 §3.3,
//!   §3.4; RFC 8037 §3.1). Generated with `ring` (ES256, EdDSA) or imported from PKCS#8 /
//!   PKCS#1 PEM or DER; see [`SigningKey::from_pem`] for exactly what is refused and why.
//!   The `kid` is the RFC 7638 JWK thumbprint.
//! - **Key sets** ([`KeySet`]): keys move **next → active → retired**; a next key is in the
//!   JWKS before it signs, a retired key stays until every token it signed has expired.
//!   [`KeySet::rotate`] is one call, safe on a schedule; see [`RotationPolicy`].
//! - **JWKS** ([`Jwks`], [`PublicJwk`]): RFC 7517 §4–5 with public parameters only;
//!   [`PublicJwk`] has no field a private parameter could go in.
//! - **Tokens**: ID tokens (OIDC Core §2, standard claims §5.1, `at_hash`/`c_hash` §3.1.3.6
//!   via [`Algorithm::token_hash`]), logout tokens (Back-Channel Logout 1.0 §2.4, `typ`
//!   `logout+jwt`), JWT access tokens (RFC 9068, `typ` `at+jwt`); JWS per RFC 7515 §5.1/§7.1,
//!   JWT per RFC 7519.
//! - **Verification** against a [`KeySet`] or a [`Jwks`]: allow-listed algorithms that must
//!   match the key, mandatory `kid`, explicit `typ` per token type, `iss`/`aud`/`exp`/`nbf`/
//!   `iat` with a bounded leeway (OIDC Core §3.1.3.7, Back-Channel Logout §2.6, RFC 9068 §4),
//!   an opt-in for expired `id_token_hint`s. Hostile input is bounded ([`MAX_TOKEN_LEN`]) and
//!   strict: canonical base64url only, no duplicate JSON members, bounded nesting, and every
//!   failure is a typed [`VerifyError`], never a panic.
//!
//! # What it deliberately does not do
//!
//! - No JWE (encrypted tokens), no nested JWTs (`cty`), no `crit` extensions.
//! - No HMAC algorithms (`HS256`…) and never `none`: they cannot even be named in
//!   [`Algorithm`].
//! - No RSA key generation (`ring` has none): RS256 keys are imported.
//! - No `x5c`/`x5u`/`jku`/`jwk` header handling: keys come only from the key set or JWKS the
//!   caller trusts, never from the token.
//! - No encrypted private keys, SEC1 `EC PRIVATE KEY`, OpenSSH keys, curves other than P-256.
//! - No I/O: fetching a JWKS or persisting keys is the caller's business.
//!
//! # Example
//!
//! ```
//! use ostiary_jose::{Algorithm, IdTokenClaims, KeySet, SigningKey, Validation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now = 1_767_225_600; // Unix seconds, from the caller's clock
//! let keys = KeySet::bootstrap(now, || SigningKey::generate(Algorithm::Es256))?;
//!
//! let access_token = "an opaque access token";
//! let mut claims = IdTokenClaims::new("https://id.example.com", "user-1", "client-1", now, now + 300);
//! claims.nonce = Some("n-0S6_WzA2Mj".to_owned());
//! claims.at_hash = Some(keys.signing_alg().token_hash(access_token));
//! claims.standard.email = Some("ada@example.com".to_owned());
//! claims.standard.email_verified = Some(true);
//! let id_token = keys.sign_id_token(&claims)?;
//!
//! let validation = Validation::new("https://id.example.com", "client-1", now + 10);
//! let verified = keys.verify_id_token(&id_token, &validation)?;
//! assert_eq!(verified, claims);
//!
//! // Serve this at the `jwks_uri`: the active and the next key, public parameters only.
//! let jwks = keys.jwks_json();
//! assert!(jwks.contains(keys.active().kid()));
//! println!("{jwks}");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alg;
mod b64;
mod claims;
mod json;
mod jwk;
mod key;
mod keyset;
mod sign;
mod verify;

pub use alg::{Algorithm, UnsupportedAlgorithm};
pub use claims::{
    AccessTokenClaims, AddressClaim, BACKCHANNEL_LOGOUT_EVENT, IdTokenClaims, LogoutSubject,
    LogoutTokenClaims, StandardClaims,
};
pub use jwk::{Jwks, JwksError, MAX_JWKS_LEN, PublicJwk};
pub use key::{KeyError, MAX_RSA_BITS, MIN_RSA_BITS, SigningKey};
pub use keyset::{KeySet, KeySetError, KeyState, ManagedKey, RotationPolicy, RotationReport};
pub use sign::SignError;
pub use verify::{DEFAULT_LEEWAY, MAX_LEEWAY, MAX_TOKEN_LEN, Validation, VerifyError};
