//! Users, organizations and memberships.

use super::fixtures::*;
use crate::records::*;
use crate::{OrganizationId, Store, UserId};

/// Users: insert, get, find by username and by e-mail (exact bytes), update of every field, unknown ids,
/// and id-ordered pagination.
pub async fn users_crud_and_pagination<S: Store>(store: S) {
    let alice = user("alice", Some("alice@example.com"));
    ok(store.insert_user(&alice).await, "insert_user");
    assert_eq!(
        ok(store.get_user(alice.id).await, "get_user"),
        Some(alice.clone())
    );
    assert_eq!(
        ok(store.find_user_by_login("alice").await, "find"),
        Some(alice.clone())
    );
    assert_eq!(
        ok(store.find_user_by_login("alice@example.com").await, "find"),
        Some(alice.clone()),
        "find_user_by_login must find a user by e-mail"
    );
    assert_eq!(
        ok(store.find_user_by_login("ALICE").await, "find"),
        None,
        "find_user_by_login compares exact bytes: callers normalize"
    );
    assert_eq!(ok(store.find_user_by_login("nobody").await, "find"), None);
    assert_eq!(
        ok(store.get_user(UserId::new_random()).await, "get_user"),
        None
    );
    conflict(
        store.insert_user(&alice).await,
        "insert_user with a taken id",
    );

    let mut changed = alice.clone();
    changed.username = "alice2".into();
    changed.email = Some("alice@new.example".into());
    changed.email_verified = false;
    changed.disabled = true;
    changed.profile.locale = Some("fr-CA".into());
    changed.password_hash =
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into());
    changed.updated_at = T0 + 50;
    assert!(ok(store.update_user(&changed).await, "update_user"));
    assert_eq!(
        ok(store.get_user(alice.id).await, "get_user"),
        Some(changed.clone())
    );
    assert_eq!(
        ok(store.find_user_by_login("alice").await, "find"),
        None,
        "the old username must no longer find the user"
    );
    assert_eq!(
        ok(store.find_user_by_login("alice@example.com").await, "find"),
        None
    );
    assert_eq!(
        ok(store.find_user_by_login("alice2").await, "find"),
        Some(changed.clone())
    );
    assert_eq!(
        ok(store.find_user_by_login("alice@new.example").await, "find"),
        Some(changed)
    );
    let ghost = user("ghost", None);
    assert!(
        !ok(store.update_user(&ghost).await, "update_user"),
        "unknown user"
    );
    assert_eq!(ok(store.find_user_by_login("ghost").await, "find"), None);

    let mut ids = vec![alice.id];
    for i in 0..6 {
        let u = user(&format!("user{i}"), None);
        ok(store.insert_user(&u).await, "insert_user");
        ids.push(u.id);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = ok(store.list_users(after, 4).await, "list_users");
        assert!(
            page.len() <= 4,
            "list_users must return at most `limit` users"
        );
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        seen.extend(page.iter().map(|u| u.id));
    }
    assert_eq!(seen, ids, "paging must visit every user once, in id order");
}

/// Usernames and e-mails are unique and share one namespace, on insert and on update; a refused write
/// changes nothing.
pub async fn users_logins_are_unique<S: Store>(store: S) {
    let bob = user("bob", Some("bob@example.com"));
    ok(store.insert_user(&bob).await, "insert_user");
    conflict(
        store.insert_user(&user("bob", None)).await,
        "a taken username",
    );
    conflict(
        store
            .insert_user(&user("robert", Some("bob@example.com")))
            .await,
        "a taken e-mail",
    );
    conflict(
        store.insert_user(&user("bob@example.com", None)).await,
        "a username equal to another user's e-mail",
    );
    conflict(
        store.insert_user(&user("carol", Some("bob"))).await,
        "an e-mail equal to another user's username",
    );
    assert_eq!(
        ok(store.list_users(None, 10).await, "list_users").len(),
        1,
        "refused inserts must write nothing"
    );
    // A user may use the same string as username and e-mail.
    let dave = user("dave@example.com", Some("dave@example.com"));
    ok(
        store.insert_user(&dave).await,
        "username equal to the user's own e-mail",
    );

    let carol = user("carol", Some("carol@example.com"));
    ok(store.insert_user(&carol).await, "insert_user");
    let mut stolen = carol.clone();
    stolen.email = Some("bob@example.com".into());
    conflict(store.update_user(&stolen).await, "update to a taken e-mail");
    let mut stolen = carol.clone();
    stolen.username = "bob".into();
    conflict(
        store.update_user(&stolen).await,
        "update to a taken username",
    );
    assert_eq!(
        ok(store.get_user(carol.id).await, "get_user"),
        Some(carol.clone()),
        "a refused update must change nothing"
    );
    assert_eq!(
        ok(store.find_user_by_login("carol@example.com").await, "find"),
        Some(carol.clone())
    );
    // Keeping one's own logins, or swapping them between username and e-mail, is not a conflict.
    let mut swapped = carol.clone();
    swapped.username = "carol@example.com".into();
    swapped.email = Some("carol".into());
    assert!(ok(
        store.update_user(&swapped).await,
        "update_user swapping own logins"
    ));
    assert_eq!(
        ok(store.find_user_by_login("carol").await, "find"),
        Some(swapped)
    );
    // A login given up becomes free.
    let mut renamed = bob.clone();
    renamed.username = "bobby".into();
    renamed.email = None;
    assert!(ok(store.update_user(&renamed).await, "update_user"));
    ok(
        store
            .insert_user(&user("bob", Some("bob@example.com")))
            .await,
        "freed logins are reusable",
    );
}

