//! HTTP-level rules: security headers, cookies, discovery, routing, HTTP/2.

use crate::browser::Page;
use crate::harness::{Backend, Harness, Options, PASSWORD, Pkce, Reply};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src https: data:; base-uri 'none'; \
                   frame-ancestors 'none'";

pub fn assert_security_headers(page: &Page) {
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("content-security-policy"), Some(CSP));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
}

pub async fn html_pages_carry_security_headers<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let login = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    assert!(login.is_login());
    let mut pages = vec![];
    let mut forged = login.form();
    forged.set("csrf_token", "forged");
    let csrf_refused = browser.submit(&forged).await;
    assert_eq!(csrf_refused.status, 403);
    let consent = browser.sign_in(&login, &h.user.username, PASSWORD).await;
    assert!(consent.is_consent());
    let error = browser
        .get(&h.authorize_url(&Pkce::new(), &[("client_id", "nope")]))
        .await;
    let not_found = browser.get(&h.url("/nowhere")).await;
    let wrong_method = browser.get(&h.url("/oauth/authorize/login")).await;
    pages.extend([login, csrf_refused, consent, error, not_found, wrong_method]);
    for page in &pages {
        assert_security_headers(page);
        assert!(
            !page
                .header("content-security-policy")
                .unwrap()
                .contains("form-action")
        );
        assert!(page.body.contains("href=\"/assets/ostiary.css\""));
    }
}

/// The attributes of the `Set-Cookie` header for cookie `name`.
fn cookie_attributes(set_cookies: &[String], name: &str) -> Vec<String> {
    let header = set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {set_cookies:?}"));
    header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_owned())
        .collect()
}

pub async fn session_cookie_flags_on_https_issuer<S: Backend>() {
    let h = Harness::<S>::with(Options {
        https_issuer: true,
        ..Options::default()
    })
    .await;
    // The browser would not send Secure cookies over this plain-HTTP test connection: carry them by hand.
    let login = Page::from(
        Reply::read(
            h.api()
                .get(h.authorize_url(&Pkce::new(), &[]))
                .send()
                .await
                .unwrap(),
        )
        .await,
    );
    assert!(login.is_login());
    let set = set_cookies(&login);
    let csrf = cookie_attributes(&set, "__Host-ostiary_csrf");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(
            csrf.iter().any(|a| a == attribute),
            "{attribute} in {csrf:?}"
        );
    }
    assert!(
        !csrf.iter().any(|a| a.starts_with("Domain")),
        "__Host- cookies have no Domain"
    );
    let csrf_value = login.form().get("csrf_token").unwrap().to_owned();

    let mut form = login.form();
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let response = h
        .api()
        .post(h.url("/oauth/authorize/login"))
        .header("cookie", format!("__Host-ostiary_csrf={csrf_value}"))
        .form(&form.fields)
        .send()
        .await
        .unwrap();
    let consent = Page::from(Reply::read(response).await);
    assert!(consent.is_consent(), "{}", consent.body);
    let session = cookie_attributes(&set_cookies(&consent), "__Host-ostiary_session");
    let max_age = format!("Max-Age={}", ostiary_core::Lifetimes::default().session);
    for attribute in [
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        max_age.as_str(),
    ] {
        assert!(
            session.iter().any(|a| a == attribute),
            "{attribute} in {session:?}"
        );
    }
    assert!(!session.iter().any(|a| a.starts_with("Domain")));
    assert!(
        !set_cookies(&consent)
            .iter()
            .any(|c| c.starts_with("ostiary_")),
        "no unprefixed cookie on an https issuer"
    );
    for page in [&login, &consent] {
        assert_eq!(
            page.header("strict-transport-security"),
            Some("max-age=31536000")
        );
    }
}

pub async fn session_cookie_flags_on_http_issuer<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let login = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let csrf = cookie_attributes(&set_cookies(&login), "ostiary_csrf");
    assert!(
        !csrf.iter().any(|a| a == "Secure"),
        "no Secure on http loopback"
    );
    assert_eq!(
        login.header("strict-transport-security"),
        None,
        "no HSTS over http"
    );
    assert!(csrf.iter().any(|a| a == "SameSite=Strict"));
    let consent = browser.sign_in(&login, &h.user.username, PASSWORD).await;
    let session = cookie_attributes(&set_cookies(&consent), "ostiary_session");
    assert!(!session.iter().any(|a| a == "Secure"));
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(
            session.iter().any(|a| a == attribute),
            "{attribute} in {session:?}"
        );
    }
    // The sign-in rotated the CSRF token: the consent form carries the new one.
    let login_token = login.form().get("csrf_token").unwrap().to_owned();
    let consent_token = consent.form().get("csrf_token").unwrap().to_owned();
    assert_ne!(login_token, consent_token);
    assert!(
        set_cookies(&consent)
            .iter()
            .any(|c| c.starts_with(&format!("ostiary_csrf={consent_token};"))),
        "the new token's cookie is set"
    );
    // Without a new sign-in, later forms keep the browser's token (several open forms stay valid).
    let page = browser.decide(&consent, "deny").await;
    assert_eq!(page.status, 303);
    let again = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "consent")]))
        .await;
    assert!(again.is_consent());
    assert_eq!(again.form().get("csrf_token"), Some(consent_token.as_str()));
    assert!(set_cookies(&again).is_empty());
}

