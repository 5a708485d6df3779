//! Clients (raw store operations) and consents.

use super::fixtures::*;
use crate::records::*;
use crate::traits::ClientFilter;
use crate::{ClientId, Store, UserId};

/// Clients: insert, get, Conflict on a duplicate id, metadata update (with `updated_at`), secret
/// replacement (with `secret_rotated_at`), delete, unknown ids, and id-ordered pagination with `after`
/// and `limit`.
pub async fn clients_crud_and_pagination<S: Store>(store: S) {
    let a = client();
    ok(store.insert_client(&a).await, "insert_client");
    assert_eq!(
        ok(store.get_client(a.id).await, "get_client"),
        Some(a.clone()),
        "get_client must return the client exactly as inserted"
    );
    conflict(
        store.insert_client(&a).await,
        "insert_client with a taken id",
    );

    let unknown = ClientId::new_random();
    assert_eq!(ok(store.get_client(unknown).await, "get_client"), None);
    let new_metadata = metadata("Renamed Partner", Some("https://partner.example/bc"), None);
    assert_eq!(
        ok(
            store
                .update_client_metadata(unknown, &new_metadata, T0 + 5)
                .await,
            "update"
        ),
        None,
        "update_client_metadata of an unknown client must return None"
    );
    let updated = ok(
        store
            .update_client_metadata(a.id, &new_metadata, T0 + 5)
            .await,
        "update",
    )
    .expect("update_client_metadata of a known client must return it");
    assert_eq!(*updated.metadata, new_metadata);
    assert_eq!(updated.updated_at, T0 + 5, "update must set updated_at");
    assert_eq!(
        (updated.created_at, updated.secret_digest),
        (a.created_at, a.secret_digest)
    );
    assert_eq!(
        ok(store.get_client(a.id).await, "get_client"),
        Some(updated.clone())
    );

    let new_secret = digest();
    assert!(!ok(
        store.set_client_secret(unknown, new_secret, T0 + 6).await,
        "set_client_secret"
    ));
    assert!(ok(
        store.set_client_secret(a.id, new_secret, T0 + 6).await,
        "set_client_secret"
    ));
    let rotated = ok(store.get_client(a.id).await, "get_client").expect("client exists");
    assert_eq!(
        rotated.secret_digest, new_secret,
        "set_client_secret must replace the digest"
    );
    assert_eq!(
        rotated.secret_rotated_at,
        T0 + 6,
        "set_client_secret must set secret_rotated_at"
    );
    assert_eq!(
        *rotated.metadata, new_metadata,
        "set_client_secret must keep the metadata"
    );

    // Pagination over 7 clients in id order.
    let mut ids = vec![a.id];
    for _ in 0..6 {
        let c = client();
        ok(store.insert_client(&c).await, "insert_client");
        ids.push(c.id);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = ok(
            store.list_clients(ClientFilter::All, after, 3).await,
            "list_clients",
        );
        assert!(
            page.len() <= 3,
            "list_clients must return at most `limit` clients"
        );
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        seen.extend(page.iter().map(|c| c.id));
    }
    assert_eq!(
        seen, ids,
        "paging with `after` must visit every client once, in id order"
    );
    assert!(
        ok(
            store.list_clients(ClientFilter::All, None, 0).await,
            "list_clients"
        )
        .is_empty()
    );

    assert!(!ok(
        store.delete_client(unknown, T0 + 7).await,
        "delete_client"
    ));
    assert!(ok(store.delete_client(a.id, T0 + 7).await, "delete_client"));
    assert_eq!(
        ok(store.get_client(a.id).await, "get_client"),
        None,
        "deleted client"
    );
    assert!(
        !ok(store.delete_client(a.id, T0 + 8).await, "delete_client"),
        "second delete"
    );
    let all = ok(
        store.list_clients(ClientFilter::All, None, 100).await,
        "list_clients",
    );
    assert_eq!(all.len(), 6, "a deleted client must leave the listing");
}

/// The catalogue lists exactly the clients with an `initiate_login_uri`, in id order, with pagination.
pub async fn clients_catalogue_filter<S: Store>(store: S) {
    let mut listed = Vec::new();
    for i in 0..6 {
        let initiate = (i % 2 == 0).then_some("https://partner.example/connect");
        let c = client_with(metadata(&format!("Partner {i}"), None, initiate));
        ok(store.insert_client(&c).await, "insert_client");
        if initiate.is_some() {
            listed.push(c.id);
        }
    }
    listed.sort();
    let all = ok(
        store.list_clients(ClientFilter::Catalogue, None, 100).await,
        "list",
    );
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        listed,
        "the catalogue must list exactly the clients with an initiate_login_uri, in id order"
    );
    let first = ok(
        store.list_clients(ClientFilter::Catalogue, None, 2).await,
        "list",
    );
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), listed[..2]);
    let rest = ok(
        store
            .list_clients(ClientFilter::Catalogue, Some(listed[1]), 10)
            .await,
        "list",
    );
    assert_eq!(rest.iter().map(|c| c.id).collect::<Vec<_>>(), listed[2..]);
}

/// Consents: put (create, then replace), get, list of a user (only theirs), delete, unknown pairs.
pub async fn consents_crud<S: Store>(store: S) {
    let (user_a, user_b) = (UserId::new_random(), UserId::new_random());
    let (c1, c2) = (ClientId::new_random(), ClientId::new_random());
    let consent = |user, client, s: &str| Consent {
        user_id: user,
        client_id: client,
        scope: scope(s),
        granted_at: T0,
        updated_at: T0,
    };
    assert_eq!(ok(store.get_consent(user_a, c1).await, "get_consent"), None);
    let first = consent(user_a, c1, "openid");
    ok(store.put_consent(&first).await, "put_consent");
    assert_eq!(
        ok(store.get_consent(user_a, c1).await, "get_consent"),
        Some(first)
    );
    let widened = Consent {
        scope: scope("openid profile"),
        updated_at: T0 + 10,
        ..consent(user_a, c1, "openid")
    };
    ok(store.put_consent(&widened).await, "put_consent (replace)");
    assert_eq!(
        ok(store.get_consent(user_a, c1).await, "get_consent"),
        Some(widened.clone()),
        "put_consent must replace an existing consent"
    );
    let other_client = consent(user_a, c2, "email");
    let other_user = consent(user_b, c1, "openid");
    ok(store.put_consent(&other_client).await, "put_consent");
    ok(store.put_consent(&other_user).await, "put_consent");

    let listed = ok(
        store.list_consents_of_user(user_a).await,
        "list_consents_of_user",
    );
    assert_eq!(
        sorted(listed, |c| c.client_id),
        sorted([c1, c2], |c| *c),
        "list_consents_of_user must return exactly the user's consents"
    );
    assert!(ok(store.delete_consent(user_a, c1).await, "delete_consent"));
    assert!(
        !ok(store.delete_consent(user_a, c1).await, "delete_consent"),
        "second delete"
    );
    assert_eq!(ok(store.get_consent(user_a, c1).await, "get_consent"), None);
    assert_eq!(
        ok(store.get_consent(user_b, c1).await, "get_consent"),
        Some(other_user),
        "deleting one consent must not touch another user's"
    );
}
