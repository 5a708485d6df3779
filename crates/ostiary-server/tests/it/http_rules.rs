//! HTTP-level rules: security headers, cookies, discovery, routing, hostile input, background tasks,
//! shutdown.

use std::time::Duration;

use ostiary_core::{CoreConfig, Issuer, Provider};
use ostiary_store::UserId;

use crate::browser::Page;
use crate::harness::{Backend, Harness, Options, PASSWORD, Pkce, Reply};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src https: data:; base-uri 'none'; \
                   frame-ancestors 'none'";

fn assert_security_headers(page: &Page) {
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
    // The consent form reuses the browser's CSRF cookie rather than setting a new one.
    assert!(
        !set_cookies(&consent)
            .iter()
            .any(|c| c.starts_with("ostiary_csrf="))
    );
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

pub async fn bad_input_never_gets_500<S: Backend>() {
    let h = Harness::<S>::start().await;
    let api = h.api();
    let form = "application/x-www-form-urlencoded";
    let valid = h.authorize_url(&Pkce::new(), &[]);
    let token = h.url("/oauth/token");
    let basic = |raw: &[u8]| {
        use base64ct::Encoding;
        format!("Basic {}", base64ct::Base64::encode_string(raw))
    };
    let many_params: String = (0..200).map(|i| format!("p{i}=1&")).collect();
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "bad percent-encoding",
            api.get(format!("{}?%ff%zz", h.url("/oauth/authorize"))),
        ),
        (
            "NUL in client_id",
            api.get(format!(
                "{}?client_id=%00&response_type=code",
                h.url("/oauth/authorize")
            )),
        ),
        (
            "too many parameters",
            api.get(format!("{}?{many_params}", h.url("/oauth/authorize"))),
        ),
        (
            "huge max_age",
            api.get(format!("{valid}&max_age=999999999999999999999")),
        ),
        ("negative max_age", api.get(format!("{valid}&max_age=-1"))),
        (
            "bogus prompt",
            api.get(format!("{valid}&prompt=none%20login")),
        ),
        (
            "garbage token body",
            api.post(&token)
                .header("content-type", form)
                .body("%%%&&=="),
        ),
        (
            "invalid UTF-8 body",
            api.post(&token)
                .header("content-type", form)
                .body(vec![b'a', b'=', 0xff, 0xfe]),
        ),
        (
            "garbage Basic",
            api.post(&token)
                .header("content-type", form)
                .header("authorization", "Basic !!!!")
                .body("grant_type=x"),
        ),
        (
            "Basic of non-UTF-8",
            api.post(&token)
                .header("content-type", form)
                .header("authorization", basic(&[0xff, b':', 0xfe]))
                .body("grant_type=x"),
        ),
        (
            "Basic without colon",
            api.post(&token)
                .header("content-type", form)
                .header("authorization", basic(b"abc"))
                .body("grant_type=x"),
        ),
        (
            "non-ASCII Authorization",
            api.post(&token)
                .header("content-type", form)
                .header(
                    "authorization",
                    reqwest::header::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap(),
                )
                .body("grant_type=x"),
        ),
        (
            "huge Authorization",
            api.post(&token)
                .header("content-type", form)
                .header("authorization", format!("Basic {}", "A".repeat(20_000)))
                .body("grant_type=x"),
        ),
        (
            "code of wrong kind",
            api.post(&token)
                .basic_auth(&h.client.id, Some(&h.client.secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "ort_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                    ("redirect_uri", "https://books.example/callback"),
                ]),
        ),
        (
            "malformed verifier",
            api.post(&token)
                .basic_auth(&h.client.id, Some(&h.client.secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "oac_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                    ("redirect_uri", "x"),
                    ("code_verifier", "short"),
                ]),
        ),
        (
            "unknown digest key id",
            api.post(&token)
                .basic_auth(&h.client.id, Some(&h.client.secret))
                .form(&[
                    ("grant_type", "refresh_token"),
                    (
                        "refresh_token",
                        "ort_999_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    ),
                ]),
        ),
        (
            "odd charset",
            api.post(&token)
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=latin1",
                )
                .body("a=b"),
        ),
        (
            "huge introspection token",
            api.post(h.url("/oauth/introspect"))
                .basic_auth(&h.client.id, Some(&h.client.secret))
                .form(&[("token", "x".repeat(4000))]),
        ),
        (
            "JWT-shaped junk at introspection",
            api.post(h.url("/oauth/introspect"))
                .basic_auth(&h.client.id, Some(&h.client.secret))
                .form(&[("token", "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.")]),
        ),
        (
            "huge bearer",
            api.get(h.url("/userinfo"))
                .header("authorization", format!("Bearer {}", "a".repeat(10_000))),
        ),
        (
            "JWT-shaped bearer",
            api.get(h.url("/userinfo"))
                .bearer_auth("eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0."),
        ),
        (
            "two bearer headers",
            api.get(h.url("/userinfo"))
                .header("authorization", "Bearer a")
                .header("authorization", "Bearer b"),
        ),
        (
            "userinfo bad query",
            api.get(format!("{}?%zz", h.url("/userinfo"))),
        ),
        (
            "userinfo bad form",
            api.post(h.url("/userinfo"))
                .header("content-type", form)
                .body("%zz"),
        ),
        (
            "login garbage, no cookies",
            api.post(h.url("/oauth/authorize/login"))
                .header("content-type", form)
                .body("\u{0}\u{1}&&="),
        ),
        (
            "login not a form",
            api.post(h.url("/oauth/authorize/login"))
                .header("content-type", "application/json")
                .body("{}"),
        ),
        (
            "consent json",
            api.post(h.url("/oauth/authorize/consent"))
                .header("content-type", "application/json")
                .body("{\"decision\":\"allow\"}"),
        ),
        (
            "authorize post not a form",
            api.post(h.url("/oauth/authorize")).body("client_id=x"),
        ),
        (
            "garbage cookies",
            api.get(&valid).header(
                "cookie",
                reqwest::header::HeaderValue::from_bytes(
                    b"ostiary_session=\xff\xfe; ;;=;ostiary_csrf",
                )
                .unwrap(),
            ),
        ),
        (
            "forged session cookie",
            api.get(format!("{valid}&prompt=none")).header(
                "cookie",
                format!("ostiary_session=oss_1_{}", "A".repeat(43)),
            ),
        ),
        (
            "session cookie of unknown key",
            api.get(&valid).header(
                "cookie",
                format!("ostiary_session=oss_77_{}", "A".repeat(43)),
            ),
        ),
        (
            "huge cookie header",
            api.get(&valid)
                .header("cookie", format!("x={}", "a".repeat(16_000))),
        ),
        ("dot segments", api.get(h.url("/oauth/../oauth/token"))),
        ("encoded path", api.get(h.url("/%2e%2e/%00"))),
        (
            "long path",
            api.get(h.url(&format!("/{}", "a".repeat(8000)))),
        ),
    ];
    for (label, request) in cases {
        // An answer (not a dropped connection), and never a server error.
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{label}: no answer: {e}"));
        let status = response.status().as_u16();
        assert!((200..500).contains(&status), "{label}: {status}");
    }
}

pub async fn oversized_form_is_413_page<S: Backend>() {
    let h = Harness::<S>::start().await;
    let browser = h.browser();
    let login = browser.get(&h.authorize_url(&Pkce::new(), &[])).await;
    let mut form = login.form();
    form.set("username", &h.user.username);
    form.set("password", &"p".repeat(70 * 1024));
    let page = browser.submit(&form).await;
    assert_eq!(page.status, 413);
    assert_security_headers(&page);
}

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
