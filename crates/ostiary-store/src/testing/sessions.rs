//! Browser sessions.

use std::collections::HashSet;

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, SessionId, Store, UserId};

/// Sessions: found by cookie only while `expires_at > now`, by id whatever their expiry; Conflict on a
/// taken id or cookie digest; a user's unexpired sessions only.
pub async fn sessions_lookup<S: Store>(store: S) {
    let alice = UserId::new_random();
    let s1 = session(alice, T0 + HOUR);
    ok(store.insert_session(&s1).await, "insert_session");
    let by_cookie = |now| store.get_session_by_cookie(s1.cookie_digest, now);
    assert_eq!(
        ok(by_cookie(T0).await, "get_session_by_cookie"),
        Some(s1.clone())
    );
    assert_eq!(
        ok(by_cookie(T0 + HOUR - 1).await, "by cookie"),
        Some(s1.clone())
    );
    assert_eq!(
        ok(by_cookie(T0 + HOUR).await, "get_session_by_cookie"),
        None,
        "a session is not found by cookie once now >= expires_at"
    );
    assert_eq!(
        ok(store.get_session(s1.id).await, "get_session"),
        Some(s1.clone()),
        "get_session returns the session whatever its expiry"
    );
    assert_eq!(
        ok(store.get_session_by_cookie(digest(), T0).await, "by cookie"),
        None
    );
    assert_eq!(
        ok(
            store.get_session(SessionId::new_random()).await,
            "get_session"
        ),
        None
    );

    let mut same_id = session(alice, T0 + HOUR);
    same_id.id = s1.id;
    conflict(
        store.insert_session(&same_id).await,
        "insert_session with a taken id",
    );
    assert_eq!(
        ok(
            store.get_session_by_cookie(same_id.cookie_digest, T0).await,
            "cookie"
        ),
        None
    );
    let mut same_cookie = session(alice, T0 + HOUR);
    same_cookie.cookie_digest = s1.cookie_digest;
    conflict(
        store.insert_session(&same_cookie).await,
        "insert_session with a taken cookie",
    );
    assert_eq!(
        ok(store.get_session(same_cookie.id).await, "get_session"),
        None
    );

    let s2 = session(alice, T0 + 2 * HOUR);
    let bobs = session(UserId::new_random(), T0 + 2 * HOUR);
    ok(store.insert_session(&s2).await, "insert_session");
    ok(store.insert_session(&bobs).await, "insert_session");
    let of_alice = |now| store.list_sessions_of_user(alice, now);
    assert_eq!(
        sorted(ok(of_alice(T0).await, "list"), |s| s.id),
        sorted([s1.id, s2.id], |s| *s)
    );
    assert_eq!(
        sorted(ok(of_alice(T0 + HOUR).await, "list"), |s| s.id),
        vec![s2.id]
    );
    assert!(ok(of_alice(T0 + 2 * HOUR).await, "list_sessions_of_user").is_empty());
}

/// `add_session_client` records each client once (idempotent) and returns `false` for a session that is
/// gone.
pub async fn sessions_clients<S: Store>(store: S) {
    let sess = session(UserId::new_random(), T0 + HOUR);
    ok(store.insert_session(&sess).await, "insert_session");
    let (c1, c2) = (ClientId::new_random(), ClientId::new_random());
    for client in [c1, c1, c2, c1] {
        assert!(ok(
            store.add_session_client(sess.id, client).await,
            "add_session_client"
        ));
    }
    let stored = ok(store.get_session(sess.id).await, "get_session").expect("session exists");
    assert_eq!(
        sorted(stored.clients, |c| *c),
        sorted([c1, c2], |c| *c),
        "add_session_client must be idempotent"
    );
    assert!(!ok(
        store.add_session_client(SessionId::new_random(), c1).await,
        "unknown session"
    ));
    assert!(ok(store.end_session(sess.id, T0).await, "end_session").is_some());
    assert!(!ok(
        store.add_session_client(sess.id, c1).await,
        "add to an ended session"
    ));
}

