//! Refresh-token rotation: single winner, retry window, replay detection.

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, Digest, Store, UserId};

/// A live family with one unspent refresh token expiring in a day.
pub(super) async fn live_family<S: Store>(store: &S) -> (TokenFamily, RefreshTokenRecord) {
    let family = user_family(ClientId::new_random(), UserId::new_random(), None);
    let rt = refresh(family.id, T0, T0 + DAY);
    ok(
        store.create_family(&family, None, Some(&rt), None).await,
        "create_family",
    );
    (family, rt)
}

async fn rotate<S: Store>(store: &S, rotation: &Rotation) -> RotateOutcome {
    ok(store.rotate_refresh(rotation).await, "rotate_refresh")
}

async fn assert_not_written<S: Store>(store: &S, rotation: &Rotation, what: &str) {
    let rt = ok(
        store.get_refresh_token(rotation.refresh.digest).await,
        "get_refresh_token",
    );
    let at = ok(
        store.get_access_token(rotation.access.digest).await,
        "get_access_token",
    );
    assert!(
        rt.is_none() && at.is_none(),
        "{what}: the new tokens must not be written"
    );
}

async fn unspent<S: Store>(store: &S, digest: Digest) -> bool {
    let grant = ok(store.get_refresh_token(digest).await, "get_refresh_token").expect("token");
    grant.token.rotated_at.is_none()
}

/// An unspent token rotates: it is marked rotated with its successor, window and sealed response; the
/// new tokens are written in its family, which stays active; the successor rotates in turn.
pub async fn rotation_rotates<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let first = rotation(r0.digest, family.id, T0 + 10, T0 + 40, b"sealed-first");
    assert_eq!(rotate(&store, &first).await, RotateOutcome::Rotated);
    let old = ok(
        store.get_refresh_token(r0.digest).await,
        "get_refresh_token",
    )
    .expect("token");
    assert_eq!(old.token.rotated_at, Some(T0 + 10));
    assert_eq!(old.token.successor, Some(first.refresh.digest));
    assert_eq!(old.token.retry_until, Some(T0 + 40));
    assert_eq!(
        old.token.sealed_retry.as_deref(),
        Some(&b"sealed-first"[..])
    );
    let new = ok(
        store.get_refresh_token(first.refresh.digest).await,
        "lookup",
    )
    .expect("written");
    assert_eq!(new.token, first.refresh);
    assert_eq!(new.family, family, "the family is untouched by a rotation");
    let at = ok(store.get_access_token(first.access.digest).await, "lookup").expect("written");
    assert!(at.is_active(T0 + 11), "the new access token works");

    let second = rotation(
        first.refresh.digest,
        family.id,
        T0 + 20,
        T0 + 50,
        b"sealed-second",
    );
    assert_eq!(
        rotate(&store, &second).await,
        RotateOutcome::Rotated,
        "the successor rotates"
    );
}

/// A rotated token presented again within its window (inclusive), while its successor is unspent, gets
/// `Retry` with the exact stored sealed bytes; the retry writes nothing and the successor still works.
pub async fn rotation_retry_within_window<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let first = rotation(
        r0.digest,
        family.id,
        T0 + 10,
        T0 + 40,
        b"\x00sealed\xffbytes",
    );
    assert_eq!(rotate(&store, &first).await, RotateOutcome::Rotated);
    for now in [T0 + 10, T0 + 20, T0 + 40] {
        let retry = rotation(
            r0.digest,
            family.id,
            now,
            now + 30,
            b"the loser's own response",
        );
        assert_eq!(
            rotate(&store, &retry).await,
            RotateOutcome::Retry {
                sealed_retry: b"\x00sealed\xffbytes".to_vec()
            },
            "a retry at {now} (window ends {}) must get the winner's exact sealed bytes",
            T0 + 40
        );
        assert_not_written(&store, &retry, "Retry").await;
    }
    assert!(
        !family_revoked(&store, family.id).await,
        "a retry must not revoke the family"
    );
    assert!(
        unspent(&store, first.refresh.digest).await,
        "a retry must not spend the successor"
    );
    let next = rotation(first.refresh.digest, family.id, T0 + 41, T0 + 70, b"next");
    assert_eq!(rotate(&store, &next).await, RotateOutcome::Rotated);
}

