//! Concurrency of sessions and grants: re-authentication racing itself, and token-family creation
//! racing the end of the session or the revocation of the organization authorization it depends on.

use std::sync::Arc;

use tokio::sync::Barrier;

use super::fixtures::*;
use super::race::{RACERS, race};
use crate::records::*;
use crate::{ClientId, Digest, OrganizationId, Store, StoreError, StoreResult, UserId};

/// Rounds of the create-versus-end races, each on a fresh session or authorization.
const ROUNDS: usize = 32;
/// Families created in each round, racing the one ending call.
const CREATORS: usize = 3;

/// 32 tasks re-authenticate one session at once, each with its own cookie, times and `amr`: every call
/// returns `true`; afterwards exactly one of the 32 cookies finds the session (the last writer's), the
/// session carries that writer's times and `amr` whole (never a mix of two writers), the old cookie finds
/// nothing, and the id, user, clients and families are intact.
pub async fn race_reauthenticate_session<S: Store>(store: S) {
    let (alice, client) = (UserId::new_random(), ClientId::new_random());
    let sess = live_session(&store, alice, T0 + HOUR).await;
    assert!(ok(
        store.add_session_client(sess.id, client).await,
        "add_session_client"
    ));
    let family = user_family(client, alice, Some(sess.id));
    let at = access(family.id, T0, T0 + 2 * HOUR);
    ok(
        store.create_family(&family, Some(&at), None, None).await,
        "create_family",
    );
    let cookies: Arc<Vec<Digest>> = Arc::new((0..RACERS).map(|_| digest()).collect());
    let offset = |i: usize| i64::try_from(i).expect("a small index");
    let (id, racing) = (sess.id, Arc::clone(&cookies));
    let outcomes = race(&store, move |store, i| {
        let cookie = racing[i];
        async move {
            let amr = vec![format!("racer-{i}")];
            let (auth_time, expires_at) = (T0 + 100 + offset(i), T0 + DAY + offset(i));
            let result = store.reauthenticate_session(id, cookie, auth_time, &amr, expires_at);
            ok(result.await, "reauthenticate_session")
        }
    })
    .await;
    assert!(
        outcomes.iter().all(|reauthenticated| *reauthenticated),
        "every re-authentication of a live session succeeds; got {outcomes:?}"
    );
    let mut found = Vec::new();
    for (i, cookie) in cookies.iter().enumerate() {
        if let Some(session) = ok(
            store.get_session_by_cookie(*cookie, T0 + 200).await,
            "cookie",
        ) {
            found.push((i, session));
        }
    }
    let [(winner, stored)] = &found[..] else {
        panic!(
            "exactly one of the racing cookies must find the session, {} do",
            found.len()
        );
    };
    let expected = Session {
        cookie_digest: cookies[*winner],
        auth_time: T0 + 100 + offset(*winner),
        amr: vec![format!("racer-{winner}")],
        expires_at: T0 + DAY + offset(*winner),
        clients: vec![client],
        ..sess.clone()
    };
    assert_eq!(stored, &expected, "the last writer's values, whole");
    assert_eq!(
        ok(store.get_session(sess.id).await, "get_session").as_ref(),
        Some(&expected)
    );
    assert_eq!(
        ok(
            store
                .get_session_by_cookie(sess.cookie_digest, T0 + 200)
                .await,
            "cookie"
        ),
        None,
        "the original cookie is dead"
    );
    assert_eq!(
        ok(store.get_family(family.id).await, "get_family"),
        Some(family),
        "the session's family is untouched"
    );
    let grant = ok(store.get_access_token(at.digest).await, "lookup").expect("token");
    assert!(grant.is_active(T0 + 200), "and its token works");
}

/// One round's racers: `CREATORS` families with their access tokens, created concurrently with `end`,
/// all released together. Returns the result of each creation and of `end`.
async fn create_against<S, T, F, Fut>(
    store: &S,
    families: &[(TokenFamily, AccessTokenRecord)],
    end: F,
) -> (Vec<StoreResult<()>>, T)
where
    S: Store,
    T: Send + 'static,
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(families.len() + 1));
    let creators: Vec<_> = families
        .iter()
        .cloned()
        .map(|(family, at)| {
            let (store, barrier) = (store.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                store.create_family(&family, Some(&at), None, None).await
            })
        })
        .collect();
    let ending = end(store.clone());
    let barrier_for_end = Arc::clone(&barrier);
    let ender = tokio::spawn(async move {
        barrier_for_end.wait().await;
        ending.await
    });
    let mut created = Vec::with_capacity(families.len());
    for creator in creators {
        created.push(creator.await.expect("a racing create_family panicked"));
    }
    (created, ender.await.expect("the racing end panicked"))
}