/// `create_family` in a session records the family's client with it, once per client; a family without a
/// session, or one that is refused, records nothing.
pub async fn sessions_clients_from_families<S: Store>(store: S) {
    let alice = UserId::new_random();
    let sess = live_session(&store, alice, T0 + HOUR).await;
    let other = live_session(&store, alice, T0 + HOUR).await;
    let (c1, c2, elsewhere, refused) = (
        ClientId::new_random(),
        ClientId::new_random(),
        ClientId::new_random(),
        ClientId::new_random(),
    );
    for (client, session) in [
        (c1, Some(sess.id)),
        (c2, Some(sess.id)),
        (c1, Some(sess.id)),
        (elsewhere, None),
    ] {
        let family = user_family(client, alice, session);
        ok(
            store.create_family(&family, None, None, None).await,
            "create_family",
        );
    }
    // Refused (the family id is taken): the client must not join the session either.
    let first = user_family(c1, alice, Some(sess.id));
    ok(
        store.create_family(&first, None, None, None).await,
        "create_family",
    );
    let mut taken = user_family(refused, alice, Some(sess.id));
    taken.id = first.id;
    conflict(
        store.create_family(&taken, None, None, None).await,
        "create_family with a taken family id",
    );
    let stored = ok(store.get_session(sess.id).await, "get_session").expect("session exists");
    assert_eq!(
        sorted(stored.clients, |c| *c),
        sorted([c1, c2], |c| *c),
        "the session's clients are those its families were issued to, each once"
    );
    let untouched = ok(store.get_session(other.id).await, "get_session").expect("session exists");
    assert!(
        untouched.clients.is_empty(),
        "a family records its client only with its own session"
    );
}

/// `end_session` deletes the session, revokes exactly its unrevoked families (and counts them), and
/// enqueues exactly one notification per client of the session that still exists and has a
/// `backchannel_logout_uri`, with the right claims, due at `now`; a second call gets `None`.
pub async fn sessions_end_revokes_and_notifies<S: Store>(store: S) {
    let (bc1, bc2, plain, other) = (
        client_with_backchannel(),
        client_with(metadata(
            "Second",
            Some("https://second.example/logout"),
            None,
        )),
        client(),
        client_with_backchannel(),
    );
    for c in [&bc1, &bc2, &plain, &other] {
        ok(store.insert_client(c).await, "insert_client");
    }
    let gone = ClientId::new_random();
    let alice = UserId::new_random();
    let mut sess = session(alice, T0 + DAY);
    sess.clients = vec![bc1.id, bc2.id, plain.id, gone];
    let mut other_session = session(alice, T0 + DAY);
    other_session.clients = vec![bc1.id, other.id];
    ok(store.insert_session(&sess).await, "insert_session");
    ok(store.insert_session(&other_session).await, "insert_session");

    let in_session = user_family(bc1.id, alice, Some(sess.id));
    let plain_in_session = user_family(plain.id, alice, Some(sess.id));
    let in_other_session = user_family(bc1.id, alice, Some(other_session.id));
    let already_revoked = user_family(bc2.id, alice, Some(sess.id));
    let without_session = user_family(bc1.id, alice, None);
    for family in [
        &in_session,
        &plain_in_session,
        &in_other_session,
        &already_revoked,
        &without_session,
    ] {
        ok(
            store.create_family(family, None, None, None).await,
            "create_family",
        );
    }
    assert!(ok(
        store.revoke_family(already_revoked.id, T0 + 1).await,
        "revoke_family"
    ));

    let now = T0 + 100;
    let ended = ok(store.end_session(sess.id, now).await, "end_session").expect("a live session");
    assert_eq!(
        ended.session, sess,
        "EndedSession.session must be the session as it was"
    );
    assert_eq!(
        ended.families_revoked, 2,
        "exactly the session's unrevoked families are counted"
    );
    for (family, revoked_at) in [
        (&in_session, Some(now)),
        (&plain_in_session, Some(now)),
        (&already_revoked, Some(T0 + 1)),
        (&in_other_session, None),
        (&without_session, None),
    ] {
        let stored = ok(store.get_family(family.id).await, "get_family").expect("family exists");
        assert_eq!(
            stored.revoked_at, revoked_at,
            "family revocation after end_session"
        );
    }

    let notified = sorted(ended.notifications.iter(), |n| n.client_id);
    assert_eq!(
        notified,
        sorted([bc1.id, bc2.id], |c| *c),
        "exactly the session's existing clients with a backchannel_logout_uri are notified"
    );
    let mut jtis = HashSet::new();
    for n in &ended.notifications {
        let registered = if n.client_id == bc1.id { &bc1 } else { &bc2 };
        let uri = registered
            .metadata
            .backchannel_logout_uri
            .as_ref()
            .expect("registered");
        assert_eq!(n.backchannel_logout_uri, uri.as_str());
        assert_eq!((n.claims.sub, n.claims.sid), (Some(alice), Some(sess.id)));
        assert!(
            n.claims.jti.len() >= 16,
            "the jti must be random and long enough"
        );
        assert!(
            jtis.insert(n.claims.jti.clone()),
            "every notification needs its own jti"
        );
        assert_eq!((n.attempts, n.next_attempt_at, n.created_at), (0, now, now));
        assert_eq!(
            (n.outcome, &n.last_error, n.finished_at),
            (OutboxOutcome::Pending, &None, None)
        );
        assert_eq!(
            ok(store.get_logout(n.id).await, "get_logout").as_ref(),
            Some(n)
        );
    }
    let listed = ok(store.list_logouts(None, 10).await, "list_logouts");
    assert_eq!(
        sorted(listed, |n| n.id),
        sorted(ended.notifications.iter(), |n| n.id)
    );

    assert_eq!(
        ok(store.get_session(sess.id).await, "get_session"),
        None,
        "the session is deleted"
    );
    assert_eq!(
        ok(
            store.get_session_by_cookie(sess.cookie_digest, now).await,
            "cookie"
        ),
        None
    );
    assert_eq!(
        ok(store.end_session(sess.id, now + 1).await, "end_session"),
        None,
        "second call"
    );
    assert_eq!(
        ok(store.list_logouts(None, 10).await, "list_logouts").len(),
        2,
        "no doubles"
    );
    assert!(ok(store.get_session(other_session.id).await, "get_session").is_some());
    let claimed = ok(
        store.claim_due_logouts(now, now + 30, 10).await,
        "claim_due_logouts",
    );
    assert_eq!(claimed.len(), 2, "the notifications are due at once");
}

