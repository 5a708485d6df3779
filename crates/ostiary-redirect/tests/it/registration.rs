//! The registration rules: one table row per rule and spelling, plus properties.

use ostiary_redirect::{MAX_REDIRECT_URI_LEN, RegisteredRedirectUri, RegistrationError as E};
use proptest::prelude::*;

use crate::strategies::{registrable_uri, uri_like};

/// Accepted exactly as given, including the platform's documented examples.
const ACCEPTED: &[&str] = &[
    "https://client.example/callback",
    "http://localhost:3000/callback",
    "http://127.0.0.1:3000/callback",
    "http://[::1]:3000/callback",
    "http://localhost/callback",
    "http://127.0.0.1/",
    "https://client.example/",
    "https://client.example/cb?",
    "https://client.example/cb?a=1&b=2",
    "https://client.example/cb?a=1&",
    "https://client.example/cb?next=%2Fhome",
    "https://client.example:8443/cb",
    "https://192.0.2.1/cb",
    "https://[2001:db8::1]/cb",
    "https://xn--bcher-kva.example/cb",
    "https://client.example/caf%C3%A9",
    "https://client.example/a;b=c/!$&'()+,=:@-",
    "https://a_b.client.example/cb",
    // Escapes that the parser keeps as written are canonical, whatever their case.
    "https://client.example/%7Euser",
    "https://client.example/%7euser",
    "https://client.example/a%2fb",
    "https://client.example/cb?x=%c3%a9&y=%41",
];

