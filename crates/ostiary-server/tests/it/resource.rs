//! UserInfo (RFC 6750 errors), introspection (RFC 7662) and revocation (RFC 7009).

use ostiary_store::UserId;

use crate::harness::{Backend, Harness, PASSWORD, Pkce, Reply, registration};
use crate::token::assert_oauth_error;

/// Asserts a bearer-token error: `status`, and a `WWW-Authenticate: Bearer` challenge with `error`.
fn assert_bearer_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let challenge = reply.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.starts_with("Bearer realm=\"ostiary\""),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("error=\"{error}\"")),
        "{challenge}"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

async fn access_and_refresh<S: Backend>(h: &Harness<S>) -> (String, String) {
    let tokens = h.tokens(&[("scope", "openid email offline_access")]).await;
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}

pub async fn userinfo_without_token_is_401_with_bearer_challenge<S: Backend>() {
    let h = Harness::<S>::start().await;
    let reply = Reply::read(h.api().get(h.url("/userinfo")).send().await.unwrap()).await;
    assert_eq!(reply.status, 401);
    // RFC 6750 §3.1: no error code when the request had no token at all.
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"ostiary\"")
    );
    let reply = Reply::read(
        h.api()
            .get(h.url("/userinfo"))
            .header("authorization", "Basic YTpi")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_bearer_error(&reply, 400, "invalid_request");
}

pub async fn userinfo_with_revoked_token_is_invalid_token<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, _) = access_and_refresh(&h).await;
    assert_eq!(h.userinfo(&access).await.status, 200);
    assert_eq!(h.revoke(&h.client, &access).await.status, 200);
    assert_bearer_error(&h.userinfo(&access).await, 401, "invalid_token");
}

pub async fn userinfo_with_unknown_token_is_invalid_token<S: Backend>() {
    let h = Harness::<S>::start().await;
    for token in [
        "oat_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "garbage",
        "a.b.c",
        "ort_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_bearer_error(&h.userinfo(token).await, 401, "invalid_token");
    }
}

pub async fn userinfo_token_in_query_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, _) = access_and_refresh(&h).await;
    let url = format!("{}?access_token={access}", h.url("/userinfo"));
    let reply = Reply::read(h.api().get(&url).send().await.unwrap()).await;
    assert_bearer_error(&reply, 400, "invalid_request");
    // Also when the header carries it as well.
    let reply = Reply::read(h.api().get(&url).bearer_auth(&access).send().await.unwrap()).await;
    assert_bearer_error(&reply, 400, "invalid_request");
}

