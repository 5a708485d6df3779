//! The token endpoint: code exchange rules, client authentication, request format, caching.

use crate::harness::{Backend, Harness, Pkce, REDIRECT_URI, Reply};

/// Asserts a JSON OAuth error with `status` and `error`, not cacheable.
pub fn assert_oauth_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.error(), error, "{}", reply.body);
    assert!(reply.json()["error_description"].is_string());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
}

/// A raw form post to the token endpoint with the default client's Basic credentials.
async fn raw_token<S: Backend>(h: &Harness<S>, content_type: &str, body: &str) -> Reply {
    let response = h
        .api()
        .post(h.url("/oauth/token"))
        .basic_auth(&h.client.id, Some(&h.client.secret))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    Reply::read(response).await
}

pub async fn token_with_wrong_verifier_is_invalid_grant<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let reply = h.exchange(&code, &Pkce::new()).await;
    assert_oauth_error(&reply, 400, "invalid_grant");
}

pub async fn token_without_verifier_is_invalid_grant<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (_, code) = h.sign_in(&Pkce::new(), &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    assert_oauth_error(&h.token(&h.client, &form).await, 400, "invalid_grant");
}

pub async fn token_code_replay_revokes_issued_tokens<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h
        .sign_in(&pkce, &[("scope", "openid offline_access")])
        .await;
    let first = h.exchange(&code, &pkce).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let tokens = first.json();
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(h.userinfo(access).await.status, 200);

    // RFC 6749 §4.1.2: a second use fails and revokes what the first issued.
    assert_oauth_error(&h.exchange(&code, &pkce).await, 400, "invalid_grant");
    assert_eq!(
        h.userinfo(access).await.status,
        401,
        "the access token was revoked"
    );
    assert_oauth_error(&h.refresh(refresh).await, 400, "invalid_grant");
}

pub async fn token_code_expires_after_60_seconds<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (browser, early) = h.sign_in(&pkce, &[]).await;
    h.clock.advance(59);
    assert_eq!(
        h.exchange(&early, &pkce).await.status,
        200,
        "still valid at 59 s"
    );

    let page = browser.get(&h.authorize_url(&pkce, &[])).await;
    let late = crate::harness::Callback::parse(&page.location().unwrap())
        .code
        .unwrap();
    h.clock.advance(61);
    assert_oauth_error(&h.exchange(&late, &pkce).await, 400, "invalid_grant");
}

pub async fn token_with_other_clients_code_is_invalid_grant<S: Backend>() {
    let h = Harness::<S>::start().await;
    let other = h
        .register_client("Other", REDIRECT_URI, "openid profile email")
        .await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    assert_oauth_error(&h.token(&other, &form).await, 400, "invalid_grant");
}

pub async fn token_with_mismatched_redirect_uri_is_invalid_grant<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://books.example/other"),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    assert_oauth_error(&h.token(&h.client, &form).await, 400, "invalid_grant");
}

pub async fn token_client_secret_post_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let response = h
        .api()
        .post(h.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", pkce.verifier.as_str()),
            ("client_id", h.client.id.as_str()),
            ("client_secret", h.client.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let reply = Reply::read(response).await;
    assert_oauth_error(&reply, 401, "invalid_client");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"ostiary\"")
    );
}

pub async fn token_mixed_auth_methods_are_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
        ("client_secret", h.client.secret.as_str()),
    ];
    // RFC 6749 §2.3: one authentication method per request.
    assert_oauth_error(&h.token(&h.client, &form).await, 401, "invalid_client");
    // The code was not consumed by the refused request.
    assert_eq!(h.exchange(&code, &pkce).await.status, 200);
}

pub async fn token_invalid_client_is_401_with_www_authenticate_basic<S: Backend>() {
    let h = Harness::<S>::start().await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    let mut wrong = h.client.clone();
    wrong.secret = "ocs_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned();
    let mut unknown = h.client.clone();
    unknown.id = "7d0e6a43-5f8e-4a7b-b0a4-2f6cf0d0c4e1".to_owned();
    for client in [&wrong, &unknown] {
        let reply = h.token(client, &form).await;
        assert_oauth_error(&reply, 401, "invalid_client");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"ostiary\"")
        );
    }
    let response = h
        .api()
        .post(h.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let reply = Reply::read(response).await;
    assert_oauth_error(&reply, 401, "invalid_client");
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic ")
    );
}

