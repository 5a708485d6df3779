//! Authorization codes: single use, replay, expiry.

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, SessionId, Store, UserId};

fn ids() -> (ClientId, UserId, SessionId) {
    (
        ClientId::new_random(),
        UserId::new_random(),
        SessionId::new_random(),
    )
}

/// A code is consumed exactly once and comes back exactly as inserted; Conflict on a duplicate digest;
/// an unknown digest is `NotFound`.
pub async fn codes_consume_once<S: Store>(store: S) {
    let (client, user, sess) = ids();
    let c = code(client, user, sess, T0 + 60);
    ok(store.insert_code(c.clone()).await, "insert_code");
    conflict(
        store.insert_code(c.clone()).await,
        "insert_code with a taken digest",
    );
    assert_eq!(
        ok(store.consume_code(c.digest, T0 + 1).await, "consume_code"),
        ConsumeCode::Consumed(c.clone()),
        "the first consume must return the code exactly as inserted"
    );
    assert!(
        matches!(
            ok(store.consume_code(c.digest, T0 + 2).await, "consume_code"),
            ConsumeCode::AlreadyUsed { .. }
        ),
        "a code is single use"
    );
    assert_eq!(
        ok(store.consume_code(digest(), T0).await, "consume_code"),
        ConsumeCode::NotFound
    );
}

/// A second consume is `AlreadyUsed` (even past expiry), names the code's family and client, and revokes
/// that family — and no other — in the same step; later replays keep the first revocation time.
pub async fn codes_replay_revokes_family<S: Store>(store: S) {
    let (client, user, _) = ids();
    let sess = live_session(&store, user, T0 + DAY).await.id;
    let c = code(client, user, sess, T0 + 60);
    ok(store.insert_code(c.clone()).await, "insert_code");
    assert!(matches!(
        ok(store.consume_code(c.digest, T0 + 1).await, "consume_code"),
        ConsumeCode::Consumed(_)
    ));
    let mut family = user_family(client, user, Some(sess));
    family.id = c.family_id;
    let at = access(family.id, T0 + 1, T0 + HOUR);
    let rt = refresh(family.id, T0 + 1, T0 + DAY);
    ok(
        store
            .create_family(&family, Some(&at), Some(&rt), Some(c.digest))
            .await,
        "create_family from a consumed, unreplayed code",
    );
    let bystander = user_family(client, user, Some(sess));
    ok(
        store.create_family(&bystander, None, None, None).await,
        "create_family",
    );

    let replay = ok(store.consume_code(c.digest, T0 + 5).await, "consume_code");
    assert_eq!(
        replay,
        ConsumeCode::AlreadyUsed {
            family_id: c.family_id,
            client_id: client
        }
    );
    let stored = ok(store.get_family(family.id).await, "get_family").expect("family exists");
    assert_eq!(
        stored.revoked_at,
        Some(T0 + 5),
        "a replayed code must revoke its family at once"
    );
    let grant = ok(store.get_access_token(at.digest).await, "get_access_token").expect("token");
    assert!(
        !grant.is_active(T0 + 6),
        "the code's access token must stop working"
    );
    assert!(
        !family_revoked(&store, bystander.id).await,
        "another family must stay untouched"
    );

    let late = ok(
        store.consume_code(c.digest, T0 + 600).await,
        "consume_code past expiry",
    );
    assert!(
        matches!(late, ConsumeCode::AlreadyUsed { .. }),
        "a spent code past expiry is still a replay, not Expired: got {late:?}"
    );
    let stored = ok(store.get_family(family.id).await, "get_family").expect("family exists");
    assert_eq!(
        stored.revoked_at,
        Some(T0 + 5),
        "the first revocation time is kept"
    );
}

/// An unspent code is `Expired` once `now >= expires_at`, and stays unspent (`Expired` again, not
/// `AlreadyUsed`); one second earlier it is consumed.
pub async fn codes_expiry<S: Store>(store: S) {
    let (client, user, sess) = ids();
    let just_in_time = code(client, user, sess, T0 + 60);
    let too_late = code(client, user, sess, T0 + 60);
    ok(store.insert_code(just_in_time.clone()).await, "insert_code");
    ok(store.insert_code(too_late.clone()).await, "insert_code");
    assert!(matches!(
        ok(
            store.consume_code(just_in_time.digest, T0 + 59).await,
            "consume_code"
        ),
        ConsumeCode::Consumed(_)
    ));
    assert_eq!(
        ok(
            store.consume_code(too_late.digest, T0 + 60).await,
            "consume_code"
        ),
        ConsumeCode::Expired,
        "a code is expired when now >= expires_at"
    );
    assert_eq!(
        ok(
            store.consume_code(too_late.digest, T0 + 61).await,
            "consume_code"
        ),
        ConsumeCode::Expired,
        "an expired code is not spent by a failed consume"
    );
}

