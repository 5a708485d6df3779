use super::*;

#[test]
fn debug_is_redacted() {
    let v = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let shown = format!("{v:?}");
    assert_eq!(shown, "CodeVerifier([redacted])");
    assert!(!shown.contains("dBjf"));
}

#[test]
fn parse_keeps_the_exact_value() {
    let raw = "A-._~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    assert_eq!(CodeVerifier::parse(raw).unwrap().expose_secret(), raw);
}

#[test]
fn length_bounds() {
    assert_eq!(
        CodeVerifier::parse(&"a".repeat(42)).unwrap_err(),
        VerifierError::InvalidLength
    );
    assert!(CodeVerifier::parse(&"a".repeat(43)).is_ok());
    assert!(CodeVerifier::parse(&"a".repeat(128)).is_ok());
    assert_eq!(
        CodeVerifier::parse(&"a".repeat(129)).unwrap_err(),
        VerifierError::InvalidLength
    );
    assert_eq!(
        CodeVerifier::parse("").unwrap_err(),
        VerifierError::InvalidLength
    );
}

#[test]
fn rejects_characters_outside_unreserved() {
    for bad in ['+', '/', '=', ' ', '%', '\0', '!', '*'] {
        let mut raw = "a".repeat(43);
        raw.replace_range(20..21, &bad.to_string());
        assert_eq!(
            CodeVerifier::parse(&raw).unwrap_err(),
            VerifierError::InvalidCharacter,
            "{bad:?} must be rejected"
        );
    }
}

#[test]
fn multibyte_characters_are_rejected_not_miscounted() {
    // 41 ASCII + one 2-byte char = 43 bytes: right byte length, wrong characters.
    let raw = format!("{}é", "a".repeat(41));
    assert_eq!(raw.len(), 43);
    assert_eq!(
        CodeVerifier::parse(&raw).unwrap_err(),
        VerifierError::InvalidCharacter
    );
}

#[test]
fn generated_verifiers_are_43_chars_and_distinct() {
    let a = CodeVerifier::generate().unwrap();
    let b = CodeVerifier::generate().unwrap();
    assert_eq!(a.expose_secret().len(), 43);
    assert!(CodeVerifier::parse(a.expose_secret()).is_ok());
    assert_ne!(a.expose_secret(), b.expose_secret());
}

#[test]
fn unreserved_set_is_exactly_rfc_3986() {
    let allowed: Vec<u8> = (0..=255u8).filter(|&b| is_unreserved(b)).collect();
    let mut expected: Vec<u8> = (b'A'..=b'Z')
        .chain(b'a'..=b'z')
        .chain(b'0'..=b'9')
        .collect();
    expected.extend_from_slice(b"-._~");
    expected.sort_unstable();
    assert_eq!(allowed, expected);
}
