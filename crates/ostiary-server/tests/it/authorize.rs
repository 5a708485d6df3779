//! The authorization endpoint, the sign-in and the consent forms: one case per rule.

use ostiary_core::authorize::describe_scope;

use crate::browser::{Page, unescape};
use crate::harness::{Backend, Callback, Harness, PASSWORD, Pkce, REDIRECT_URI, random_token};

/// Asserts that `page` is an HTML error page with `status`, and not a redirect of any kind.
fn assert_error_page(page: &Page, status: u16) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(page.location().is_none(), "an error page never redirects");
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.body.contains("Error code for developers"),
        "{}",
        page.body
    );
}

/// Asserts that `page` redirects to the client with `error`, the request's `state` and `iss`.
fn assert_error_redirect<S: Backend>(
    h: &Harness<S>,
    page: &Page,
    error: &str,
    state: Option<&str>,
) {
    assert_eq!(page.status, 302, "{}", page.body);
    let callback = Callback::parse(&page.location().unwrap());
    assert_eq!(callback.base, REDIRECT_URI);
    assert_eq!(callback.error.as_deref(), Some(error), "{callback:?}");
    assert!(callback.code.is_none());
    assert_eq!(callback.state.as_deref(), state);
    assert_eq!(callback.iss.as_deref(), Some(h.issuer.as_str()));
}

pub async fn authorize_with_unregistered_redirect_uri_shows_error_page_and_never_redirects<
    S: Backend,
>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    for uri in [
        "https://evil.example/callback",
        "https://books.example/callback/",
        "https://books.example/callback?x=1",
        "https://BOOKS.example/callback",
        "http://books.example/callback",
    ] {
        let url = h.authorize_url(&Pkce::new(), &[("redirect_uri", uri)]);
        let page = browser.get(&url).await;
        assert_error_page(&page, 400);
        assert!(
            !page.body.contains("evil.example"),
            "the page does not echo input"
        );
    }
    // Even with a signed-in session, nothing is redirected.
    let (browser, _) = h.sign_in(&Pkce::new(), &[]).await;
    let url = h.authorize_url(&Pkce::new(), &[("redirect_uri", "https://evil.example/cb")]);
    assert_error_page(&browser.get(&url).await, 400);
}

pub async fn authorize_with_unknown_client_shows_error_page<S: Backend>() {
    let h = Harness::<S>::start().await;
    for client_id in [
        "6f1c1c2e-8d0b-4a52-9d4c-1f3f0e6a9b11",
        "not-a-uuid",
        "<script>",
    ] {
        let url = h.authorize_url(&Pkce::new(), &[("client_id", client_id)]);
        let page = h.browser().get(&url).await;
        assert_error_page(&page, 400);
        assert!(page.body.contains("invalid_client"));
    }
}

pub async fn authorize_without_client_id_shows_error_page<S: Backend>() {
    let h = Harness::<S>::start().await;
    let url = h.authorize_url(&Pkce::new(), &[("client_id", "")]);
    assert_error_page(&h.browser().get(&url).await, 400);
    assert_error_page(&h.browser().get(&h.url("/oauth/authorize")).await, 400);
}

pub async fn authorize_with_repeated_parameter_redirects_invalid_request<S: Backend>() {
    let h = Harness::<S>::start().await;
    // RFC 6749 §3.1: parameters MUST NOT be included more than once.
    let url = format!("{}&scope=openid", h.authorize_url(&Pkce::new(), &[]));
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "invalid_request", Some("state-123"));
}

pub async fn authorize_with_repeated_redirect_uri_shows_error_page<S: Backend>() {
    let h = Harness::<S>::start().await;
    let url = format!(
        "{}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        h.authorize_url(&Pkce::new(), &[])
    );
    assert_error_page(&h.browser().get(&url).await, 400);
}

