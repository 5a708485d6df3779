use std::sync::Arc;

use ostiary_core::ErrorCode;
use ostiary_jose::Validation;
use ostiary_pkce::CodeVerifier;
use ostiary_store::{TokenStore, User, UserStore};
use serde_json::Value;

use crate::harness::*;

fn assert_error(result: Result<impl std::fmt::Debug, ostiary_core::OAuthError>, code: ErrorCode) {
    let error = result.expect_err("expected an error");
    assert_eq!(error.code, code, "{error:?}");
}

#[tokio::test]
async fn code_exchange_returns_standard_tokens_and_a_valid_id_token() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let json = h.exchange(&code, &verifier).await.unwrap();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], Value::from(900), "an integer");
    assert_eq!(json["scope"], "email openid profile");
    let access = json["access_token"].as_str().unwrap();
    assert!(access.starts_with("oat_"));
    assert!(json["refresh_token"].as_str().unwrap().starts_with("ort_"));

    let keys = h.provider.key_set();
    let validation = Validation::new(
        ISSUER,
        h.client.id.to_string(),
        ostiary_core::Clock::now(h.clock.as_ref()),
    );
    let id = keys
        .verify_id_token(json["id_token"].as_str().unwrap(), &validation)
        .unwrap();
    assert_eq!(id.sub, h.user.id.to_string());
    assert_eq!(id.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(id.at_hash, Some(keys.signing_alg().token_hash(access)));
    assert_eq!(id.auth_time, Some(START));
    assert!(id.sid.is_some());
    assert_eq!(id.amr, Some(vec!["pwd".to_owned()]));
    assert_eq!(id.standard.email.as_deref(), Some("alice@example.com"));
    assert_eq!(id.standard.email_verified, Some(true));
    assert_eq!(id.standard.name.as_deref(), Some("Alice Liddell"));
    assert_eq!(id.standard.preferred_username.as_deref(), Some("alice"));
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    assert_error(h.exchange(&code, &verifier).await, ErrorCode::InvalidGrant);
    let access = first["access_token"].as_str().unwrap();
    let header = format!("Bearer {access}");
    assert!(
        h.provider.userinfo(Some(&header), false).await.is_err(),
        "the first exchange's token is revoked"
    );
    assert_error(
        h.refresh(first["refresh_token"].as_str().unwrap()).await,
        ErrorCode::InvalidGrant,
    );
}

#[tokio::test]
async fn codes_expire_after_their_lifetime() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    h.clock.advance(61);
    assert_error(h.exchange(&code, &verifier).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn pkce_verifier_must_match() {
    let h = Harness::new().await;
    let (code, _cookie, _verifier) = h.sign_in().await;
    let wrong = CodeVerifier::generate().unwrap();
    assert_error(h.exchange(&code, &wrong).await, ErrorCode::InvalidGrant);

    let (code, _cookie, _verifier) = h.sign_in().await;
    let body = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ]);
    assert_error(
        h.provider.token(Some(&h.basic()), &body).await,
        ErrorCode::InvalidGrant,
    );
}

/// A refused exchange still spends the code: a code tried with a wrong verifier is burnt, and the
/// right verifier afterwards gets nothing. (A wrong redirect URI: see
/// `codes_are_bound_to_client_and_redirect_uri`.)
#[tokio::test]
async fn a_refused_exchange_spends_the_code() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let wrong = CodeVerifier::generate().unwrap();
    let refused = h.exchange(&code, &wrong).await.unwrap_err();
    assert_eq!(
        refused.description,
        "code_verifier does not match the code_challenge"
    );
    let after = h.exchange(&code, &verifier).await.unwrap_err();
    assert_eq!(after.code, ErrorCode::InvalidGrant);
    assert_eq!(
        after.description,
        "the authorization code is invalid, expired or already used"
    );

    // A code never issued is refused the same way, and a good code still works.
    assert_error(
        h.exchange("not-a-code-of-ours", &verifier).await,
        ErrorCode::InvalidGrant,
    );
    let (code, _cookie, verifier) = h.sign_in().await;
    assert!(h.exchange(&code, &verifier).await.is_ok());
}

