//! The callback and token-response checks, on crafted responses.

use base64ct::{Base64UrlUnpadded, Encoding as _};
use proptest::prelude::*;
use url::Url;

use super::*;
use crate::load::oidc::{ClientCredentials, ProviderMetadata};

const ISSUER: &str = "https://op.test";
const CLIENT: &str = "client";

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn target(scope: &str) -> Target {
    target_at("https://op.test/authorize", scope)
}

fn target_at(authorization_endpoint: &str, scope: &str) -> Target {
    Target::new(
        ProviderMetadata {
            issuer: ISSUER.to_owned(),
            discovery_url: url("https://op.test/.well-known/openid-configuration"),
            authorization_endpoint: url(authorization_endpoint),
            token_endpoint: url("https://op.test/token"),
            jwks_uri: url("https://op.test/jwks"),
            userinfo_endpoint: None,
            introspection_endpoint: None,
        },
        ClientCredentials::new(CLIENT, "secret"),
        url("http://127.0.0.1:9/cb"),
        scope.to_owned(),
        Vec::new(),
    )
}

#[test]
fn callbacks_are_recognized_by_scheme_host_port_and_path() {
    let ru = url("http://127.0.0.1:9/cb");
    assert!(is_callback(&url("http://127.0.0.1:9/cb?code=x"), &ru));
    assert!(!is_callback(&url("http://127.0.0.1:10/cb?code=x"), &ru));
    assert!(!is_callback(&url("http://127.0.0.1:9/cb2"), &ru));
    assert!(!is_callback(&url("https://127.0.0.1:9/cb"), &ru));
}

#[test]
fn callback_checks_state_iss_and_error() {
    let iss = "http://127.0.0.1:8080";
    let ok = "code=abc&state=s&iss=http%3A%2F%2F127.0.0.1%3A8080";
    assert_eq!(check_callback(ok, "s", iss).unwrap(), "abc");
    assert_eq!(check_callback("code=abc&state=s", "s", iss).unwrap(), "abc");
    let kind = |query| check_callback(query, "s", iss).unwrap_err().kind;
    assert_eq!(kind("code=abc&state=t"), Kind::Wrong("state"));
    assert_eq!(kind("code=abc"), Kind::Wrong("state"));
    assert_eq!(
        kind("code=abc&state=s&iss=http%3A%2F%2Fevil"),
        Kind::Wrong("iss")
    );
    assert_eq!(
        kind("error=access_denied&state=s"),
        Kind::OAuthError("access_denied".to_owned())
    );
    assert_eq!(kind("state=s"), Kind::Missing("code"));
    assert_eq!(kind("state=s&code="), Kind::Missing("code"));
}

#[test]
fn of_repeated_callback_parameters_the_last_counts() {
    let iss = "https://op.test";
    let last = "code=a&state=x&code=b&state=s&iss=evil&iss=https%3A%2F%2Fop.test";
    assert_eq!(check_callback(last, "s", iss).unwrap(), "b");
    let kind = |query| check_callback(query, "s", iss).unwrap_err().kind;
    assert_eq!(kind("code=a&state=s&code="), Kind::Missing("code"));
    assert_eq!(
        kind("error=a&state=s&error=b+c"),
        Kind::OAuthError(crate::load::error::sanitize_code("b c"))
    );
}

#[test]
fn only_plain_callbacks_take_the_fast_path() {
    let ru = url("http://127.0.0.1:9/cb");
    let fast = |location| callback_query(location, &ru);
    assert_eq!(
        fast("http://127.0.0.1:9/cb?code=x&state=s"),
        Some("code=x&state=s")
    );
    assert_eq!(fast("http://127.0.0.1:9/cb?"), Some(""));
    for slow in [
        "http://127.0.0.1:9/cb",
        "http://127.0.0.1:9/cb/?code=x",
        "http://127.0.0.1:9/cb2?code=x",
        "http://127.0.0.1:90/cb?code=x",
        "HTTP://127.0.0.1:9/cb?code=x",
        "/cb?code=x",
        "http://127.0.0.1:9/cb?code=x#f",
        "http://127.0.0.1:9/cb?code=x\t",
        "http://127.0.0.1:9/cb?code=x ",
    ] {
        assert_eq!(fast(slow), None, "{slow}");
    }
    let with_query = url("http://127.0.0.1:9/cb?tenant=1");
    assert_eq!(
        callback_query("http://127.0.0.1:9/cb?tenant=1?code=x", &with_query),
        None
    );
}

