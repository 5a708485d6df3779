//! The back-channel logout outbox: claims with leases, attempt results, ordering.

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, OutboxId, Store};

fn ids(entries: &[OutboxEntry]) -> Vec<OutboxId> {
    entries.iter().map(|e| e.id).collect()
}

/// Enqueue (Conflict with nothing written on a taken id); a claim returns the due pending entries
/// longest due first, with `attempts` incremented and `next_attempt_at` moved to the lease end, and a
/// second claim before the lease ends gets none of them; after the lease they are due again; `limit`
/// bounds a claim.
pub async fn outbox_claim_leases<S: Store>(store: S) {
    let client = ClientId::new_random();
    let (e1, e2, e3) = (
        outbox_entry(client, T0, T0 + 10),
        outbox_entry(client, T0, T0),
        outbox_entry(client, T0, T0 + 100),
    );
    ok(
        store
            .enqueue_logouts(&[e1.clone(), e2.clone(), e3.clone()])
            .await,
        "enqueue_logouts",
    );
    assert_eq!(
        ok(store.get_logout(e1.id).await, "get_logout"),
        Some(e1.clone())
    );
    assert_eq!(
        ok(store.get_logout(OutboxId::new_random()).await, "get_logout"),
        None
    );
    let fresh = outbox_entry(client, T0, T0);
    conflict(
        store.enqueue_logouts(&[fresh.clone(), e1.clone()]).await,
        "enqueue a taken id",
    );
    assert_eq!(
        ok(store.get_logout(fresh.id).await, "get_logout"),
        None,
        "nothing written"
    );

    let claimed = ok(
        store.claim_due_logouts(T0 + 10, T0 + 40, 10).await,
        "claim_due_logouts",
    );
    assert_eq!(
        ids(&claimed),
        vec![e2.id, e1.id],
        "due entries only, longest due first"
    );
    for entry in &claimed {
        assert_eq!(
            (entry.attempts, entry.next_attempt_at),
            (1, T0 + 40),
            "claimed entry"
        );
        assert_eq!(entry.outcome, OutboxOutcome::Pending);
        assert_eq!(
            ok(store.get_logout(entry.id).await, "get_logout").as_ref(),
            Some(entry)
        );
    }
    let during = ok(
        store.claim_due_logouts(T0 + 39, T0 + 70, 10).await,
        "claim_due_logouts",
    );
    assert!(
        during.is_empty(),
        "leased entries must not be claimed again before the lease ends"
    );
    let after = ok(
        store.claim_due_logouts(T0 + 40, T0 + 70, 10).await,
        "claim_due_logouts",
    );
    assert_eq!(
        sorted(after.iter(), |e| e.id),
        sorted([e1.id, e2.id], |i| *i),
        "lease ended"
    );
    assert!(
        after.iter().all(|e| e.attempts == 2),
        "every claim counts an attempt"
    );

    let one = ok(
        store.claim_due_logouts(T0 + 100, T0 + 130, 1).await,
        "claim_due_logouts",
    );
    let first_of_tie = *sorted([e1.id, e2.id], |i| *i).first().expect("two ids");
    assert_eq!(
        ids(&one),
        vec![first_of_tie],
        "limit 1: the longest due, ties in id order"
    );
    assert!(
        ok(
            store.claim_due_logouts(T0 + 100, T0 + 130, 0).await,
            "claim"
        )
        .is_empty()
    );
    let rest = ok(
        store.claim_due_logouts(T0 + 100, T0 + 130, 10).await,
        "claim_due_logouts",
    );
    assert_eq!(
        sorted(rest.iter(), |e| e.id),
        sorted([e1.id, e2.id, e3.id], |i| *i)
            .into_iter()
            .filter(|i| *i != first_of_tie)
            .collect::<Vec<_>>()
    );
}