/// A user disabled between the code and its exchange gets no tokens: the exchange is refused, the
/// code is spent, and the family the exchange created with it is revoked at once.
#[tokio::test]
async fn a_disabled_user_gets_no_tokens_from_a_code() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let store = h.provider.store();
    let disabled = User {
        disabled: true,
        ..h.user.clone()
    };
    assert!(store.update_user(&disabled).await.unwrap());
    let refused = h.exchange(&code, &verifier).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidGrant);
    assert_eq!(
        refused.description,
        "the user of this authorization is no longer active"
    );
    assert_eq!(
        store.revoke_by_user(h.user.id, START).await.unwrap(),
        0,
        "the family created with the code is revoked already"
    );
    assert!(store.update_user(&h.user).await.unwrap());
    assert_error(h.exchange(&code, &verifier).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn codes_are_bound_to_client_and_redirect_uri() {
    let h = Harness::new().await;
    let (other, other_secret) = h
        .provider
        .registry()
        .register(&registration(), START)
        .await
        .unwrap();
    let (code, _cookie, verifier) = h.sign_in().await;
    let body = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.expose_secret()),
    ]);
    let other_auth = basic_auth(&other.id.to_string(), other_secret.expose_secret());
    assert_error(
        h.provider.token(Some(&other_auth), &body).await,
        ErrorCode::InvalidGrant,
    );

    let (code, _cookie, verifier) = h.sign_in().await;
    let body = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://client.example/other"),
        ("code_verifier", verifier.expose_secret()),
    ]);
    assert_error(
        h.provider.token(Some(&h.basic()), &body).await,
        ErrorCode::InvalidGrant,
    );
    // The refused exchange spent the code: the right redirect URI afterwards gets nothing.
    assert_error(h.exchange(&code, &verifier).await, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn only_client_secret_basic_authenticates() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let base = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "ort_1_x"),
    ];
    let post = params(&[
        base[0],
        base[1],
        ("client_id", &id),
        ("client_secret", &h.secret),
    ]);
    let e = h.provider.token(None, &post).await.unwrap_err();
    assert_eq!(
        (e.code, e.http_status(), e.needs_basic_challenge()),
        (ErrorCode::InvalidClient, 401, true)
    );
    let e = h.provider.token(Some(&h.basic()), &post).await.unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::InvalidClient,
        "mixing methods is refused"
    );
    let e = h.provider.token(None, &params(&base)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidClient);
    let wrong = basic_auth(&id, "ocs_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        h.provider
            .token(Some(&wrong), &params(&base))
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidClient
    );
    let mismatched = params(&[
        base[0],
        base[1],
        ("client_id", "123e4567-e89b-12d3-a456-426614174000"),
    ]);
    assert_eq!(
        h.provider
            .token(Some(&h.basic()), &mismatched)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidClient
    );
}

