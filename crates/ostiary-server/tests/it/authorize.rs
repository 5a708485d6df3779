//! The authorization endpoint: request validation, prompts and `max_age`; one case per rule.

use crate::browser::Page;
use crate::harness::{Backend, Callback, Harness, PASSWORD, Pkce, REDIRECT_URI};

/// Asserts that `page` is an HTML error page with `status`, and not a redirect of any kind.
pub fn assert_error_page(page: &Page, status: u16) {
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
pub fn assert_error_redirect<S: Backend>(
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
