//! Token families are created only for live grants: never for an ended session or an organization
//! authorization that is not active.

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, OrgAuthorizationId, OrganizationId, SessionId, Store, UserId};

use OrgAuthorizationState::{Active, Failed, Pending, Revoked};

/// `create_family` for a session that has ended — signed out, never existed, or expired at the
/// family's creation (`expires_at <= created_at`) — is `Conflict("session ended")` and writes nothing;
/// one second before the session's expiry the family is created.
pub async fn grants_refused_after_session_end<S: Store>(store: S) {
    let (client, alice) = (ClientId::new_random(), UserId::new_random());

    // The hole this closes: a code issued in a session, the user signs out (end_session revokes the
    // families that exist, and the code's does not yet), then the client exchanges the code.
    let sess = live_session(&store, alice, T0 + HOUR).await;
    let c = code(client, alice, sess.id, T0 + 600);
    ok(store.insert_code(c.clone()).await, "insert_code");
    assert!(matches!(
        ok(store.consume_code(c.digest, T0 + 1).await, "consume_code"),
        ConsumeCode::Consumed(_)
    ));
    let ended = ok(store.end_session(sess.id, T0 + 2).await, "end_session");
    assert!(ended.is_some(), "the session ends");
    let mut family = user_family(client, alice, Some(sess.id));
    family.id = c.family_id;
    family.created_at = T0 + 3;
    let (at, rt) = (
        access(family.id, T0 + 3, T0 + HOUR),
        refresh(family.id, T0 + 3, T0 + DAY),
    );
    conflict_because(
        store
            .create_family(&family, Some(&at), Some(&rt), Some(c.digest))
            .await,
        "session ended",
        "create_family from a code of a signed-out session",
    );
    let what = "create_family after end_session";
    assert_not_created(&store, family.id, Some(&at), Some(&rt), what).await;

    let stray = user_family(client, alice, Some(SessionId::new_random()));
    let stray_at = access(stray.id, T0, T0 + HOUR);
    conflict_because(
        store
            .create_family(&stray, Some(&stray_at), None, None)
            .await,
        "session ended",
        "create_family in a session that never existed",
    );
    let what = "create_family in an unknown session";
    assert_not_created(&store, stray.id, Some(&stray_at), None, what).await;

    // Expiry counts at the family's creation: a session is live while created_at < expires_at.
    let ending = live_session(&store, alice, T0 + HOUR).await;
    let mut too_late = user_family(client, alice, Some(ending.id));
    too_late.created_at = T0 + HOUR;
    let late_rt = refresh(too_late.id, T0 + HOUR, T0 + DAY);
    conflict_because(
        store
            .create_family(&too_late, None, Some(&late_rt), None)
            .await,
        "session ended",
        "create_family at the session's expires_at",
    );
    let what = "create_family in an expired session";
    assert_not_created(&store, too_late.id, None, Some(&late_rt), what).await;
    let mut in_time = user_family(client, alice, Some(ending.id));
    in_time.created_at = T0 + HOUR - 1;
    ok(
        store.create_family(&in_time, None, None, None).await,
        "create_family one second before the session expires",
    );
    assert_eq!(
        ok(store.get_family(in_time.id).await, "get_family"),
        Some(in_time)
    );
}

/// `create_family` under an organization authorization that is not active — pending, failed, revoked
/// or unknown — is `Conflict("authorization not active")` and writes nothing; under an active one it is
/// created, and once that one is revoked a new family under it is refused.
pub async fn grants_refused_without_active_authorization<S: Store>(store: S) {
    let org = OrganizationId::new_random();
    for state in [Pending, Failed, Revoked] {
        let auth = org_auth(org, ClientId::new_random(), state, T0 + HOUR);
        ok(
            store.insert_org_authorization(&auth).await,
            "insert_org_authorization",
        );
        let family = org_family(auth.client_id, org, auth.id);
        let at = access(family.id, T0, T0 + HOUR);
        conflict_because(
            store.create_family(&family, Some(&at), None, None).await,
            "authorization not active",
            &format!("create_family under a {state:?} authorization"),
        );
        assert_not_created(&store, family.id, Some(&at), None, state.as_str()).await;
    }
    let client = ClientId::new_random();
    let unknown = org_family(client, org, OrgAuthorizationId::new_random());
    conflict_because(
        store.create_family(&unknown, None, None, None).await,
        "authorization not active",
        "create_family under an unknown authorization",
    );
    assert_not_created(&store, unknown.id, None, None, "unknown authorization").await;

    let auth = active_org_auth(&store, org, client).await;
    let first = org_family(client, org, auth.id);
    let first_at = access(first.id, T0, T0 + HOUR);
    ok(
        store
            .create_family(&first, Some(&first_at), None, None)
            .await,
        "create_family under an active authorization",
    );
    let revoke = store.transition_org_authorization(
        auth.id,
        Active,
        Revoked,
        Actor::User(UserId::new_random()),
        T0 + 10,
    );
    assert!(matches!(
        ok(revoke.await, "transition_org_authorization"),
        Transition::Done(_)
    ));
    assert!(family_revoked(&store, first.id).await, "revoked with it");
    let mut later = org_family(client, org, auth.id);
    later.created_at = T0 + 11;
    let later_at = access(later.id, T0 + 11, T0 + HOUR);
    conflict_because(
        store
            .create_family(&later, Some(&later_at), None, None)
            .await,
        "authorization not active",
        "create_family under a revoked authorization",
    );
    let what = "create_family after the revocation";
    assert_not_created(&store, later.id, Some(&later_at), None, what).await;
}