/// Once the successor has itself been rotated, the old token is a replay even within its window:
/// `Replay` with its family, which is revoked in the same step (so the newest token dies too).
pub async fn rotation_retry_refused_after_successor_rotated<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let first = rotation(r0.digest, family.id, T0 + 10, T0 + 40, b"first");
    assert_eq!(rotate(&store, &first).await, RotateOutcome::Rotated);
    let second = rotation(first.refresh.digest, family.id, T0 + 15, T0 + 45, b"second");
    assert_eq!(rotate(&store, &second).await, RotateOutcome::Rotated);
    let replay = rotation(r0.digest, family.id, T0 + 20, T0 + 50, b"replay");
    assert_eq!(
        rotate(&store, &replay).await,
        RotateOutcome::Replay {
            family_id: family.id
        },
        "a retry is refused once the successor has been rotated"
    );
    assert_not_written(&store, &replay, "Replay").await;
    let stored = ok(store.get_family(family.id).await, "get_family").expect("family");
    assert_eq!(
        stored.revoked_at,
        Some(T0 + 20),
        "a replay revokes the family at once"
    );
    let newest = rotation(
        second.refresh.digest,
        family.id,
        T0 + 21,
        T0 + 51,
        b"newest",
    );
    assert_eq!(
        rotate(&store, &newest).await,
        RotateOutcome::Invalid,
        "the family is dead"
    );
    let at = ok(store.get_access_token(second.access.digest).await, "lookup").expect("token");
    assert!(
        !at.is_active(T0 + 21),
        "the newest access token is revoked with the family"
    );
}

/// A rotated token presented after its window is `Replay` and revokes the family; presented again, it
/// is still `Replay` and the first revocation time is kept.
pub async fn rotation_replay_after_window<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let first = rotation(r0.digest, family.id, T0 + 10, T0 + 40, b"first");
    assert_eq!(rotate(&store, &first).await, RotateOutcome::Rotated);
    let late = rotation(r0.digest, family.id, T0 + 41, T0 + 70, b"late");
    assert_eq!(
        rotate(&store, &late).await,
        RotateOutcome::Replay {
            family_id: family.id
        },
        "one second after the window a rotated token is a replay"
    );
    assert_not_written(&store, &late, "Replay").await;
    assert_eq!(
        ok(store.get_family(family.id).await, "get_family").and_then(|f| f.revoked_at),
        Some(T0 + 41)
    );
    let next = rotation(first.refresh.digest, family.id, T0 + 42, T0 + 72, b"next");
    assert_eq!(
        rotate(&store, &next).await,
        RotateOutcome::Invalid,
        "the successor is dead too"
    );
    let again = rotation(r0.digest, family.id, T0 + 50, T0 + 80, b"again");
    assert_eq!(
        rotate(&store, &again).await,
        RotateOutcome::Replay {
            family_id: family.id
        }
    );
    assert_eq!(
        ok(store.get_family(family.id).await, "get_family").and_then(|f| f.revoked_at),
        Some(T0 + 41),
        "the first revocation time is kept"
    );
}

/// `Invalid`, with nothing changed, for an unknown token, an expired unspent token (`now >=
/// expires_at`), a token of a revoked family and a token of an expired family.
pub async fn rotation_invalid<S: Store>(store: S) {
    let unknown = rotation(digest(), uuid_family(), T0, T0 + 30, b"x");
    assert_eq!(
        rotate(&store, &unknown).await,
        RotateOutcome::Invalid,
        "unknown token"
    );
    assert_not_written(&store, &unknown, "unknown token").await;

    let family = user_family(ClientId::new_random(), UserId::new_random(), None);
    let short = refresh(family.id, T0, T0 + 100);
    ok(
        store.create_family(&family, None, Some(&short), None).await,
        "create_family",
    );
    let expired = rotation(short.digest, family.id, T0 + 100, T0 + 130, b"x");
    assert_eq!(
        rotate(&store, &expired).await,
        RotateOutcome::Invalid,
        "expired token"
    );
    assert_not_written(&store, &expired, "expired token").await;
    assert!(
        unspent(&store, short.digest).await,
        "an Invalid rotation changes nothing"
    );
    assert!(
        !family_revoked(&store, family.id).await,
        "an expired token revokes nothing"
    );

    let (revoked, rt) = live_family(&store).await;
    assert!(ok(
        store.revoke_family(revoked.id, T0 + 5).await,
        "revoke_family"
    ));
    let on_revoked = rotation(rt.digest, revoked.id, T0 + 10, T0 + 40, b"x");
    assert_eq!(
        rotate(&store, &on_revoked).await,
        RotateOutcome::Invalid,
        "revoked family"
    );
    assert_not_written(&store, &on_revoked, "revoked family").await;
    assert!(
        unspent(&store, rt.digest).await,
        "an Invalid rotation changes nothing"
    );

    let mut ending = user_family(ClientId::new_random(), UserId::new_random(), None);
    ending.expires_at = T0 + 50;
    let rt = refresh(ending.id, T0, T0 + 100);
    ok(
        store.create_family(&ending, None, Some(&rt), None).await,
        "create_family",
    );
    let on_expired = rotation(rt.digest, ending.id, T0 + 50, T0 + 80, b"x");
    assert_eq!(
        rotate(&store, &on_expired).await,
        RotateOutcome::Invalid,
        "expired family"
    );
    assert_not_written(&store, &on_expired, "expired family").await;
}

fn uuid_family() -> crate::FamilyId {
    crate::FamilyId::new_random()
}

