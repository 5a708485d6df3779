//! The sign-in and consent forms: consent rules, sign-in failures, escaping, CSRF, tampering.

use ostiary_core::authorize::describe_scope;

use crate::authorize::{assert_error_page, assert_error_redirect};
use crate::browser::unescape;
use crate::harness::{Backend, Callback, Harness, PASSWORD, Pkce, random_token};

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