proptest! {
    /// Wherever the fast path answers, the URL parser's path reads the same parameters.
    #[test]
    fn the_fast_path_reads_what_the_url_parser_reads(
        ru in prop::sample::select(vec![
            "http://127.0.0.1:9/cb", "https://client.test/", "https://client.test:8443/a%20b/cb",
            "http://[::1]:9/cb", "myapp:/cb", "https://client.test/cb?x=1",
        ]),
        query in "[a-z=&%+ #\t;/?:@.~*'\"<>^`{|}\\\\0-9A-F\u{7f}-\u{ff}]{0,24}",
    ) {
        let ru = url(ru);
        let location = format!("{ru}?{query}");
        let base = url("https://op.test/authorize/login");
        if let Some(fast) = callback_query(&location, &ru) {
            let joined = base.join(&location).unwrap();
            prop_assert!(is_callback(&joined, &ru));
            let slow: Vec<_> = joined.query_pairs().collect();
            let fast: Vec<_> = form_urlencoded::parse(fast.as_bytes()).collect();
            prop_assert_eq!(fast, slow);
        }
    }
}

#[test]
fn the_authorization_request_has_every_parameter_once() {
    let rng = SystemRandom::new();
    let pkce = Pkce::generate(&rng);
    let (state, nonce) = (oidc::random_token(&rng, 16), oidc::random_token(&rng, 16));
    let target = target_at(
        "https://op.test/authorize?tenant=a+b",
        "openid offline_access",
    );
    let request = target.authorization_url(&state, &nonce, &pkce.challenge);

    // What the generator sent before the shared part was precomputed, in another order.
    let mut before = target.meta.authorization_endpoint.clone();
    before
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &target.client.id)
        .append_pair("redirect_uri", target.redirect_uri.as_str())
        .append_pair("scope", &target.scope)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    let sorted = |u: &Url| {
        let mut pairs: Vec<_> = u
            .query()
            .unwrap_or("")
            .split('&')
            .map(str::to_owned)
            .collect();
        pairs.sort();
        pairs
    };
    assert_eq!(sorted(&request), sorted(&before));
    assert_eq!(
        request[..url::Position::AfterPath],
        before[..url::Position::AfterPath]
    );
    assert!(request.query().unwrap().starts_with(
        "tenant=a+b&response_type=code&client_id=client&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid+offline_access&code_challenge_method=S256&state="
    ));
    // What the flow sends is what a parser reads back.
    assert_eq!(Url::parse(request.as_str()).unwrap(), request);
    assert!(target.requests_openid());
    let profile = target_at("https://op.test/authorize", "profile openidx");
    assert!(!profile.requests_openid());
}

/// An ID token with this payload (the header and signature are never looked at).
fn jwt(payload: &str) -> String {
    format!(
        "h.{}.s",
        Base64UrlUnpadded::encode_string(payload.as_bytes())
    )
}

/// Runs [`check_token_response`] on a crafted response: `Ok((access, refresh))` or the failure kind.
async fn token_check(
    step: Step,
    status: u16,
    cache_control: Option<&str>,
    body: &str,
    nonce: Option<&str>,
) -> Result<(String, Option<String>), Kind> {
    let mut builder = hyper::Response::builder().status(status);
    if let Some(value) = cache_control {
        builder = builder.header(CACHE_CONTROL, value);
    }
    let response = reqwest::Response::from(builder.body(body.to_owned()).unwrap());
    let target = target("openid offline_access");
    check_token_response(step, response, &target, nonce)
        .await
        .map(|t| (t.access_token, t.refresh_token))
        .map_err(|f| f.kind)
}

