//! The refresh-token grant: rotation, the retry window, replay detection, races, scope narrowing.

use crate::harness::{Backend, Harness, Reply};
use crate::token::assert_oauth_error;

const SCOPE: &str = "openid email offline_access";

/// Asserts that a retry's reply carries the tokens of the first reply: a retry gets the same access
/// and refresh tokens, scope and expiry, and an ID token signed again over the same header and claims.
fn assert_same_tokens(first: &Reply, retry: &Reply) {
    let (a, b) = (first.json(), retry.json());
    for member in [
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "scope",
    ] {
        assert_eq!(a[member], b[member], "{member}");
    }
    let signed = |reply: &serde_json::Value| {
        let jwt = reply["id_token"].as_str().expect("an ID token");
        jwt.rsplit_once('.').expect("a JWT").0.to_owned()
    };
    assert_eq!(signed(&a), signed(&b), "ID token header and claims");
}

fn refresh_token_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["refresh_token"].as_str().unwrap().to_owned()
}

pub async fn refresh_rotates_and_old_token_within_window_gets_same_result<S: Backend>() {
    let h = Harness::<S>::start().await;
    let tokens = h.tokens(&[("scope", SCOPE)]).await;
    let original = tokens["refresh_token"].as_str().unwrap();

    let first = h.refresh(original).await;
    let rotated = refresh_token_of(&first);
    assert_ne!(rotated, original, "a new refresh token on every use");

    // A retry of the same request inside the window (a lost response): the same tokens.
    h.clock.advance(5);
    let retry = h.refresh(original).await;
    assert_eq!(retry.status, 200);
    assert_same_tokens(&first, &retry);

    // The rotated token works, and rotates again.
    let next = h.refresh(&rotated).await;
    assert_ne!(refresh_token_of(&next), rotated);
    assert_ne!(next.body, first.body);
    let access = next.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(h.userinfo(&access).await.status, 200);
}

pub async fn refresh_replay_after_window_revokes_family<S: Backend>() {
    let h = Harness::<S>::start().await;
    let tokens = h.tokens(&[("scope", SCOPE)]).await;
    let original = tokens["refresh_token"].as_str().unwrap();
    let first = h.refresh(original).await;
    let rotated = refresh_token_of(&first);
    let access = first.json()["access_token"].as_str().unwrap().to_owned();

    // After the retry window, presenting the rotated-out token is a replay (RFC 9700 §4.14.2)...
    h.clock
        .advance(ostiary_core::Lifetimes::default().refresh_retry_window + 1);
    assert_oauth_error(&h.refresh(original).await, 400, "invalid_grant");
    // ...and the whole family is revoked: the current refresh token and its access token too.
    assert_oauth_error(&h.refresh(&rotated).await, 400, "invalid_grant");
    let userinfo = h.userinfo(&access).await;
    assert_eq!(userinfo.status, 401);
    assert!(
        userinfo
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
}

pub async fn concurrent_refreshes_inside_window_all_succeed_with_one_result<S: Backend>() {
    let h = Harness::<S>::start().await;
    let tokens = h.tokens(&[("scope", SCOPE)]).await;
    let original = tokens["refresh_token"].as_str().unwrap().to_owned();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = h
            .api()
            .post(h.url("/oauth/token"))
            .basic_auth(&h.client.id, Some(&h.client.secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", original.as_str()),
            ]);
        racers.spawn(async move { Reply::read(request.send().await.unwrap()).await });
    }
    let replies = racers.join_all().await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // Every racer gets the one rotation's tokens.
    for reply in &replies[1..] {
        assert_same_tokens(&replies[0], reply);
    }
    // Exactly one successor exists, and it works.
    let successor = refresh_token_of(&replies[0]);
    assert_eq!(h.refresh(&successor).await.status, 200);
}

pub async fn refresh_scope_may_only_narrow<S: Backend>() {
    let h = Harness::<S>::start().await;
    let tokens = h.tokens(&[("scope", SCOPE)]).await;
    let original = tokens["refresh_token"].as_str().unwrap();
    // RFC 6749 §6: a scope not originally granted is refused, even one the client is registered for.
    for wider in [
        "openid email profile",
        "orders:read",
        "openid email offline_access admin",
    ] {
        let reply = h
            .token(
                &h.client,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", original),
                    ("scope", wider),
                ],
            )
            .await;
        assert_oauth_error(&reply, 400, "invalid_scope");
    }
    let narrowed = h
        .token(
            &h.client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", original),
                ("scope", "openid"),
            ],
        )
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);
    assert_eq!(narrowed.json()["scope"], "openid");
    let access = narrowed.json()["access_token"].as_str().unwrap().to_owned();
    let info = h.userinfo(&access).await.json();
    assert!(
        info.get("email").is_none(),
        "the narrowed token does not release email"
    );
}

pub async fn refresh_token_of_other_client_is_invalid_grant<S: Backend>() {
    let h = Harness::<S>::start().await;
    let other = h
        .register_client(
            "Other",
            "https://other.example/cb",
            "openid email offline_access",
        )
        .await;
    let tokens = h.tokens(&[("scope", SCOPE)]).await;
    let original = tokens["refresh_token"].as_str().unwrap();
    let reply = h
        .token(
            &other,
            &[("grant_type", "refresh_token"), ("refresh_token", original)],
        )
        .await;
    assert_oauth_error(&reply, 400, "invalid_grant");
    assert_eq!(h.refresh(original).await.status, 200, "the owner still can");
}

/// The refresh operation authenticates the client with the token it reads: wrong credentials (a
/// wrong secret, an unknown client) are `invalid_client` (401) and write nothing, neither within the
/// retry window (no retry response) nor after it (no replay revocation).
pub async fn refresh_with_wrong_credentials_is_invalid_client_and_writes_nothing<S: Backend>() {
    let h = Harness::<S>::start().await;
    let tokens = h.tokens(&[("scope", SCOPE)]).await;
    let original = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", original)];
    let refused = || async {
        for client in &h.wrong_credentials() {
            assert_oauth_error(&h.token(client, &form).await, 401, "invalid_client");
        }
    };
    refused().await;
    let rotated = refresh_token_of(&h.refresh(original).await);
    refused().await;
    h.clock
        .advance(ostiary_core::Lifetimes::default().refresh_retry_window + 1);
    refused().await;
    assert_eq!(h.refresh(&rotated).await.status, 200, "the family is live");
}
