//! Signing keys (compare-and-swap) and digest keys.

use super::fixtures::*;
use crate::Store;
use crate::records::*;

fn by_kid(mut keys: Vec<SigningKeyRecord>) -> Vec<SigningKeyRecord> {
    keys.sort_by(|a, b| a.kid.cmp(&b.kid));
    keys
}

/// The signing-key set starts empty at version 0; a swap with a stale version writes nothing and
/// returns `false`; a swap with the current version replaces the whole set (every field) and bumps the
/// version by one.
pub async fn keys_signing_compare_and_swap<S: Store>(store: S) {
    let (version, keys) = ok(store.load_signing_keys().await, "load_signing_keys");
    assert_eq!(
        (version, keys.len()),
        (0, 0),
        "an empty store has version 0 and no keys"
    );
    let k1 = signing_key("kid-1", SigningKeyState::Active);
    let k2 = signing_key("kid-2", SigningKeyState::Next);
    assert!(
        !ok(
            store.swap_signing_keys(1, std::slice::from_ref(&k1)).await,
            "swap"
        ),
        "stale version"
    );
    assert_eq!(
        ok(store.load_signing_keys().await, "load").0,
        0,
        "a refused swap writes nothing"
    );

    assert!(ok(
        store.swap_signing_keys(0, &[k1.clone(), k2.clone()]).await,
        "swap from 0"
    ));
    let (version, keys) = ok(store.load_signing_keys().await, "load_signing_keys");
    assert_eq!(version, 1, "a swap bumps the version");
    assert_eq!(
        by_kid(keys),
        vec![k1.clone(), k2.clone()],
        "every field must round-trip"
    );

    let k3 = signing_key("kid-3", SigningKeyState::Next);
    assert!(
        !ok(store.swap_signing_keys(0, &[k3]).await, "swap"),
        "a second writer with version 0"
    );
    let (version, keys) = ok(store.load_signing_keys().await, "load_signing_keys");
    assert_eq!(
        (version, by_kid(keys)),
        (1, vec![k1.clone(), k2.clone()]),
        "nothing written"
    );

    let mut retired = k1.clone();
    retired.state = SigningKeyState::Retired;
    retired.retired_at = Some(T0 + 100);
    let mut promoted = k2.clone();
    promoted.state = SigningKeyState::Active;
    promoted.activated_at = Some(T0 + 100);
    assert!(ok(
        store
            .swap_signing_keys(1, &[promoted.clone(), retired.clone()])
            .await,
        "swap"
    ));
    let (version, keys) = ok(store.load_signing_keys().await, "load_signing_keys");
    assert_eq!((version, by_kid(keys)), (2, vec![retired, promoted]));
    assert!(ok(store.swap_signing_keys(2, &[]).await, "swap to empty"));
    let (version, keys) = ok(store.load_signing_keys().await, "load_signing_keys");
    assert_eq!((version, keys.len()), (3, 0), "the whole set is replaced");
}

/// Digest keys: insert (bytes round-trip), a current insert makes it the only current key, a non-current
/// insert leaves the current one, and a taken id is `Conflict` with nothing changed.
pub async fn keys_digest_keys<S: Store>(store: S) {
    assert!(ok(store.load_digest_keys().await, "load_digest_keys").is_empty());
    let summary = |keys: Vec<DigestKeyRecord>| {
        let mut out: Vec<(u16, [u8; 32], bool, UnixTime)> = keys
            .iter()
            .map(|k| (k.material.id, *k.material.bytes, k.current, k.created_at))
            .collect();
        out.sort();
        out
    };
    let (k1, k2, k3) = (
        digest_key(1, true),
        digest_key(2, true),
        digest_key(3, false),
    );
    ok(store.insert_digest_key(&k1).await, "insert_digest_key");
    assert_eq!(
        summary(ok(store.load_digest_keys().await, "load")),
        summary(vec![k1.clone()])
    );
    ok(store.insert_digest_key(&k2).await, "insert_digest_key");
    ok(store.insert_digest_key(&k3).await, "insert_digest_key");
    let mut k1_old = k1.clone();
    k1_old.current = false;
    let expected = summary(vec![k1_old, k2.clone(), k3.clone()]);
    assert_eq!(
        summary(ok(store.load_digest_keys().await, "load")),
        expected,
        "a current insert makes it the only current key; a non-current insert changes no flag"
    );
    conflict(
        store.insert_digest_key(&digest_key(3, true)).await,
        "insert with a taken id",
    );
    assert_eq!(
        summary(ok(store.load_digest_keys().await, "load")),
        expected,
        "a refused insert changes nothing (not even the current flag)"
    );
}