/// The exchange authenticates the client before it touches the code: wrong credentials (a wrong
/// secret, an unknown client, a well-formed request from someone who only has the code) are
/// `invalid_client` and do not spend it.
pub async fn token_code_with_wrong_credentials_is_401_and_does_not_spend_the_code<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    for client in &h.wrong_credentials() {
        assert_oauth_error(&h.token(client, &form).await, 401, "invalid_client");
    }
    let reply = h.exchange(&code, &pkce).await;
    assert_eq!(reply.status, 200, "the code still works: {}", reply.body);
}

pub async fn token_repeated_parameter_is_invalid_request<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={}&code_verifier={}",
        "https%3A%2F%2Fbooks.example%2Fcallback", pkce.verifier, pkce.verifier
    );
    let reply = raw_token(&h, "application/x-www-form-urlencoded", &body).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

pub async fn token_unsupported_grant_type<S: Backend>() {
    let h = Harness::<S>::start().await;
    for grant_type in [
        "password",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let reply = h
            .token(
                &h.client,
                &[("grant_type", grant_type), ("username", "alice")],
            )
            .await;
        assert_oauth_error(&reply, 400, "unsupported_grant_type");
    }
    assert_oauth_error(
        &h.token(&h.client, &[("code", "x")]).await,
        400,
        "invalid_request",
    );
}

pub async fn token_responses_are_not_cacheable<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let (_, code) = h.sign_in(&pkce, &[]).await;
    let reply = h.exchange(&code, &pkce).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let json = reply.json();
    assert_eq!(json["token_type"], "Bearer");
    assert!(json["expires_in"].is_i64(), "an integer expires_in");
    // Errors too.
    assert_oauth_error(&h.exchange(&code, &pkce).await, 400, "invalid_grant");
}

pub async fn token_requires_form_content_type<S: Backend>() {
    let h = Harness::<S>::start().await;
    let body = "grant_type=refresh_token&refresh_token=x";
    for content_type in [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let reply = raw_token(&h, content_type, body).await;
        assert_oauth_error(&reply, 400, "invalid_request");
    }
    let response = h
        .api()
        .post(h.url("/oauth/token"))
        .basic_auth(&h.client.id, Some(&h.client.secret))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_oauth_error(&Reply::read(response).await, 400, "invalid_request");
    // A charset parameter is fine: the request reaches the grant (and fails there).
    let reply = raw_token(&h, "application/x-www-form-urlencoded; charset=UTF-8", body).await;
    assert_oauth_error(&reply, 400, "invalid_grant");
}

pub async fn token_body_over_limit_is_413<S: Backend>() {
    let h = Harness::<S>::start().await;
    let body = format!("grant_type=refresh_token&pad={}", "a".repeat(70 * 1024));
    let reply = raw_token(&h, "application/x-www-form-urlencoded", &body).await;
    assert_oauth_error(&reply, 413, "invalid_request");
    // Over the parameter bounds but under the body limit: 400.
    let body = format!("grant_type=refresh_token&pad={}", "a".repeat(5000));
    let reply = raw_token(&h, "application/x-www-form-urlencoded", &body).await;
    assert_oauth_error(&reply, 400, "invalid_request");
}

pub async fn token_duplicate_authorization_header_is_invalid_request<S: Backend>() {
    let h = Harness::<S>::start().await;
    let basic = |id: &str, secret: &str| {
        use base64ct::Encoding;
        format!(
            "Basic {}",
            base64ct::Base64::encode_string(format!("{id}:{secret}").as_bytes())
        )
    };
    let response = h
        .api()
        .post(h.url("/oauth/token"))
        .header("authorization", basic(&h.client.id, &h.client.secret))
        .header("authorization", basic("someone", "else"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(&Reply::read(response).await, 400, "invalid_request");
}