/// A code-exchange response with the ID token `id_token` and `members` spliced in.
async fn code_exchange(members: &str, id_token: &str) -> Result<(String, Option<String>), Kind> {
    let body =
        format!(r#"{{"access_token":"a","token_type":"Bearer","id_token":"{id_token}"{members}}}"#);
    token_check(Step::Token, 200, Some("no-store"), &body, Some("n")).await
}

fn good_id_token() -> String {
    jwt(r#"{"iss":"https://op.test","aud":"client","nonce":"n","exp":1}"#)
}

#[tokio::test]
async fn a_good_token_response_passes() {
    let ok = Ok(("a".to_owned(), Some("r".to_owned())));
    let members = r#","refresh_token":"r","expires_in":3600"#;
    assert_eq!(code_exchange(members, &good_id_token()).await, ok);
    // Escapes are decoded before comparing; `aud` may be a list; other members are skipped.
    let escaped = jwt(
        r#"{"iss":"https:\/\/op.test","aud":["x",{"y":1},"cli\u0065nt"],"nonce":"n","x":{"nonce":1}}"#,
    );
    assert_eq!(code_exchange(members, &escaped).await, ok);
    let body = r#"{"acc\u0065ss_token":"a","token_type":"bearer","refresh_token":"r","extra":{"access_token":5}}"#;
    let refresh = token_check(Step::Refresh, 200, Some("private, No-Store"), body, None).await;
    assert_eq!(refresh, ok);
    let zero = code_exchange(r#","expires_in":0"#, &good_id_token()).await;
    assert_eq!(zero, Ok(("a".to_owned(), None)));
}

#[tokio::test]
async fn token_response_failures_keep_their_kinds() {
    let id = good_id_token();
    let cases: &[(&str, &str, Kind)] = &[
        (
            r#","expires_in":-1"#,
            &id,
            Kind::Wrong("expires_in (not a non-negative integer)"),
        ),
        (
            r#","expires_in":1.5"#,
            &id,
            Kind::Wrong("expires_in (not a non-negative integer)"),
        ),
        (
            r#","expires_in":"1""#,
            &id,
            Kind::Wrong("expires_in (not a non-negative integer)"),
        ),
        (
            r#","expires_in":null"#,
            &id,
            Kind::Wrong("expires_in (not a non-negative integer)"),
        ),
        // serde_json reads `-0` as the float -0.0.
        (
            r#","expires_in":-0"#,
            &id,
            Kind::Wrong("expires_in (not a non-negative integer)"),
        ),
        (
            r#","expires_in":1e3"#,
            &id,
            Kind::Wrong("expires_in (not a non-negative integer)"),
        ),
        (r#","refresh_token":"""#, &id, Kind::Wrong("refresh_token")),
        (
            r#","refresh_token":null"#,
            &id,
            Kind::Wrong("refresh_token"),
        ),
        (r#","token_type":"mac""#, &id, Kind::Wrong("token_type")),
        // The last of duplicated members wins, as in a `serde_json::Map`.
        (r#","access_token":"""#, &id, Kind::Wrong("access_token")),
        (r#","access_token":7"#, &id, Kind::Wrong("access_token")),
        ("", "", Kind::Wrong("id_token")),
        ("", "abc", Kind::Wrong("id_token (not a JWS)")),
        ("", "a.!!!.c", Kind::Wrong("id_token (payload encoding)")),
        ("", "a.W10.c", Kind::Wrong("id_token (payload JSON)")),
        ("", "a..c", Kind::Wrong("id_token (payload JSON)")),
    ];
    for (members, id_token, kind) in cases {
        let got = code_exchange(members, id_token).await;
        assert_eq!(got, Err(kind.clone()), "{members} {id_token}");
    }
    let claims: &[(&str, Kind)] = &[
        (
            r#"{"aud":"client","nonce":"n"} x"#,
            Kind::Wrong("id_token (payload JSON)"),
        ),
        (r#"["iss"]"#, Kind::Wrong("id_token (payload JSON)")),
        (
            r#"{"iss":"https://op.test/","aud":"client","nonce":"n"}"#,
            Kind::Wrong("id_token iss"),
        ),
        (
            r#"{"aud":"client","nonce":"n"}"#,
            Kind::Wrong("id_token iss"),
        ),
        (
            r#"{"iss":"https://op.test","aud":["x"],"nonce":"n"}"#,
            Kind::Wrong("id_token aud"),
        ),
        (
            r#"{"iss":"https://op.test","aud":[["client"]],"nonce":"n"}"#,
            Kind::Wrong("id_token aud"),
        ),
        (
            r#"{"iss":"https://op.test","aud":null,"nonce":"n"}"#,
            Kind::Wrong("id_token aud"),
        ),
        (
            r#"{"iss":"https://op.test","aud":"client","nonce":"m"}"#,
            Kind::Wrong("id_token nonce"),
        ),
        (
            r#"{"iss":"https://op.test","aud":"client"}"#,
            Kind::Wrong("id_token nonce"),
        ),
        (
            r#"{"iss":"https://op.test","aud":"client","nonce":"n","nonce":1}"#,
            Kind::Wrong("id_token nonce"),
        ),
    ];
    for (payload, kind) in claims {
        let got = code_exchange("", &jwt(payload)).await;
        assert_eq!(got, Err(kind.clone()), "{payload}");
    }
}

#[tokio::test]
async fn token_response_envelope_failures_keep_their_kinds() {
    let step = Step::Token;
    let check = |status, cache, body: &'static str| token_check(step, status, cache, body, None);
    let missing_id = r#"{"access_token":"a","token_type":"Bearer"}"#;
    assert_eq!(
        check(200, Some("no-store"), missing_id).await,
        Err(Kind::Missing("id_token"))
    );
    let refresh = token_check(Step::Refresh, 200, Some("no-store"), missing_id, None).await;
    assert_eq!(refresh, Ok(("a".to_owned(), None)));
    let no_store = Kind::Missing("Cache-Control: no-store");
    assert_eq!(check(200, None, missing_id).await, Err(no_store.clone()));
    assert_eq!(
        check(200, Some("no-cache"), missing_id).await,
        Err(no_store)
    );
    let error = r#"{"error":"invalid_grant"}"#;
    let status = Kind::Status(400, Some("invalid_grant".to_owned()));
    assert_eq!(check(400, Some("no-store"), error).await, Err(status));
    for body in ["[]", "null", "{} x", "{", "not json", ""] {
        assert_eq!(
            check(200, Some("no-store"), body).await,
            Err(Kind::BadJson),
            "{body}"
        );
    }
    // A body that is not JSON is reported before a missing `Cache-Control`.
    assert_eq!(check(200, None, "[]").await, Err(Kind::BadJson));
    let missing: &[(&str, Kind)] = &[
        (r#"{"token_type":"Bearer"}"#, Kind::Missing("access_token")),
        (
            r#"{"access_token":null,"token_type":"Bearer"}"#,
            Kind::Wrong("access_token"),
        ),
        (r#"{"access_token":"a"}"#, Kind::Missing("token_type")),
        (
            r#"{"access_token":"a","token_type":{}}"#,
            Kind::Wrong("token_type"),
        ),
        (
            r#"{"access_token":"a","token_type":"Bearer","extra":{"id_token":"x"}}"#,
            Kind::Missing("id_token"),
        ),
    ];
    for (body, kind) in missing {
        assert_eq!(
            check(200, Some("no-store"), body).await,
            Err(kind.clone()),
            "{body}"
        );
    }
}