#[tokio::test]
async fn malformed_token_requests() {
    let h = Harness::new().await;
    let auth = h.basic();
    let repeated =
        ostiary_core::Params::parse(b"grant_type=refresh_token&refresh_token=a&refresh_token=b")
            .unwrap();
    assert_error(
        h.provider.token(Some(&auth), &repeated).await,
        ErrorCode::InvalidRequest,
    );
    assert_error(
        h.provider.token(Some(&auth), &params(&[])).await,
        ErrorCode::InvalidRequest,
    );
    assert_error(
        h.provider
            .token(Some(&auth), &params(&[("grant_type", "password")]))
            .await,
        ErrorCode::UnsupportedGrantType,
    );
    assert_error(
        h.provider
            .token(
                Some(&auth),
                &params(&[("grant_type", "client_credentials")]),
            )
            .await,
        ErrorCode::UnsupportedGrantType,
    );
    assert_error(
        h.provider
            .token(
                Some(&auth),
                &params(&[("grant_type", "authorization_code")]),
            )
            .await,
        ErrorCode::InvalidRequest,
    );
    assert_error(
        h.provider
            .token(
                Some(&auth),
                &params(&[
                    ("grant_type", "authorization_code"),
                    ("code", "garbage"),
                    ("redirect_uri", REDIRECT),
                ]),
            )
            .await,
        ErrorCode::InvalidGrant,
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_retry_within_the_window_gets_the_same_response() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let old = first["refresh_token"].as_str().unwrap();
    h.clock.advance(5);
    let rotated = h.refresh(old).await.unwrap();
    let again = h.refresh(old).await.unwrap();
    // The same tokens inside the retry window; the ID token is signed again over the same claims.
    assert_same_tokens(&rotated, &again);
    let rotated: Value = serde_json::from_str(&rotated).unwrap();
    assert_ne!(rotated["refresh_token"], first["refresh_token"]);
    assert_ne!(rotated["access_token"], first["access_token"]);

    // The refreshed ID token: same subject and auth_time, fresh iat, no nonce (OIDC Core §12.2).
    let validation = Validation::new(
        ISSUER,
        h.client.id.to_string(),
        ostiary_core::Clock::now(h.clock.as_ref()),
    );
    let id = h
        .provider
        .key_set()
        .verify_id_token(rotated["id_token"].as_str().unwrap(), &validation)
        .unwrap();
    assert_eq!(id.sub, h.user.id.to_string());
    assert_eq!(id.auth_time, Some(START));
    assert_eq!(id.iat, START + 5);
    assert_eq!(id.nonce, None);

    // The retry's ID token verifies like the first one.
    let again: Value = serde_json::from_str(&again).unwrap();
    let retried = h
        .provider
        .key_set()
        .verify_id_token(again["id_token"].as_str().unwrap(), &validation)
        .unwrap();
    assert_eq!(retried.sub, id.sub);
    assert_eq!(retried.iat, id.iat);

    // The successor works and rotates in turn.
    assert!(
        h.refresh(rotated["refresh_token"].as_str().unwrap())
            .await
            .is_ok()
    );
}

/// A disabled user's refresh token is refused without being rotated: once the user is enabled again,
/// the same token still works.
#[tokio::test]
async fn a_disabled_user_gets_no_tokens_from_a_refresh_token() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let token = first["refresh_token"].as_str().unwrap();
    let store = h.provider.store();
    let disabled = User {
        disabled: true,
        ..h.user.clone()
    };
    assert!(store.update_user(&disabled).await.unwrap());
    assert_error(h.refresh(token).await, ErrorCode::InvalidGrant);
    assert!(store.update_user(&h.user).await.unwrap());
    let refreshed: Value = serde_json::from_str(&h.refresh(token).await.unwrap()).unwrap();
    assert!(refreshed["id_token"].is_string());
}

#[tokio::test]
async fn refresh_replay_after_the_window_revokes_the_family() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let old = first["refresh_token"].as_str().unwrap();
    let rotated: Value = serde_json::from_str(&h.refresh(old).await.unwrap()).unwrap();
    h.clock.advance(11);
    assert_error(h.refresh(old).await, ErrorCode::InvalidGrant);
    assert_error(
        h.refresh(rotated["refresh_token"].as_str().unwrap()).await,
        ErrorCode::InvalidGrant,
    );
    let header = format!("Bearer {}", rotated["access_token"].as_str().unwrap());
    assert!(
        h.provider.userinfo(Some(&header), false).await.is_err(),
        "the family's access tokens are revoked"
    );
}