/// After a create-versus-end round: each family was either created and then revoked at `ended_at` (its
/// token dead), or refused with `reason` and nothing written. Returns how many were created.
async fn settle<S: Store>(
    store: &S,
    families: &[(TokenFamily, AccessTokenRecord)],
    created: Vec<StoreResult<()>>,
    reason: &str,
    ended_at: UnixTime,
) -> u64 {
    let mut count = 0;
    for ((family, at), result) in families.iter().zip(created) {
        match result {
            Ok(()) => {
                count += 1;
                let stored = ok(store.get_family(family.id).await, "get_family")
                    .expect("a created family exists");
                assert_eq!(
                    stored.revoked_at,
                    Some(ended_at),
                    "a family created before the end must be revoked by it: no live family may \
                     outlive its grant"
                );
                let grant = ok(store.get_access_token(at.digest).await, "lookup").expect("token");
                assert!(!grant.is_active(ended_at), "its token must be dead");
            }
            Err(StoreError::Conflict(got)) if got == reason => {
                assert_not_created(store, family.id, Some(at), None, reason).await;
            }
            Err(other) => {
                panic!("create_family racing the end: expected Ok or {reason}, got {other:?}")
            }
        }
    }
    count
}

/// 32 rounds: on a fresh session, 3 `create_family` calls race its `end_session`. The session ends
/// exactly once, and afterwards no active family references it: each family was created first and then
/// revoked by `end_session` (which counts it), or refused with `Conflict("session ended")` and nothing
/// written.
pub async fn race_create_family_end_session<S: Store>(store: S) {
    let (alice, client) = (UserId::new_random(), ClientId::new_random());
    for round in 0..ROUNDS {
        let sess = live_session(&store, alice, T0 + DAY).await;
        let families: Vec<_> = (0..CREATORS)
            .map(|_| {
                let mut family = user_family(client, alice, Some(sess.id));
                family.created_at = T0 + 5;
                let at = access(family.id, T0 + 5, T0 + HOUR);
                (family, at)
            })
            .collect();
        let id = sess.id;
        let (created, ended) = create_against(&store, &families, move |store| async move {
            ok(store.end_session(id, T0 + 10).await, "end_session")
        })
        .await;
        let ended = ended.unwrap_or_else(|| panic!("round {round}: the session must end once"));
        let count = settle(&store, &families, created, "session ended", T0 + 10).await;
        assert_eq!(
            ended.families_revoked, count,
            "round {round}: end_session revokes exactly the families created before it"
        );
    }
}

/// 32 rounds: under a fresh active organization authorization, 3 `create_family` calls race its move to
/// `Revoked`. Afterwards no active family references it: each was created first and revoked with it,
/// or refused with `Conflict("authorization not active")` and nothing written.
pub async fn race_create_family_revoke_authorization<S: Store>(store: S) {
    let org = OrganizationId::new_random();
    for round in 0..ROUNDS {
        let client = ClientId::new_random();
        let auth = active_org_auth(&store, org, client).await;
        let families: Vec<_> = (0..CREATORS)
            .map(|_| {
                let mut family = org_family(client, org, auth.id);
                family.created_at = T0 + 5;
                let at = access(family.id, T0 + 5, T0 + HOUR);
                (family, at)
            })
            .collect();
        let id = auth.id;
        let (created, moved) = create_against(&store, &families, move |store| async move {
            let revoke = store.transition_org_authorization(
                id,
                OrgAuthorizationState::Active,
                OrgAuthorizationState::Revoked,
                Actor::System,
                T0 + 10,
            );
            ok(revoke.await, "transition_org_authorization")
        })
        .await;
        assert!(
            matches!(moved, Transition::Done(_)),
            "round {round}: the revocation must succeed, got {moved:?}"
        );
        settle(
            &store,
            &families,
            created,
            "authorization not active",
            T0 + 10,
        )
        .await;
    }
}
