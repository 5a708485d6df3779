//! Concurrency: the single-winner promises under real races (32 tasks released together on a
//! multi-thread runtime).

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Barrier;

use super::fixtures::*;
use super::rotation::live_family;
use crate::records::*;
use crate::{ClientId, OutboxId, Store, UserId};

/// How many tasks race.
pub(super) const RACERS: usize = 32;

/// How many outcomes of each variant: a readable failure message for 32 racers.
fn tally<T: std::fmt::Debug>(outcomes: &[T]) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for outcome in outcomes {
        let text = format!("{outcome:?}");
        let variant = text
            .split([' ', '(', '{'])
            .next()
            .unwrap_or_default()
            .to_owned();
        *counts.entry(variant).or_default() += 1;
    }
    format!("{counts:?}")
}

/// Runs `racer(store, i)` for `i in 0..RACERS` on spawned tasks released together by a barrier.
pub(super) async fn race<S, T, F, Fut>(store: &S, racer: F) -> Vec<T>
where
    S: Store,
    T: Send + 'static,
    F: Fn(S, usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let handles: Vec<_> = (0..RACERS)
        .map(|i| {
            let task = racer(store.clone(), i);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(RACERS);
    for handle in handles {
        results.push(handle.await.expect("a racing task panicked"));
    }
    results
}

/// 32 tasks consume one code at once: exactly one `Consumed`, 31 `AlreadyUsed`; the replays then block
/// the winner's `create_family`.
pub async fn race_consume_code<S: Store>(store: S) {
    let (client, user) = (ClientId::new_random(), UserId::new_random());
    let sess = live_session(&store, user, T0 + DAY).await.id;
    let c = code(client, user, sess, T0 + 60);
    ok(store.insert_code(c.clone()).await, "insert_code");
    let digest = c.digest;
    let outcomes = race(&store, move |store, _| async move {
        ok(store.consume_code(digest, T0 + 1).await, "consume_code")
    })
    .await;
    let consumed = outcomes
        .iter()
        .filter(|o| matches!(o, ConsumeCode::Consumed(_)))
        .count();
    let replays = outcomes
        .iter()
        .filter(|o| matches!(o, ConsumeCode::AlreadyUsed { .. }))
        .count();
    assert_eq!(
        (consumed, replays),
        (1, RACERS - 1),
        "exactly one winner; got {}",
        tally(&outcomes)
    );
    let mut family = user_family(client, user, Some(sess));
    family.id = c.family_id;
    conflict_because(
        store.create_family(&family, None, None, Some(digest)).await,
        "code replayed",
        "create_family after replays",
    );
}

/// 32 tasks exchange one code at once, each with its own family tokens: exactly one `Issued` and 31
/// replays; the winner's tokens exist and its family was revoked by the replays (RFC 6749 §4.1.2); no
/// loser's tokens were written.
pub async fn race_exchange_code<S: Store>(store: S) {
    let owner = super::fixtures::client();
    ok(store.insert_client(&owner).await, "insert_client");
    let creds = credentials(&owner);
    let (client, user) = (owner.id, UserId::new_random());
    let sess = live_session(&store, user, T0 + DAY).await.id;
    let c = code(client, user, sess, T0 + 60);
    ok(store.insert_code(c.clone()).await, "insert_code");
    let digest = c.digest;
    let plans: Arc<Vec<(AccessTokenRecord, RefreshTokenRecord)>> = Arc::new(
        (0..RACERS)
            .map(|_| {
                (
                    access(c.family_id, T0 + 1, T0 + HOUR),
                    refresh(c.family_id, T0 + 1, T0 + DAY),
                )
            })
            .collect(),
    );
    let template = c.clone();
    let outcomes = race(&store, {
        let plans = Arc::clone(&plans);
        move |store, i| {
            let plans = Arc::clone(&plans);
            let template = template.clone();
            let creds = creds.clone();
            async move {
                let check = move |_: &Client, _: &AuthorizationCode| {
                    let mut family = user_family(template.client_id, template.user_id, None);
                    family.id = template.family_id;
                    family.session_id = Some(template.session_id);
                    family.created_at = T0 + 1;
                    let (at, rt) = plans[i].clone();
                    let new = NewFamily {
                        family,
                        access: Some(at),
                        refresh: Some(rt),
                    };
                    Ok::<_, ()>((new, ()))
                };
                let outcome = ok(
                    store.exchange_code(digest, T0 + 1, creds, check).await,
                    "exchange_code",
                );
                (i, outcome)
            }
        }
    })
    .await;
    // The one consumer either created its family or, where the consume and the creation are two
    // steps (the default `exchange_code`), found the code replayed in between and created nothing.
    let consumers: Vec<(usize, bool)> = outcomes
        .iter()
        .filter_map(|(i, o)| match o {
            CodeExchange::Issued { .. } => Some((*i, true)),
            CodeExchange::NotCreated(crate::StoreError::Conflict("code replayed")) => {
                Some((*i, false))
            }
            _ => None,
        })
        .collect();
    let replays = outcomes
        .iter()
        .filter(|(_, o)| {
            matches!(
                o,
                CodeExchange::NotConsumed(ConsumeCode::AlreadyUsed { .. })
            )
        })
        .count();
    assert_eq!(
        (consumers.len(), replays),
        (1, RACERS - 1),
        "exactly one consumer; got {}",
        tally(&outcomes.iter().map(|(_, o)| o).collect::<Vec<_>>())
    );
    let (winner, issued) = consumers[0];
    for (i, (at, rt)) in plans.iter().enumerate() {
        let written = ok(store.get_access_token(at.digest).await, "get_access_token").is_some();
        let refresh_written = ok(
            store.get_refresh_token(rt.digest).await,
            "get_refresh_token",
        )
        .is_some();
        let expected = issued && i == winner;
        assert_eq!(
            (written, refresh_written),
            (expected, expected),
            "only an issued winner's tokens are written (racer {i})"
        );
    }
    let family = ok(store.get_family(c.family_id).await, "get_family");
    if issued {
        let family = family.expect("the issued family");
        assert!(
            family.revoked_at.is_some(),
            "the replays revoked the family"
        );
    } else {
        assert_eq!(family, None, "a refused creation writes no family");
    }
}

/// 32 tasks rotate one refresh token at once, each with its own new tokens, within the retry window:
/// exactly one `Rotated`; every other gets `Retry` with the winner's exact sealed bytes; only the
/// winner's tokens are written and the family stays active.
pub async fn race_rotate_refresh_within_window<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let rotations: Arc<Vec<Rotation>> = Arc::new(
        (0..RACERS)
            .map(|i| {
                rotation(
                    r0.digest,
                    family.id,
                    T0 + 10,
                    T0 + 40,
                    format!("sealed-{i}").as_bytes(),
                )
            })
            .collect(),
    );
    let racing = Arc::clone(&rotations);
    let outcomes = race(&store, move |store, i| {
        let rotations = Arc::clone(&racing);
        async move { ok(store.rotate_refresh(&rotations[i]).await, "rotate_refresh") }
    })
    .await;
    let winners: Vec<usize> = (0..RACERS)
        .filter(|i| outcomes[*i] == RotateOutcome::Rotated)
        .collect();
    let [winner] = winners[..] else {
        panic!("exactly one racer must rotate; got {}", tally(&outcomes));
    };
    let expected = RotateOutcome::Retry {
        sealed_retry: rotations[winner].sealed_retry.clone(),
    };
    for (i, outcome) in outcomes.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(
            outcome, &expected,
            "racer {i} must get Retry with the winner's sealed bytes"
        );
        let rt = ok(
            store.get_refresh_token(rotations[i].refresh.digest).await,
            "lookup",
        );
        assert!(rt.is_none(), "a loser's tokens must not be written");
    }
    let new = ok(
        store
            .get_refresh_token(rotations[winner].refresh.digest)
            .await,
        "lookup",
    );
    assert!(new.is_some(), "the winner's refresh token is written");
    let old = ok(store.get_refresh_token(r0.digest).await, "lookup").expect("token");
    assert_eq!(old.token.successor, Some(rotations[winner].refresh.digest));
    assert!(
        !family_revoked(&store, family.id).await,
        "retries must not revoke the family"
    );
}