#[tokio::test]
async fn concurrent_refreshes_inside_the_window_all_get_one_result() {
    let h = Arc::new(Harness::new().await);
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let old = first["refresh_token"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (h, old) = (Arc::clone(&h), old.clone());
            tokio::spawn(async move { h.refresh(&old).await.unwrap() })
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.unwrap());
    }
    // Every request got the same tokens (ID tokens signed again over the same claims).
    for pair in bodies.windows(2) {
        assert_same_tokens(&pair[0], &pair[1]);
    }
}

#[tokio::test]
async fn refresh_scope_may_only_narrow() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let token = first["refresh_token"].as_str().unwrap();
    let wider = params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("scope", "openid api:read"),
    ]);
    assert_error(
        h.provider.token(Some(&h.basic()), &wider).await,
        ErrorCode::InvalidScope,
    );
    let narrower = params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("scope", "email"),
    ]);
    let json: Value =
        serde_json::from_str(&h.provider.token(Some(&h.basic()), &narrower).await.unwrap())
            .unwrap();
    assert_eq!(json["scope"], "email");
    assert!(json.get("id_token").is_none(), "no ID token without openid");
    // The next refresh may go back to the original scope: it is the grant's, not the last token's.
    let back = params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", json["refresh_token"].as_str().unwrap()),
    ]);
    let json: Value =
        serde_json::from_str(&h.provider.token(Some(&h.basic()), &back).await.unwrap()).unwrap();
    assert_eq!(json["scope"], "email openid profile");
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_their_client() {
    let h = Harness::new().await;
    let (other, other_secret) = h
        .provider
        .registry()
        .register(&registration(), START)
        .await
        .unwrap();
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let body = params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
    ]);
    let auth = basic_auth(&other.id.to_string(), other_secret.expose_secret());
    assert_error(
        h.provider.token(Some(&auth), &body).await,
        ErrorCode::InvalidGrant,
    );
    assert!(
        h.refresh(first["refresh_token"].as_str().unwrap())
            .await
            .is_ok(),
        "still usable by its owner"
    );
}

/// A well-formed refresh request is authenticated by the store operation that reads its token. Wrong
/// credentials get `invalid_client` before anything about the token is decided or written: no
/// rotation, no retry response, no replay revocation.
#[tokio::test]
async fn refresh_with_wrong_credentials_is_invalid_client_and_changes_nothing() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = h.sign_in().await;
    let first = h.exchange(&code, &verifier).await.unwrap();
    let token = first["refresh_token"].as_str().unwrap().to_owned();
    let id = h.client.id.to_string();
    let body = |token: &str| params(&[("grant_type", "refresh_token"), ("refresh_token", token)]);
    let wrong_secret = basic_auth(&id, "ocs_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let unknown_client = basic_auth("123e4567-e89b-12d3-a456-426614174000", &h.secret);
    let not_a_secret = basic_auth(&id, "hunter2");
    for auth in [&wrong_secret, &unknown_client, &not_a_secret] {
        let e = h
            .provider
            .token(Some(auth), &body(&token))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.http_status(), e.needs_basic_challenge()),
            (ErrorCode::InvalidClient, 401, true),
            "{auth}"
        );
    }
    // An unknown (well-formed) token: invalid_client for wrong credentials, invalid_grant for right.
    let last = if token.ends_with('A') { "B" } else { "A" };
    let unknown = format!("{}{last}", &token[..token.len() - 1]);
    assert_error(
        h.provider.token(Some(&wrong_secret), &body(&unknown)).await,
        ErrorCode::InvalidClient,
    );
    assert_error(h.refresh(&unknown).await, ErrorCode::InvalidGrant);

    // Nothing was written: the token rotates for its client.
    let rotated: Value = serde_json::from_str(&h.refresh(&token).await.unwrap()).unwrap();
    // Within the retry window, wrong credentials get no retry response.
    assert_error(
        h.provider.token(Some(&wrong_secret), &body(&token)).await,
        ErrorCode::InvalidClient,
    );
    // After it, wrong credentials do not make a replay: the family is not revoked.
    h.clock.advance(60);
    assert_error(
        h.provider.token(Some(&wrong_secret), &body(&token)).await,
        ErrorCode::InvalidClient,
    );
    let next = rotated["refresh_token"].as_str().unwrap();
    assert!(h.refresh(next).await.is_ok(), "the family is still live");
}