/// `create_family` with `from_code` of a code replayed before the family was written (or of a code
/// that is gone) is `Conflict` and writes nothing: no family, no tokens.
pub async fn codes_replay_blocks_create_family<S: Store>(store: S) {
    let (client, user, _) = ids();
    // A live session, so that the code's replay is the one reason for the refusal.
    let sess = live_session(&store, user, T0 + DAY).await.id;
    let c = code(client, user, sess, T0 + 60);
    ok(store.insert_code(c.clone()).await, "insert_code");
    assert!(matches!(
        ok(store.consume_code(c.digest, T0 + 1).await, "consume_code"),
        ConsumeCode::Consumed(_)
    ));
    // The attacker's replay lands between the legitimate consume and its create_family.
    assert!(matches!(
        ok(store.consume_code(c.digest, T0 + 2).await, "consume_code"),
        ConsumeCode::AlreadyUsed { .. }
    ));
    let mut family = user_family(client, user, Some(sess));
    family.id = c.family_id;
    let at = access(family.id, T0 + 3, T0 + HOUR);
    let rt = refresh(family.id, T0 + 3, T0 + DAY);
    conflict_because(
        store
            .create_family(&family, Some(&at), Some(&rt), Some(c.digest))
            .await,
        "code replayed",
        "create_family from a replayed code",
    );
    assert_not_created(
        &store,
        family.id,
        Some(&at),
        Some(&rt),
        "create_family from a replayed code",
    )
    .await;

    let orphan = user_family(client, user, Some(sess));
    conflict_because(
        store
            .create_family(&orphan, None, None, Some(digest()))
            .await,
        "code replayed",
        "create_family from a code that is gone",
    );
    assert_eq!(
        ok(store.get_family(orphan.id).await, "get_family"),
        None,
        "no family written"
    );
}

/// The family a test exchange of `c` creates, with its first tokens.
fn exchanged(c: &AuthorizationCode) -> NewFamily {
    let mut family = user_family(c.client_id, c.user_id, Some(c.session_id));
    family.id = c.family_id;
    family.created_at = T0 + 1;
    NewFamily {
        access: Some(access(family.id, T0 + 1, T0 + HOUR)),
        refresh: Some(refresh(family.id, T0 + 1, T0 + DAY)),
        family,
    }
}

