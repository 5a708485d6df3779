//! The JWKS never carries a private parameter, for any key type or container format.

use josekit::jwk::KeyPair;
use josekit::jws::{ES256, EdDSA, RS256};
use ostiary_jose::{Algorithm, KeySet, SigningKey};
use serde_json::Value;

use crate::support::{EC_PEM, ED25519_PEM, RSA_PEM};

/// Every private or symmetric JWK parameter (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn every_kind_of_key() -> Vec<SigningKey> {
    vec![
        SigningKey::generate(Algorithm::Es256).unwrap(),
        SigningKey::generate(Algorithm::EdDsa).unwrap(),
        SigningKey::from_pem(EC_PEM).unwrap(),
        SigningKey::from_pem(ED25519_PEM).unwrap(),
        SigningKey::from_pem(RSA_PEM).unwrap(),
        SigningKey::from_pem(include_str!("../fixtures/rsa-2048-pkcs1.pem")).unwrap(),
    ]
}

fn members(key: &Value) -> Vec<String> {
    let mut names: Vec<String> = key.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

#[test]
fn no_private_parameter_ever_appears() {
    for key in every_kind_of_key() {
        let keys = KeySet::single(key.clone(), 0);
        let documents = [
            serde_json::from_str::<Value>(keys.jwks_json()).unwrap(),
            serde_json::from_str::<Value>(&keys.jwks().to_json()).unwrap(),
            serde_json::json!({ "keys": [serde_json::from_str::<Value>(&key.public_jwk().to_json()).unwrap()] }),
        ];
        for document in documents {
            let published = document["keys"].as_array().unwrap();
            assert_eq!(published.len(), 1);
            let names = members(&published[0]);
            for private in PRIVATE {
                assert!(
                    !names.iter().any(|n| n == private),
                    "{} leaks {private}",
                    key.alg()
                );
            }
            let expected: &[&str] = match key.alg() {
                Algorithm::Es256 => &["alg", "crv", "kid", "kty", "use", "x", "y"],
                Algorithm::EdDsa => &["alg", "crv", "kid", "kty", "use", "x"],
                _ => &["alg", "e", "kid", "kty", "n", "use"],
            };
            assert_eq!(names, expected);
            assert_eq!(published[0]["use"], "sig");
            assert_eq!(published[0]["alg"], key.alg().as_str());
            assert_eq!(published[0]["kid"], key.kid());
        }
    }
}

#[test]
fn the_private_values_never_appear_in_the_jwks() {
    // josekit (OpenSSL) reads our saved PEM independently (so saved keys are readable by
    // OpenSSL tooling) and tells us the private values; none may appear in what we publish.
    for key in every_kind_of_key() {
        let keys = KeySet::single(key.clone(), 0);
        let pem = key.to_pem().unwrap();
        let private_jwk = match key.alg() {
            Algorithm::Es256 => ES256
                .key_pair_from_pem(pem.as_bytes())
                .unwrap()
                .to_jwk_private_key(),
            Algorithm::EdDsa => EdDSA
                .key_pair_from_pem(pem.as_bytes())
                .unwrap()
                .to_jwk_private_key(),
            _ => RS256
                .key_pair_from_pem(pem.as_bytes())
                .unwrap()
                .to_jwk_private_key(),
        };
        let mut checked = 0;
        for name in PRIVATE {
            if let Some(Value::String(secret)) = private_jwk.parameter(name) {
                assert!(
                    !keys.jwks_json().contains(secret.as_str()),
                    "{} leaks {name}",
                    key.alg()
                );
                checked += 1;
            }
        }
        assert!(checked >= 1, "josekit exposed no private value to compare");
        // And the public values agree with josekit's reading of the same key.
        let ours: Value = serde_json::from_str(&key.public_jwk().to_json()).unwrap();
        for name in ["x", "y", "n", "e", "crv", "kty"] {
            if let Some(value) = private_jwk.parameter(name) {
                assert_eq!(ours.get(name), Some(value), "{} {name}", key.alg());
            }
        }
    }
}
