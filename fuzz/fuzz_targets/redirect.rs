//! Redirect URIs: registration rules, matching in both modes and the response builders, on arbitrary text.
//!
//! The input is split on `\n`: every line but the last is a redirect URI to register, the last one is the
//! requested redirect URI (and, once matched, also the `state` and `error_description` to append).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ostiary_redirect::{
    MAX_REDIRECT_URI_LEN, MatchMode, RegisteredRedirectUri, VerifiedRedirect, match_redirect_uri,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines: Vec<&str> = text.split('\n').collect();
    let requested = lines.pop().unwrap_or_default();

    let registered: Vec<RegisteredRedirectUri> =
        lines.iter().filter_map(|line| register(line)).collect();
    let _ = register(requested);

    if let Ok(verified) = match_redirect_uri(&registered, requested, MatchMode::Exact) {
        // Exact mode is string equality with a registered URI.
        assert_eq!(verified.as_str(), requested);
        assert!(registered.iter().any(|r| r.as_str() == requested));
        build_responses(&verified, requested);
    }
    if let Ok(verified) = match_redirect_uri(&registered, requested, MatchMode::LoopbackAnyPort) {
        assert_eq!(verified.as_str(), requested);
        assert!(!requested.contains('#'));
        // Anything but an exact match is an http URI on a loopback IP literal.
        let exact = registered.iter().any(|r| r.as_str() == requested);
        assert!(
            exact
                || requested.starts_with("http://127.0.0.1")
                || requested.starts_with("http://[::1]")
        );
        build_responses(&verified, requested);
    }
});

/// Registration, with the invariants of an accepted URI.
fn register(line: &str) -> Option<RegisteredRedirectUri> {
    match RegisteredRedirectUri::parse(line) {
        Ok(uri) => {
            assert_eq!(uri.as_str(), line, "stored exactly as given");
            assert!(line.len() <= MAX_REDIRECT_URI_LEN);
            assert!(
                !line.contains('*') && !line.contains('#'),
                "no wildcard, no fragment"
            );
            assert!(
                !line.to_ascii_lowercase().contains("%2a"),
                "no encoded wildcard"
            );
            assert!(line.is_ascii());
            assert!(
                !line
                    .bytes()
                    .any(|b| b.is_ascii_control() || b.is_ascii_whitespace())
            );
            assert!(line.starts_with("https://") || line.starts_with("http://"));
            let authority = line
                .split("://")
                .nth(1)
                .unwrap_or("")
                .split(['/', '?'])
                .next()
                .unwrap_or("");
            assert!(
                !authority.is_empty() && !authority.contains('@'),
                "a host, no user-info"
            );
            Some(uri)
        }
        Err(err) => {
            if let Some(canonical) = err.canonical_form() {
                assert_ne!(canonical, line);
                assert!(
                    RegisteredRedirectUri::parse(canonical).is_ok(),
                    "suggestions are accepted"
                );
            }
            None
        }
    }
}

/// The builders keep the URI as a prefix and append exactly the given values, form-encoded, in order.
fn build_responses(verified: &VerifiedRedirect, value: &str) {
    let iss = "https://issuer.example";
    check_appended(
        verified,
        &verified.authorization_success("c", Some(value), iss),
        &[("code", "c"), ("state", value), ("iss", iss)],
    );
    check_appended(
        verified,
        &verified.authorization_error("access_denied", Some(value), None, iss),
        &[
            ("error", "access_denied"),
            ("error_description", value),
            ("iss", iss),
        ],
    );
    check_appended(
        verified,
        &verified.post_logout(Some(value)),
        &[("state", value)],
    );
    assert_eq!(verified.post_logout(None), verified.as_str());
}

fn check_appended(verified: &VerifiedRedirect, out: &str, expected: &[(&str, &str)]) {
    let base = verified.as_str();
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    let appended = out
        .strip_prefix(base)
        .and_then(|s| s.strip_prefix(separator))
        .expect("the original URI and query come first");
    let decoded: Vec<(String, String)> = appended
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("name=value");
            (form_decode(name), form_decode(value))
        })
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(decoded, expected);
}

/// `application/x-www-form-urlencoded` decoding of an encoder's output (`+` and upper-case `%XX` only).
fn form_decode(s: &str) -> String {
    let mut bytes = Vec::with_capacity(s.len());
    let mut iter = s.bytes();
    while let Some(b) = iter.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = [iter.next().expect("escape"), iter.next().expect("escape")];
                let hex = std::str::from_utf8(&hex).expect("hex");
                assert_eq!(hex, hex.to_ascii_uppercase());
                bytes.push(u8::from_str_radix(hex, 16).expect("hex"));
            }
            b'&' | b'=' | b'#' | b' ' => panic!("unencoded delimiter"),
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).expect("UTF-8 values stay UTF-8")
}
