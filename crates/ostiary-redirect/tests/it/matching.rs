//! Matching a requested redirect URI: exact by default, any port on loopback IPs when opted in.

use ostiary_redirect::{
    MAX_REDIRECT_URI_LEN, MatchError, MatchMode, RegisteredRedirectUri, default_redirect_uri,
    match_redirect_uri,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::strategies::{
    canonical_path, canonical_query, https_origin, loopback_origin, registrable_uri,
};

fn register(uris: &[&str]) -> Vec<RegisteredRedirectUri> {
    uris.iter()
        .map(|u| RegisteredRedirectUri::parse(u).unwrap_or_else(|e| panic!("{u}: {e:?}")))
        .collect()
}

const PLATFORM: &[&str] = &[
    "https://client.example/callback",
    "http://localhost:3000/callback",
    "http://127.0.0.1:3000/callback",
    "http://[::1]:3000/callback",
    "https://client.example/cb?tenant=7",
];

/// The same URI with the port (`:digits` right after a loopback IP host) removed; `None` for other URIs.
fn without_loopback_port(uri: &str) -> Option<String> {
    let after_scheme = uri.strip_prefix("http://")?;
    let host = ["127.0.0.1", "[::1]"]
        .into_iter()
        .find(|h| after_scheme.starts_with(h))?;
    let after_host = &after_scheme[host.len()..];
    let rest = match after_host.strip_prefix(':') {
        Some(port_and_rest) => port_and_rest.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => after_host,
    };
    Some(format!("http://{host}{rest}"))
}

#[test]
fn exact_mode_accepts_each_registered_uri_as_is() {
    let registered = register(PLATFORM);
    for mode in [MatchMode::Exact, MatchMode::LoopbackAnyPort] {
        for &uri in PLATFORM {
            let verified = match_redirect_uri(&registered, uri, mode).unwrap();
            assert_eq!(verified.as_str(), uri);
            assert_eq!(verified.as_ref(), uri);
        }
    }
}

#[test]
fn exact_mode_refuses_every_other_spelling() {
    let registered = register(PLATFORM);
    for requested in [
        "",
        "https://client.example/callback/",
        "https://client.example/callback?",
        "https://client.example/callback#",
        "https://client.example/callback#x",
        "https://CLIENT.example/callback",
        "HTTPS://client.example/callback",
        "https://client.example:443/callback",
        "https://client.example./callback",
        "https://client.example/Callback",
        "https://client.example/%63allback",
        "https://client.example/callback%20",
        "https://client.example/callback ",
        " https://client.example/callback",
        "https://client.example/callback\0",
        "https://client.example/callbac",
        "https://client.example/a/../callback",
        "https://user@client.example/callback",
        "https://client.example/cb?tenant=8",
        "https://client.example/cb?tenant=7&x=1",
        "https://client.example/cb",
        "https://client.example.evil.example/callback",
        "http://client.example/callback",
        "http://localhost:3001/callback",
        "http://localhost/callback",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:3001/callback",
        "http://[::1]/callback",
        "http://[0:0::1]:3000/callback",
    ] {
        assert_eq!(
            match_redirect_uri(&registered, requested, MatchMode::Exact),
            Err(MatchError::NotRegistered),
            "{requested:?}"
        );
    }
}

#[test]
fn nothing_matches_when_nothing_is_registered() {
    for mode in [MatchMode::Exact, MatchMode::LoopbackAnyPort] {
        assert_eq!(
            match_redirect_uri(&[], "https://client.example/callback", mode),
            Err(MatchError::NotRegistered)
        );
    }
}

#[test]
fn over_long_requests_are_refused_before_comparing() {
    let long = format!(
        "https://client.example/{}",
        "a".repeat(MAX_REDIRECT_URI_LEN)
    );
    let registered = register(PLATFORM);
    for mode in [MatchMode::Exact, MatchMode::LoopbackAnyPort] {
        assert_eq!(
            match_redirect_uri(&registered, &long, mode),
            Err(MatchError::TooLong)
        );
    }
    // Exactly at the limit is compared normally.
    let prefix = "https://client.example/";
    let at_limit = format!(
        "{prefix}{}",
        "a".repeat(MAX_REDIRECT_URI_LEN - prefix.len())
    );
    let registered = register(&[&at_limit]);
    assert!(match_redirect_uri(&registered, &at_limit, MatchMode::Exact).is_ok());
}

#[test]
fn loopback_mode_accepts_any_port_on_loopback_ips() {
    let registered = register(&[
        "http://127.0.0.1:3000/callback",
        "http://[::1]/cb?x=1",
        "http://localhost:3000/callback",
        "https://127.0.0.1:8443/cb",
    ]);
    for requested in [
        "http://127.0.0.1/callback",
        "http://127.0.0.1:51004/callback",
        "http://127.0.0.1:80/callback",
        "http://127.0.0.1:1/callback",
        "http://127.0.0.1:65535/callback",
        "http://[::1]:8080/cb?x=1",
        "http://[::1]:1/cb?x=1",
    ] {
        let verified = match_redirect_uri(&registered, requested, MatchMode::LoopbackAnyPort)
            .unwrap_or_else(|e| panic!("{requested}: {e:?}"));
        // The redirect goes to the port the client asked for.
        assert_eq!(verified.as_str(), requested);
        assert_eq!(
            match_redirect_uri(&registered, requested, MatchMode::Exact),
            Err(MatchError::NotRegistered),
            "exact mode: {requested}"
        );
    }
}

#[test]
fn loopback_mode_changes_nothing_but_the_port() {
    let registered = register(&[
        "http://127.0.0.1:3000/callback",
        "http://[::1]:3000/cb?x=1",
        "http://localhost:3000/callback",
        "https://127.0.0.1:8443/cb",
    ]);
    for requested in [
        // RFC 8252 §8.3: not `localhost`.
        "http://localhost:3001/callback",
        "http://localhost/callback",
        // Not https, even on a loopback IP.
        "https://127.0.0.1/cb",
        "https://127.0.0.1:8444/cb",
        "https://127.0.0.1:3000/callback",
        // Path, query, host or scheme differ.
        "http://127.0.0.1:3000/callback/",
        "http://127.0.0.1:3001/callback/",
        "http://127.0.0.1:3001/Callback",
        "http://127.0.0.1:3001/callback?",
        "http://127.0.0.1:3001/callback?x=1",
        "http://[::1]:3001/cb?x=2",
        "http://[::1]:3001/cb",
        "http://[::1]:3001/cb?x=1&",
        "http://[::1]:3001/cb?x=1#",
        "http://127.0.0.1:3001/callback#",
        "http://127.0.0.1:3001/callback#x",
        "HTTP://127.0.0.1:3001/callback",
        "http://127.1:3001/callback",
        "http://127.0.0.2:3000/callback",
        "http://[0:0::1]:3001/cb?x=1",
        "http://[::ffff:127.0.0.1]:3001/callback",
        "http://127.0.0.1.evil.example/callback",
        // User-info, odd ports, separators.
        "http://user@127.0.0.1:3001/callback",
        "http://127.0.0.1:3001@evil.example/callback",
        "http://127.0.0.1@evil.example/callback",
        "http://127.0.0.1:/callback",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:65536/callback",
        "http://127.0.0.1:99999/callback",
        "http://127.0.0.1:03000/callback",
        "http://127.0.0.1:+3000/callback",
        "http://127.0.0.1::3000/callback",
        "http://127.0.0.1:3000:3001/callback",
        "http://127.0.0.1:3000\\callback",
        "http://127.0.0.1:3000 /callback",
        "http://127.0.0.1:30\t00/callback",
        "http:/127.0.0.1:3000/callback",
        "http://127.0.0.1:3000//callback",
    ] {
        assert_eq!(
            match_redirect_uri(&registered, requested, MatchMode::LoopbackAnyPort),
            Err(MatchError::NotRegistered),
            "{requested:?}"
        );
    }
}

#[test]
fn the_default_mode_is_exact() {
    assert_eq!(MatchMode::default(), MatchMode::Exact);
}

#[test]
fn default_redirect_uri_needs_exactly_one_registered() {
    let one = register(&["https://client.example/callback"]);
    assert_eq!(
        default_redirect_uri(&one).unwrap().as_str(),
        "https://client.example/callback"
    );
    assert_eq!(default_redirect_uri(&[]), Err(MatchError::Required));
    assert_eq!(
        default_redirect_uri(&register(PLATFORM)),
        Err(MatchError::Required)
    );
}

#[test]
fn match_errors_are_fixed_text_std_errors() {
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<MatchError>();
    let registered = register(PLATFORM);
    for requested in [
        "https://evil.example/callback",
        &"e".repeat(MAX_REDIRECT_URI_LEN + 1),
    ] {
        let message = match_redirect_uri(&registered, requested, MatchMode::Exact)
            .unwrap_err()
            .to_string();
        assert!(
            !message.contains("evil") && !message.contains("eee"),
            "{message}"
        );
    }
}

/// A registered `http` URI on a loopback IP literal, and its path + query.
fn loopback_ip_uri() -> impl Strategy<Value = (String, String)> {
    (
        loopback_origin(select(&["127.0.0.1", "[::1]"][..])),
        canonical_path(),
        canonical_query(),
    )
        .prop_map(|(origin, path, query)| {
            (format!("{origin}{path}{query}"), format!("{path}{query}"))
        })
}

/// One ASCII single-byte mutation of `s`: replace, insert or delete at `at` (modulo the length).
fn mutate(s: &str, kind: u8, at: usize, byte: u8) -> String {
    let mut bytes = s.as_bytes().to_vec();
    let at = at % (bytes.len() + 1);
    let byte = byte & 0x7f;
    match kind % 3 {
        0 if at < bytes.len() => {
            if bytes[at] == byte {
                bytes[at] = if byte == b'a' { b'b' } else { b'a' };
            } else {
                bytes[at] = byte;
            }
        }
        1 | 0 => bytes.insert(at, byte),
        _ if at < bytes.len() => {
            bytes.remove(at);
        }
        _ => bytes.insert(at, byte),
    }
    String::from_utf8(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn every_registered_uri_matches_itself(uris in prop::collection::vec(registrable_uri(), 1..6), pick in any::<prop::sample::Index>()) {
        let registered = register(&uris.iter().map(String::as_str).collect::<Vec<_>>());
        let requested = pick.get(&uris);
        for mode in [MatchMode::Exact, MatchMode::LoopbackAnyPort] {
            let verified = match_redirect_uri(&registered, requested, mode);
            prop_assert_eq!(verified.map(|v| v.as_str().to_owned()), Ok(requested.clone()));
        }
    }

    #[test]
    fn a_single_byte_mutation_never_matches_exactly(uri in registrable_uri(), kind in any::<u8>(), at in any::<usize>(), byte in any::<u8>()) {
        let registered = register(&[&uri]);
        let mutated = mutate(&uri, kind, at, byte);
        prop_assert_ne!(&mutated, &uri);
        prop_assert_eq!(match_redirect_uri(&registered, &mutated, MatchMode::Exact), Err(MatchError::NotRegistered));
        // In loopback mode, a mutation may match only if it changed nothing but the port of a loopback IP URI.
        if match_redirect_uri(&registered, &mutated, MatchMode::LoopbackAnyPort).is_ok() {
            let stripped = without_loopback_port(&uri);
            prop_assert!(stripped.is_some(), "{} matched {}", mutated, uri);
            prop_assert_eq!(without_loopback_port(&mutated), stripped);
        }
    }

    #[test]
    fn loopback_ips_match_on_any_port((uri, rest) in loopback_ip_uri(), port in prop::option::of(1u16..)) {
        let registered = register(&[&uri]);
        let host = if uri.starts_with("http://[::1]") { "[::1]" } else { "127.0.0.1" };
        let requested = match port {
            Some(p) => format!("http://{host}:{p}{rest}"),
            None => format!("http://{host}{rest}"),
        };
        let verified = match_redirect_uri(&registered, &requested, MatchMode::LoopbackAnyPort);
        prop_assert_eq!(verified.map(|v| v.as_str().to_owned()), Ok(requested.clone()));
        let exact = match_redirect_uri(&registered, &requested, MatchMode::Exact);
        prop_assert_eq!(exact.is_ok(), requested == uri);
    }

    #[test]
    fn loopback_ips_match_nothing_else(
        (uri, rest) in loopback_ip_uri(),
        port in prop::option::of(1u16..),
        kind in any::<u8>(), at in any::<usize>(), byte in any::<u8>(),
    ) {
        let registered = register(&[&uri]);
        let host = if uri.starts_with("http://[::1]") { "[::1]" } else { "127.0.0.1" };
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        // Change the path or query by one byte after its leading `/` (a digit put before the `/` would
        // only change the port), and the port too.
        let changed_rest = format!("/{}", mutate(&rest[1..], kind, at, byte));
        let requested = format!("http://{host}{port}{changed_rest}");
        prop_assert_eq!(match_redirect_uri(&registered, &requested, MatchMode::LoopbackAnyPort), Err(MatchError::NotRegistered));
        // And the other host forms or schemes, with the right path.
        for other in [
            format!("https://{host}{port}{rest}"),
            format!("http://localhost{port}{rest}"),
            format!("http://{}{port}{rest}", if host == "[::1]" { "127.0.0.1" } else { "[::1]" }),
        ] {
            prop_assert_eq!(match_redirect_uri(&registered, &other, MatchMode::LoopbackAnyPort), Err(MatchError::NotRegistered));
        }
    }

    #[test]
    fn other_uris_never_port_match(
        origin in prop_oneof![https_origin(), loopback_origin(Just("localhost"))],
        path in canonical_path(), query in canonical_query(), port in 1u16..,
    ) {
        let uri = format!("{origin}{path}{query}");
        let registered = register(&[&uri]);
        let (scheme, authority) = origin.split_once("://").unwrap();
        let host = authority.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(authority, |(h, _)| h);
        for requested in [format!("{scheme}://{host}:{port}{path}{query}"), format!("{scheme}://{host}{path}{query}")] {
            let matched = match_redirect_uri(&registered, &requested, MatchMode::LoopbackAnyPort);
            prop_assert_eq!(matched.is_ok(), requested == uri, "{}", requested);
        }
    }

    #[test]
    fn arbitrary_requests_never_panic_and_match_only_registered(requested in any::<String>(), uris in prop::collection::vec(registrable_uri(), 0..4)) {
        let registered = register(&uris.iter().map(String::as_str).collect::<Vec<_>>());
        if let Ok(v) = match_redirect_uri(&registered, &requested, MatchMode::Exact) {
            prop_assert!(uris.contains(&requested));
            prop_assert_eq!(v.as_str(), requested.as_str());
        }
        if let Ok(v) = match_redirect_uri(&registered, &requested, MatchMode::LoopbackAnyPort) {
            prop_assert_eq!(v.as_str(), requested.as_str());
            prop_assert!(!requested.contains('#'));
            let stripped = without_loopback_port(&requested);
            prop_assert!(uris.contains(&requested) || uris.iter().any(|u| without_loopback_port(u) == stripped && stripped.is_some()));
        }
    }
}
