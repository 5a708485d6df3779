//! Criterion benches of `ostiary-pkce`: constant-time verification of a matching and of a
//! non-matching pair (which should cost the same), and parsing of verifiers and challenges.
// Bench setup uses fixed, known-valid inputs: a failure there should stop the bench loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ostiary_pkce::{CodeChallenge, CodeVerifier, verify};

/// RFC 7636 Appendix B verifier (43 characters) and its S256 challenge.
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn bench_verify(c: &mut Criterion) {
    let challenge = CodeChallenge::parse(RFC_CHALLENGE).unwrap();
    let right = CodeVerifier::parse(RFC_VERIFIER).unwrap();
    let wrong = CodeVerifier::generate().unwrap();
    assert!(verify(&challenge, &right).is_ok());
    assert!(verify(&challenge, &wrong).is_err());

    let mut group = c.benchmark_group("pkce/verify");
    group.bench_function("valid_pair", |b| {
        b.iter(|| verify(black_box(&challenge), black_box(&right)));
    });
    group.bench_function("wrong_pair", |b| {
        b.iter(|| verify(black_box(&challenge), black_box(&wrong)));
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let longest: String = RFC_VERIFIER.chars().cycle().take(128).collect();
    assert!(CodeVerifier::parse(&longest).is_ok());

    let mut group = c.benchmark_group("pkce/parse");
    group.bench_function("verifier_43", |b| {
        b.iter(|| CodeVerifier::parse(black_box(RFC_VERIFIER)));
    });
    group.bench_function("verifier_128", |b| {
        b.iter(|| CodeVerifier::parse(black_box(&longest)));
    });
    group.bench_function("challenge_from_request", |b| {
        b.iter(|| {
            CodeChallenge::from_request(black_box(Some(RFC_CHALLENGE)), black_box(Some("S256")))
        });
    });
    group.finish();
}

criterion_group!(benches, bench_verify, bench_parse);
criterion_main!(benches);
