//! Benchmarks of `ostiary-jose`: minting and verifying a typical ID token with ES256, EdDSA
//! and RS256, beside the raw `ring` signature over a message of the same size.
//!
//! `mint - raw_sign` is what this crate adds on the token endpoint's hot path (claims
//! serialization, base64url encoding, assembling the token); for ES256 it must stay under
//! 25 % of `raw_sign`. Run: `cargo bench -p ostiary-benches --bench jose`.
#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up should fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ostiary_jose::{Algorithm, IdTokenClaims, KeySet, SigningKey, Validation};

const ISSUER: &str = "https://id.example.com";
const CLIENT_ID: &str = "3f6c2a0e-8d3b-4e51-9a77-0c1d2e3f4a5b";
const NOW: i64 = 1_767_225_600;
const RSA_PEM: &str = include_str!("../../crates/ostiary-jose/tests/fixtures/rsa-2048.pem");

fn key(alg: Algorithm) -> SigningKey {
    match alg {
        Algorithm::Rs256 => SigningKey::from_pem(RSA_PEM).unwrap(),
        alg => SigningKey::generate(alg).unwrap(),
    }
}

/// What the token endpoint signs after an authorization code exchange with `openid profile
/// email`.
fn claims(keys: &KeySet) -> IdTokenClaims {
    let mut claims = IdTokenClaims::new(
        ISSUER,
        "9b2d6c1e-5a4f-4e3b-8c7d-1f0e2d3c4b5a",
        CLIENT_ID,
        NOW,
        NOW + 3600,
    );
    claims.auth_time = Some(NOW - 120);
    claims.nonce = Some("n-0S6_WzA2Mj8fK3pL9qR2sT5vX7yZ".to_owned());
    claims.at_hash = Some(
        keys.signing_alg()
            .token_hash("k2BHy0oyL4z3BvQh3Jq3b0mN8jP-8u5iXn1GfK2Yt7c"),
    );
    claims.sid = Some("0d6e9f1a-2b3c-4d5e-8f7a-9b0c1d2e3f4a".to_owned());
    claims.amr = Some(vec!["pwd".to_owned()]);
    claims.standard.name = Some("Ada Lovelace".to_owned());
    claims.standard.preferred_username = Some("ada".to_owned());
    claims.standard.email = Some("ada.lovelace@example.com".to_owned());
    claims.standard.email_verified = Some(true);
    claims
}

fn id_tokens(c: &mut Criterion) {
    for alg in Algorithm::ALL {
        let keys = KeySet::single(key(alg), 0);
        let claims = claims(&keys);
        let token = keys.sign_id_token(&claims).unwrap();
        let signing_input = token.rsplit_once('.').unwrap().0.as_bytes().to_vec();
        let validation = Validation::new(ISSUER, CLIENT_ID, NOW + 10);

        let mut group = c.benchmark_group(format!("jose/{alg}"));
        group.bench_function("raw_sign", |b| {
            b.iter(|| {
                keys.active()
                    .key
                    .sign_raw(black_box(&signing_input))
                    .unwrap()
            })
        });
        group.bench_function("mint_id_token", |b| {
            b.iter(|| keys.sign_id_token(black_box(&claims)).unwrap())
        });
        group.bench_function("verify_id_token", |b| {
            b.iter(|| {
                keys.verify_id_token(black_box(&token), &validation)
                    .unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, id_tokens);
criterion_main!(benches);
