//! Running the server: background key reloading and purging, graceful shutdown.

use std::time::Duration;

use ostiary_core::{CoreConfig, Issuer, Provider};
use ostiary_store::UserId;

use crate::harness::{Backend, Harness, Options, Pkce, Reply};

pub async fn instances_sharing_a_store_pick_up_rotated_keys<S: Backend>() {
    let mut options = Options::default();
    options.server.key_reload_interval = Some(Duration::from_millis(100));
    let h = Harness::<S>::with(options).await;
    let jwks = || async {
        Reply::read(
            h.api()
                .get(h.url("/.well-known/jwks.json"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .body
    };
    let before = jwks().await;
    // A second instance over the same store rotates the keys.
    let config = CoreConfig::new(Issuer::parse(&h.issuer).unwrap());
    let (other, _) = Provider::open(h.provider.store().clone(), config, h.clock.clone())
        .await
        .unwrap();
    // A month later the next key becomes active and a new next key is published.
    h.clock.advance(31 * 24 * 3600);
    other
        .rotate_keys(&ostiary_jose::RotationPolicy::default())
        .await
        .unwrap();
    let rotated = other.jwks_json();
    assert_ne!(rotated, before, "the rotation published a key");
    // The first instance serves the new JWKS after its next reload (bounded wait, no timing asserted).
    for _ in 0..200 {
        if jwks().await == rotated {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the running server never picked up the rotated keys");
}

pub async fn background_purge_removes_expired_codes<S: Backend>() {
    let mut options = Options::default();
    options.server.purge_interval = Some(Duration::from_millis(100));
    let h = Harness::<S>::with(options).await;
    let _ = h.sign_in(&Pkce::new(), &[]).await;
    let user: UserId = h.user.id.parse().unwrap();
    let store = h.provider.store();
    let sessions = store
        .list_sessions_of_user(user, h.provider.now())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    let id = sessions[0].id;
    h.clock
        .advance(ostiary_core::Lifetimes::default().session + 1);
    for _ in 0..200 {
        if store.get_session(id).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the expired session was never purged");
}

pub async fn graceful_shutdown_stops_accepting<S: Backend>() {
    let mut h = Harness::<S>::start().await;
    let health = h.url("/healthz");
    assert_eq!(h.api().get(&health).send().await.unwrap().status(), 200);
    h.stop_server().await;
    // A new client (no pooled connection): the port no longer accepts.
    let fresh = reqwest::Client::builder().build().unwrap();
    assert!(
        fresh.get(&health).send().await.is_err(),
        "nothing listens after shutdown"
    );
}
