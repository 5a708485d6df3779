//! Races between two store instances sharing one database (two SQLite stores on one file, two
//! PostgreSQL pools on one database): every single-winner promise of the store traits must hold across
//! instances, not only within one. Half the tasks use each instance.

use std::collections::HashSet;
use std::sync::Arc;

use ostiary_store::records::*;
use ostiary_store::*;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::fixtures::{self, HOUR, T0};

/// Tasks per instance.
const TASKS: usize = 16;

/// Runs `TASKS` tasks on each instance and collects their results.
async fn race<S, T, F, Fut>(a: &S, b: &S, task: F) -> Vec<T>
where
    S: Store,
    T: Send + 'static,
    F: Fn(S, usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..2 * TASKS {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        set.spawn(task(store, i));
    }
    let mut results = Vec::with_capacity(2 * TASKS);
    while let Some(result) = set.join_next().await {
        results.push(result.expect("a racing task panicked"));
    }
    results
}

/// Exactly one of 32 concurrent exchanges consumes a code; every other one is a replay naming its family.
pub async fn consume_code<S: Store>(a: &S, b: &S) {
    let session = fixtures::session(UserId::new_random(), vec![]);
    let code = fixtures::code(ClientId::new_random(), &session);
    a.insert_code(code.clone()).await.unwrap();
    let digest = code.digest;
    let results = race(a, b, move |s, _| async move {
        s.consume_code(digest, T0 + 1).await.unwrap()
    })
    .await;
    let winners = results
        .iter()
        .filter(|r| matches!(r, ConsumeCode::Consumed(c) if *c == code))
        .count();
    assert_eq!(winners, 1, "exactly one consume_code wins: {results:?}");
    let replays = results
        .iter()
        .filter(|r| matches!(r, ConsumeCode::AlreadyUsed { family_id, .. } if *family_id == code.family_id))
        .count();
    assert_eq!(
        replays,
        2 * TASKS - 1,
        "every loser sees a replay: {results:?}"
    );
}

/// A family with its first refresh token, for rotation races.
async fn rotatable<S: Store>(store: &S) -> (TokenFamily, RefreshTokenRecord) {
    let session = fixtures::session(UserId::new_random(), vec![]);
    store.insert_session(&session).await.unwrap();
    let family = fixtures::family_for(&fixtures::code(ClientId::new_random(), &session));
    let refresh = fixtures::refresh(family.id);
    store
        .create_family(
            &family,
            Some(&fixtures::access(family.id)),
            Some(&refresh),
            None,
        )
        .await
        .unwrap();
    (family, refresh)
}

