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
    ok(store.insert_code(&c).await, "insert_code");
    conflict(
        store.insert_code(&c).await,
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
    ok(store.insert_code(&c).await, "insert_code");
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
    ok(store.insert_code(&just_in_time).await, "insert_code");
    ok(store.insert_code(&too_late).await, "insert_code");
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
    ok(store.insert_code(&c).await, "insert_code");
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