/// Refused, with the rule each one breaks.
fn rejected() -> Vec<(String, E)> {
    let long_path = "a".repeat(MAX_REDIRECT_URI_LEN);
    let table: &[(&str, E)] = &[
        // Platform examples.
        ("https://*.client.example/callback", E::Wildcard),
        ("http://myclient.localhost/callback", E::HttpNotLoopback),
        ("http://myclient.local/cb", E::HttpNotLoopback),
        ("http://client.example/callback", E::HttpNotLoopback),
        // Whitespace and control characters, anywhere.
        (" https://client.example/cb", E::ControlOrWhitespace),
        ("https://client.example/cb ", E::ControlOrWhitespace),
        ("https://client.example/c b", E::ControlOrWhitespace),
        ("https://client.example/cb\t", E::ControlOrWhitespace),
        ("https://client.\nexample/cb", E::ControlOrWhitespace),
        ("https://client.example/cb\r\n", E::ControlOrWhitespace),
        ("https://client.example/cb\u{0}", E::ControlOrWhitespace),
        ("https://client.example/cb\u{7f}", E::ControlOrWhitespace),
        ("https://client.example/cb\u{c}", E::ControlOrWhitespace),
        // Wildcards: host, path, query, user-info, port, percent-encoded, IDN-mapped.
        ("*", E::Wildcard),
        ("https://client.example/*", E::Wildcard),
        ("https://client.example/cb/**", E::Wildcard),
        ("https://client.example/cb?x=*", E::Wildcard),
        ("https://*:*@client.example/cb", E::Wildcard),
        ("https://client.example:*/cb", E::Wildcard),
        ("https://%2A.client.example/cb", E::Wildcard),
        ("https://client.example/%2a", E::Wildcard),
        ("https://client.example/cb?x=%252A", E::Wildcard),
        ("https://\u{ff0a}.client.example/cb", E::Wildcard),
        ("http://*/cb", E::Wildcard),
        // Fragments, even empty.
        ("https://client.example/cb#", E::Fragment),
        ("https://client.example/cb#frag", E::Fragment),
        ("https://client.example/#/route", E::Fragment),
        ("https://client.example/cb?x=1#", E::Fragment),
        // Percent-encoding.
        ("https://client.example/%", E::InvalidPercentEncoding),
        ("https://client.example/%zz", E::InvalidPercentEncoding),
        ("https://client.example/cb?x=%2", E::InvalidPercentEncoding),
        ("https://client.example/%+1", E::InvalidPercentEncoding),
        // Not absolute.
        ("", E::NotAbsolute),
        ("/callback", E::NotAbsolute),
        ("client.example/callback", E::NotAbsolute),
        ("//client.example/cb", E::NotAbsolute),
        // Unparseable.
        ("https://client.example:65536/cb", E::Malformed),
        ("https://client.example:443x/cb", E::Malformed),
        ("https://[::1/cb", E::Malformed),
        ("https://999.1.1.1/cb", E::Malformed),
        ("https://xn--a.example/cb", E::Malformed),
        // Other schemes.
        ("javascript:alert(1)", E::UnsupportedScheme),
        ("JavaScript:alert(1)", E::UnsupportedScheme),
        ("data:text/html,hi", E::UnsupportedScheme),
        ("file:///etc/passwd", E::UnsupportedScheme),
        ("com.example.app:/callback", E::UnsupportedScheme),
        ("urn:ietf:wg:oauth:2.0:oob", E::UnsupportedScheme),
        ("ftp://client.example/cb", E::UnsupportedScheme),
        ("ws://localhost/cb", E::UnsupportedScheme),
        ("wss://client.example/cb", E::UnsupportedScheme),
        ("httpx://client.example/cb", E::UnsupportedScheme),
        ("blob:https://client.example/uuid", E::UnsupportedScheme),
        ("about:blank", E::UnsupportedScheme),
        // User-info, even empty.
        ("https://user@client.example/cb", E::UserInfo),
        ("https://user:pass@client.example/cb", E::UserInfo),
        ("https://@client.example/cb", E::UserInfo),
        ("https://:@client.example/cb", E::UserInfo),
        ("https://client.example@evil.example/cb", E::UserInfo),
        ("http://localhost@evil.example/cb", E::UserInfo),
        ("http://user@localhost/cb", E::UserInfo),
        // Empty host.
        ("https://", E::EmptyHost),
        ("https:///cb", E::EmptyHost),
        ("http:///localhost/cb", E::EmptyHost),
        ("https://:443/cb", E::EmptyHost),
        ("https://?x", E::EmptyHost),
        // Empty labels, trailing dot.
        ("https://client.example./cb", E::InvalidHost),
        ("https://client..example/cb", E::InvalidHost),
        ("https://.client.example/cb", E::InvalidHost),
        ("https://./cb", E::InvalidHost),
        ("http://localhost./cb", E::InvalidHost),
        // http off loopback, and look-alikes of loopback.
        ("http://localhost.example/cb", E::HttpNotLoopback),
        ("http://127.0.0.2/cb", E::HttpNotLoopback),
        ("http://0.0.0.0/cb", E::HttpNotLoopback),
        ("http://[::ffff:127.0.0.1]/cb", E::HttpNotLoopback),
        ("http://[::ffff:7f00:1]/cb", E::HttpNotLoopback),
        ("http://[::]/cb", E::HttpNotLoopback),
        ("http://127.0.0.1.nip.io/cb", E::HttpNotLoopback),
        ("http://10.0.0.1/cb", E::HttpNotLoopback),
        ("http://localhos/cb", E::HttpNotLoopback),
    ];
    let mut rows: Vec<(String, E)> = table
        .iter()
        .map(|(s, e)| ((*s).to_owned(), e.clone()))
        .collect();
    rows.push((format!("https://client.example/{long_path}"), E::TooLong));
    rows
}

