//! What is particular to the memory backend: shared state between clones, and its place as a `Store`.

use ostiary_store::memory::MemoryStore;
use ostiary_store::{ClientFilter, ClientStore, Store, UserStore};

fn assert_store<S: Store>(_: &S) {}

#[tokio::test]
async fn clones_share_their_records_and_new_stores_do_not() {
    let store = MemoryStore::new();
    assert_store(&store);
    let clone = store.clone();
    let other = MemoryStore::default();
    // The registry's own test fixtures are not public, so build a minimal record through the registry.
    let keyring = std::sync::Arc::new(
        ostiary_store::DigestKeyring::new(
            [ostiary_store::DigestKeyMaterial::generate(1).unwrap()],
            1,
        )
        .unwrap(),
    );
    let registry = ostiary_store::ClientRegistry::new(store.clone(), keyring);
    let registration = ostiary_store::ClientRegistration {
        client_name: "Acme".into(),
        redirect_uris: vec!["https://acme.example/cb".into()],
        scope: "openid".into(),
        ..Default::default()
    };
    let (client, _secret) = registry.register(&registration, 1).await.unwrap();
    assert_eq!(clone.get_client(client.id).await.unwrap(), Some(client));
    assert!(
        other
            .list_clients(ClientFilter::All, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(other.list_users(None, 10).await.unwrap().is_empty());
}

#[test]
fn debug_output_shows_no_records() {
    assert_eq!(format!("{:?}", MemoryStore::new()), "MemoryStore { .. }");
}
