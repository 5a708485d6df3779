//! Hostile and oversized input: always a definite 2xx–4xx answer, never a server error or a dropped
//! connection.

use crate::harness::{Backend, Harness, Pkce};
use crate::http_rules::assert_security_headers;

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
