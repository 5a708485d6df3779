//! The client registry end to end over the store.

use std::sync::Arc;

use super::fixtures::*;
use crate::records::*;
use crate::traits::ClientFilter;
use crate::{
    AuthenticateError, ClientId, ClientRegistration, ClientRegistry, DigestKeyMaterial,
    DigestKeyring, OrganizationId, RegistryError, SecretKind, Store,
};

fn keyring(id: u16) -> Arc<DigestKeyring> {
    let material = DigestKeyMaterial::generate(id).expect("conformance suite: the OS RNG failed");
    Arc::new(DigestKeyring::new([material], id).expect("conformance suite: one-key keyring"))
}

fn registration(name: &str, catalogue: bool) -> ClientRegistration {
    ClientRegistration {
        client_name: name.into(),
        client_uri: Some("https://partner.example/".into()),
        redirect_uris: vec!["https://partner.example/callback".into()],
        backchannel_logout_uri: Some("https://partner.example/backchannel".into()),
        initiate_login_uri: catalogue.then(|| "https://partner.example/connect".into()),
        scope: "openid profile".into(),
        ..ClientRegistration::default()
    }
}

fn wrong_secret(result: Result<Client, AuthenticateError>, what: &str) {
    match result {
        Err(AuthenticateError::WrongSecret) => {}
        other => panic!("{what}: expected AuthenticateError::WrongSecret, got {other:?}"),
    }
}

fn unknown_client(result: Result<Client, AuthenticateError>, what: &str) {
    match result {
        Err(AuthenticateError::UnknownClient) => {}
        other => panic!("{what}: expected AuthenticateError::UnknownClient, got {other:?}"),
    }
}

/// [`ClientRegistry`] over the store: registration returns a secret that authenticates; a wrong,
/// malformed, other-kind, other-key or other-client secret fails; rotation invalidates the old secret;
/// update validates, bumps `updated_at` and keeps the rest; the catalogue lists only clients with an
/// `initiate_login_uri`.
pub async fn registry_end_to_end<S: Store>(store: S) {
    let keys = keyring(1);
    let registry = ClientRegistry::new(store.clone(), keys.clone());
    let (a, secret) = registry
        .register(&registration("Acme Books", true), T0)
        .await
        .expect("register a valid client");
    assert_eq!(
        (a.created_at, a.updated_at, a.secret_rotated_at),
        (T0, T0, T0)
    );
    assert_eq!(
        ok(store.get_client(a.id).await, "get_client"),
        Some(a.clone())
    );
    let id = a.id.to_string();
    let authenticated = registry
        .authenticate(&id, secret.expose_secret())
        .await
        .expect("the issued secret must authenticate");
    assert_eq!(authenticated, a);

    let (b, b_secret) = registry
        .register(&registration("Beta Maps", false), T0)
        .await
        .expect("register a second client");
    let (other_value, _) = keys.mint(SecretKind::ClientSecret).expect("mint");
    wrong_secret(
        registry
            .authenticate(&id, other_value.expose_secret())
            .await,
        "another value",
    );
    wrong_secret(
        registry.authenticate(&id, b_secret.expose_secret()).await,
        "another client's",
    );
    wrong_secret(
        registry.authenticate(&id, "not-a-secret").await,
        "a malformed secret",
    );
    wrong_secret(registry.authenticate(&id, "").await, "an empty secret");
    let (access_token, _) = keys.mint(SecretKind::AccessToken).expect("mint");
    wrong_secret(
        registry
            .authenticate(&id, access_token.expose_secret())
            .await,
        "other kind",
    );
    let (foreign, _) = keyring(2).mint(SecretKind::ClientSecret).expect("mint");
    wrong_secret(
        registry.authenticate(&id, foreign.expose_secret()).await,
        "unknown key",
    );
    let stranger = ClientId::new_random().to_string();
    unknown_client(
        registry
            .authenticate(&stranger, secret.expose_secret())
            .await,
        "unknown id",
    );
    unknown_client(
        registry
            .authenticate("not-a-uuid", secret.expose_secret())
            .await,
        "bad id",
    );

    let rotated = registry
        .rotate_secret(a.id, T0 + 10)
        .await
        .expect("rotate_secret");
    wrong_secret(
        registry.authenticate(&id, secret.expose_secret()).await,
        "the rotated-out secret",
    );
    let after = registry
        .authenticate(&id, rotated.expose_secret())
        .await
        .expect("the new secret must authenticate");
    assert_eq!(after.secret_rotated_at, T0 + 10);
    assert_eq!(
        after.updated_at, T0,
        "rotating the secret is not a metadata update"
    );
    assert!(matches!(
        registry.rotate_secret(ClientId::new_random(), T0).await,
        Err(RegistryError::NotFound)
    ));

    let mut bad = registration("Acme Books", true);
    bad.redirect_uris = vec!["http://acme.example/callback".into()];
    assert!(
        matches!(
            registry.update(a.id, &bad, T0 + 20).await,
            Err(RegistryError::Invalid(_))
        ),
        "update must validate like registration (plain http off loopback is refused)"
    );
    assert_eq!(
        ok(store.get_client(a.id).await, "get_client"),
        Some(after.clone())
    );
    let mut renamed = registration("Acme Books Pro", true);
    renamed.scope = "openid profile email".into();
    let updated = registry
        .update(a.id, &renamed, T0 + 20)
        .await
        .expect("valid update");
    assert_eq!(updated.metadata.client_name, "Acme Books Pro");
    assert_eq!(updated.metadata.scope, scope("openid profile email"));
    assert_eq!(updated.updated_at, T0 + 20, "update must bump updated_at");
    assert_eq!(
        (updated.created_at, updated.secret_digest),
        (a.created_at, after.secret_digest)
    );
    assert!(matches!(
        registry.update(ClientId::new_random(), &renamed, T0).await,
        Err(RegistryError::NotFound)
    ));

    let catalogue = registry
        .list(ClientFilter::Catalogue, None, 10)
        .await
        .expect("list");
    assert_eq!(
        catalogue.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a.id]
    );
    let all = registry
        .list(ClientFilter::All, None, 10)
        .await
        .expect("list");
    assert_eq!(sorted(all, |c| c.id), sorted([a.id, b.id], |c| *c));
}

