//! Building the redirects: parameters appended to the query, encoded, in order, after the original query.

use ostiary_redirect::{MatchMode, RegisteredRedirectUri, VerifiedRedirect, match_redirect_uri};
use proptest::prelude::*;

use crate::strategies::registrable_uri;

fn verified(uri: &str) -> VerifiedRedirect {
    let registered = [RegisteredRedirectUri::parse(uri).unwrap()];
    match_redirect_uri(&registered, uri, MatchMode::Exact).unwrap()
}

/// The decoded query pairs of `uri`, in order.
fn pairs(uri: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(uri).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn success_appends_code_state_and_iss() {
    let redirect = verified("https://client.example/cb");
    assert_eq!(
        redirect.authorization_success("c0de", Some("s t&=#"), "https://server.example"),
        "https://client.example/cb?code=c0de&state=s+t%26%3D%23&iss=https%3A%2F%2Fserver.example"
    );
    assert_eq!(
        redirect.authorization_success("c0de", None, "https://server.example"),
        "https://client.example/cb?code=c0de&iss=https%3A%2F%2Fserver.example"
    );
}

#[test]
fn existing_queries_are_kept_first() {
    for (uri, joined) in [
        (
            "https://client.example/cb?tenant=7",
            "https://client.example/cb?tenant=7&",
        ),
        ("https://client.example/cb?", "https://client.example/cb?"),
        (
            "https://client.example/cb?a=1&",
            "https://client.example/cb?a=1&",
        ),
        ("http://127.0.0.1:3000/cb?x", "http://127.0.0.1:3000/cb?x&"),
    ] {
        let redirect = verified(uri);
        assert_eq!(
            redirect.authorization_success("c", Some("s"), "i"),
            format!("{joined}code=c&state=s&iss=i")
        );
        assert_eq!(redirect.post_logout(Some("s")), format!("{joined}state=s"));
    }
}

#[test]
fn error_appends_error_description_state_and_iss_when_present() {
    let redirect = verified("https://client.example/cb?tenant=7");
    assert_eq!(
        redirect.authorization_error(
            "access_denied",
            Some("The user denied the request."),
            Some("xyz"),
            "https://s.example"
        ),
        "https://client.example/cb?tenant=7&error=access_denied&error_description=The+user+denied+the+request.&state=xyz&iss=https%3A%2F%2Fs.example"
    );
    assert_eq!(
        redirect.authorization_error("invalid_scope", None, None, "i"),
        "https://client.example/cb?tenant=7&error=invalid_scope&iss=i"
    );
}

#[test]
fn post_logout_appends_only_state() {
    let redirect = verified("https://client.example/logged-out");
    assert_eq!(
        redirect.post_logout(None),
        "https://client.example/logged-out"
    );
    assert_eq!(
        redirect.post_logout(Some("a b")),
        "https://client.example/logged-out?state=a+b"
    );
    let with_empty_query = verified("https://client.example/logged-out?");
    assert_eq!(
        with_empty_query.post_logout(None),
        "https://client.example/logged-out?"
    );
}

#[test]
fn empty_values_are_still_sent() {
    // An empty `state` was sent, so it is echoed (RFC 6749 §4.1.2: "if the "state" parameter was present").
    let redirect = verified("https://client.example/cb");
    assert_eq!(
        redirect.authorization_success("", Some(""), ""),
        "https://client.example/cb?code=&state=&iss="
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn success_round_trips(uri in registrable_uri(), code in any::<String>(), state in prop::option::of(any::<String>()), iss in any::<String>()) {
        let redirect = verified(&uri);
        let out = redirect.authorization_success(&code, state.as_deref(), &iss);
        prop_assert!(out.starts_with(&uri));
        let mut expected = pairs(&uri);
        expected.push(("code".into(), code));
        if let Some(state) = state {
            expected.push(("state".into(), state));
        }
        expected.push(("iss".into(), iss));
        prop_assert_eq!(pairs(&out), expected);
        // Already in the form a browser would use: nothing for the parser to rewrite.
        prop_assert_eq!(String::from(url::Url::parse(&out).unwrap()), out);
    }

    #[test]
    fn error_round_trips(
        uri in registrable_uri(), error in "[a-z_]{1,20}", description in prop::option::of(any::<String>()),
        state in prop::option::of(any::<String>()), iss in any::<String>(),
    ) {
        let redirect = verified(&uri);
        let out = redirect.authorization_error(&error, description.as_deref(), state.as_deref(), &iss);
        prop_assert!(out.starts_with(&uri));
        let mut expected = pairs(&uri);
        expected.push(("error".into(), error));
        if let Some(description) = description {
            expected.push(("error_description".into(), description));
        }
        if let Some(state) = state {
            expected.push(("state".into(), state));
        }
        expected.push(("iss".into(), iss));
        prop_assert_eq!(pairs(&out), expected);
        prop_assert_eq!(String::from(url::Url::parse(&out).unwrap()), out);
    }

    #[test]
    fn post_logout_round_trips(uri in registrable_uri(), state in prop::option::of(any::<String>())) {
        let redirect = verified(&uri);
        let out = redirect.post_logout(state.as_deref());
        prop_assert!(out.starts_with(&uri));
        let mut expected = pairs(&uri);
        match state {
            Some(state) => expected.push(("state".into(), state)),
            None => prop_assert_eq!(&out, &uri),
        }
        prop_assert_eq!(pairs(&out), expected);
    }
}