pub async fn authorize_with_oversized_parameter_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    // Over the parameter parser's bound: the request cannot be read at all, so it is not redirected.
    let huge = "x".repeat(ostiary_core::MAX_VALUE_LEN + 1);
    let page = h
        .browser()
        .get(&h.authorize_url(&Pkce::new(), &[("state", &huge)]))
        .await;
    assert_error_page(&page, 400);
    // A whole query over the input bound.
    let mut url = h.authorize_url(&Pkce::new(), &[]);
    for i in 0..10 {
        url.push_str(&format!("&pad{i}={}", "y".repeat(4000)));
    }
    assert_error_page(&h.browser().get(&url).await, 400);
    // A state that parses but is over the state bound: refused back to the client, without the state.
    let long_state = "s".repeat(ostiary_core::authorize::MAX_STATE_LEN + 1);
    let page = h
        .browser()
        .get(&h.authorize_url(&Pkce::new(), &[("state", &long_state)]))
        .await;
    assert_error_redirect(&h, &page, "invalid_request", None);
}

pub async fn authorize_with_malformed_query_shows_error_page<S: Backend>() {
    let h = Harness::<S>::start().await;
    for bad in ["%zz", "%ff%fe", "client_id=%", "scope=%C3%28"] {
        let url = format!("{}&{bad}", h.authorize_url(&Pkce::new(), &[]));
        assert_error_page(&h.browser().get(&url).await, 400);
    }
}

pub async fn authorize_with_plain_pkce_redirects_invalid_request<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let url = h.authorize_url(
        &pkce,
        &[
            ("code_challenge", &pkce.verifier),
            ("code_challenge_method", "plain"),
        ],
    );
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "invalid_request", Some("state-123"));
}

pub async fn authorize_without_pkce_redirects_invalid_request<S: Backend>() {
    let h = Harness::<S>::start().await;
    let url = h.authorize_url(
        &Pkce::new(),
        &[("code_challenge", ""), ("code_challenge_method", "")],
    );
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "invalid_request", Some("state-123"));
    // A challenge without its method is refused too (only S256, and it must be said).
    let url = h.authorize_url(&Pkce::new(), &[("code_challenge_method", "")]);
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "invalid_request", Some("state-123"));
}

pub async fn authorize_with_scope_beyond_registration_redirects_invalid_scope<S: Backend>() {
    let h = Harness::<S>::start().await;
    let url = h.authorize_url(&Pkce::new(), &[("scope", "openid admin:all")]);
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "invalid_scope", Some("state-123"));
}

pub async fn authorize_with_unsupported_response_type_redirects_error<S: Backend>() {
    let h = Harness::<S>::start().await;
    for response_type in ["token", "id_token", "code id_token"] {
        let url = h.authorize_url(&Pkce::new(), &[("response_type", response_type)]);
        let page = h.browser().get(&url).await;
        assert_error_redirect(&h, &page, "unsupported_response_type", Some("state-123"));
    }
}

pub async fn authorize_error_redirect_carries_state_and_iss<S: Backend>() {
    let h = Harness::<S>::start().await;
    let state = "tenant=42&x=<y> é";
    let url = h.authorize_url(&Pkce::new(), &[("state", state), ("scope", "openid nope")]);
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "invalid_scope", Some(state));
    let callback = Callback::parse(&page.location().unwrap());
    assert!(callback.error_description.is_some());
}

pub async fn authorize_prompt_none_without_session_redirects_login_required<S: Backend>() {
    let h = Harness::<S>::start().await;
    let url = h.authorize_url(&Pkce::new(), &[("prompt", "none")]);
    let page = h.browser().get(&url).await;
    assert_error_redirect(&h, &page, "login_required", Some("state-123"));
}

pub async fn authorize_prompt_none_without_consent_redirects_consent_required<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert!(page.is_consent());
    // Signed in, never consented: prompt=none cannot ask.
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "none")]))
        .await;
    assert_error_redirect(&h, &page, "consent_required", Some("state-123"));
}

pub async fn authorize_prompt_login_forces_sign_in<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (browser, _) = h.sign_in(&Pkce::new(), &[]).await;
    let pkce = Pkce::new();
    let page = browser
        .get(&h.authorize_url(&pkce, &[("prompt", "login")]))
        .await;
    assert!(
        page.is_login(),
        "prompt=login asks again despite the session"
    );
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert_eq!(page.status, 303, "consent is remembered: {}", page.body);
    let code = Callback::parse(&page.location().unwrap()).code.unwrap();
    assert_eq!(h.exchange(&code, &pkce).await.status, 200);
}

