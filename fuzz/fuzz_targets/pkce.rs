//! Fuzzes `ostiary-pkce`: verifier, challenge and method parsing, the authorization-request
//! pair, and verification of whatever parses.
//!
//! Input layout: the first byte selects which request parameters are absent (bit 0: challenge,
//! bit 1: method); the rest, read as lossy UTF-8, is split on '\n' into challenge, method and
//! verifier. The whole rest is also fed to each parser on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ostiary_pkce::{ChallengeMethod, CodeChallenge, CodeVerifier, verify};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    check_alone(&text);

    let mut parts = text.splitn(3, '\n');
    let challenge = parts.next().unwrap_or("");
    let method = parts.next().unwrap_or("");
    let verifier = parts.next().unwrap_or("");
    check_alone(challenge);
    check_alone(method);
    check_alone(verifier);

    let from_request = CodeChallenge::from_request(
        (flags & 1 == 0).then_some(challenge),
        (flags & 2 == 0).then_some(method),
    );
    if let Ok(parsed) = &from_request {
        // Accepted only with an explicit S256 method and a challenge that parses on its own.
        assert_eq!(flags & 3, 0);
        assert_eq!(method, "S256");
        assert_eq!(CodeChallenge::parse(challenge).as_ref(), Ok(parsed));
    }

    if let (Ok(c), Ok(v)) = (
        CodeChallenge::parse(challenge),
        CodeVerifier::parse(verifier),
    ) {
        // Digest comparison must agree with comparing the canonical strings.
        let matches = v.challenge().as_str() == c.as_str();
        assert_eq!(verify(&c, &v).is_ok(), matches);
    }
});

/// Parses `value` as each kind and checks the round-trip invariants of whatever is accepted.
fn check_alone(value: &str) {
    if let Ok(v) = CodeVerifier::parse(value) {
        assert_eq!(v.expose_secret(), value);
        assert!(verify(&v.challenge(), &v).is_ok());
    }
    if let Ok(c) = CodeChallenge::parse(value) {
        assert_eq!(c.as_str(), value);
        assert_eq!(CodeChallenge::parse(c.as_str()).as_ref(), Ok(&c));
    }
    if let Ok(m) = ChallengeMethod::parse(value) {
        assert_eq!(m.as_str(), value);
    }
}
