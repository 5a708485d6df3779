use ostiary_core::ErrorCode;
use ostiary_core::authorize::AuthorizeOutcome;
use ostiary_pkce::CodeVerifier;
use ostiary_store::ClientRegistration;
use zeroize::Zeroizing;

use crate::harness::*;

fn challenge() -> String {
    CodeVerifier::generate()
        .unwrap()
        .challenge()
        .as_str()
        .to_owned()
}

/// Asserts an error redirect to the client with `error`, `state` and `iss`.
fn assert_error_redirect(outcome: &AuthorizeOutcome, code: ErrorCode) -> Vec<(String, String)> {
    let AuthorizeOutcome::Redirect(to) = outcome else {
        panic!("expected a redirect, got {outcome:?}")
    };
    assert!(to.starts_with(REDIRECT), "{to}");
    let pairs = query(to);
    assert_eq!(get(&pairs, "error"), Some(code.as_str()), "{to}");
    assert!(get(&pairs, "error_description").is_some());
    assert_eq!(get(&pairs, "iss"), Some(ISSUER));
    assert_eq!(get(&pairs, "code"), None);
    pairs
}

fn assert_error_page(outcome: &AuthorizeOutcome) {
    assert!(
        matches!(outcome, AuthorizeOutcome::ErrorPage(_)),
        "expected an error page, got {outcome:?}"
    );
}

#[tokio::test]
async fn full_sign_in_then_sso_skips_login_and_consent() {
    let h = Harness::new().await;
    let (_code, cookie, _verifier) = h.sign_in().await;
    let client_id = h.client.id.to_string();
    let ch = challenge();
    let again = h
        .provider
        .authorize(
            &params(&h.authorize_params(&client_id, &ch, &[])),
            Some(&cookie),
        )
        .await;
    let AuthorizeOutcome::Redirect(to) = again.outcome else {
        panic!("{:?}", again.outcome)
    };
    assert!(get(&query(&to), "code").is_some());
    assert!(again.new_session.is_none());
}

#[tokio::test]
async fn unknown_missing_or_malformed_client_gets_an_error_page() {
    let h = Harness::new().await;
    let ch = challenge();
    for client_id in ["", "not-a-uuid", "123e4567-e89b-12d3-a456-426614174000"] {
        let i = h
            .provider
            .authorize(&params(&h.authorize_params(client_id, &ch, &[])), None)
            .await;
        assert_error_page(&i.outcome);
    }
}

#[tokio::test]
async fn unregistered_missing_or_repeated_redirect_uri_gets_an_error_page() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    for uri in [
        "https://client.example/callback/",
        "https://evil.example/callback",
        "https://client.example/callback?x=1",
        "",
    ] {
        let i = h
            .provider
            .authorize(
                &params(&h.authorize_params(&id, &ch, &[("redirect_uri", uri)])),
                None,
            )
            .await;
        assert_error_page(&i.outcome);
    }
    let mut pairs = h.authorize_params(&id, &ch, &[]);
    pairs.push(("redirect_uri", "https://evil.example/cb"));
    let i = h.provider.authorize(&params(&pairs), None).await;
    assert_error_page(&i.outcome);
}

#[tokio::test]
async fn errors_after_validation_are_redirected_with_state_and_iss() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let cases: [(&[(&str, &str)], ErrorCode); 8] = [
        (
            &[("response_type", "token")],
            ErrorCode::UnsupportedResponseType,
        ),
        (&[("response_type", "")], ErrorCode::InvalidRequest),
        (&[("scope", "openid admin")], ErrorCode::InvalidScope),
        (&[("scope", "")], ErrorCode::InvalidScope),
        (
            &[("code_challenge_method", "plain")],
            ErrorCode::InvalidRequest,
        ),
        (&[("code_challenge_method", "")], ErrorCode::InvalidRequest),
        (
            &[("request", "eyJhbGciOiJub25lIn0.e30.")],
            ErrorCode::RequestNotSupported,
        ),
        (&[("prompt", "none login")], ErrorCode::InvalidRequest),
    ];
    for (extra, code) in cases {
        let i = h
            .provider
            .authorize(&params(&h.authorize_params(&id, &ch, extra)), None)
            .await;
        let pairs = assert_error_redirect(&i.outcome, code);
        assert_eq!(get(&pairs, "state"), Some("xyz"), "{extra:?}");
    }
}