pub async fn authorize_max_age_forces_sign_in<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (browser, _) = h.sign_in(&Pkce::new(), &[]).await;
    h.clock.advance(120);
    // The session is 120 s old: max_age=600 is satisfied, max_age=60 is not (OIDC Core §3.1.2.1).
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("max_age", "600")]))
        .await;
    assert_eq!(page.status, 302, "{}", page.body);
    assert!(Callback::parse(&page.location().unwrap()).code.is_some());
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("max_age", "60")]))
        .await;
    assert!(
        page.is_login(),
        "a session older than max_age must sign in again"
    );
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert_eq!(page.status, 303);
}

pub async fn consent_is_asked_again_when_scopes_grow<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (browser, _) = h
        .sign_in(&Pkce::new(), &[("scope", "openid profile")])
        .await;
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("scope", "openid profile email")]))
        .await;
    assert!(page.is_consent(), "a new scope needs consent");
    let body = unescape(&page.body);
    assert!(body.contains(&describe_scope("email")));
    assert!(
        body.contains("(already allowed)"),
        "granted scopes are marked"
    );
    let page = browser.decide(&page, "allow").await;
    assert_eq!(page.status, 303);
    // Now both are granted: no consent for a subset.
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("scope", "openid email")]))
        .await;
    assert_eq!(page.status, 302, "{}", page.body);
    // prompt=consent asks anyway.
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "consent")]))
        .await;
    assert!(page.is_consent());
}

pub async fn consent_denied_redirects_access_denied<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    let page = browser.decide(&page, "deny").await;
    assert_eq!(page.status, 303);
    let callback = Callback::parse(&page.location().unwrap());
    assert_eq!(callback.error.as_deref(), Some("access_denied"));
    assert_eq!(callback.state.as_deref(), Some("state-123"));
    assert_eq!(callback.iss.as_deref(), Some(h.issuer.as_str()));
    assert!(callback.code.is_none());
}

pub async fn consent_without_decision_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let consent = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    for decision in [None, Some("maybe"), Some("")] {
        let mut form = consent.form();
        if let Some(decision) = decision {
            form.set("decision", decision);
        }
        assert_error_page(&browser.submit(&form).await, 400);
    }
    let mut form = consent.form();
    form.fields.push(("decision".into(), "allow".into()));
    form.fields.push(("decision".into(), "deny".into()));
    assert_error_page(&browser.submit(&form).await, 400);
    // Nothing was granted.
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "none")]))
        .await;
    assert_error_redirect(&h, &page, "consent_required", Some("state-123"));
}

pub async fn consent_page_shows_the_client_and_scopes_in_plain_words<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let url = h.authorize_url(&Pkce::new(), &[("scope", "openid email orders:read")]);
    let page = browser.get(&url).await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert!(page.is_consent());
    let body = unescape(&page.body);
    assert!(body.contains("Example Platform"), "the platform name");
    assert!(body.contains("Acme Books"), "the client name");
    assert!(body.contains("Alice Liddell"), "who is signed in");
    assert!(body.contains("<img class=\"logo\" src=\"https://books.example/logo.png\""));
    assert!(body.contains("href=\"https://books.example/terms\""));
    assert!(body.contains("href=\"https://books.example/privacy\""));
    assert!(body.contains("href=\"https://books.example/\""));
    for scope in ["openid", "email", "orders:read"] {
        assert!(body.contains(&describe_scope(scope)), "{scope} described");
    }
    assert!(!body.contains("(already allowed)"));
    assert!(body.contains("value=\"allow\"") && body.contains("value=\"deny\""));
    assert!(!body.contains("<script"), "no JavaScript");
}

pub async fn login_with_wrong_password_shows_form_again<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let first = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let page = browser
        .sign_in(&first, &h.user.username, "wrong password!")
        .await;
    assert!(page.is_login(), "the form again");
    assert!(unescape(&page.body).contains("The username or password is incorrect."));
    assert!(
        !page
            .set_cookies()
            .iter()
            .any(|c| c.contains("ostiary_session")),
        "no session"
    );
    // The forwarded request is intact: signing in now works.
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert!(page.is_consent());
}

