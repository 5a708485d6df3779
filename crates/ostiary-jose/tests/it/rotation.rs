//! Rotation end to end: tokens signed before a rotation verify after it, the JWKS holds
//! exactly the expected keys at each step, retired keys drop out after their window, and kids
//! never repeat.

use std::collections::HashSet;

use ostiary_jose::{
    Algorithm, IdTokenClaims, Jwks, KeySet, RotationPolicy, SigningKey, Validation, VerifyError,
};

use crate::support::{CLIENT_ID, ISSUER};

fn es256() -> Result<SigningKey, ostiary_jose::KeyError> {
    SigningKey::generate(Algorithm::Es256)
}

/// The kids of the published JWKS, parsed back from the served JSON.
fn published(keys: &KeySet) -> Vec<String> {
    let jwks = Jwks::from_json(keys.jwks_json()).unwrap();
    let kids: Vec<String> = jwks.keys().iter().map(|k| k.kid().to_owned()).collect();
    let unique: HashSet<&String> = kids.iter().collect();
    assert_eq!(unique.len(), kids.len(), "duplicate kid in the JWKS");
    kids
}

fn kid_of(token: &str) -> String {
    let header = josekit::jwt::decode_header(token).unwrap();
    header
        .claim("kid")
        .and_then(|kid| kid.as_str())
        .unwrap()
        .to_owned()
}

fn token_at(keys: &KeySet, now: i64, lifetime: i64) -> String {
    keys.sign_id_token(&IdTokenClaims::new(
        ISSUER,
        "u",
        CLIENT_ID,
        now,
        now + lifetime,
    ))
    .unwrap()
}

#[test]
fn a_full_rotation_cycle() {
    let policy = RotationPolicy {
        active_lifetime: 1000,
        next_publish_lead: 100,
        max_token_lifetime: 300,
        retire_leeway: 60,
    };
    let mut keys = KeySet::bootstrap(0, es256).unwrap();
    let a = keys.active().kid().to_owned();
    let b = keys.next().unwrap().kid().to_owned();
    assert_ne!(a, b);
    assert_eq!(published(&keys), [a.clone(), b.clone()]);

    // Nothing is due for a while: calls on a schedule change nothing.
    for now in (60..1000).step_by(60) {
        assert!(!keys.rotate(now, &policy, es256).unwrap().changed());
    }
    assert_eq!(published(&keys), [a.clone(), b.clone()]);

    // A token signed just before the rotation, by the active key A.
    let old_token = token_at(&keys, 990, 300);
    assert_eq!(kid_of(&old_token), a);

    // Rotation: B (published for 1000 s >= lead) signs, A retires, C is the new next key.
    let report = keys.rotate(1000, &policy, es256).unwrap();
    let c = keys.next().unwrap().kid().to_owned();
    assert_eq!(report.promoted.as_deref(), Some(b.as_str()));
    assert_eq!(report.retired.as_deref(), Some(a.as_str()));
    assert_eq!(report.created.as_deref(), Some(c.as_str()));
    assert!(report.removed.is_empty());
    assert_eq!(published(&keys), [b.clone(), c.clone(), a.clone()]);

    // The old token still verifies (until it expires); new tokens are signed by B, never C.
    let validation = Validation::new(ISSUER, CLIENT_ID, 1100);
    assert!(keys.verify_id_token(&old_token, &validation).is_ok());
    let new_token = token_at(&keys, 1100, 300);
    assert_eq!(kid_of(&new_token), b);

    // The server restarts: it rebuilds the set from what it persisted.
    let mut keys = KeySet::from_keys(keys.into_keys()).unwrap();
    assert_eq!(published(&keys), [b.clone(), c.clone(), a.clone()]);

    // A stays published until retired_at + max_token_lifetime + leeway = 1360.
    assert!(!keys.rotate(1359, &policy, es256).unwrap().changed());
    assert!(published(&keys).contains(&a));
    let report = keys.rotate(1360, &policy, es256).unwrap();
    assert_eq!(report.removed, std::slice::from_ref(&a));
    assert_eq!(published(&keys), [b.clone(), c.clone()]);

    // With A gone, even an `id_token_hint` that accepts expired tokens no longer verifies.
    let hint = Validation::any_audience(ISSUER, 1400).accept_expired();
    assert_eq!(
        keys.verify_id_token(&old_token, &hint),
        Err(VerifyError::UnknownKid)
    );
    assert!(keys.verify_id_token(&new_token, &hint).is_ok());

    // The next rotation: C signs, B retires, D arrives; kids never repeat.
    let report = keys.rotate(2000, &policy, es256).unwrap();
    let d = keys.next().unwrap().kid().to_owned();
    assert_eq!(report.promoted.as_deref(), Some(c.as_str()));
    assert_eq!(published(&keys), [c.clone(), d.clone(), b.clone()]);
    let all: HashSet<&String> = [&a, &b, &c, &d].into_iter().collect();
    assert_eq!(all.len(), 4);
}

#[test]
fn a_first_start_with_one_imported_key() {
    let policy = RotationPolicy::default();
    let rsa = SigningKey::from_pem(crate::support::RSA_PEM).unwrap();
    let mut keys = KeySet::single(rsa.clone(), 0);
    assert_eq!(published(&keys), [rsa.kid().to_owned()]);
    // RS256 keys cannot be generated; an operator-supplied key comes from the closure.
    let err = keys
        .rotate(1, &policy, || SigningKey::generate(Algorithm::Rs256))
        .unwrap_err();
    assert_eq!(
        err,
        ostiary_jose::KeySetError::NewKey(ostiary_jose::KeyError::RsaGenerationUnsupported)
    );
    // Migrating to ES256: the next key may use another algorithm.
    let report = keys.rotate(1, &policy, es256).unwrap();
    let next = report.created.unwrap();
    assert_eq!(published(&keys), [rsa.kid().to_owned(), next]);
    assert_eq!(keys.signing_alg(), Algorithm::Rs256);
    assert_eq!(
        keys.published_algorithms(),
        [Algorithm::Rs256, Algorithm::Es256]
    );
}