/// `Delivered` and `GiveUp` finish an entry (`finished_at`, never claimed again, a second result is
/// refused); `RetryAt` keeps it pending, due at `retry_at`, with `last_error`; unknown ids are refused.
pub async fn outbox_attempt_outcomes<S: Store>(store: S) {
    let client = ClientId::new_random();
    let (e1, e2, e3) = (
        outbox_entry(client, T0, T0),
        outbox_entry(client, T0, T0),
        outbox_entry(client, T0, T0),
    );
    ok(
        store
            .enqueue_logouts(&[e1.clone(), e2.clone(), e3.clone()])
            .await,
        "enqueue_logouts",
    );
    assert_eq!(
        ok(store.claim_due_logouts(T0, T0 + 30, 10).await, "claim").len(),
        3
    );
    let record = |id, result, now| store.record_logout_attempt(id, result, now);

    assert!(ok(
        record(e1.id, &AttemptResult::Delivered, T0 + 5).await,
        "delivered"
    ));
    let delivered = ok(store.get_logout(e1.id).await, "get_logout").expect("entry");
    assert_eq!(
        (delivered.outcome, delivered.finished_at),
        (OutboxOutcome::Delivered, Some(T0 + 5))
    );
    assert_eq!(delivered.attempts, 1);
    assert!(
        !ok(
            record(e1.id, &AttemptResult::Delivered, T0 + 6).await,
            "again"
        ),
        "finished"
    );

    let retry = AttemptResult::RetryAt {
        retry_at: T0 + 60,
        error: "HTTP 503".into(),
    };
    assert!(ok(record(e2.id, &retry, T0 + 5).await, "retry"));
    let retried = ok(store.get_logout(e2.id).await, "get_logout").expect("entry");
    assert_eq!(
        (retried.outcome, retried.next_attempt_at),
        (OutboxOutcome::Pending, T0 + 60)
    );
    assert_eq!(
        (retried.last_error.as_deref(), retried.finished_at),
        (Some("HTTP 503"), None)
    );

    let give_up = AttemptResult::GiveUp {
        error: "connection refused".into(),
    };
    assert!(ok(record(e3.id, &give_up, T0 + 7).await, "give up"));
    let gave_up = ok(store.get_logout(e3.id).await, "get_logout").expect("entry");
    assert_eq!(
        (gave_up.outcome, gave_up.finished_at),
        (OutboxOutcome::GaveUp, Some(T0 + 7))
    );
    assert_eq!(gave_up.last_error.as_deref(), Some("connection refused"));
    assert!(
        !ok(record(e3.id, &retry, T0 + 8).await, "retry after give up"),
        "finished"
    );
    assert!(!ok(
        record(OutboxId::new_random(), &AttemptResult::Delivered, T0).await,
        "unknown"
    ));

    assert!(ok(store.claim_due_logouts(T0 + 59, T0 + 90, 10).await, "claim").is_empty());
    let again = ok(
        store.claim_due_logouts(T0 + 1000, T0 + 1030, 10).await,
        "claim",
    );
    assert_eq!(
        ids(&again),
        vec![e2.id],
        "only the retried entry is claimed again"
    );
    assert_eq!(again.first().map(|e| e.attempts), Some(2));
}

/// Claims go by `next_attempt_at` then id; listings are newest first by `created_at` then descending
/// id, filtered by client, bounded by `limit`.
pub async fn outbox_ordering<S: Store>(store: S) {
    let (a, b) = (ClientId::new_random(), ClientId::new_random());
    let mut entries = Vec::new();
    for (client, created, due) in [
        (a, T0 + 1, T0 + 5),
        (a, T0 + 3, T0 + 1),
        (b, T0 + 2, T0 + 3),
        (a, T0 + 3, T0 + 1),
        (b, T0 + 4, T0 + 20),
    ] {
        entries.push(outbox_entry(client, created, due));
    }
    ok(store.enqueue_logouts(&entries).await, "enqueue_logouts");

    let mut due: Vec<_> = entries
        .iter()
        .filter(|e| e.next_attempt_at <= T0 + 10)
        .map(|e| (e.next_attempt_at, e.id))
        .collect();
    due.sort();
    let claimed = ok(
        store.claim_due_logouts(T0 + 10, T0 + 40, 10).await,
        "claim_due_logouts",
    );
    assert_eq!(
        ids(&claimed),
        due.into_iter().map(|(_, id)| id).collect::<Vec<_>>(),
        "claim order"
    );

    let newest_first = |client: Option<ClientId>| {
        let mut keyed: Vec<_> = entries
            .iter()
            .filter(|e| client.is_none_or(|c| e.client_id == c))
            .map(|e| (e.created_at, e.id))
            .collect();
        keyed.sort_by(|x, y| y.cmp(x));
        keyed.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    let all = ok(store.list_logouts(None, 100).await, "list_logouts");
    assert_eq!(
        ids(&all),
        newest_first(None),
        "newest first, ties by descending id"
    );
    let of_a = ok(store.list_logouts(Some(a), 100).await, "list_logouts");
    assert_eq!(
        ids(&of_a),
        newest_first(Some(a)),
        "one client's entries only"
    );
    let two = ok(store.list_logouts(None, 2).await, "list_logouts");
    assert_eq!(ids(&two), newest_first(None)[..2], "limit");
    assert!(
        ok(
            store.list_logouts(Some(ClientId::new_random()), 10).await,
            "list"
        )
        .is_empty()
    );
}
