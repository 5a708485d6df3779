//! Fuzzes `ostiary-jose`: token verification (ID, logout, access) against a key set and a
//! JWKS, claims parsing behind a *valid* signature, JWKS JSON parsing and key loading.
//!
//! Input layout: the first byte selects the mode, the rest is the input.
//! - mode 0: the rest (lossy UTF-8) is a compact JWS, verified by every entry point;
//! - mode 1: the rest is a claims payload; it is signed with a real key under a header whose
//!   `typ` the second byte picks, so the claims parser and validators are reached;
//! - mode 2: the rest is JWKS JSON;
//! - mode 3: the rest is a PEM text and a DER blob.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ostiary_jose::{Algorithm, Jwks, KeySet, SigningKey, Validation};

const ISSUER: &str = "https://id.example.com";
const NOW: i64 = 1_700_000_000;

struct Fixture {
    /// ES256, EdDSA and RS256 sets, each with one active key.
    sets: Vec<KeySet>,
    /// All three public keys.
    jwks: Jwks,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rsa = include_str!("../../crates/ostiary-jose/tests/fixtures/rsa-2048.pem");
        let keys = [
            SigningKey::generate(Algorithm::Es256).expect("ES256 key"),
            SigningKey::generate(Algorithm::EdDsa).expect("EdDSA key"),
            SigningKey::from_pem(rsa).expect("RSA fixture"),
        ];
        let jwks = Jwks::new(keys.iter().map(|k| k.public_jwk().clone()).collect()).expect("JWKS");
        let sets = keys.into_iter().map(|key| KeySet::single(key, 0)).collect();
        Fixture { sets, jwks }
    })
}

fn validations() -> [Validation; 3] {
    [
        Validation::new(ISSUER, "client", NOW),
        Validation::any_audience(ISSUER, NOW).accept_expired(),
        Validation::new(ISSUER, "client", NOW).with_leeway(0),
    ]
}

fn verify_everywhere(fixture: &Fixture, token: &str) {
    for validation in &validations() {
        for set in &fixture.sets {
            let _ = set.verify_id_token(token, validation);
            let _ = set.verify_logout_token(token, validation);
            let _ = set.verify_access_token(token, validation);
        }
        let _ = fixture.jwks.verify_id_token(token, validation);
        let _ = fixture.jwks.verify_logout_token(token, validation);
        let _ = fixture.jwks.verify_access_token(token, validation);
    }
}

/// Unpadded base64url (RFC 7515 §2), kept here so the target needs no other dependency.
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Signs `payload` verbatim with the active key of `set`, under a header with `typ`.
fn signed(set: &KeySet, typ: Option<&str>, payload: &[u8]) -> String {
    let key = &set.active().key;
    let header = match typ {
        Some(typ) => format!(
            r#"{{"alg":"{}","kid":"{}","typ":"{typ}"}}"#,
            key.alg(),
            key.kid()
        ),
        None => format!(r#"{{"alg":"{}","kid":"{}"}}"#, key.alg(), key.kid()),
    };
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload));
    let signature = key.sign_raw(input.as_bytes()).expect("signing");
    format!("{input}.{}", b64(&signature))
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => verify_everywhere(fixture, &String::from_utf8_lossy(rest)),
        1 => {
            let Some((&selector, payload)) = rest.split_first() else {
                return;
            };
            let typ =
                [None, Some("JWT"), Some("logout+jwt"), Some("at+jwt")][usize::from(selector % 4)];
            // ES256 and EdDSA only: RSA signing would slow the target down for no new code.
            let set = &fixture.sets[usize::from(selector / 4 % 2)];
            let token = signed(set, typ, payload);
            for validation in &validations() {
                let _ = set.verify_id_token(&token, validation);
                let _ = set.verify_logout_token(&token, validation);
                let _ = set.verify_access_token(&token, validation);
            }
        }
        2 => {
            if let Ok(jwks) = Jwks::from_json(&String::from_utf8_lossy(rest)) {
                let _ = jwks.to_json();
            }
        }
        _ => {
            let _ = SigningKey::from_pem(&String::from_utf8_lossy(rest));
            let _ = SigningKey::from_der_any(rest);
        }
    }
});