#[tokio::test]
async fn signing_in_again_as_the_same_user_keeps_other_grants_of_the_session() {
    // Regression test: a prompt=login re-authentication used to end the session and revoke every
    // other application's tokens issued in it.
    let h = Harness::new().await;
    let (code, cookie, verifier) = h.sign_in().await;
    let tokens = h.exchange(&code, &verifier).await.unwrap();
    let id = h.client.id.to_string();
    let again_verifier = CodeVerifier::generate().unwrap();
    let challenge = again_verifier.challenge();
    let again = params(&h.authorize_params(&id, challenge.as_str(), &[("prompt", "login")]));
    h.clock.advance(30);
    let login = h
        .provider
        .login(
            &again,
            "alice",
            zeroize::Zeroizing::new(PASSWORD.into()),
            Some(&cookie),
        )
        .await;
    let new_cookie = login
        .new_session
        .expect("a new cookie")
        .cookie
        .expose_secret()
        .to_owned();
    assert_ne!(new_cookie, cookie, "the cookie is rotated at every sign-in");
    assert!(
        h.refresh(tokens["refresh_token"].as_str().unwrap())
            .await
            .is_ok(),
        "still live"
    );
    // The same session (same sid), with the new auth_time.
    let ostiary_core::authorize::AuthorizeOutcome::Redirect(to) = login.outcome else {
        panic!("{:?}", login.outcome)
    };
    let code = get(&query(&to), "code").unwrap().to_owned();
    let json = h.exchange(&code, &again_verifier).await.unwrap();
    let validation = Validation::new(ISSUER, h.client.id.to_string(), START + 30);
    let keys = h.provider.key_set();
    let first = keys
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &validation)
        .unwrap();
    let second = keys
        .verify_id_token(json["id_token"].as_str().unwrap(), &validation)
        .unwrap();
    assert_eq!(first.sid, second.sid);
    assert_eq!(second.auth_time, Some(START + 30));
    // The old cookie no longer finds the session.
    let i = h
        .provider
        .authorize(
            &params(&h.authorize_params(&id, challenge.as_str(), &[])),
            Some(&cookie),
        )
        .await;
    assert!(matches!(
        i.outcome,
        ostiary_core::authorize::AuthorizeOutcome::Login(_)
    ));
}

#[tokio::test]
async fn signing_in_as_another_user_ends_the_previous_session_and_its_tokens() {
    let h = Harness::new().await;
    let (code, cookie, verifier) = h.sign_in().await;
    let tokens = h.exchange(&code, &verifier).await.unwrap();
    create_user(&h.provider, "bob", "bob@example.com").await;
    let id = h.client.id.to_string();
    let challenge = CodeVerifier::generate().unwrap().challenge();
    let request = params(&h.authorize_params(&id, challenge.as_str(), &[("prompt", "login")]));
    let login = h
        .provider
        .login(
            &request,
            "bob",
            zeroize::Zeroizing::new(PASSWORD.into()),
            Some(&cookie),
        )
        .await;
    assert!(login.new_session.is_some());
    assert_error(
        h.refresh(tokens["refresh_token"].as_str().unwrap()).await,
        ErrorCode::InvalidGrant,
    );
}

#[tokio::test]
async fn a_code_exchanged_after_sign_out_gives_no_tokens() {
    let h = Harness::new().await;
    let (code, cookie, verifier) = h.sign_in().await;
    assert!(
        h.provider
            .end_session_by_cookie(&cookie)
            .await
            .unwrap()
            .is_some()
    );
    let error = h.exchange(&code, &verifier).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    assert_eq!(
        error.description,
        "the session this code was issued in has ended"
    );
}
