use super::*;
use crate::SigningKey;
use proptest::prelude::*;

/// RFC 7638 §3.1: the example RSA key and its thumbprint.
const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

#[test]
fn thumbprint_matches_rfc7638_example() {
    let json = format!(
        r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}]}}"#
    );
    let jwks = Jwks::from_json(&json).unwrap();
    let key = jwks.find("2011-04-29").unwrap();
    assert_eq!(
        key.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn serializes_only_public_members() {
    for alg in [Algorithm::Es256, Algorithm::EdDsa] {
        let key = SigningKey::generate(alg).unwrap();
        let value: serde_json::Value = serde_json::from_str(&key.public_jwk().to_json()).unwrap();
        let mut names: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        let expected: &[&str] = match alg {
            Algorithm::Es256 => &["alg", "crv", "kid", "kty", "use", "x", "y"],
            _ => &["alg", "crv", "kid", "kty", "use", "x"],
        };
        assert_eq!(names, expected);
    }
}

#[test]
fn round_trips_through_json() {
    let keys = vec![
        SigningKey::generate(Algorithm::Es256)
            .unwrap()
            .public_jwk()
            .clone(),
        SigningKey::generate(Algorithm::EdDsa)
            .unwrap()
            .public_jwk()
            .clone(),
    ];
    let jwks = Jwks::new(keys).unwrap();
    assert_eq!(Jwks::from_json(&jwks.to_json()).unwrap(), jwks);
}

#[test]
fn refuses_private_parameters() {
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let json = format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"a","{member}":null}}]}}"#
        );
        assert_eq!(
            Jwks::from_json(&json),
            Err(JwksError::PrivateParameter),
            "{member}"
        );
    }
    let oct = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}"#;
    assert_eq!(Jwks::from_json(oct), Err(JwksError::PrivateParameter));
}

#[test]
fn skips_keys_it_cannot_use() {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let ours = key.public_jwk().to_json();
    let json = format!(
        r#"{{"keys":[
            {{"kty":"EC","crv":"P-384","x":"AA","y":"AA","kid":"p384"}},
            {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"enc","use":"enc"}},
            {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"ps","alg":"PS256"}},
            {{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB"}},
            {ours}
        ]}}"#
    );
    let jwks = Jwks::from_json(&json).unwrap();
    let kids: Vec<&str> = jwks.keys().iter().map(PublicJwk::kid).collect();
    assert_eq!(kids, [key.kid()]);
}

#[test]
fn refuses_invalid_keys_of_supported_types() {
    let cases = [
        r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","kid":"short"}]}"#,
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA==","kid":"padded"}]}"#,
        r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"tiny"}]}"#,
        r#"{"keys":[{"kty":"RSA","e":"AQAB","kid":"no-n"}]}"#,
    ];
    for json in cases {
        assert_eq!(Jwks::from_json(json), Err(JwksError::InvalidKey), "{json}");
    }
}

#[test]
fn refuses_duplicates_and_oversize() {
    let key = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .public_jwk()
        .to_json();
    let twice = format!(r#"{{"keys":[{key},{key}]}}"#);
    assert_eq!(Jwks::from_json(&twice), Err(JwksError::DuplicateKid));
    let dup_member = r#"{"keys":[],"keys":[]}"#;
    assert_eq!(Jwks::from_json(dup_member), Err(JwksError::Malformed));
    let huge = format!(r#"{{"keys":[],"pad":"{}"}}"#, "a".repeat(MAX_JWKS_LEN));
    assert_eq!(Jwks::from_json(&huge), Err(JwksError::TooLarge));
    assert_eq!(Jwks::from_json("[]"), Err(JwksError::Malformed));
}

proptest! {
    #[test]
    fn from_json_never_panics(text in "\\PC{0,200}") {
        let _ = Jwks::from_json(&text);
    }

    #[test]
    fn from_json_never_panics_on_key_shaped_input(
        kty in "(EC|OKP|RSA|oct)",
        crv in "(P-256|Ed25519|X)",
        x in "[A-Za-z0-9_-]{0,50}",
        n in "[A-Za-z0-9_-]{0,400}",
    ) {
        let json = format!(
            r#"{{"keys":[{{"kty":"{kty}","crv":"{crv}","x":"{x}","y":"{x}","n":"{n}","e":"AQAB","kid":"k"}}]}}"#
        );
        let _ = Jwks::from_json(&json);
    }
}