/// The session with its clients in a fixed order (the contract does not promise one).
fn normalized(mut session: Session) -> Session {
    session.clients.sort();
    session
}

/// `reauthenticate_session` replaces the cookie (the old one stops finding the session, the new one finds
/// it) and sets `auth_time`, `amr` and `expires_at`, keeping the id, user, creation time, clients and
/// every family of the session (still active, and still revoked when the session ends); `false` for an
/// unknown or ended session; Conflict, with nothing changed, on the cookie digest of another session.
pub async fn sessions_reauthenticate<S: Store>(store: S) {
    let alice = UserId::new_random();
    let sess = session(alice, T0 + HOUR);
    ok(store.insert_session(&sess).await, "insert_session");
    let (c1, c2) = (ClientId::new_random(), ClientId::new_random());
    for client in [c1, c2] {
        assert!(ok(
            store.add_session_client(sess.id, client).await,
            "add_session_client"
        ));
    }
    let (f1, f2) = (
        user_family(c1, alice, Some(sess.id)),
        user_family(c2, alice, Some(sess.id)),
    );
    let (at, rt) = (
        access(f1.id, T0, T0 + 2 * HOUR),
        refresh(f1.id, T0, T0 + DAY),
    );
    ok(
        store.create_family(&f1, Some(&at), Some(&rt), None).await,
        "create_family",
    );
    ok(
        store.create_family(&f2, None, None, None).await,
        "create_family",
    );

    let (cookie, now) = (digest(), T0 + 600);
    let amr = vec!["pwd".to_owned(), "otp".to_owned()];
    let reauthenticated = store.reauthenticate_session(sess.id, cookie, now, &amr, now + DAY);
    assert!(ok(reauthenticated.await, "reauthenticate_session"));
    let expected = normalized(Session {
        cookie_digest: cookie,
        auth_time: now,
        amr: amr.clone(),
        expires_at: now + DAY,
        clients: vec![c1, c2],
        ..sess.clone()
    });
    assert_eq!(
        ok(
            store.get_session_by_cookie(sess.cookie_digest, now).await,
            "by cookie"
        ),
        None,
        "the old cookie must stop finding the session"
    );
    let by_new = ok(store.get_session_by_cookie(cookie, now).await, "by cookie");
    assert_eq!(
        by_new.map(normalized),
        Some(expected.clone()),
        "the new cookie finds the same session (id, user, clients kept) with the new times"
    );
    let by_id = ok(store.get_session(sess.id).await, "get_session");
    assert_eq!(by_id.map(normalized), Some(expected.clone()));
    let listed = ok(
        store.list_sessions_of_user(alice, T0 + HOUR).await,
        "list_sessions_of_user",
    );
    assert_eq!(
        sorted(listed, |s| s.id),
        vec![sess.id],
        "the session lives until its new expiry"
    );
    for family in [&f1, &f2] {
        let stored = ok(store.get_family(family.id).await, "get_family");
        assert_eq!(
            stored.as_ref(),
            Some(family),
            "re-authentication leaves the session's families untouched"
        );
    }
    let grant = ok(store.get_access_token(at.digest).await, "lookup").expect("token");
    assert!(grant.is_active(now + 1), "and their tokens working");

    let unknown = store.reauthenticate_session(SessionId::new_random(), digest(), now, &amr, now);
    assert!(!ok(unknown.await, "reauthenticate_session"), "unknown id");

    let other = session(alice, T0 + DAY);
    ok(store.insert_session(&other).await, "insert_session");
    conflict(
        store
            .reauthenticate_session(sess.id, other.cookie_digest, now + 5, &amr, now + 5)
            .await,
        "reauthenticate_session with another session's cookie",
    );
    let unchanged = ok(store.get_session_by_cookie(cookie, now + 5).await, "cookie");
    assert_eq!(
        unchanged.map(normalized),
        Some(expected),
        "a refused re-authentication changes nothing"
    );
    let others = ok(
        store.get_session_by_cookie(other.cookie_digest, now).await,
        "cookie",
    );
    assert_eq!(others, Some(other), "the other session keeps its cookie");

    let ended = ok(store.end_session(sess.id, now + 10).await, "end_session").expect("session");
    assert_eq!(
        ended.families_revoked, 2,
        "the families stay tied to the session and end with it"
    );
    let gone = store.reauthenticate_session(sess.id, digest(), now + 20, &amr, now + DAY);
    assert!(
        !ok(gone.await, "reauthenticate_session"),
        "an ended session"
    );
    assert_eq!(
        ok(
            store.get_session_by_cookie(cookie, now + 20).await,
            "cookie"
        ),
        None
    );
}

