//! RFC 7636 Appendix B and the error paths, through the public API.

use ostiary_pkce::{
    ChallengeError, ChallengeMethod, CodeChallenge, CodeVerifier, VerificationError, VerifierError,
    verify,
};

/// RFC 7636 Appendix B: the example `code_verifier`...
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// ...and its S256 `code_challenge`.
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn appendix_b_verifier_gives_the_rfc_challenge() {
    let verifier = CodeVerifier::parse(RFC_VERIFIER).unwrap();
    assert_eq!(verifier.challenge().as_str(), RFC_CHALLENGE);
}

#[test]
fn appendix_b_pair_verifies() {
    let challenge = CodeChallenge::from_request(Some(RFC_CHALLENGE), Some("S256")).unwrap();
    let verifier = CodeVerifier::parse(RFC_VERIFIER).unwrap();
    assert_eq!(verify(&challenge, &verifier), Ok(()));
}

/// Regression: a mistyped copy of the Appendix B challenge (`...GJSs9e-cM` instead of
/// `...GJSstw-cM`) circulated in the task brief. It is a well-formed S256 challenge, so it must
/// parse, and it must not verify against the Appendix B verifier.
#[test]
fn mistyped_appendix_b_challenge_does_not_verify() {
    let typo = CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSs9e-cM").unwrap();
    let verifier = CodeVerifier::parse(RFC_VERIFIER).unwrap();
    assert_eq!(verify(&typo, &verifier), Err(VerificationError::Mismatch));
}

#[test]
fn a_generated_pair_verifies_and_a_foreign_one_does_not() {
    let verifier = CodeVerifier::generate().unwrap();
    let challenge = verifier.challenge();
    assert_eq!(verify(&challenge, &verifier), Ok(()));
    let other = CodeVerifier::generate().unwrap();
    assert_eq!(verify(&challenge, &other), Err(VerificationError::Mismatch));
}

#[test]
fn the_verifier_itself_is_not_its_challenge() {
    // What `plain` would accept: the challenge equal to the verifier. S256 must refuse it.
    let verifier = CodeVerifier::generate().unwrap();
    let as_plain = CodeChallenge::parse(verifier.expose_secret()).unwrap();
    assert_eq!(
        verify(&as_plain, &verifier),
        Err(VerificationError::Mismatch)
    );
}

#[test]
fn verifier_errors() {
    assert_eq!(
        CodeVerifier::parse(&RFC_VERIFIER[..42]).unwrap_err(),
        VerifierError::InvalidLength
    );
    assert_eq!(
        CodeVerifier::parse(&"A".repeat(129)).unwrap_err(),
        VerifierError::InvalidLength
    );
    assert_eq!(
        CodeVerifier::parse(&format!("{}+", &RFC_VERIFIER[..42])).unwrap_err(),
        VerifierError::InvalidCharacter
    );
}

#[test]
fn challenge_errors() {
    let cases: [(Option<&str>, Option<&str>, ChallengeError); 9] = [
        (None, Some("S256"), ChallengeError::MissingChallenge),
        (Some(""), Some("S256"), ChallengeError::MissingChallenge),
        (Some(RFC_CHALLENGE), None, ChallengeError::MissingMethod),
        (Some(RFC_CHALLENGE), Some(""), ChallengeError::MissingMethod),
        (
            Some(RFC_CHALLENGE),
            Some("plain"),
            ChallengeError::PlainNotSupported,
        ),
        (
            Some(RFC_CHALLENGE),
            Some("S512"),
            ChallengeError::UnknownMethod,
        ),
        (
            Some(&RFC_CHALLENGE[..42]),
            Some("S256"),
            ChallengeError::InvalidLength,
        ),
        (
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"),
            Some("S256"),
            ChallengeError::InvalidCharacter,
        ),
        (
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"),
            Some("S256"),
            ChallengeError::NonCanonical,
        ),
    ];
    for (challenge, method, expected) in cases {
        assert_eq!(
            CodeChallenge::from_request(challenge, method),
            Err(expected),
            "{challenge:?} {method:?}"
        );
    }
}

#[test]
fn every_error_message_is_distinct_and_fixed() {
    let messages = [
        VerifierError::InvalidLength.to_string(),
        VerifierError::InvalidCharacter.to_string(),
        ChallengeError::MissingChallenge.to_string(),
        ChallengeError::InvalidLength.to_string(),
        ChallengeError::InvalidCharacter.to_string(),
        ChallengeError::NonCanonical.to_string(),
        ChallengeError::PlainNotSupported.to_string(),
        ChallengeError::MissingMethod.to_string(),
        ChallengeError::UnknownMethod.to_string(),
        VerificationError::Mismatch.to_string(),
        ostiary_pkce::GenerateError::RandomUnavailable.to_string(),
    ];
    for (i, a) in messages.iter().enumerate() {
        assert!(!a.is_empty());
        for b in &messages[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert!(
        ChallengeError::PlainNotSupported
            .to_string()
            .contains("plain is not supported")
    );
}

#[test]
fn challenge_method_for_discovery() {
    assert_eq!(ChallengeMethod::S256.as_str(), "S256");
    assert_eq!(
        CodeChallenge::parse(RFC_CHALLENGE).unwrap().method(),
        ChallengeMethod::S256
    );
}
