//! Expiry housekeeping.

use super::fixtures::*;
use super::rotation::live_family;
use crate::records::*;
use crate::traits::PurgeReport;
use crate::{ClientId, OrganizationId, SessionId, Store, UserId};

const TOMBSTONE: i64 = 600;

fn ids() -> (ClientId, UserId, SessionId) {
    (
        ClientId::new_random(),
        UserId::new_random(),
        SessionId::new_random(),
    )
}

async fn purge<S: Store>(store: &S, now: UnixTime, batch: usize) -> PurgeReport {
    ok(
        store.purge_expired(now, TOMBSTONE, batch).await,
        "purge_expired",
    )
}

/// One purge removes exactly what is due — codes past `expires_at + tombstone`, tokens, sessions and
/// expired families with `expires_at < now` (tokens left in one are found no more), sealed retries with `retry_until < now`, pending
/// authorizations with `pending_expires_at <= now` failed — and nothing at or inside a boundary.
pub async fn purge_removes_exactly_what_is_due<S: Store>(store: S) {
    let now = T0 + 1000;
    let (client, user, sess) = ids();
    let code_at = |expires_at| code(client, user, sess, expires_at);
    let (old_code, tomb_code, edge_code) =
        (code_at(T0 + 300), code_at(T0 + 500), code_at(T0 + 400));
    for c in [&old_code, &tomb_code, &edge_code] {
        ok(store.insert_code(c.clone()).await, "insert_code");
    }

    let mut dead = user_family(client, user, None);
    dead.expires_at = now - 1;
    let (dead_at, dead_rt) = (access(dead.id, T0, now - 1), refresh(dead.id, T0, now - 1));
    ok(
        store
            .create_family(&dead, Some(&dead_at), Some(&dead_rt), None)
            .await,
        "create_family",
    );
    let mut stuck = user_family(client, user, None);
    stuck.expires_at = now - 1;
    let outliving = access(stuck.id, T0, now + 1000);
    let outliving_rt = refresh(stuck.id, T0, now + 1000);
    ok(
        store
            .create_family(&stuck, Some(&outliving), Some(&outliving_rt), None)
            .await,
        "create_family",
    );
    let mut empty = user_family(client, user, None);
    empty.expires_at = T0 + 10;
    let mut edge_family = user_family(client, user, None);
    edge_family.expires_at = now;
    ok(
        store.create_family(&empty, None, None, None).await,
        "create_family",
    );
    ok(
        store.create_family(&edge_family, None, None, None).await,
        "create_family",
    );
    let (live, r_old) = live_family(&store).await;
    let edge_at = access(live.id, T0, now);
    ok(
        store.insert_access_token(&edge_at).await,
        "insert_access_token",
    );
    let sibling = user_family(client, user, None);
    let r_edge = refresh(sibling.id, T0, T0 + DAY);
    ok(
        store
            .create_family(&sibling, None, Some(&r_edge), None)
            .await,
        "create_family",
    );
    let old_window = rotation(r_old.digest, live.id, now - 100, now - 1, b"old");
    let edge_window = rotation(r_edge.digest, sibling.id, now - 100, now, b"edge");
    for r in [&old_window, &edge_window] {
        assert_eq!(
            ok(store.rotate_refresh(r).await, "rotate_refresh"),
            RotateOutcome::Rotated
        );
    }

    let (old_session, edge_session) = (session(user, now - 1), session(user, now));
    ok(store.insert_session(&old_session).await, "insert_session");
    ok(store.insert_session(&edge_session).await, "insert_session");
    let org = OrganizationId::new_random();
    let expired_pending = org_auth(org, client, OrgAuthorizationState::Pending, now);
    let live_pending = org_auth(org, client, OrgAuthorizationState::Pending, now + 1);
    let active = org_auth(org, client, OrgAuthorizationState::Active, now - 500);
    for auth in [&expired_pending, &live_pending, &active] {
        ok(
            store.insert_org_authorization(auth).await,
            "insert_org_authorization",
        );
    }

    let report = purge(&store, now, 100).await;
    let expected = PurgeReport {
        codes: 1,
        access_tokens: 1,
        refresh_tokens: 1,
        families: 3,
        sessions: 1,
        org_authorizations_failed: 1,
        sealed_retries_cleared: 1,
    };
    assert_eq!(report, expected, "purge_expired report");

    let consume = |c: &AuthorizationCode| store.consume_code(c.digest, now);
    assert_eq!(
        ok(consume(&old_code).await, "consume"),
        ConsumeCode::NotFound,
        "purged code"
    );
    assert_eq!(
        ok(consume(&tomb_code).await, "consume"),
        ConsumeCode::Expired,
        "tombstone kept"
    );
    assert_eq!(
        ok(consume(&edge_code).await, "consume"),
        ConsumeCode::Expired,
        "boundary kept"
    );
    assert_eq!(
        ok(store.get_access_token(dead_at.digest).await, "lookup"),
        None
    );
    assert_eq!(
        ok(store.get_refresh_token(dead_rt.digest).await, "lookup"),
        None
    );
    assert_eq!(
        ok(store.get_family(dead.id).await, "get_family"),
        None,
        "emptied family"
    );
    assert_eq!(
        ok(store.get_family(empty.id).await, "get_family"),
        None,
        "empty family"
    );
    assert_eq!(
        ok(store.get_family(stuck.id).await, "get_family"),
        None,
        "an expired family goes with tokens left"
    );
    for (family, what) in [(&edge_family, "boundary"), (&live, "live")] {
        assert!(
            ok(store.get_family(family.id).await, "get_family").is_some(),
            "{what} kept"
        );
    }
    assert_eq!(
        ok(store.get_access_token(outliving.digest).await, "lookup"),
        None,
        "a token of a purged family is not found"
    );
    assert_eq!(
        ok(store.get_refresh_token(outliving_rt.digest).await, "lookup"),
        None,
        "a token of a purged family is not found"
    );
    let late = rotation(outliving_rt.digest, stuck.id, now, now + 30, b"late");
    assert_eq!(
        ok(store.rotate_refresh(&late).await, "rotate_refresh"),
        RotateOutcome::Invalid,
        "a token of a purged family does not rotate"
    );
    assert!(
        ok(store.get_access_token(edge_at.digest).await, "lookup").is_some(),
        "boundary"
    );
    let sealed = |d| store.get_refresh_token(d);
    let old = ok(sealed(r_old.digest).await, "lookup").expect("token kept");
    assert_eq!(
        old.token.sealed_retry, None,
        "sealed retry cleared after retry_until"
    );
    assert!(
        old.token.rotated_at.is_some(),
        "only the sealed response is cleared"
    );
    let edge = ok(sealed(r_edge.digest).await, "lookup").expect("token kept");
    assert!(
        edge.token.sealed_retry.is_some(),
        "sealed retry kept at retry_until"
    );
    assert_eq!(
        ok(store.get_session(old_session.id).await, "get_session"),
        None
    );
    assert!(
        ok(store.get_session(edge_session.id).await, "get_session").is_some(),
        "boundary"
    );
    let failed = ok(store.get_org_authorization(expired_pending.id).await, "get").expect("kept");
    assert_eq!(
        (failed.state, failed.failed),
        (OrgAuthorizationState::Failed, Some((Actor::System, now)))
    );
    let pending = ok(store.get_org_authorization(live_pending.id).await, "get").expect("kept");
    assert_eq!(pending, live_pending, "not yet expired");
    let still = ok(store.get_org_authorization(active.id).await, "get").expect("kept");
    assert_eq!(still, active, "only pending authorizations fail");

    assert_eq!(
        purge(&store, now, 100).await.total(),
        0,
        "nothing is due twice"
    );
}

