//! Organization authorizations: the state machine, expiry, one active per pair, revocation.

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, OrgAuthorizationId, OrganizationId, Store, UserId};

use OrgAuthorizationState::{Active, Failed, Pending, Revoked};

const STATES: [OrgAuthorizationState; 4] = [Pending, Active, Revoked, Failed];

async fn transition<S: Store>(
    store: &S,
    id: OrgAuthorizationId,
    (from, to): (OrgAuthorizationState, OrgAuthorizationState),
    now: UnixTime,
) -> Transition {
    let actor = Actor::User(UserId::new_random());
    let result = store.transition_org_authorization(id, from, to, actor, now);
    ok(result.await, "transition_org_authorization")
}

async fn stored<S: Store>(store: &S, id: OrgAuthorizationId) -> OrgAuthorization {
    ok(
        store.get_org_authorization(id).await,
        "get_org_authorization",
    )
    .expect("authorization")
}

/// The record after a successful move `to` by `actor` at `now`.
fn moved(
    mut auth: OrgAuthorization,
    to: OrgAuthorizationState,
    actor: Actor,
    now: UnixTime,
) -> OrgAuthorization {
    auth.state = to;
    match to {
        Active => auth.activated = Some((actor, now)),
        Revoked => auth.revoked = Some((actor, now)),
        Failed => auth.failed = Some((actor, now)),
        _ => {}
    }
    auth
}

/// Every (from, to) pair: exactly pending→active, pending→failed, pending→revoked and active→revoked
/// succeed, recording actor and time; every other move, and any move whose `from` is not the current
/// state, is `Conflict` with the record unchanged; an unknown id is `NotFound`.
pub async fn org_transition_table<S: Store>(store: S) {
    let allowed = [
        (Pending, Active),
        (Pending, Failed),
        (Pending, Revoked),
        (Active, Revoked),
    ];
    for from in STATES {
        for to in STATES {
            assert_eq!(
                from.can_become(to),
                allowed.contains(&(from, to)),
                "state machine"
            );
            let auth = org_auth(
                OrganizationId::new_random(),
                ClientId::new_random(),
                from,
                T0 + HOUR,
            );
            ok(
                store.insert_org_authorization(&auth).await,
                "insert_org_authorization",
            );
            let actor = Actor::Client(auth.client_id);
            let result = store.transition_org_authorization(auth.id, from, to, actor, T0 + 10);
            let result = ok(result.await, "transition_org_authorization");
            if from.can_become(to) {
                let expected = moved(auth.clone(), to, actor, T0 + 10);
                assert_eq!(
                    result,
                    Transition::Done(expected.clone()),
                    "{from:?} -> {to:?}"
                );
                assert_eq!(
                    stored(&store, auth.id).await,
                    expected,
                    "{from:?} -> {to:?} stored"
                );
            } else {
                assert_eq!(
                    result,
                    Transition::Conflict(auth.clone()),
                    "{from:?} -> {to:?}"
                );
                assert_eq!(
                    stored(&store, auth.id).await,
                    auth,
                    "{from:?} -> {to:?} unchanged"
                );
            }
        }
    }
    // A stale `from`: someone else moved the record first.
    for actual in STATES {
        for (claimed, to) in allowed
            .into_iter()
            .filter(|(claimed, _)| *claimed != actual)
        {
            let auth = org_auth(
                OrganizationId::new_random(),
                ClientId::new_random(),
                actual,
                T0 + HOUR,
            );
            ok(
                store.insert_org_authorization(&auth).await,
                "insert_org_authorization",
            );
            let result = transition(&store, auth.id, (claimed, to), T0 + 10).await;
            assert_eq!(
                result,
                Transition::Conflict(auth.clone()),
                "{claimed:?} -> {to:?} on {actual:?}"
            );
            assert_eq!(
                stored(&store, auth.id).await,
                auth,
                "a refused move changes nothing"
            );
        }
    }
    let unknown = transition(
        &store,
        OrgAuthorizationId::new_random(),
        (Pending, Active),
        T0,
    )
    .await;
    assert_eq!(unknown, Transition::NotFound);
}

