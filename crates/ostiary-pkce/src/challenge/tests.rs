use super::*;

/// RFC 7636 Appendix B.
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[test]
fn parses_the_rfc_example_and_keeps_it() {
    let c = CodeChallenge::parse(RFC_CHALLENGE).unwrap();
    assert_eq!(c.as_str(), RFC_CHALLENGE);
    assert_eq!(c.to_string(), RFC_CHALLENGE);
    assert_eq!(c.method(), ChallengeMethod::S256);
    assert_eq!(RFC_CHALLENGE.parse::<CodeChallenge>(), Ok(c));
}

#[test]
fn decodes_to_the_rfc_digest() {
    // RFC 7636 Appendix B lists the SHA-256 octets of the example verifier (also checked
    // against Python's hashlib and `openssl dgst -sha256`).
    let expected: [u8; 32] = [
        19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173,
        109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195,
    ];
    assert_eq!(
        CodeChallenge::parse(RFC_CHALLENGE).unwrap().digest(),
        &expected
    );
}

#[test]
fn from_digest_matches_parse() {
    let parsed = CodeChallenge::parse(RFC_CHALLENGE).unwrap();
    assert_eq!(CodeChallenge::from_digest(*parsed.digest()), parsed);
}

#[test]
fn empty_is_missing() {
    assert_eq!(
        CodeChallenge::parse(""),
        Err(ChallengeError::MissingChallenge)
    );
}

#[test]
fn wrong_lengths() {
    assert_eq!(
        CodeChallenge::parse(&RFC_CHALLENGE[..42]),
        Err(ChallengeError::InvalidLength)
    );
    assert_eq!(
        CodeChallenge::parse(&format!("{RFC_CHALLENGE}A")),
        Err(ChallengeError::InvalidLength)
    );
    // Padding makes it 44 characters: RFC 7636 Appendix A omits trailing '='.
    assert_eq!(
        CodeChallenge::parse(&format!("{RFC_CHALLENGE}=")),
        Err(ChallengeError::InvalidLength)
    );
    // A 64-character plain-style challenge (a verifier sent as challenge) is not S256.
    assert_eq!(
        CodeChallenge::parse(&"a".repeat(64)),
        Err(ChallengeError::InvalidLength)
    );
}

#[test]
fn characters_outside_base64url() {
    // '.' and '~' are unreserved (valid in a verifier) but not base64url.
    for bad in ["+", "/", "=", ".", "~", " ", "%"] {
        let mut raw = RFC_CHALLENGE.to_owned();
        raw.replace_range(10..11, bad);
        assert_eq!(
            CodeChallenge::parse(&raw),
            Err(ChallengeError::InvalidCharacter),
            "{bad:?}"
        );
    }
    let multibyte = format!("{}é", &RFC_CHALLENGE[..41]);
    assert_eq!(multibyte.len(), 43);
    assert_eq!(
        CodeChallenge::parse(&multibyte),
        Err(ChallengeError::InvalidCharacter)
    );
}

#[test]
fn last_character_must_be_canonical() {
    // 43 characters carry 258 bits for 256: the last character's two low bits must be zero,
    // so exactly the 16 characters whose alphabet index is a multiple of 4 are accepted.
    let mut accepted = 0;
    for &last in BASE64URL {
        let mut raw = RFC_CHALLENGE[..42].to_owned();
        raw.push(char::from(last));
        let index = BASE64URL.iter().position(|&b| b == last).unwrap();
        let result = CodeChallenge::parse(&raw);
        if index % 4 == 0 {
            assert_eq!(result.unwrap().as_str(), raw);
            accepted += 1;
        } else {
            assert_eq!(result, Err(ChallengeError::NonCanonical), "{raw}");
        }
    }
    assert_eq!(accepted, 16);
}

#[test]
fn from_request_accepts_s256() {
    let c = CodeChallenge::from_request(Some(RFC_CHALLENGE), Some("S256")).unwrap();
    assert_eq!(c.as_str(), RFC_CHALLENGE);
}

#[test]
fn from_request_missing_challenge() {
    for challenge in [None, Some("")] {
        for method in [None, Some("S256"), Some("plain"), Some("x")] {
            assert_eq!(
                CodeChallenge::from_request(challenge, method),
                Err(ChallengeError::MissingChallenge)
            );
        }
    }
}

#[test]
fn from_request_absent_or_empty_method_means_plain() {
    assert_eq!(
        CodeChallenge::from_request(Some(RFC_CHALLENGE), None),
        Err(ChallengeError::MissingMethod)
    );
    assert_eq!(
        CodeChallenge::from_request(Some(RFC_CHALLENGE), Some("")),
        Err(ChallengeError::MissingMethod)
    );
}

#[test]
fn from_request_plain_wins_over_a_bad_challenge() {
    let verifier_like = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk.~";
    assert_eq!(
        CodeChallenge::from_request(Some(verifier_like), Some("plain")),
        Err(ChallengeError::PlainNotSupported)
    );
}

#[test]
fn from_request_unknown_method() {
    assert_eq!(
        CodeChallenge::from_request(Some(RFC_CHALLENGE), Some("s256")),
        Err(ChallengeError::UnknownMethod)
    );
}

#[test]
fn from_request_bad_challenge_with_s256() {
    assert_eq!(
        CodeChallenge::from_request(Some("short"), Some("S256")),
        Err(ChallengeError::InvalidLength)
    );
}

#[test]
fn error_messages_never_echo_input() {
    let marker = "ECHOECHOECHOECHOECHOECHOECHOECHOECHOECHOECH";
    assert_eq!(marker.len(), 43);
    let cases = [
        CodeChallenge::parse(marker).unwrap_err(),
        CodeChallenge::from_request(Some(marker), Some(marker)).unwrap_err(),
        CodeChallenge::from_request(Some(marker), Some("plain")).unwrap_err(),
        CodeChallenge::from_request(Some(&marker[..5]), Some("S256")).unwrap_err(),
    ];
    for error in cases {
        assert!(!error.to_string().contains("ECHO"), "{error}");
    }
}