/// Every kind is purged at most `batch` rows per call, and calling until the total is below the batch
/// size purges everything due.
pub async fn purge_respects_batch<S: Store>(store: S) {
    let now = T0 + 1000;
    let (client, user, sess) = ids();
    let org = OrganizationId::new_random();
    for _ in 0..5 {
        ok(
            store.insert_code(code(client, user, sess, T0)).await,
            "insert_code",
        );
        let (live, rt) = live_family(&store).await;
        ok(
            store
                .insert_access_token(&access(live.id, T0, T0 + 1))
                .await,
            "insert_access_token",
        );
        let r = rotation(rt.digest, live.id, T0 + 1, T0 + 2, b"sealed");
        assert_eq!(
            ok(store.rotate_refresh(&r).await, "rotate"),
            RotateOutcome::Rotated
        );
        let mut gone = user_family(client, user, None);
        gone.expires_at = T0 + 1;
        ok(
            store
                .create_family(&gone, None, Some(&refresh(gone.id, T0, T0 + 1)), None)
                .await,
            "create",
        );
        ok(
            store.insert_session(&session(user, T0 + 1)).await,
            "insert_session",
        );
        let auth = org_auth(org, client, OrgAuthorizationState::Pending, T0 + 1);
        ok(
            store.insert_org_authorization(&auth).await,
            "insert_org_authorization",
        );
    }
    let first = purge(&store, now, 2).await;
    let expected = PurgeReport {
        codes: 2,
        access_tokens: 2,
        refresh_tokens: 2,
        families: 2,
        sessions: 2,
        org_authorizations_failed: 2,
        sealed_retries_cleared: 2,
    };
    assert_eq!(first, expected, "at most `batch` rows per kind");
    let mut totals = PurgeReport::default();
    let mut calls = 1;
    loop {
        let report = purge(&store, now, 2).await;
        for (sum, part) in [
            (&mut totals.codes, report.codes),
            (&mut totals.access_tokens, report.access_tokens),
            (&mut totals.refresh_tokens, report.refresh_tokens),
            (&mut totals.families, report.families),
            (&mut totals.sessions, report.sessions),
            (
                &mut totals.org_authorizations_failed,
                report.org_authorizations_failed,
            ),
            (
                &mut totals.sealed_retries_cleared,
                report.sealed_retries_cleared,
            ),
        ] {
            assert!(part <= 2, "at most `batch` rows per kind, got {report:?}");
            *sum += part;
        }
        calls += 1;
        assert!(
            calls <= 10,
            "purging 5 rows per kind in batches of 2 must end"
        );
        if report.total() < 2 {
            break;
        }
    }
    let remaining = PurgeReport {
        codes: 3,
        access_tokens: 3,
        refresh_tokens: 3,
        families: 3,
        sessions: 3,
        org_authorizations_failed: 3,
        sealed_retries_cleared: 3,
    };
    assert_eq!(totals, remaining, "the later calls purge exactly the rest");
    assert_eq!(purge(&store, now, 100).await.total(), 0, "nothing left");
}

