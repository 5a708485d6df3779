//! Property tests: generated pairs verify, one-character changes never verify, the parsers
//! never panic, and the length bounds of RFC 7636 §4.1 hold exactly.

use ostiary_pkce::{ChallengeError, CodeChallenge, CodeVerifier, VerifierError, verify};
use proptest::prelude::*;
use proptest::sample::Index;

/// RFC 7636 §4.1 `unreserved` characters.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
/// The base64url alphabet (RFC 4648 §5), in value order.
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Any valid verifier: 43 to 128 unreserved characters.
fn valid_verifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{43,128}"
}

/// Replaces the character at `at` (chosen by `pick`) with a different one from `alphabet`.
fn change_one(value: &str, alphabet: &[u8], at: Index, pick: Index) -> String {
    let mut bytes = value.as_bytes().to_vec();
    let i = at.index(bytes.len());
    let old = alphabet.iter().position(|&c| c == bytes[i]).unwrap();
    // Any offset in 1..len lands on a different character of the alphabet.
    let offset = 1 + pick.index(alphabet.len() - 1);
    bytes[i] = alphabet[(old + offset) % alphabet.len()];
    String::from_utf8(bytes).unwrap()
}

proptest! {
    #[test]
    fn every_valid_pair_verifies(raw in valid_verifier()) {
        let verifier = CodeVerifier::parse(&raw).unwrap();
        prop_assert_eq!(verifier.expose_secret(), raw.as_str());
        let challenge = verifier.challenge();
        prop_assert_eq!(challenge.as_str().len(), 43);
        prop_assert_eq!(verify(&challenge, &verifier), Ok(()));
        // The stored form parses back to the same challenge (what a server does).
        let reparsed = CodeChallenge::from_request(Some(challenge.as_str()), Some("S256")).unwrap();
        prop_assert_eq!(&reparsed, &challenge);
        prop_assert_eq!(verify(&reparsed, &verifier), Ok(()));
    }

    #[test]
    fn changing_one_verifier_character_fails(
        raw in valid_verifier(), at in any::<Index>(), pick in any::<Index>()
    ) {
        let challenge = CodeVerifier::parse(&raw).unwrap().challenge();
        let changed = change_one(&raw, UNRESERVED, at, pick);
        prop_assert_ne!(&changed, &raw);
        let changed = CodeVerifier::parse(&changed).unwrap();
        prop_assert!(verify(&challenge, &changed).is_err());
    }

    #[test]
    fn changing_one_challenge_character_fails(
        raw in valid_verifier(), at in any::<Index>(), pick in any::<Index>()
    ) {
        let verifier = CodeVerifier::parse(&raw).unwrap();
        let original = verifier.challenge();
        let changed = change_one(original.as_str(), BASE64URL, at, pick);
        prop_assert_ne!(changed.as_str(), original.as_str());
        match CodeChallenge::parse(&changed) {
            // Only the last character can make the encoding non-canonical.
            Err(e) => {
                prop_assert_eq!(e, ChallengeError::NonCanonical);
                prop_assert_eq!(at.index(43), 42);
            }
            Ok(challenge) => prop_assert!(verify(&challenge, &verifier).is_err()),
        }
    }

    #[test]
    fn verifier_length_bounds_are_exact(len in 0usize..=200, seed in any::<Index>()) {
        let start = seed.index(UNRESERVED.len());
        let raw: String = (0..len)
            .map(|i| char::from(UNRESERVED[(start + i * 7) % UNRESERVED.len()]))
            .collect();
        let result = CodeVerifier::parse(&raw);
        if (43..=128).contains(&len) {
            prop_assert!(result.is_ok());
        } else {
            prop_assert_eq!(result.unwrap_err(), VerifierError::InvalidLength);
        }
    }

    #[test]
    fn any_43_base64url_chars_parse_iff_canonical(raw in "[A-Za-z0-9_-]{43}") {
        let last = raw.as_bytes()[42];
        let value = BASE64URL.iter().position(|&c| c == last).unwrap();
        match CodeChallenge::parse(&raw) {
            Ok(challenge) => {
                prop_assert_eq!(value % 4, 0);
                prop_assert_eq!(challenge.as_str(), raw.as_str());
            }
            Err(e) => {
                prop_assert_ne!(value % 4, 0);
                prop_assert_eq!(e, ChallengeError::NonCanonical);
            }
        }
    }

    #[test]
    fn parsers_never_panic_on_strings(
        a in any::<String>(), b in any::<String>(), none_a in any::<bool>(), none_b in any::<bool>()
    ) {
        let _ = CodeVerifier::parse(&a);
        let _ = CodeChallenge::parse(&a);
        let _ = ostiary_pkce::ChallengeMethod::parse(&a);
        let challenge = (!none_a).then_some(a.as_str());
        let method = (!none_b).then_some(b.as_str());
        if let (Ok(c), Ok(v)) = (CodeChallenge::from_request(challenge, method), CodeVerifier::parse(&b)) {
            let _ = verify(&c, &v);
        }
    }

    #[test]
    fn parsers_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let verifier = CodeVerifier::parse(&text);
        let challenge = CodeChallenge::parse(&text);
        let _ = ostiary_pkce::ChallengeMethod::parse(&text);
        if let (Ok(c), Ok(v)) = (challenge, verifier) {
            let _ = verify(&c, &v);
        }
    }

    #[test]
    fn verifier_parse_accepts_exactly_the_unreserved_set(
        raw in valid_verifier(), at in any::<Index>(), byte in any::<u8>()
    ) {
        let mut bytes = raw.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        // A lone non-ASCII byte is not UTF-8 and cannot reach the `&str` parser: skip it
        // (`parsers_never_panic_on_bytes` covers non-ASCII input).
        let Ok(text) = String::from_utf8(bytes) else {
            return Ok(());
        };
        let ok = CodeVerifier::parse(&text).is_ok();
        prop_assert_eq!(ok, UNRESERVED.contains(&byte));
    }
}

#[test]
fn every_valid_length_parses() {
    for len in 43..=128 {
        let raw: String = UNRESERVED
            .iter()
            .cycle()
            .take(len)
            .map(|&b| char::from(b))
            .collect();
        assert!(CodeVerifier::parse(&raw).is_ok(), "length {len}");
    }
    for len in [42, 129] {
        let raw: String = UNRESERVED
            .iter()
            .cycle()
            .take(len)
            .map(|&b| char::from(b))
            .collect();
        assert_eq!(
            CodeVerifier::parse(&raw).unwrap_err(),
            VerifierError::InvalidLength,
            "length {len}"
        );
    }
}

#[test]
fn generated_pairs_verify() {
    for _ in 0..256 {
        let verifier = CodeVerifier::generate().unwrap();
        assert_eq!(verifier.expose_secret().len(), 43);
        let challenge = verifier.challenge();
        assert_eq!(verify(&challenge, &verifier), Ok(()));
        let reparsed = CodeVerifier::parse(verifier.expose_secret()).unwrap();
        assert_eq!(verify(&challenge, &reparsed), Ok(()));
    }
}