/// Organizations (insert, get, Conflict, pagination) and memberships (put creates then changes the role
/// keeping `created_at`, Conflict for an unknown user or organization, get, list both ways, remove).
pub async fn organizations_and_memberships<S: Store>(store: S) {
    let acme = organization("Acme");
    ok(
        store.insert_organization(&acme).await,
        "insert_organization",
    );
    assert_eq!(
        ok(store.get_organization(acme.id).await, "get"),
        Some(acme.clone())
    );
    assert_eq!(
        ok(
            store.get_organization(OrganizationId::new_random()).await,
            "get"
        ),
        None
    );
    conflict(
        store.insert_organization(&acme).await,
        "insert_organization with a taken id",
    );
    let mut org_ids = vec![acme.id];
    for i in 0..4 {
        let o = organization(&format!("Org {i}"));
        ok(store.insert_organization(&o).await, "insert_organization");
        org_ids.push(o.id);
    }
    org_ids.sort();
    let first = ok(
        store.list_organizations(None, 2).await,
        "list_organizations",
    );
    assert_eq!(first.iter().map(|o| o.id).collect::<Vec<_>>(), org_ids[..2]);
    let rest = ok(
        store.list_organizations(Some(org_ids[1]), 10).await,
        "list_organizations",
    );
    assert_eq!(rest.iter().map(|o| o.id).collect::<Vec<_>>(), org_ids[2..]);

    let (alice, bob) = (user("alice", None), user("bob", None));
    ok(store.insert_user(&alice).await, "insert_user");
    ok(store.insert_user(&bob).await, "insert_user");
    let membership = |org, user, role| Membership {
        organization_id: org,
        user_id: user,
        role,
        created_at: T0,
    };
    conflict(
        store
            .put_membership(&membership(
                OrganizationId::new_random(),
                alice.id,
                OrgRole::Admin,
            ))
            .await,
        "membership of an unknown organization",
    );
    conflict(
        store
            .put_membership(&membership(acme.id, UserId::new_random(), OrgRole::Admin))
            .await,
        "membership of an unknown user",
    );
    ok(
        store
            .put_membership(&membership(acme.id, alice.id, OrgRole::Member))
            .await,
        "put",
    );
    let promoted = Membership {
        created_at: T0 + 99,
        ..membership(acme.id, alice.id, OrgRole::Admin)
    };
    ok(
        store.put_membership(&promoted).await,
        "put_membership (change role)",
    );
    assert_eq!(
        ok(
            store.get_membership(acme.id, alice.id).await,
            "get_membership"
        ),
        Some(membership(acme.id, alice.id, OrgRole::Admin)),
        "a second put must change the role and keep the original created_at"
    );
    ok(
        store
            .put_membership(&membership(acme.id, bob.id, OrgRole::Member))
            .await,
        "put",
    );
    let other = *org_ids
        .iter()
        .find(|o| **o != acme.id)
        .expect("five organizations");
    ok(
        store
            .put_membership(&membership(other, alice.id, OrgRole::Member))
            .await,
        "put",
    );
    let members = ok(store.list_members(acme.id).await, "list_members");
    assert_eq!(
        sorted(members, |m| m.user_id),
        sorted([alice.id, bob.id], |u| *u)
    );
    let of_alice = ok(
        store.list_memberships_of_user(alice.id).await,
        "list_memberships_of_user",
    );
    assert_eq!(
        sorted(of_alice, |m| m.organization_id),
        sorted([acme.id, other], |o| *o)
    );

    assert!(ok(
        store.remove_membership(acme.id, alice.id).await,
        "remove_membership"
    ));
    assert!(
        !ok(store.remove_membership(acme.id, alice.id).await, "remove"),
        "second remove"
    );
    assert_eq!(
        ok(
            store.get_membership(acme.id, alice.id).await,
            "get_membership"
        ),
        None
    );
    let members = ok(store.list_members(acme.id).await, "list_members");
    assert_eq!(sorted(members, |m| m.user_id), vec![bob.id]);
    let of_alice = ok(
        store.list_memberships_of_user(alice.id).await,
        "list_memberships_of_user",
    );
    assert_eq!(
        sorted(of_alice, |m| m.organization_id),
        vec![other],
        "a removed membership must leave the user's list"
    );
}