/// A spent code stays for the tombstone period, so a replay still revokes its family; then it is
/// purged (unspent expired codes alike).
pub async fn purge_keeps_spent_codes_for_tombstone<S: Store>(store: S) {
    let (client, user, _) = ids();
    let sess = live_session(&store, user, T0 + DAY).await.id;
    let (spent, unspent) = (
        code(client, user, sess, T0 + 60),
        code(client, user, sess, T0 + 60),
    );
    ok(store.insert_code(spent.clone()).await, "insert_code");
    ok(store.insert_code(unspent.clone()).await, "insert_code");
    assert!(matches!(
        ok(store.consume_code(spent.digest, T0 + 10).await, "consume"),
        ConsumeCode::Consumed(_)
    ));
    let mut family = user_family(client, user, Some(sess));
    family.id = spent.family_id;
    ok(
        store
            .create_family(&family, None, None, Some(spent.digest))
            .await,
        "create_family",
    );

    let edge = T0 + 60 + TOMBSTONE;
    assert_eq!(
        purge(&store, edge, 100).await.codes,
        0,
        "codes are kept until expires_at + tombstone"
    );
    let replay = ok(store.consume_code(spent.digest, edge).await, "consume_code");
    assert!(
        matches!(replay, ConsumeCode::AlreadyUsed { .. }),
        "a replay in the tombstone period"
    );
    assert!(
        family_revoked(&store, family.id).await,
        "still revokes the family"
    );
    assert_eq!(
        purge(&store, edge + 1, 100).await.codes,
        2,
        "then spent and unspent codes go"
    );
    assert_eq!(
        ok(store.consume_code(spent.digest, edge + 1).await, "consume"),
        ConsumeCode::NotFound
    );
}