/// Within the retry window: one rotation wins, every other caller gets the winner's sealed response.
pub async fn rotate_within_window<S: Store>(a: &S, b: &S) {
    let (family, presented) = rotatable(a).await;
    let (digest, family_id) = (presented.digest, family.id);
    let results = race(a, b, move |s, _| async move {
        let rotation = fixtures::rotation(digest, family_id, T0 + 10, 60);
        let outcome = s.rotate_refresh(&rotation).await.unwrap();
        (rotation, outcome)
    })
    .await;
    let winners: Vec<&Rotation> = results
        .iter()
        .filter(|(_, o)| *o == RotateOutcome::Rotated)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one rotation wins");
    let winner = winners[0];
    for (_, outcome) in &results {
        match outcome {
            RotateOutcome::Rotated => {}
            RotateOutcome::Retry { sealed_retry } => {
                assert_eq!(
                    sealed_retry, &winner.sealed_retry,
                    "a retry gets the winner's response"
                );
            }
            other => panic!("a loser within the window must get Retry, got {other:?}"),
        }
    }
    let stored = a.get_refresh_token(digest).await.unwrap().unwrap();
    assert_eq!(stored.token.successor, Some(winner.refresh.digest));
    assert!(stored.family.revoked_at.is_none(), "retries do not revoke");
    let successor = b
        .get_refresh_token(winner.refresh.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(successor.token, winner.refresh);
}

/// With no retry window, one rotation wins and every other caller is a replay that revokes the family.
pub async fn rotate_without_window<S: Store>(a: &S, b: &S) {
    let (family, presented) = rotatable(a).await;
    let (digest, family_id) = (presented.digest, family.id);
    let results = race(a, b, move |s, _| async move {
        let rotation = fixtures::rotation(digest, family_id, T0 + 10, -1);
        s.rotate_refresh(&rotation).await.unwrap()
    })
    .await;
    let winners = results
        .iter()
        .filter(|o| **o == RotateOutcome::Rotated)
        .count();
    assert_eq!(winners, 1, "exactly one rotation wins: {results:?}");
    let replays = results
        .iter()
        .filter(|o| **o == RotateOutcome::Replay { family_id })
        .count();
    assert_eq!(
        replays,
        2 * TASKS - 1,
        "every loser is a replay: {results:?}"
    );
    let family = b.get_family(family_id).await.unwrap().unwrap();
    assert!(family.revoked_at.is_some(), "a replay revokes the family");
}

/// A replayed code racing the first exchange's create_family: either the family is created and then
/// revoked, or it is never created. Never a live family from a replayed code.
pub async fn replay_against_create_family<S: Store>(a: &S, b: &S) {
    for _ in 0..20 {
        let session = fixtures::session(UserId::new_random(), vec![]);
        a.insert_session(&session).await.unwrap();
        let code = fixtures::code(ClientId::new_random(), &session);
        a.insert_code(code.clone()).await.unwrap();
        assert!(matches!(
            a.consume_code(code.digest, T0 + 1).await.unwrap(),
            ConsumeCode::Consumed(_)
        ));
        let family = fixtures::family_for(&code);
        let (creator, replayer) = (a.clone(), b.clone());
        let (f, d) = (family.clone(), code.digest);
        let create = tokio::spawn(async move {
            let access = fixtures::access(f.id);
            creator
                .create_family(&f, Some(&access), None, Some(d))
                .await
        });
        let replay = tokio::spawn(async move { replayer.consume_code(d, T0 + 2).await });
        let created = create.await.unwrap();
        let replayed = replay.await.unwrap().unwrap();
        assert!(
            matches!(replayed, ConsumeCode::AlreadyUsed { .. }),
            "{replayed:?}"
        );
        let stored = a.get_family(family.id).await.unwrap();
        match created {
            Ok(()) => assert!(
                stored.is_some_and(|f| f.revoked_at.is_some()),
                "a family created before the replay must be revoked by it"
            ),
            Err(StoreError::Conflict("code replayed")) => {
                assert!(stored.is_none(), "a refused family must not exist")
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
}

/// Rounds of the create-versus-end races, each on a fresh session or authorization.
const ROUNDS: usize = 20;

/// Four `create_family` calls (two per instance) racing `end` on instance `b`, released together.
/// Returns each family with the result of its creation, and the result of `end`.
async fn create_against<S, T, Fut>(
    a: &S,
    b: &S,
    families: Vec<TokenFamily>,
    end: impl FnOnce(S) -> Fut,
) -> (Vec<(TokenFamily, StoreResult<()>)>, T)
where
    S: Store,
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(families.len() + 1));
    let creators: Vec<_> = families
        .into_iter()
        .enumerate()
        .map(|(i, family)| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let token = fixtures::access(family.id);
                barrier.wait().await;
                let result = store.create_family(&family, Some(&token), None, None).await;
                (family, result)
            })
        })
        .collect();
    let ending = end(b.clone());
    let ender = tokio::spawn(async move {
        barrier.wait().await;
        ending.await
    });
    let mut created = Vec::new();
    for creator in creators {
        created.push(creator.await.unwrap());
    }
    (created, ender.await.unwrap())
}

/// Each family of a round was created and then revoked at `ended_at`, or refused with `reason` and
/// never written. Returns how many were created.
async fn settle<S: Store>(
    store: &S,
    created: Vec<(TokenFamily, StoreResult<()>)>,
    reason: &str,
    ended_at: UnixTime,
) -> u64 {
    let mut count = 0;
    for (family, result) in created {
        let stored = store.get_family(family.id).await.unwrap();
        match result {
            Ok(()) => {
                count += 1;
                assert_eq!(
                    stored.and_then(|f| f.revoked_at),
                    Some(ended_at),
                    "a family created before the end must be revoked by it"
                );
            }
            Err(StoreError::Conflict(got)) if got == reason => {
                assert!(stored.is_none(), "a refused family must not exist");
            }
            Err(other) => panic!("expected Ok or Conflict({reason:?}), got {other:?}"),
        }
    }
    count
}

/// Families created on both instances while `b` ends their session: never a live family of the ended
/// session, and `end_session` counts exactly the families created before it.
pub async fn create_family_against_end_session<S: Store>(a: &S, b: &S) {
    for round in 0..ROUNDS {
        let session = fixtures::session(UserId::new_random(), vec![]);
        a.insert_session(&session).await.unwrap();
        let families = (0..4)
            .map(|_| {
                let code = fixtures::code(ClientId::new_random(), &session);
                fixtures::family_for(&code)
            })
            .collect();
        let id = session.id;
        let (created, ended) = create_against(a, b, families, move |s| async move {
            s.end_session(id, T0 + 10).await.unwrap()
        })
        .await;
        let ended = ended.unwrap_or_else(|| panic!("round {round}: the session must end"));
        let count = settle(a, created, "session ended", T0 + 10).await;
        assert_eq!(ended.families_revoked, count, "round {round}");
    }
}