#[tokio::test]
async fn repeated_parameter_after_redirect_validation_is_redirected() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let mut pairs = h.authorize_params(&id, &ch, &[]);
    pairs.push(("scope", "openid"));
    let i = h.provider.authorize(&params(&pairs), None).await;
    assert_error_redirect(&i.outcome, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn pkce_is_required_unless_the_client_has_an_exception() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let mut pairs = h.authorize_params(&id, "", &[]);
    pairs.retain(|(n, _)| !n.starts_with("code_challenge"));
    let i = h.provider.authorize(&params(&pairs), None).await;
    assert_error_redirect(&i.outcome, ErrorCode::InvalidRequest);

    let exempt = Harness::with_registration(ClientRegistration {
        pkce_required: Some(false),
        ..registration()
    })
    .await;
    let id = exempt.client.id.to_string();
    let mut pairs = exempt.authorize_params(&id, "", &[]);
    pairs.retain(|(n, _)| !n.starts_with("code_challenge"));
    let i = exempt.provider.authorize(&params(&pairs), None).await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Login(_)),
        "{:?}",
        i.outcome
    );
}

#[tokio::test]
async fn prompt_none_without_session_or_consent() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let request = params(&h.authorize_params(&id, &ch, &[("prompt", "none")]));
    let i = h.provider.authorize(&request, None).await;
    assert_error_redirect(&i.outcome, ErrorCode::LoginRequired);

    // Signed in, but never consented to this client.
    let other = params(&h.authorize_params(&id, &ch, &[]));
    let login = h
        .provider
        .login(&other, "alice", Zeroizing::new(PASSWORD.into()), None)
        .await;
    let cookie = login.new_session.unwrap().cookie.expose_secret().to_owned();
    let i = h.provider.authorize(&request, Some(&cookie)).await;
    assert_error_redirect(&i.outcome, ErrorCode::ConsentRequired);
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_new_sign_in() {
    let h = Harness::new().await;
    let (_code, cookie, _) = h.sign_in().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let i = h
        .provider
        .authorize(
            &params(&h.authorize_params(&id, &ch, &[("prompt", "login")])),
            Some(&cookie),
        )
        .await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Login(_)),
        "{:?}",
        i.outcome
    );

    let with_max_age = params(&h.authorize_params(&id, &ch, &[("max_age", "60")]));
    let i = h.provider.authorize(&with_max_age, Some(&cookie)).await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Redirect(_)),
        "fresh enough: {:?}",
        i.outcome
    );
    h.clock.advance(61);
    let i = h.provider.authorize(&with_max_age, Some(&cookie)).await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Login(_)),
        "too old: {:?}",
        i.outcome
    );
    // Signing in again satisfies it.
    let login = h
        .provider
        .login(
            &with_max_age,
            "alice",
            Zeroizing::new(PASSWORD.into()),
            Some(&cookie),
        )
        .await;
    assert!(
        matches!(login.outcome, AuthorizeOutcome::Redirect(_)),
        "{:?}",
        login.outcome
    );
}

#[tokio::test]
async fn consent_is_asked_again_when_scopes_grow_and_remembered_otherwise() {
    let h = Harness::new().await;
    let (_code, cookie, _) = h.sign_in().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let narrower = params(&h.authorize_params(&id, &ch, &[("scope", "openid email")]));
    let i = h.provider.authorize(&narrower, Some(&cookie)).await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Redirect(_)),
        "{:?}",
        i.outcome
    );

    let wider = params(&h.authorize_params(&id, &ch, &[("scope", "openid api:read")]));
    let i = h.provider.authorize(&wider, Some(&cookie)).await;
    let AuthorizeOutcome::Consent(prompt) = i.outcome else {
        panic!("{:?}", i.outcome)
    };
    let granted: Vec<(&str, bool)> = prompt
        .scopes
        .iter()
        .map(|s| (s.scope.as_str(), s.already_granted))
        .collect();
    assert_eq!(granted, [("api:read", false), ("openid", true)]);
    assert_eq!(prompt.client.name, "Acme Books");
    assert_eq!(prompt.user_display_name, "Alice Liddell");

    let i = h
        .provider
        .authorize(
            &params(&h.authorize_params(&id, &ch, &[("prompt", "consent")])),
            Some(&cookie),
        )
        .await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Consent(_)),
        "prompt=consent asks again"
    );

    // Approving the wider scope adds to what was granted before: both together need no prompt.
    let i = h.provider.consent(&wider, true, Some(&cookie)).await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Redirect(_)),
        "{:?}",
        i.outcome
    );
    let both = params(&h.authorize_params(&id, &ch, &[("scope", "openid email api:read")]));
    let i = h.provider.authorize(&both, Some(&cookie)).await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Redirect(_)),
        "{:?}",
        i.outcome
    );
}