/// Sealed retry responses are kept through `retry_until` and cleared after it; the rotation state
/// stays, so the old token is then a replay.
pub async fn purge_clears_sealed_retries<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let first = rotation(r0.digest, family.id, T0 + 10, T0 + 40, b"sealed");
    assert_eq!(
        ok(store.rotate_refresh(&first).await, "rotate"),
        RotateOutcome::Rotated
    );
    assert_eq!(
        purge(&store, T0 + 40, 100).await.sealed_retries_cleared,
        0,
        "kept at retry_until"
    );
    let retry = rotation(r0.digest, family.id, T0 + 40, T0 + 70, b"other");
    assert_eq!(
        ok(store.rotate_refresh(&retry).await, "rotate"),
        RotateOutcome::Retry {
            sealed_retry: b"sealed".to_vec()
        }
    );
    assert_eq!(
        purge(&store, T0 + 41, 100).await.sealed_retries_cleared,
        1,
        "cleared after"
    );
    let grant = ok(store.get_refresh_token(r0.digest).await, "lookup").expect("token");
    assert_eq!(grant.token.sealed_retry, None);
    assert_eq!(
        grant.token.successor,
        Some(first.refresh.digest),
        "rotation state is kept"
    );
    let late = rotation(r0.digest, family.id, T0 + 41, T0 + 70, b"late");
    assert_eq!(
        ok(store.rotate_refresh(&late).await, "rotate"),
        RotateOutcome::Replay {
            family_id: family.id
        }
    );
}

/// Pending authorizations with `pending_expires_at <= now` become failed by the system; others — later
/// pending ones, and any not pending — are untouched; a failed one can no longer be activated.
pub async fn purge_fails_expired_pending_authorizations<S: Store>(store: S) {
    use OrgAuthorizationState::*;
    let (org, client) = (OrganizationId::new_random(), ClientId::new_random());
    let expired = org_auth(org, client, Pending, T0 + 100);
    let later = org_auth(org, client, Pending, T0 + 101);
    let others = [
        org_auth(org, client, Active, T0),
        org_auth(org, client, Revoked, T0),
        org_auth(org, client, Failed, T0),
    ];
    for auth in [&expired, &later].into_iter().chain(&others) {
        ok(
            store.insert_org_authorization(auth).await,
            "insert_org_authorization",
        );
    }
    assert_eq!(
        purge(&store, T0 + 100, 100).await.org_authorizations_failed,
        1
    );
    let failed = ok(store.get_org_authorization(expired.id).await, "get").expect("kept");
    assert_eq!(
        (failed.state, failed.failed),
        (Failed, Some((Actor::System, T0 + 100)))
    );
    assert_eq!(
        ok(store.get_org_authorization(later.id).await, "get"),
        Some(later.clone())
    );
    for auth in &others {
        assert_eq!(
            ok(store.get_org_authorization(auth.id).await, "get").as_ref(),
            Some(auth)
        );
    }
    assert_eq!(
        purge(&store, T0 + 100, 100).await.org_authorizations_failed,
        0,
        "only once"
    );
    let activate =
        store.transition_org_authorization(expired.id, Pending, Active, Actor::Client(client), T0);
    assert!(matches!(
        ok(activate.await, "transition"),
        Transition::Conflict(_)
    ));
}