/// A pending authorization cannot be activated once `now >= pending_expires_at` (it can still fail or
/// be revoked); at most one authorization per (organization, client) is active, on transition and on
/// insert; `find_active_org_authorization` follows; listing is newest first with ties by descending id.
pub async fn org_activation_expiry_and_uniqueness<S: Store>(store: S) {
    let (org, client) = (OrganizationId::new_random(), ClientId::new_random());
    let late = org_auth(org, client, Pending, T0 + HOUR);
    ok(
        store.insert_org_authorization(&late).await,
        "insert_org_authorization",
    );
    let refused = transition(&store, late.id, (Pending, Active), T0 + HOUR).await;
    assert_eq!(
        refused,
        Transition::Conflict(late.clone()),
        "activation at pending_expires_at"
    );
    assert!(matches!(
        transition(&store, late.id, (Pending, Failed), T0 + HOUR + 1).await,
        Transition::Done(_)
    ));
    let revocable = org_auth(org, client, Pending, T0 + HOUR);
    ok(
        store.insert_org_authorization(&revocable).await,
        "insert_org_authorization",
    );
    let revoked = transition(&store, revocable.id, (Pending, Revoked), T0 + 2 * HOUR).await;
    assert!(
        matches!(revoked, Transition::Done(_)),
        "an expired pending one can still be revoked"
    );

    let (first, second) = (
        org_auth(org, client, Pending, T0 + HOUR),
        org_auth(org, client, Pending, T0 + HOUR),
    );
    ok(
        store.insert_org_authorization(&first).await,
        "insert_org_authorization",
    );
    ok(
        store.insert_org_authorization(&second).await,
        "insert_org_authorization",
    );
    assert_eq!(
        ok(
            store.find_active_org_authorization(org, client).await,
            "find"
        ),
        None
    );
    let active = match transition(&store, first.id, (Pending, Active), T0 + HOUR - 1).await {
        Transition::Done(active) => active,
        other => panic!("activation one second before expiry must succeed, got {other:?}"),
    };
    assert_eq!(
        ok(
            store.find_active_org_authorization(org, client).await,
            "find"
        ),
        Some(active.clone())
    );
    assert_eq!(
        transition(&store, second.id, (Pending, Active), T0 + 10).await,
        Transition::Conflict(second.clone()),
        "a second active authorization for the same pair is refused"
    );
    let duplicate = org_auth(org, client, Active, T0 + HOUR);
    conflict(
        store.insert_org_authorization(&duplicate).await,
        "inserting a second active one",
    );
    let other_client = org_auth(org, ClientId::new_random(), Active, T0 + HOUR);
    ok(
        store.insert_org_authorization(&other_client).await,
        "another pair may be active",
    );
    conflict(
        store.insert_org_authorization(&other_client).await,
        "insert with a taken id",
    );

    assert!(matches!(
        transition(&store, first.id, (Active, Revoked), T0 + 20).await,
        Transition::Done(_)
    ));
    assert_eq!(
        ok(
            store.find_active_org_authorization(org, client).await,
            "find"
        ),
        None
    );
    let reactivated = transition(&store, second.id, (Pending, Active), T0 + 30).await;
    let Transition::Done(reactivated) = reactivated else {
        panic!("once the active one is revoked another may be activated, got {reactivated:?}");
    };
    assert_eq!(
        ok(
            store.find_active_org_authorization(org, client).await,
            "find"
        ),
        Some(reactivated)
    );

    // Listing: newest first, ties in descending id order, only this organization's.
    let listed_org = OrganizationId::new_random();
    let mut expected = Vec::new();
    for created_at in [T0 + 1, T0 + 3, T0 + 2, T0 + 5, T0 + 5] {
        let mut auth = org_auth(listed_org, ClientId::new_random(), Pending, T0 + HOUR);
        auth.created_at = created_at;
        ok(
            store.insert_org_authorization(&auth).await,
            "insert_org_authorization",
        );
        expected.push((created_at, auth.id));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let listed = ok(
        store.list_org_authorizations(listed_org).await,
        "list_org_authorizations",
    );
    let listed: Vec<_> = listed.iter().map(|a| (a.created_at, a.id)).collect();
    assert_eq!(listed, expected, "newest first, ties by descending id");
}

/// Revoking an authorization (active or pending) revokes, in the same step, exactly the families
/// issued under it.
pub async fn org_revoke_revokes_families<S: Store>(store: S) {
    let org = OrganizationId::new_random();
    let (c1, c2) = (ClientId::new_random(), ClientId::new_random());
    let a1 = org_auth(org, c1, Active, T0 + HOUR);
    let a2 = org_auth(org, c2, Active, T0 + HOUR);
    ok(
        store.insert_org_authorization(&a1).await,
        "insert_org_authorization",
    );
    ok(
        store.insert_org_authorization(&a2).await,
        "insert_org_authorization",
    );
    let (under_a1, also_a1, under_a2) = (
        org_family(c1, org, a1.id),
        org_family(c1, org, a1.id),
        org_family(c2, org, a2.id),
    );
    let user_grant = user_family(c1, UserId::new_random(), None);
    let token = access(under_a1.id, T0, T0 + HOUR);
    ok(
        store
            .create_family(&under_a1, Some(&token), None, None)
            .await,
        "create_family",
    );
    for family in [&also_a1, &under_a2, &user_grant] {
        ok(
            store.create_family(family, None, None, None).await,
            "create_family",
        );
    }
    assert!(matches!(
        transition(&store, a1.id, (Active, Revoked), T0 + 10).await,
        Transition::Done(_)
    ));
    for (family, revoked) in [
        (&under_a1, true),
        (&also_a1, true),
        (&under_a2, false),
        (&user_grant, false),
    ] {
        assert_eq!(
            family_revoked(&store, family.id).await,
            revoked,
            "families after revoking a1"
        );
    }
    let grant = ok(
        store.get_access_token(token.digest).await,
        "get_access_token",
    )
    .expect("token");
    assert!(
        !grant.is_active(T0 + 11),
        "revocation immediately invalidates every token under it"
    );
    assert_eq!(
        ok(
            store.revoke_by_org_authorization(a1.id, T0 + 12).await,
            "revoke"
        ),
        0
    );
}
