//! Concurrency of sessions: re-authentication racing itself.

use std::sync::Arc;

use super::fixtures::*;
use super::race::{RACERS, race};
use crate::records::*;
use crate::{ClientId, Digest, Store, UserId};

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