#[tokio::test]
async fn denying_consent_redirects_access_denied() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let request = params(&h.authorize_params(&id, &ch, &[]));
    let login = h
        .provider
        .login(&request, "alice", Zeroizing::new(PASSWORD.into()), None)
        .await;
    let cookie = login.new_session.unwrap().cookie.expose_secret().to_owned();
    let i = h.provider.consent(&request, false, Some(&cookie)).await;
    assert_error_redirect(&i.outcome, ErrorCode::AccessDenied);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let request = params(&h.authorize_params(&id, &ch, &[]));
    let wrong = h
        .provider
        .login(
            &request,
            "alice",
            Zeroizing::new("not the password".into()),
            None,
        )
        .await;
    let unknown = h
        .provider
        .login(&request, "bob", Zeroizing::new(PASSWORD.into()), None)
        .await;
    for i in [wrong, unknown] {
        assert!(i.new_session.is_none());
        let AuthorizeOutcome::Login(prompt) = i.outcome else {
            panic!("{:?}", i.outcome)
        };
        assert_eq!(prompt.error, Some("The username or password is incorrect."));
    }
    // E-mail works as a login name, case-insensitively.
    let by_email = h
        .provider
        .login(
            &request,
            "ALICE@example.com",
            Zeroizing::new(PASSWORD.into()),
            None,
        )
        .await;
    assert!(by_email.new_session.is_some());
}

#[tokio::test]
async fn consent_without_a_session_asks_to_sign_in() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let request = params(&h.authorize_params(&id, &ch, &[]));
    let i = h
        .provider
        .consent(
            &request,
            true,
            Some("oss_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Login(_)),
        "{:?}",
        i.outcome
    );
}

#[tokio::test]
async fn a_new_sign_in_rotates_the_session_cookie() {
    let h = Harness::new().await;
    let (_code, first_cookie, _) = h.sign_in().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let request = params(&h.authorize_params(&id, &ch, &[("prompt", "login")]));
    let login = h
        .provider
        .login(
            &request,
            "alice",
            Zeroizing::new(PASSWORD.into()),
            Some(&first_cookie),
        )
        .await;
    assert!(login.new_session.is_some());
    let i = h
        .provider
        .authorize(
            &params(&h.authorize_params(&id, &ch, &[])),
            Some(&first_cookie),
        )
        .await;
    assert!(
        matches!(i.outcome, AuthorizeOutcome::Login(_)),
        "the old cookie no longer signs in: {:?}",
        i.outcome
    );
}

#[tokio::test]
async fn organization_clients_cannot_use_the_authorization_endpoint() {
    let h = Harness::with_registration(ClientRegistration {
        subject_type: Some("organization".into()),
        initiate_login_uri: Some("https://client.example/connect".into()),
        ..registration()
    })
    .await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let i = h
        .provider
        .authorize(&params(&h.authorize_params(&id, &ch, &[])), None)
        .await;
    assert_error_redirect(&i.outcome, ErrorCode::UnauthorizedClient);
}

#[tokio::test]
async fn oversized_state_is_refused_without_echoing_it() {
    let h = Harness::new().await;
    let id = h.client.id.to_string();
    let ch = challenge();
    let big = "s".repeat(3000);
    let i = h
        .provider
        .authorize(
            &params(&h.authorize_params(&id, &ch, &[("state", &big)])),
            None,
        )
        .await;
    let AuthorizeOutcome::Redirect(to) = &i.outcome else {
        panic!("{:?}", i.outcome)
    };
    assert!(!to.contains(&big));
    assert_eq!(get(&query(to), "error"), Some("invalid_request"));
}