/// `refresh_grant`: an unknown digest is `NotFound` and never reaches the check; the check sees the
/// token, its family, the family's client and user as stored; a refusal writes nothing and the token still
/// rotates afterwards; an accepted rotation comes back `Rotated` with what the check saw; presented
/// again, the check runs again and the rotation's own rules decide (`Retry` within the window,
/// `Replay` after it, which revokes the family).
pub async fn rotation_checked<S: Store>(store: S) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let account = user("refresher", Some("refresher@example.com"));
    let owner = client();
    let family = user_family(owner.id, account.id, None);
    ok(store.insert_user(&account).await, "insert_user");
    ok(store.insert_client(&owner).await, "insert_client");
    let r0 = refresh(family.id, T0, T0 + DAY);
    ok(
        store.create_family(&family, None, Some(&r0), None).await,
        "create_family",
    );

    // Unknown: the check never runs.
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let unknown = ok(
        store
            .refresh_grant(digest(), move |_, _, _| {
                flag.store(true, Ordering::SeqCst);
                Err::<(Rotation, ()), _>("unreachable")
            })
            .await,
        "refresh_grant",
    );
    assert!(
        matches!(unknown, RefreshGrantOutcome::NotFound),
        "{unknown:?}"
    );
    assert!(!ran.load(Ordering::SeqCst), "no check for an unknown token");

    // Refused: the check saw the stored token, family, client and user; nothing is written.
    let refused_rotation = rotation(r0.digest, family.id, T0 + 5, T0 + 35, b"refused");
    let (expected_family, expected_client, expected_user) =
        (family.clone(), owner.clone(), account.clone());
    let refused = ok(
        store
            .refresh_grant(r0.digest, move |grant, client, found| {
                assert_eq!(grant.family, expected_family, "the check sees the family");
                assert_eq!(grant.token.rotated_at, None);
                assert_eq!(client, Some(&expected_client), "the check sees the client");
                assert_eq!(found, Some(&expected_user), "the check sees the user");
                Err::<(Rotation, ()), _>("refused")
            })
            .await,
        "refresh_grant",
    );
    assert!(
        matches!(refused, RefreshGrantOutcome::Refused("refused")),
        "{refused:?}"
    );
    assert_not_written(&store, &refused_rotation, "Refused").await;
    assert!(unspent(&store, r0.digest).await, "a refusal spends nothing");

    // Accepted: rotated, with what the check saw.
    let first = rotation(r0.digest, family.id, T0 + 10, T0 + 40, b"sealed-first");
    let accept = |rotation: &Rotation| {
        let rotation = rotation.clone();
        move |_: &RefreshTokenGrant, _: Option<&Client>, _: Option<&User>| {
            Ok::<_, &str>((rotation, "made by the check"))
        }
    };
    let rotated = ok(
        store.refresh_grant(r0.digest, accept(&first)).await,
        "refresh_grant",
    );
    match rotated {
        RefreshGrantOutcome::Checked {
            grant,
            client,
            user,
            checked,
            outcome,
        } => {
            assert_eq!(outcome, RotateOutcome::Rotated);
            assert_eq!(grant.token, r0, "the token as it was before the rotation");
            assert_eq!(grant.family, family);
            assert_eq!(client, Some(owner.clone()));
            assert_eq!(user, Some(account.clone()));
            assert_eq!(
                checked, "made by the check",
                "what the check made comes back"
            );
        }
        other => panic!("expected Rotated, got {other:?}"),
    }
    let new = ok(
        store.get_refresh_token(first.refresh.digest).await,
        "lookup",
    )
    .expect("written");
    assert_eq!(new.token, first.refresh);
    assert!(
        !unspent(&store, r0.digest).await,
        "the presented token is spent"
    );

    // Presented again within the window: the check runs, then Retry with the sealed bytes.
    let retry = rotation(r0.digest, family.id, T0 + 20, T0 + 50, b"loser");
    let again = ok(
        store.refresh_grant(r0.digest, accept(&retry)).await,
        "refresh_grant",
    );
    match again {
        RefreshGrantOutcome::Checked { grant, outcome, .. } => {
            assert_eq!(
                outcome,
                RotateOutcome::Retry {
                    sealed_retry: b"sealed-first".to_vec()
                }
            );
            assert_eq!(
                grant.token.rotated_at,
                Some(T0 + 10),
                "the check sees it rotated"
            );
        }
        other => panic!("expected Retry, got {other:?}"),
    }
    assert_not_written(&store, &retry, "Retry").await;

    // After the window: a replay, and the family is revoked.
    let late = rotation(r0.digest, family.id, T0 + 41, T0 + 71, b"late");
    let replay = ok(
        store.refresh_grant(r0.digest, accept(&late)).await,
        "refresh_grant",
    );
    assert!(
        matches!(
            &replay,
            RefreshGrantOutcome::Checked { outcome: RotateOutcome::Replay { family_id }, .. }
                if *family_id == family.id
        ),
        "{replay:?}"
    );
    assert_not_written(&store, &late, "Replay").await;
    assert_eq!(
        ok(store.get_family(family.id).await, "get_family").and_then(|f| f.revoked_at),
        Some(T0 + 41)
    );
}