/// Families created on both instances while `b` revokes their organization authorization: never a
/// live family under the revoked authorization.
pub async fn create_family_against_revocation<S: Store>(a: &S, b: &S) {
    for round in 0..ROUNDS {
        let (org, client) = (OrganizationId::new_random(), ClientId::new_random());
        let mut auth = fixtures::org_authorization(org, client, UserId::new_random());
        auth.state = OrgAuthorizationState::Active;
        auth.activated = Some((Actor::Client(client), T0));
        a.insert_org_authorization(&auth).await.unwrap();
        let families = (0..4)
            .map(|_| TokenFamily {
                id: FamilyId::new_random(),
                client_id: client,
                subject: Subject::Organization(org),
                scope: fixtures::scope("org:read"),
                session_id: None,
                org_authorization_id: Some(auth.id),
                auth_time: None,
                amr: Vec::new(),
                created_at: T0 + 5,
                expires_at: T0 + HOUR,
                revoked_at: None,
            })
            .collect();
        let id = auth.id;
        let (created, moved) = create_against(a, b, families, move |s| async move {
            s.transition_org_authorization(
                id,
                OrgAuthorizationState::Active,
                OrgAuthorizationState::Revoked,
                Actor::System,
                T0 + 10,
            )
            .await
            .unwrap()
        })
        .await;
        assert!(
            matches!(moved, Transition::Done(_)),
            "round {round}: {moved:?}"
        );
        settle(a, created, "authorization not active", T0 + 10).await;
    }
}

/// Re-authentications of one session on both instances: all succeed, exactly one new cookie finds the
/// session afterwards, and the session carries that call's times whole.
pub async fn reauthenticate<S: Store>(a: &S, b: &S) {
    let session = fixtures::session(UserId::new_random(), vec![ClientId::new_random()]);
    a.insert_session(&session).await.unwrap();
    let cookies: Arc<Vec<Digest>> = Arc::new((0..2 * TASKS).map(|_| fixtures::digest()).collect());
    let (id, racing) = (session.id, Arc::clone(&cookies));
    let results = race(a, b, move |s, i| {
        let cookie = racing[i];
        async move {
            let at = T0 + i64::try_from(i).unwrap();
            let amr = vec![format!("racer-{i}")];
            s.reauthenticate_session(id, cookie, at, &amr, at + HOUR)
                .await
                .unwrap()
        }
    })
    .await;
    assert!(
        results.iter().all(|r| *r),
        "every call succeeds: {results:?}"
    );
    let mut found = Vec::new();
    for (i, cookie) in cookies.iter().enumerate() {
        if let Some(stored) = b.get_session_by_cookie(*cookie, T0).await.unwrap() {
            found.push((i, stored));
        }
    }
    assert_eq!(found.len(), 1, "exactly one cookie finds the session");
    let (i, stored) = &found[0];
    let at = T0 + i64::try_from(*i).unwrap();
    let expected = Session {
        cookie_digest: cookies[*i],
        auth_time: at,
        amr: vec![format!("racer-{i}")],
        expires_at: at + HOUR,
        ..session.clone()
    };
    assert_eq!(stored, &expected, "the last writer's values, whole");
    assert!(
        a.get_session_by_cookie(session.cookie_digest, T0)
            .await
            .unwrap()
            .is_none()
    );
}

/// Exactly one of many concurrent sign-outs ends a session and enqueues its notification.
pub async fn end_session<S: Store>(a: &S, b: &S) {
    let client = fixtures::client();
    a.insert_client(&client).await.unwrap();
    let session = fixtures::session(UserId::new_random(), vec![client.id]);
    a.insert_session(&session).await.unwrap();
    let id = session.id;
    let results = race(a, b, move |s, _| async move {
        s.end_session(id, T0 + 5).await.unwrap()
    })
    .await;
    let ended: Vec<&EndedSession> = results.iter().flatten().collect();
    assert_eq!(ended.len(), 1, "exactly one end_session gets the session");
    assert_eq!(ended[0].session, session);
    assert_eq!(ended[0].notifications.len(), 1);
    let queued = b.list_logouts(Some(client.id), 100).await.unwrap();
    assert_eq!(queued.len(), 1, "notifications are never doubled");
}