/// `exchange_code`: credentials that are not a client's are refused before the code is touched; then
/// the consumer's check decides, seeing the client; accepted, the family and its tokens exist, the
/// client and the user come back, and the session has the client; refused by the check or by `create_family` (an ended session, a taken token
/// digest), the code is spent and nothing else is written; a code not consumed (replayed, expired,
/// unknown) never reaches the check, and a replay revokes the family.
pub async fn codes_exchange<S: Store>(store: S) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (_, user, _) = ids();
    let owner = super::fixtures::client();
    let client = owner.id;
    ok(store.insert_client(&owner).await, "insert_client");
    let creds = credentials(&owner);
    let sess = live_session(&store, user, T0 + DAY).await.id;
    let mut account = super::fixtures::user("code-exchanger", Some("exchanger@example.com"));
    account.id = user;
    ok(store.insert_user(&account).await, "insert_user");

    let called = Arc::new(AtomicBool::new(false));
    let never = |called: &Arc<AtomicBool>| {
        let called = called.clone();
        move |_: &Client, _: &AuthorizationCode| {
            called.store(true, Ordering::SeqCst);
            Err::<(NewFamily, ()), &str>("must not be called")
        }
    };
    let c = code(client, user, sess, T0 + 60);
    ok(store.insert_code(c.clone()).await, "insert_code");

    // Wrong credentials, or an unknown client: the code is not touched.
    let stranger = credentials(&super::fixtures::client());
    for (creds, what) in [
        (wrong_credentials(&owner), "wrong secret"),
        (stranger, "unknown client"),
    ] {
        let outcome = ok(
            store
                .exchange_code(c.digest, T0 + 1, creds, never(&called))
                .await,
            what,
        );
        assert!(
            matches!(outcome, CodeExchange::Unauthenticated),
            "{what}: {outcome:?}"
        );
    }

    // Accepted: the check sees the client and the code; the code comes back with the client and
    // its user, read by the exchange, and what the check made.
    let new = exchanged(&c);
    let expected = c.clone();
    let expected_client = owner.clone();
    let planned = new.clone();
    let outcome = ok(
        store
            .exchange_code(c.digest, T0 + 1, creds.clone(), move |client, record| {
                assert_eq!(*client, expected_client, "the check sees the client");
                assert_eq!(*record, expected, "the check sees the code as inserted");
                Ok::<_, &str>((planned, "made by the check"))
            })
            .await,
        "exchange_code",
    );
    assert!(
        matches!(
            &outcome,
            CodeExchange::Issued { code: record, client: found_client, user: Some(found), checked }
                if *record == c && *found == account && *found_client == owner
                    && *checked == "made by the check"
        ),
        "{outcome:?}"
    );
    assert_eq!(
        ok(store.get_family(c.family_id).await, "get_family"),
        Some(new.family.clone())
    );
    let at = new.access.as_ref().expect("access token");
    let grant = ok(store.get_access_token(at.digest).await, "get_access_token");
    assert_eq!(grant.map(|g| g.token), Some(at.clone()));
    let rt = new.refresh.as_ref().expect("refresh token");
    assert!(
        ok(
            store.get_refresh_token(rt.digest).await,
            "get_refresh_token"
        )
        .is_some(),
        "the refresh token exists"
    );
    let session = ok(store.get_session(sess).await, "get_session").expect("session");
    assert_eq!(session.clients, vec![client]);

    // A replay never reaches the check, and revokes the family.
    let outcome = ok(
        store
            .exchange_code(c.digest, T0 + 2, creds.clone(), never(&called))
            .await,
        "exchange_code (replay)",
    );
    assert!(
        matches!(
            outcome,
            CodeExchange::NotConsumed(ConsumeCode::AlreadyUsed { family_id, .. })
                if family_id == c.family_id
        ),
        "{outcome:?}"
    );
    let family = ok(store.get_family(c.family_id).await, "get_family").expect("family");
    assert_eq!(
        family.revoked_at,
        Some(T0 + 2),
        "the replay revoked the family"
    );

    // Refused by the check: spent, nothing else written.
    let refused = code(client, user, sess, T0 + 60);
    ok(store.insert_code(refused.clone()).await, "insert_code");
    let outcome = ok(
        store
            .exchange_code(refused.digest, T0 + 1, creds.clone(), |_, _| {
                Err::<(NewFamily, ()), _>("wrong verifier")
            })
            .await,
        "exchange_code (refused)",
    );
    assert!(
        matches!(outcome, CodeExchange::Refused("wrong verifier")),
        "{outcome:?}"
    );
    assert_spent_without_family(&store, &refused).await;

    // Refused by create_family: a taken token digest, then an ended session.
    let taken = code(client, user, sess, T0 + 60);
    ok(store.insert_code(taken.clone()).await, "insert_code");
    let mut reused = exchanged(&taken);
    if let Some(token) = reused.refresh.as_mut() {
        token.digest = rt.digest;
    }
    let outcome = ok(
        store
            .exchange_code(taken.digest, T0 + 1, creds.clone(), move |_, _| {
                Ok::<_, &str>((reused, ()))
            })
            .await,
        "exchange_code (taken digest)",
    );
    assert!(
        matches!(
            outcome,
            CodeExchange::NotCreated(crate::StoreError::Conflict(_))
        ),
        "{outcome:?}"
    );
    assert_spent_without_family(&store, &taken).await;

    let ending = live_session(&store, user, T0 + DAY).await.id;
    let late = code(client, user, ending, T0 + 60);
    ok(store.insert_code(late.clone()).await, "insert_code");
    assert!(ok(store.end_session(ending, T0 + 1).await, "end_session").is_some());
    let plan = exchanged(&late);
    let outcome = ok(
        store
            .exchange_code(late.digest, T0 + 2, creds.clone(), move |_, _| {
                Ok::<_, &str>((plan, ()))
            })
            .await,
        "exchange_code (session ended)",
    );
    assert!(
        matches!(
            outcome,
            CodeExchange::NotCreated(crate::StoreError::Conflict("session ended"))
        ),
        "{outcome:?}"
    );
    assert_spent_without_family(&store, &late).await;

    // Expired and unknown codes never reach the check.
    let expired = code(client, user, sess, T0 + 60);
    ok(store.insert_code(expired.clone()).await, "insert_code");
    let outcome = ok(
        store
            .exchange_code(expired.digest, T0 + 60, creds.clone(), never(&called))
            .await,
        "exchange_code (expired)",
    );
    assert!(
        matches!(outcome, CodeExchange::NotConsumed(ConsumeCode::Expired)),
        "{outcome:?}"
    );
    let outcome = ok(
        store
            .exchange_code(digest(), T0, creds.clone(), never(&called))
            .await,
        "exchange_code (unknown)",
    );
    assert!(
        matches!(outcome, CodeExchange::NotConsumed(ConsumeCode::NotFound)),
        "{outcome:?}"
    );
    assert!(
        !called.load(Ordering::SeqCst),
        "the check ran for a code not consumed, or for credentials not a client's"
    );
}

/// The code was consumed (a second consume is a replay) and its family was never created.
async fn assert_spent_without_family<S: Store>(store: &S, c: &AuthorizationCode) {
    assert!(
        matches!(
            ok(store.consume_code(c.digest, T0 + 3).await, "consume_code"),
            ConsumeCode::AlreadyUsed { .. }
        ),
        "a refused exchange spends the code"
    );
    assert_eq!(
        ok(store.get_family(c.family_id).await, "get_family"),
        None,
        "a refused exchange creates no family"
    );
}