/// The same race with a window that has already closed (`retry_until < now`): one `Rotated`, every
/// other racer `Replay`, and the family ends revoked.
pub async fn race_rotate_refresh_expired_window<S: Store>(store: S) {
    let (family, r0) = live_family(&store).await;
    let presented = r0.digest;
    let family_id = family.id;
    let outcomes = race(&store, move |store, i| async move {
        let r = rotation(
            presented,
            family_id,
            T0 + 10,
            T0 + 9,
            format!("sealed-{i}").as_bytes(),
        );
        ok(store.rotate_refresh(&r).await, "rotate_refresh")
    })
    .await;
    let rotated = outcomes
        .iter()
        .filter(|o| **o == RotateOutcome::Rotated)
        .count();
    let replays = outcomes
        .iter()
        .filter(|o| **o == RotateOutcome::Replay { family_id })
        .count();
    assert_eq!(
        (rotated, replays),
        (1, RACERS - 1),
        "one winner, the rest replays; got {}",
        tally(&outcomes)
    );
    assert!(
        family_revoked(&store, family.id).await,
        "the replays must revoke the family"
    );
}

/// 32 tasks end one session at once: exactly one gets `Some`, and the notifications are enqueued once.
pub async fn race_end_session<S: Store>(store: S) {
    let (c1, c2) = (client_with_backchannel(), client_with_backchannel());
    ok(store.insert_client(&c1).await, "insert_client");
    ok(store.insert_client(&c2).await, "insert_client");
    let mut sess = session(UserId::new_random(), T0 + DAY);
    sess.clients = vec![c1.id, c2.id];
    ok(store.insert_session(&sess).await, "insert_session");
    let family = user_family(c1.id, sess.user_id, Some(sess.id));
    ok(
        store.create_family(&family, None, None, None).await,
        "create_family",
    );
    let id = sess.id;
    let outcomes = race(&store, move |store, _| async move {
        ok(store.end_session(id, T0 + 10).await, "end_session")
    })
    .await;
    let ended: Vec<_> = outcomes.into_iter().flatten().collect();
    let [winner] = &ended[..] else {
        panic!("exactly one end_session must get Some, got {}", ended.len());
    };
    assert_eq!(
        (winner.families_revoked, winner.notifications.len()),
        (1, 2)
    );
    assert_eq!(
        ok(store.list_logouts(None, 100).await, "list_logouts").len(),
        2,
        "never doubled"
    );
}