fn set_cookies(page: &Page) -> Vec<String> {
    page.set_cookies()
}

impl From<Reply> for Page {
    fn from(reply: Reply) -> Self {
        Page {
            status: reply.status,
            headers: reply.headers,
            body: reply.body,
        }
    }
}

pub async fn discovery_and_jwks_are_served_and_match_the_issuer<S: Backend>() {
    let h = Harness::<S>::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let reply = Reply::read(h.api().get(h.url(path)).send().await.unwrap()).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        let json = reply.json();
        assert_eq!(json["issuer"], h.issuer.as_str());
        // Each path serves its own document: only OpenID Provider metadata names UserInfo.
        assert_eq!(
            json.get("userinfo_endpoint").is_some(),
            path.ends_with("openid-configuration"),
            "{path}"
        );
        for endpoint in [
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "revocation_endpoint",
            "introspection_endpoint",
        ] {
            let url = json[endpoint].as_str().unwrap();
            assert!(url.starts_with(&h.issuer), "{endpoint}: {url}");
            let path = &url[h.issuer.len()..];
            let answer = h
                .api()
                .get(h.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert_ne!(answer, 404, "{endpoint} is routed");
        }
    }
    let jwks = Reply::read(
        h.api()
            .get(h.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(jwks.status, 200);
    let keys = jwks.json()["keys"].as_array().unwrap().clone();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k["kid"].is_string() && k.get("d").is_none()),
        "public keys only"
    );
    let head = h
        .api()
        .head(h.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.text().await.unwrap(), "", "HEAD has no body");
}

pub async fn unknown_path_is_404_and_wrong_method_is_405_with_allow<S: Backend>() {
    let h = Harness::<S>::start().await;
    for path in [
        "/",
        "/oauth/token/",
        "/OAUTH/TOKEN",
        "/admin",
        "/.well-known/",
    ] {
        let reply = Reply::read(h.api().get(h.url(path)).send().await.unwrap()).await;
        assert_eq!(reply.status, 404, "{path}");
    }
    let cases: [(reqwest::Method, &str, &str, bool); 7] = [
        (reqwest::Method::GET, "/oauth/token", "POST", true),
        (reqwest::Method::PUT, "/oauth/revoke", "POST", true),
        (reqwest::Method::GET, "/oauth/introspect", "POST", true),
        (reqwest::Method::DELETE, "/userinfo", "GET, POST", true),
        (
            reqwest::Method::POST,
            "/.well-known/jwks.json",
            "GET, HEAD",
            true,
        ),
        (
            reqwest::Method::GET,
            "/oauth/authorize/consent",
            "POST",
            false,
        ),
        (reqwest::Method::PUT, "/oauth/authorize", "GET, POST", false),
    ];
    for (method, path, allow, json) in cases {
        let reply = Reply::read(
            h.api()
                .request(method.clone(), h.url(path))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, 405, "{method} {path}");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
        if json {
            assert_eq!(reply.error(), "invalid_request");
        } else {
            assert!(
                reply
                    .header("content-type")
                    .unwrap()
                    .starts_with("text/html")
            );
        }
    }
}

pub async fn health_check_and_stylesheet<S: Backend>() {
    let h = Harness::<S>::start().await;
    let reply = Reply::read(h.api().get(h.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok\n"));
    let css = Reply::read(
        h.api()
            .get(h.url("/assets/ostiary.css"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.body.contains(".card"));
}

pub async fn http2_prior_knowledge_is_served<S: Backend>() {
    let h = Harness::<S>::start().await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let discovery = client
        .get(h.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.version(), reqwest::Version::HTTP_2);
    assert_eq!(discovery.status(), 200);
    // A sign-in over HTTP/2: the CSRF cookie round-trips (HTTP/2 may split Cookie fields).
    let login = Page::from(
        Reply::read(
            client
                .get(h.authorize_url(&Pkce::new(), &[]))
                .send()
                .await
                .unwrap(),
        )
        .await,
    );
    assert!(login.is_login());
    let mut form = login.form();
    form.set("username", &h.user.username);
    form.set("password", PASSWORD);
    let response = client
        .post(h.url("/oauth/authorize/login"))
        .form(&form.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert!(Page::from(Reply::read(response).await).is_consent());
}