/// Non-canonical spellings, each with the canonical form the error must suggest.
const NOT_CANONICAL: &[(&str, &str)] = &[
    ("HTTPS://client.example/cb", "https://client.example/cb"),
    ("Https://client.example/cb", "https://client.example/cb"),
    ("https://Client.Example/cb", "https://client.example/cb"),
    ("HTTP://LOCALHOST:3000/cb", "http://localhost:3000/cb"),
    ("https://client.example:443/cb", "https://client.example/cb"),
    ("http://localhost:80/cb", "http://localhost/cb"),
    ("http://127.0.0.1:80/cb", "http://127.0.0.1/cb"),
    ("https://client.example:/cb", "https://client.example/cb"),
    (
        "https://client.example:08443/cb",
        "https://client.example:8443/cb",
    ),
    ("https://client.example", "https://client.example/"),
    ("https://client.example?x=1", "https://client.example/?x=1"),
    ("http://localhost:3000", "http://localhost:3000/"),
    (
        "https://client.example/a/../cb",
        "https://client.example/cb",
    ),
    ("https://client.example/./cb", "https://client.example/cb"),
    (
        "https://client.example/a/%2E%2E/cb",
        "https://client.example/cb",
    ),
    (
        "https://client.example/a/.%2e/cb",
        "https://client.example/cb",
    ),
    ("https://client.example/cb/.", "https://client.example/cb/"),
    ("https://client.example\\cb", "https://client.example/cb"),
    ("https://client.example/a\\b", "https://client.example/a/b"),
    ("https:client.example/cb", "https://client.example/cb"),
    ("https:/client.example/cb", "https://client.example/cb"),
    ("http://127.1/cb", "http://127.0.0.1/cb"),
    ("http://0x7f.0.0.1/cb", "http://127.0.0.1/cb"),
    ("http://2130706433/cb", "http://127.0.0.1/cb"),
    ("http://[0:0:0:0:0:0:0:1]:3000/cb", "http://[::1]:3000/cb"),
    ("http://[::0001]/cb", "http://[::1]/cb"),
    ("https://[2001:DB8::1]/cb", "https://[2001:db8::1]/cb"),
    (
        "https://bücher.example/cb",
        "https://xn--bcher-kva.example/cb",
    ),
    (
        "https://client\u{3002}example/cb",
        "https://client.example/cb",
    ),
    (
        "https://client.example%2Eorg/cb",
        "https://client.example.org/cb",
    ),
    (
        "https://client.example/café",
        "https://client.example/caf%C3%A9",
    ),
    (
        "https://client.example/cb?q=é",
        "https://client.example/cb?q=%C3%A9",
    ),
    (
        "https://client.example/\u{a0}",
        "https://client.example/%C2%A0",
    ),
    (
        "https://client.example/\u{2028}",
        "https://client.example/%E2%80%A8",
    ),
    (
        "https://client.example/{x}",
        "https://client.example/%7Bx%7D",
    ),
    (
        "https://client.example/a\"b<c>",
        "https://client.example/a%22b%3Cc%3E",
    ),
    (
        "https://client.example/cb?x='",
        "https://client.example/cb?x=%27",
    ),
    (
        "https://client.example/\u{ff0a}",
        "https://client.example/%EF%BC%8A",
    ),
];

#[test]
fn accepted_uris_are_stored_unchanged() {
    for &uri in ACCEPTED {
        let parsed = RegisteredRedirectUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e:?}"));
        assert_eq!(parsed.as_str(), uri);
        assert_eq!(parsed.as_ref(), uri);
        assert_eq!(parsed.to_string(), uri);
        assert_eq!(uri.parse::<RegisteredRedirectUri>().as_ref(), Ok(&parsed));
        assert_eq!(RegisteredRedirectUri::try_from(uri).as_ref(), Ok(&parsed));
        assert_eq!(String::from(parsed.clone()), uri);
        assert_eq!(parsed.into_string(), uri);
    }
}

#[test]
fn each_rule_has_its_own_error() {
    for (uri, expected) in rejected() {
        assert_eq!(
            RegisteredRedirectUri::parse(&uri),
            Err(expected.clone()),
            "{uri:?}"
        );
        assert_eq!(
            uri.parse::<RegisteredRedirectUri>(),
            Err(expected),
            "{uri:?}"
        );
    }
}

#[test]
fn non_canonical_spellings_are_refused_with_the_canonical_form() {
    for &(uri, canonical) in NOT_CANONICAL {
        let err = RegisteredRedirectUri::parse(uri).expect_err(uri);
        assert!(matches!(err, E::NotCanonical { .. }), "{uri}: {err:?}");
        assert_eq!(err.canonical_form(), Some(canonical), "{uri}");
        // The suggestion itself is accepted, unchanged.
        let suggested = RegisteredRedirectUri::parse(canonical)
            .unwrap_or_else(|e| panic!("{canonical}: {e:?}"));
        assert_eq!(suggested.as_str(), canonical);
    }
}

#[test]
fn only_not_canonical_carries_a_canonical_form() {
    for (uri, err) in rejected() {
        assert_eq!(err.canonical_form(), None, "{uri:?}");
    }
}

