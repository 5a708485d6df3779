//! Shared keys and helpers.

use std::time::{SystemTime, UNIX_EPOCH};

use ostiary_jose::{Algorithm, KeySet, SigningKey};

pub(crate) const ISSUER: &str = "https://id.example.com";
pub(crate) const CLIENT_ID: &str = "3f6c2a0e-8d3b-4e51-9a77-0c1d2e3f4a5b";

pub(crate) const RSA_PEM: &str = include_str!("../fixtures/rsa-2048.pem");
pub(crate) const EC_PEM: &str = include_str!("../fixtures/ec-p256.pem");
pub(crate) const ED25519_PEM: &str = include_str!("../fixtures/ed25519-v1.pem");

/// The wall clock in Unix seconds (for libraries that read the clock themselves).
pub(crate) fn now() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(elapsed.as_secs()).unwrap()
}

/// The fixture PEM for an algorithm (the same key josekit can load).
pub(crate) fn pem(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Es256 => EC_PEM,
        Algorithm::EdDsa => ED25519_PEM,
        _ => RSA_PEM,
    }
}

/// A signing key for `alg`: generated for ES256 and EdDSA, the fixture for RS256.
pub(crate) fn fresh_key(alg: Algorithm) -> SigningKey {
    if alg.can_generate() {
        SigningKey::generate(alg).unwrap()
    } else {
        SigningKey::from_pem(RSA_PEM).unwrap()
    }
}

/// A key set whose only key is the fixture key for `alg`.
pub(crate) fn fixture_set(alg: Algorithm) -> KeySet {
    KeySet::single(SigningKey::from_pem_for(alg, pem(alg)).unwrap(), 0)
}