/// 32 tasks claim the same 40 due entries at once (3 each): no entry is claimed twice, and with a final
/// claim every entry is claimed exactly once.
pub async fn race_claim_outbox<S: Store>(store: S) {
    let client = ClientId::new_random();
    let entries: Vec<OutboxEntry> = (0..40)
        .map(|i| outbox_entry(client, T0, T0 + i % 7))
        .collect();
    ok(store.enqueue_logouts(&entries).await, "enqueue_logouts");
    let claims = race(&store, move |store, _| async move {
        ok(
            store.claim_due_logouts(T0 + 10, T0 + 100, 3).await,
            "claim_due_logouts",
        )
    })
    .await;
    let mut seen: HashSet<OutboxId> = HashSet::new();
    for entry in claims.iter().flatten() {
        assert!(seen.insert(entry.id), "an entry was claimed twice");
        assert_eq!((entry.attempts, entry.next_attempt_at), (1, T0 + 100));
    }
    assert!(
        claims.iter().all(|c| c.len() <= 3),
        "a claim returns at most `limit` entries"
    );
    let rest = ok(
        store.claim_due_logouts(T0 + 10, T0 + 100, 100).await,
        "claim_due_logouts",
    );
    for entry in &rest {
        assert!(
            seen.insert(entry.id),
            "an entry claimed in the race was still due"
        );
    }
    let all: HashSet<OutboxId> = entries.iter().map(|e| e.id).collect();
    assert_eq!(seen, all, "every due entry is claimed exactly once");
}