/// `get_signed_in` returns what `get_session_by_cookie` does (every client, in order), the session's
/// user as stored (none when its row does not exist) and, when asked about a client, the user's
/// consent to it as `get_consent` returns it; nothing for an expired session or an unknown cookie.
pub async fn sessions_signed_in<S: Store>(store: S) {
    let stored = user("session-reader", Some("session-reader@example.com"));
    ok(store.insert_user(&stored).await, "insert_user");
    let signed_in = session(stored.id, T0 + HOUR);
    ok(store.insert_session(&signed_in).await, "insert_session");
    let (consented, other) = (ClientId::new_random(), ClientId::new_random());
    for client in [consented, other] {
        ok(
            store.add_session_client(signed_in.id, client).await,
            "add_session_client",
        );
    }
    let consent = Consent {
        user_id: stored.id,
        client_id: consented,
        scope: scope("openid profile"),
        granted_at: T0,
        updated_at: T0 + 5,
    };
    ok(store.put_consent(&consent).await, "put_consent");
    // Another user's consent to the same client is not this session's.
    let stranger = Consent {
        user_id: UserId::new_random(),
        client_id: other,
        ..consent.clone()
    };
    ok(store.put_consent(&stranger).await, "put_consent");
    let orphan = session(UserId::new_random(), T0 + HOUR);
    ok(store.insert_session(&orphan).await, "insert_session");

    let cases = [
        (&signed_in, None, Some(stored.clone()), None),
        (
            &signed_in,
            Some(consented),
            Some(stored.clone()),
            Some(consent),
        ),
        (&signed_in, Some(other), Some(stored.clone()), None),
        (&orphan, Some(consented), None, None),
    ];
    for (sess, consent_for, expected_user, expected_consent) in cases {
        let alone = ok(
            store.get_session_by_cookie(sess.cookie_digest, T0).await,
            "get_session_by_cookie",
        )
        .expect("session");
        let found = ok(
            store
                .get_signed_in(sess.cookie_digest, T0, consent_for)
                .await,
            "get_signed_in",
        )
        .expect("session");
        assert_eq!(
            found,
            SignedIn {
                session: alone,
                user: expected_user,
                consent: expected_consent,
            },
            "{consent_for:?}"
        );
    }
    let found = ok(
        store.get_signed_in(signed_in.cookie_digest, T0, None).await,
        "get_signed_in",
    )
    .expect("session");
    assert_eq!(found.session.clients.len(), 2, "one session, every client");
    assert_eq!(
        ok(
            store
                .get_signed_in(signed_in.cookie_digest, T0 + HOUR, Some(consented))
                .await,
            "expired"
        ),
        None
    );
    assert_eq!(
        ok(
            store.get_signed_in(digest(), T0, Some(consented)).await,
            "unknown cookie"
        ),
        None
    );
}