/// Workers on both instances claim disjoint sets of outbox entries, covering every due entry once.
pub async fn claim_outbox<S: Store>(a: &S, b: &S) {
    let client = ClientId::new_random();
    let entries: Vec<OutboxEntry> = (0..60)
        .map(|i| fixtures::outbox_entry(client, T0 - i))
        .collect();
    a.enqueue_logouts(&entries).await.unwrap();
    let results = race(a, b, |s, _| async move {
        let mut mine = Vec::new();
        loop {
            let batch = s.claim_due_logouts(T0, T0 + HOUR, 3).await.unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|e| e.id));
        }
    })
    .await;
    let claimed: Vec<OutboxId> = results.into_iter().flatten().collect();
    let unique: HashSet<OutboxId> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), unique.len(), "an entry was claimed twice");
    assert_eq!(unique.len(), entries.len(), "every due entry is claimed");
    for entry in &entries {
        let stored = b.get_logout(entry.id).await.unwrap().unwrap();
        assert_eq!(stored.attempts, 1, "each entry claimed exactly once");
    }
}

/// Of several pending authorizations of one (organization, client) pair activated at once, exactly one
/// becomes active.
pub async fn activate_one_per_pair<S: Store>(a: &S, b: &S) {
    let (org, client, admin) = (
        OrganizationId::new_random(),
        ClientId::new_random(),
        UserId::new_random(),
    );
    let mut ids = Vec::new();
    for _ in 0..2 * TASKS {
        let auth = fixtures::org_authorization(org, client, admin);
        a.insert_org_authorization(&auth).await.unwrap();
        ids.push(auth.id);
    }
    let results = race(a, b, move |s, i| {
        let id = ids[i];
        async move {
            s.transition_org_authorization(
                id,
                OrgAuthorizationState::Pending,
                OrgAuthorizationState::Active,
                Actor::Client(client),
                T0 + 1,
            )
            .await
            .unwrap()
        }
    })
    .await;
    let done: Vec<&OrgAuthorization> = results
        .iter()
        .filter_map(|t| match t {
            Transition::Done(auth) => Some(auth),
            _ => None,
        })
        .collect();
    assert_eq!(
        done.len(),
        1,
        "exactly one activation per pair: {results:?}"
    );
    for t in &results {
        if let Transition::Conflict(auth) = t {
            assert_eq!(
                auth.state,
                OrgAuthorizationState::Pending,
                "losers stay pending"
            );
        }
    }
    let active = b.find_active_org_authorization(org, client).await.unwrap();
    assert_eq!(active.map(|a| a.id), Some(done[0].id));
}

/// Of concurrent signing-key swaps from the same version exactly one lands; concurrent digest-key
/// bootstraps leave exactly one current key.
pub async fn keys<S: Store>(a: &S, b: &S) {
    let results = race(a, b, |s, i| async move {
        let key = fixtures::signing_key(&format!("kid-{i}"), SigningKeyState::Active);
        (i, s.swap_signing_keys(0, &[key]).await.unwrap())
    })
    .await;
    let winners: Vec<usize> = results
        .iter()
        .filter(|(_, won)| *won)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one swap from version 0 wins");
    let (version, keys) = b.load_signing_keys().await.unwrap();
    assert_eq!(version, 1);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kid, format!("kid-{}", winners[0]));

    let results = race(a, b, |s, i| async move {
        let id = u16::try_from(i).unwrap() + 1;
        s.insert_digest_key(&fixtures::digest_key(id, true)).await
    })
    .await;
    assert!(
        results.iter().all(Result::is_ok),
        "distinct ids all insert: {results:?}"
    );
    let stored = a.load_digest_keys().await.unwrap();
    assert_eq!(stored.len(), 2 * TASKS);
    assert_eq!(
        stored.iter().filter(|k| k.current).count(),
        1,
        "one current key"
    );

    let results = race(a, b, |s, _| async move {
        s.insert_digest_key(&fixtures::digest_key(1000, false))
            .await
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "one bootstrap of an id wins"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict(_))))
    );
}

/// Expands to one multi-thread tokio test per race above, each on a fresh pair of instances from
/// `$pair(test_name)` (an `Option`: `None` means skipped, and the factory said so).
macro_rules! race_tests {
    ($pair:path) => {
        $crate::races::race_tests!(@ $pair;
            consume_code,
            rotate_within_window,
            rotate_without_window,
            replay_against_create_family,
            create_family_against_end_session,
            create_family_against_revocation,
            reauthenticate,
            end_session,
            claim_outbox,
            activate_one_per_pair,
            keys,
        );
    };
    (@ $pair:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some((a, b)) = $pair(stringify!($case)).await {
                    $crate::races::$case(&a, &b).await;
                }
            }
        )*
    };
}

pub(crate) use race_tests;