pub async fn userinfo_token_in_form_body_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, _) = access_and_refresh(&h).await;
    let reply = Reply::read(
        h.api()
            .post(h.url("/userinfo"))
            .form(&[("access_token", access.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_bearer_error(&reply, 400, "invalid_request");
}

pub async fn userinfo_by_post_with_header_works<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, _) = access_and_refresh(&h).await;
    let reply = Reply::read(
        h.api()
            .post(h.url("/userinfo"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["sub"], h.user.id.as_str());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

pub async fn userinfo_releases_claims_by_scope<S: Backend>() {
    let h = Harness::<S>::start().await;
    let openid = h.tokens(&[("scope", "openid")]).await;
    let info = h
        .userinfo(openid["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(info["sub"], h.user.id.as_str());
    assert!(
        info.get("email").is_none() && info.get("name").is_none(),
        "{info}"
    );

    let email = h.tokens(&[("scope", "openid email")]).await;
    let info = h
        .userinfo(email["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], true);
    assert!(info.get("name").is_none());

    // A token without openid is not for UserInfo (OIDC Core §5.3).
    let api_only = h.tokens(&[("scope", "orders:read")]).await;
    let reply = h.userinfo(api_only["access_token"].as_str().unwrap()).await;
    assert_bearer_error(&reply, 403, "insufficient_scope");
}

pub async fn introspection_of_own_token_is_active<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, refresh) = access_and_refresh(&h).await;
    let reply = h.introspect(&h.client, &access).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let json = reply.json();
    assert_eq!(json["active"], true);
    assert_eq!(json["client_id"], h.client.id.as_str());
    assert_eq!(json["sub"], h.user.id.as_str());
    assert_eq!(json["iss"], h.issuer.as_str());
    assert_eq!(json["scope"], "email offline_access openid");
    assert!(json["exp"].as_i64().unwrap() > json["iat"].as_i64().unwrap());
    let json = h.introspect(&h.client, &refresh).await.json();
    assert_eq!(json["active"], true);
    let json = h.introspect(&h.client, "not-a-token").await.json();
    assert_eq!(json, serde_json::json!({"active": false}));
    assert_oauth_error(
        &h.post_as(&h.client, "/oauth/introspect", &[]).await,
        400,
        "invalid_request",
    );
}

pub async fn introspection_of_other_clients_token_is_inactive<S: Backend>() {
    let h = Harness::<S>::start().await;
    let other = h
        .register_client("Other", "https://other.example/cb", "openid")
        .await;
    let (access, refresh) = access_and_refresh(&h).await;
    for token in [&access, &refresh] {
        let json = h.introspect(&other, token).await.json();
        assert_eq!(json, serde_json::json!({"active": false}));
    }
    let mut wrong = h.client.clone();
    wrong.secret = "ocs_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned();
    assert_oauth_error(&h.introspect(&wrong, &access).await, 401, "invalid_client");
}

pub async fn revocation_of_other_clients_token_is_ignored<S: Backend>() {
    let h = Harness::<S>::start().await;
    let other = h
        .register_client("Other", "https://other.example/cb", "openid")
        .await;
    let (access, refresh) = access_and_refresh(&h).await;
    for token in [&access, &refresh] {
        let reply = h.revoke(&other, token).await;
        assert_eq!(reply.status, 200, "no hint that the token exists");
        assert_eq!(reply.body, "");
    }
    assert_eq!(h.userinfo(&access).await.status, 200, "still valid");
    assert_eq!(h.refresh(&refresh).await.status, 200, "still valid");
}

pub async fn revoking_refresh_token_revokes_access_tokens<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, refresh) = access_and_refresh(&h).await;
    let reply = h.revoke(&h.client, &refresh).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(h.userinfo(&access).await.status, 401);
    assert_eq!(
        h.introspect(&h.client, &access).await.json()["active"],
        false
    );
    assert_oauth_error(&h.refresh(&refresh).await, 400, "invalid_grant");
}

pub async fn revoking_access_token_keeps_refresh_token<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, refresh) = access_and_refresh(&h).await;
    assert_eq!(h.revoke(&h.client, &access).await.status, 200);
    assert_eq!(h.userinfo(&access).await.status, 401);
    let reply = h.refresh(&refresh).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

pub async fn unknown_token_revocation_is_200<S: Backend>() {
    let h = Harness::<S>::start().await;
    for token in [
        "nope",
        "oat_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "a.b.c",
    ] {
        let reply = h.revoke(&h.client, token).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, "");
    }
    assert_oauth_error(
        &h.post_as(&h.client, "/oauth/revoke", &[]).await,
        400,
        "invalid_request",
    );
    let mut wrong = h.client.clone();
    wrong.secret = "wrong".to_owned();
    assert_oauth_error(&h.revoke(&wrong, "nope").await, 401, "invalid_client");
}

pub async fn jwt_access_tokens_work_at_userinfo_introspection_and_revocation<S: Backend>() {
    let h = Harness::<S>::start().await;
    let mut registration = registration(
        "JWT client",
        "https://jwt.example/cb",
        "openid email offline_access",
    );
    registration.access_token_format = Some("jwt".to_owned());
    let client = h.register(&registration).await;
    let tokens = h.tokens_for(&client, "openid email offline_access").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "an RFC 9068 JWT access token");
    assert_eq!(
        h.userinfo(access).await.json()["email"],
        "alice@example.com"
    );
    let introspection = h.introspect(&client, access).await.json();
    assert_eq!(introspection["active"], true);
    assert_eq!(introspection["client_id"], client.id.as_str());
    // Another client cannot see it, the holder can revoke it.
    assert_eq!(
        h.introspect(&h.client, access).await.json()["active"],
        false
    );
    assert_eq!(h.revoke(&client, access).await.status, 200);
    assert_bearer_error(&h.userinfo(access).await, 401, "invalid_token");
    assert_eq!(h.introspect(&client, access).await.json()["active"], false);
}

pub async fn disabled_user_cannot_sign_in_and_tokens_stop_working<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (access, refresh) = access_and_refresh(&h).await;
    let id: UserId = h.user.id.parse().unwrap();
    let mut user = h.provider.store().get_user(id).await.unwrap().unwrap();
    user.disabled = true;
    assert!(h.provider.store().update_user(&user).await.unwrap());

    assert_bearer_error(&h.userinfo(&access).await, 401, "invalid_token");
    assert_oauth_error(&h.refresh(&refresh).await, 400, "invalid_grant");
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert!(
        page.is_login(),
        "a disabled user is refused like a wrong password"
    );
}