#[test]
fn the_length_bound_is_inclusive() {
    let prefix = "https://client.example/";
    let at_limit = format!(
        "{prefix}{}",
        "a".repeat(MAX_REDIRECT_URI_LEN - prefix.len())
    );
    assert_eq!(at_limit.len(), MAX_REDIRECT_URI_LEN);
    assert!(RegisteredRedirectUri::parse(&at_limit).is_ok());
    let over = format!("{at_limit}a");
    assert_eq!(RegisteredRedirectUri::parse(&over), Err(E::TooLong));
}

#[test]
fn a_canonical_form_over_the_limit_is_too_long() {
    // 1,000 `é` are 2,000 bytes of UTF-8 but 6,000 bytes once percent-encoded.
    let prefix = "https://client.example/";
    let n = (MAX_REDIRECT_URI_LEN - prefix.len()) / 2;
    let uri = format!("{prefix}{}", "é".repeat(n));
    assert!(uri.len() <= MAX_REDIRECT_URI_LEN);
    assert_eq!(RegisteredRedirectUri::parse(&uri), Err(E::TooLong));
}

#[test]
fn messages_are_fixed_text() {
    for (uri, err) in rejected() {
        let message = err.to_string();
        assert!(!message.is_empty());
        assert!(!message.contains("client.example"), "{uri:?}: {message}");
        assert!(!message.contains("evil"), "{uri:?}: {message}");
    }
    for &(uri, canonical) in NOT_CANONICAL {
        let message = RegisteredRedirectUri::parse(uri)
            .expect_err(uri)
            .to_string();
        assert!(!message.contains(canonical), "{message}");
        assert!(!message.contains("client"), "{message}");
    }
}

#[test]
fn registration_error_is_a_std_error() {
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<E>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = RegisteredRedirectUri::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_uri_like_strings(s in uri_like()) {
        let _ = RegisteredRedirectUri::parse(&s);
    }

    #[test]
    fn accepted_uris_obey_every_rule(s in uri_like()) {
        if let Ok(uri) = RegisteredRedirectUri::parse(&s) {
            let text = uri.as_str();
            prop_assert_eq!(text, s.as_str());
            prop_assert!(text.len() <= MAX_REDIRECT_URI_LEN);
            prop_assert!(!text.contains('*'));
            prop_assert!(!text.to_ascii_lowercase().contains("%2a"));
            prop_assert!(!text.contains('#'));
            prop_assert!(!text.bytes().any(|b| b.is_ascii_control() || b.is_ascii_whitespace()));
            prop_assert!(text.is_ascii());
            let url = url::Url::parse(text).unwrap();
            prop_assert_eq!(url.as_str(), text, "stored form is the parser's serialization");
            prop_assert!(url.fragment().is_none());
            prop_assert_eq!(url.username(), "");
            prop_assert!(url.password().is_none());
            let loopback = ["localhost", "127.0.0.1", "[::1]"];
            match url.scheme() {
                "https" => {}
                "http" => prop_assert!(loopback.contains(&url.host_str().unwrap())),
                other => prop_assert!(false, "scheme {other}"),
            }
        }
    }

    #[test]
    fn canonical_suggestions_are_accepted(s in uri_like()) {
        if let Err(err) = RegisteredRedirectUri::parse(&s)
            && let Some(canonical) = err.canonical_form()
        {
            prop_assert_ne!(canonical, s.as_str());
            let parsed = RegisteredRedirectUri::parse(canonical);
            prop_assert!(parsed.is_ok(), "{:?} -> {:?}: {:?}", s, canonical, parsed);
        }
    }

    #[test]
    fn registrable_uris_are_accepted(s in registrable_uri()) {
        prop_assert_eq!(RegisteredRedirectUri::parse(&s).map(|u| u.into_string()), Ok(s));
    }

    #[test]
    fn messages_never_echo_the_input(label in "[a-z]{12,20}", path in "[a-zA-Z0-9*#% ]{0,12}") {
        for uri in [
            format!("https://{label}.example/{path}"),
            format!("http://{label}.example/{path}"),
            format!("HTTPS://{label}.example/{path}"),
            format!("{label}:{path}"),
            format!("https://{label}@x.example/"),
        ] {
            if let Err(err) = RegisteredRedirectUri::parse(&uri) {
                prop_assert!(!err.to_string().contains(&label));
            }
        }
    }
}