/// Deleting a client deletes its codes, consents and pending notifications (delivered ones stay),
/// revokes its families and its pending and active organization authorizations (by the system), and
/// touches nothing of other clients; a later session end no longer notifies it.
pub async fn registry_delete_cascades<S: Store>(store: S) {
    let registry = ClientRegistry::new(store.clone(), keyring(1));
    let (a, secret) = registry
        .register(&registration("Doomed", true), T0)
        .await
        .expect("register");
    let (b, _) = registry
        .register(&registration("Survivor", true), T0)
        .await
        .expect("register");
    let alice = user("alice", None);
    ok(store.insert_user(&alice).await, "insert_user");
    let mut sess = session(alice.id, T0 + DAY);
    sess.clients = vec![a.id, b.id];
    ok(store.insert_session(&sess).await, "insert_session");

    let (code_a, code_b) = (
        code(a.id, alice.id, sess.id, T0 + HOUR),
        code(b.id, alice.id, sess.id, T0 + HOUR),
    );
    ok(store.insert_code(code_a.clone()).await, "insert_code");
    ok(store.insert_code(code_b.clone()).await, "insert_code");
    for client in [a.id, b.id] {
        let consent = Consent {
            user_id: alice.id,
            client_id: client,
            scope: scope("openid"),
            granted_at: T0,
            updated_at: T0,
        };
        ok(store.put_consent(&consent).await, "put_consent");
    }
    let org = OrganizationId::new_random();
    let active_a = org_auth(org, a.id, OrgAuthorizationState::Active, T0 + HOUR);
    let pending_a = org_auth(
        OrganizationId::new_random(),
        a.id,
        OrgAuthorizationState::Pending,
        T0 + HOUR,
    );
    let failed_a = org_auth(org, a.id, OrgAuthorizationState::Failed, T0 + HOUR);
    let active_b = org_auth(org, b.id, OrgAuthorizationState::Active, T0 + HOUR);
    for auth in [&active_a, &pending_a, &failed_a, &active_b] {
        ok(
            store.insert_org_authorization(auth).await,
            "insert_org_authorization",
        );
    }
    let family_a = user_family(a.id, alice.id, Some(sess.id));
    let org_family_a = org_family(a.id, org, active_a.id);
    let family_b = user_family(b.id, alice.id, Some(sess.id));
    for family in [&family_a, &org_family_a, &family_b] {
        ok(
            store.create_family(family, None, None, None).await,
            "create_family",
        );
    }
    let pending_entry_a = outbox_entry(a.id, T0, T0);
    let delivered_entry_a = outbox_entry(a.id, T0, T0);
    let pending_entry_b = outbox_entry(b.id, T0, T0);
    ok(
        store
            .enqueue_logouts(&[
                pending_entry_a.clone(),
                delivered_entry_a.clone(),
                pending_entry_b.clone(),
            ])
            .await,
        "enqueue_logouts",
    );
    let delivered =
        store.record_logout_attempt(delivered_entry_a.id, &AttemptResult::Delivered, T0 + 1);
    assert!(ok(delivered.await, "record_logout_attempt"));

    registry
        .delete(a.id, T0 + 100)
        .await
        .expect("delete a registered client");

    let id = a.id.to_string();
    unknown_client(
        registry.authenticate(&id, secret.expose_secret()).await,
        "deleted client",
    );
    assert!(matches!(
        registry.delete(a.id, T0 + 101).await,
        Err(RegistryError::NotFound)
    ));
    assert_eq!(
        ok(store.consume_code(code_a.digest, T0 + 101).await, "consume"),
        ConsumeCode::NotFound
    );
    assert!(
        matches!(
            ok(store.consume_code(code_b.digest, T0 + 101).await, "consume"),
            ConsumeCode::Consumed(_)
        ),
        "another client's code must survive"
    );
    assert_eq!(
        ok(store.get_consent(alice.id, a.id).await, "get_consent"),
        None
    );
    assert!(ok(store.get_consent(alice.id, b.id).await, "get_consent").is_some());
    assert!(
        family_revoked(&store, family_a.id).await,
        "the client's user family"
    );
    assert!(
        family_revoked(&store, org_family_a.id).await,
        "the client's organization family"
    );
    assert!(
        !family_revoked(&store, family_b.id).await,
        "another client's family"
    );

    let state = |auth: OrgAuthorization| (auth.state, auth.revoked);
    let revoked_by_system = (
        OrgAuthorizationState::Revoked,
        Some((Actor::System, T0 + 100)),
    );
    for (auth, expected) in [
        (&active_a, revoked_by_system),
        (&pending_a, revoked_by_system),
        (&failed_a, (OrgAuthorizationState::Failed, None)),
        (&active_b, (OrgAuthorizationState::Active, None)),
    ] {
        let stored = ok(store.get_org_authorization(auth.id).await, "get").expect("authorization");
        assert_eq!(
            state(stored),
            expected,
            "organization authorization after client deletion"
        );
    }
    assert_eq!(
        ok(
            store.find_active_org_authorization(org, a.id).await,
            "find_active"
        ),
        None
    );
    assert!(
        ok(
            store.find_active_org_authorization(org, b.id).await,
            "find_active"
        )
        .is_some()
    );

    assert_eq!(
        ok(store.get_logout(pending_entry_a.id).await, "get_logout"),
        None
    );
    assert!(ok(store.get_logout(delivered_entry_a.id).await, "get_logout").is_some());
    assert!(ok(store.get_logout(pending_entry_b.id).await, "get_logout").is_some());

    let ended = ok(store.end_session(sess.id, T0 + 200).await, "end_session").expect("session");
    let notified: Vec<ClientId> = ended.notifications.iter().map(|n| n.client_id).collect();
    assert_eq!(
        notified,
        vec![b.id],
        "a deleted client must not be notified"
    );
}