pub async fn login_with_unknown_user_gets_the_same_answer<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let first = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let wrong_password = browser
        .sign_in(&first, &h.user.username, "wrong password!")
        .await;
    let unknown_user = browser.sign_in(&first, "nobody", PASSWORD).await;
    assert_eq!(wrong_password.status, unknown_user.status);
    assert_eq!(
        wrong_password.body, unknown_user.body,
        "no account enumeration"
    );
}

pub async fn login_hint_is_prefilled<S: Backend>() {
    let h = Harness::<S>::start().await;
    let url = h.authorize_url(&Pkce::new(), &[("login_hint", "alice@example.com")]);
    let page = h.browser().get(&url).await;
    assert!(page.is_login());
    assert_eq!(page.form().get("username"), Some("alice@example.com"));
}

pub async fn reflected_input_is_html_escaped<S: Backend>() {
    let h = Harness::<S>::start().await;
    let evil = "\"><script>alert(1)</script><input name=\"x";
    let url = h.authorize_url(
        &Pkce::new(),
        &[("state", evil), ("login_hint", evil), ("nonce", evil)],
    );
    let page = h.browser().get(&url).await;
    assert!(page.is_login());
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(!page.body.contains("name=\"x"));
    let form = page.form();
    assert_eq!(
        form.get("state"),
        Some(evil),
        "the value survives the round trip exactly"
    );
    assert_eq!(form.get("nonce"), Some(evil));
    assert_eq!(form.get("username"), Some(evil));
}

pub async fn form_post_without_csrf_token_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let mut form = page.form();
    form.remove("csrf_token");
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let refused = browser.submit(&form).await;
    assert_error_page(&refused, 403);
    assert!(refused.body.contains("csrf_token_mismatch"));
    assert!(
        !refused
            .set_cookies()
            .iter()
            .any(|c| c.contains("ostiary_session")),
        "the sign-in was not performed"
    );
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "none")]))
        .await;
    assert_error_redirect(&h, &page, "login_required", Some("state-123"));

    // The same form from a browser without the CSRF cookie (a cross-site post): refused too.
    let mut form = page_form_with_token(&h).await;
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let other_browser = h.browser();
    assert_error_page(&other_browser.submit(&form).await, 403);
}

async fn page_form_with_token<S: Backend>(h: &Harness<S>) -> crate::browser::Form {
    h.browser()
        .get(&h.authorize_url(&Pkce::new(), &[]))
        .await
        .form()
}

pub async fn form_post_with_mismatched_csrf_token_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let mut form = page.form();
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let token = form.get("csrf_token").unwrap().to_owned();
    for bad in [
        random_token(32),
        token[..token.len() - 1].to_owned(),
        format!("{token}x"),
    ] {
        form.set("csrf_token", &bad);
        assert_error_page(&browser.submit(&form).await, 403);
    }
    // Two tokens, even if one matches: refused.
    form.set("csrf_token", &token);
    form.fields.push(("csrf_token".into(), token.clone()));
    assert_error_page(&browser.submit(&form).await, 403);
    // The genuine form still works.
    form.set("csrf_token", &token);
    assert!(browser.submit(&form).await.is_consent());
}

pub async fn consent_post_without_csrf_token_is_refused<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let consent = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    let mut form = consent.form();
    form.remove("csrf_token");
    form.set("decision", "allow");
    assert_error_page(&browser.submit(&form).await, 403);
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "none")]))
        .await;
    assert_error_redirect(&h, &page, "consent_required", Some("state-123"));
}

pub async fn tampered_hidden_fields_are_validated_again<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let mut form = page.form();
    form.set("redirect_uri", "https://evil.example/callback");
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let page = browser.submit(&form).await;
    assert_error_page(&page, 400);

    let mut form = browser
        .get(&h.authorize_url(&Pkce::new(), &[]))
        .await
        .form();
    form.set("scope", "openid admin:all");
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let page = browser.submit(&form).await;
    assert_eq!(page.status, 303);
    let callback = Callback::parse(&page.location().unwrap());
    assert_eq!(callback.error.as_deref(), Some("invalid_scope"));
}
