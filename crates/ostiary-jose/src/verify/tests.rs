use super::*;
use crate::{IdTokenClaims, KeySet, LogoutSubject, LogoutTokenClaims, SigningKey};
use proptest::prelude::*;

const ISS: &str = "https://id.example.com";
const NOW: i64 = 1_000_000;

fn keys() -> KeySet {
    KeySet::single(SigningKey::generate(Algorithm::Es256).unwrap(), 0)
}

fn validation() -> Validation {
    Validation::new(ISS, "c1", NOW)
}

fn claims_json(exp: &str) -> String {
    format!(r#"{{"iss":"{ISS}","sub":"u","aud":"c1","iat":{NOW},"exp":{exp}}}"#)
}

/// A token with this exact header and payload JSON, correctly signed by `key`.
fn forge(key: &SigningKey, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        b64::encode_string(header.as_bytes()),
        b64::encode_string(payload.as_bytes())
    );
    let sig = key.sign_raw(input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode_string(&sig))
}

fn header(key: &SigningKey, extra: &str) -> String {
    format!(r#"{{"alg":"{}","kid":"{}"{extra}}}"#, key.alg(), key.kid())
}

fn verify_id(keys: &KeySet, token: &str) -> Result<crate::IdTokenClaims, VerifyError> {
    keys.verify_id_token(token, &validation())
}

#[test]
fn accepts_a_forged_but_valid_token() {
    let keys = keys();
    let key = &keys.active().key;
    let token = forge(key, &header(key, ""), &claims_json("1000100"));
    assert_eq!(verify_id(&keys, &token).unwrap().sub, "u");
}

#[test]
fn refuses_disallowed_algorithms() {
    let keys = keys();
    let key = &keys.active().key;
    for alg in ["none", "HS256", "RS512", "es256", "PS256"] {
        let h = format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, key.kid());
        let token = forge(key, &h, &claims_json("1000100"));
        assert_eq!(
            verify_id(&keys, &token),
            Err(VerifyError::UnsupportedAlg),
            "{alg}"
        );
    }
}

#[test]
fn header_alg_must_match_the_key() {
    let keys = keys();
    let key = &keys.active().key;
    let h = format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, key.kid());
    let token = forge(key, &h, &claims_json("1000100"));
    assert_eq!(
        verify_id(&keys, &token),
        Err(VerifyError::AlgorithmMismatch)
    );
}

#[test]
fn kid_is_required_and_must_be_known() {
    let keys = keys();
    let key = &keys.active().key;
    let no_kid = forge(key, r#"{"alg":"ES256"}"#, &claims_json("1000100"));
    assert_eq!(verify_id(&keys, &no_kid), Err(VerifyError::MissingKid));
    let other = forge(
        key,
        r#"{"alg":"ES256","kid":"other"}"#,
        &claims_json("1000100"),
    );
    assert_eq!(verify_id(&keys, &other), Err(VerifyError::UnknownKid));
}

#[test]
fn crit_and_cty_are_refused() {
    let keys = keys();
    let key = &keys.active().key;
    for extra in [r#","crit":["exp"]"#, r#","cty":"JWT""#, r#","crit":null"#] {
        let token = forge(key, &header(key, extra), &claims_json("1000100"));
        assert_eq!(
            verify_id(&keys, &token),
            Err(VerifyError::UnsupportedHeader)
        );
    }
}

#[test]
fn typ_is_checked_per_token_type() {
    let keys = keys();
    let key = &keys.active().key;
    for ok in [
        r#","typ":"JWT""#,
        r#","typ":"jwt""#,
        r#","typ":"application/JWT""#,
        "",
    ] {
        let token = forge(key, &header(key, ok), &claims_json("1000100"));
        assert!(verify_id(&keys, &token).is_ok(), "{ok}");
    }
    for bad in [
        r#","typ":"logout+jwt""#,
        r#","typ":"at+jwt""#,
        r#","typ":"JOSE""#,
    ] {
        let token = forge(key, &header(key, bad), &claims_json("1000100"));
        assert_eq!(
            verify_id(&keys, &token),
            Err(VerifyError::WrongType),
            "{bad}"
        );
    }
    // A logout token without `typ` is refused even if everything else fits.
    let logout = LogoutTokenClaims::new(
        ISS,
        "c1",
        NOW,
        NOW + 60,
        "j",
        LogoutSubject::Session("s".into()),
    );
    let payload = serde_json::to_string(&logout).unwrap();
    let untyped = forge(key, &header(key, ""), &payload);
    assert_eq!(
        keys.verify_logout_token(&untyped, &validation()),
        Err(VerifyError::WrongType)
    );
    let signed = keys.sign_logout_token(&logout).unwrap();
    assert_eq!(keys.verify_logout_token(&signed, &validation()), Ok(logout));
    assert_eq!(verify_id(&keys, &signed), Err(VerifyError::WrongType));
}

#[test]
fn duplicate_members_are_malformed() {
    let keys = keys();
    let key = &keys.active().key;
    let dup_alg = format!(r#"{{"alg":"none","alg":"ES256","kid":"{}"}}"#, key.kid());
    let token = forge(key, &dup_alg, &claims_json("1000100"));
    assert_eq!(verify_id(&keys, &token), Err(VerifyError::Malformed));
    let dup_exp =
        format!(r#"{{"iss":"{ISS}","sub":"u","aud":"c1","iat":{NOW},"exp":1,"exp":2000000}}"#);
    let token = forge(key, &header(key, ""), &dup_exp);
    assert_eq!(verify_id(&keys, &token), Err(VerifyError::Malformed));
}

#[test]
fn hostile_numbers_are_invalid_claims() {
    let keys = keys();
    let key = &keys.active().key;
    for exp in [
        "1.5e6",
        "\"2000000\"",
        "99999999999999999999",
        "null",
        "true",
    ] {
        let token = forge(key, &header(key, ""), &claims_json(exp));
        assert_eq!(
            verify_id(&keys, &token),
            Err(VerifyError::InvalidClaims),
            "{exp}"
        );
    }
    let token = forge(key, &header(key, ""), &claims_json("1e400"));
    assert_eq!(verify_id(&keys, &token), Err(VerifyError::Malformed));
    let token = forge(key, &header(key, ""), &claims_json("-9223372036854775808"));
    assert_eq!(verify_id(&keys, &token), Err(VerifyError::Expired));
    let token = forge(key, &header(key, ""), &claims_json("9223372036854775807"));
    assert!(verify_id(&keys, &token).is_ok());
}

#[test]
fn structure_errors_are_malformed() {
    let keys = keys();
    let key = &keys.active().key;
    let good = forge(key, &header(key, ""), &claims_json("1000100"));
    let (input, sig) = good.rsplit_once('.').unwrap();
    for bad in [
        input.to_owned(),
        format!("{good}.x"),
        format!("{input}.{sig}="),
        format!("{input}.{sig}%"),
        format!("{input}.+{}", sig.get(1..).unwrap()),
        String::new(),
        "..".to_owned(),
    ] {
        assert!(
            matches!(
                verify_id(&keys, &bad),
                Err(VerifyError::Malformed | VerifyError::BadSignature)
            ),
            "{bad}"
        );
    }
    let not_json = forge(key, &header(key, ""), "not json");
    assert_eq!(verify_id(&keys, &not_json), Err(VerifyError::Malformed));
    let huge = "a".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(verify_id(&keys, &huge), Err(VerifyError::TooLarge));
}

#[test]
fn time_claims_follow_the_leeway() {
    let keys = keys();
    let key = &keys.active().key;
    let sign = |payload: &str| forge(key, &header(key, ""), payload);
    let expired = sign(&claims_json(&(NOW - 30).to_string()));
    assert!(
        verify_id(&keys, &expired).is_ok(),
        "within the default leeway"
    );
    let long_expired = sign(&claims_json(&(NOW - 61).to_string()));
    assert_eq!(verify_id(&keys, &long_expired), Err(VerifyError::Expired));
    let strict = validation().with_leeway(0);
    assert_eq!(
        keys.verify_id_token(&expired, &strict),
        Err(VerifyError::Expired)
    );
    let hint = validation().accept_expired();
    assert!(keys.verify_id_token(&long_expired, &hint).is_ok());

    let future_iat = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"c1","iat":{},"exp":{}}}"#,
        NOW + 120,
        NOW + 500
    );
    assert_eq!(
        verify_id(&keys, &sign(&future_iat)),
        Err(VerifyError::IssuedInFuture)
    );
    let nbf = format!(
        r#"{{"iss":"{ISS}","sub":"u","aud":"c1","iat":{NOW},"exp":{},"nbf":{}}}"#,
        NOW + 500,
        NOW + 120
    );
    assert_eq!(verify_id(&keys, &sign(&nbf)), Err(VerifyError::NotYetValid));
}

#[test]
fn leeway_is_clamped() {
    assert_eq!(
        validation().with_leeway(u32::MAX).leeway,
        i64::from(MAX_LEEWAY)
    );
}

#[test]
fn issuer_and_audience_are_exact() {
    let keys = keys();
    let claims = IdTokenClaims::new(ISS, "u", "c1", NOW, NOW + 60);
    let token = keys.sign_id_token(&claims).unwrap();
    let wrong_iss = Validation::new(format!("{ISS}/"), "c1", NOW);
    assert_eq!(
        keys.verify_id_token(&token, &wrong_iss),
        Err(VerifyError::WrongIssuer)
    );
    let wrong_aud = Validation::new(ISS, "C1", NOW);
    assert_eq!(
        keys.verify_id_token(&token, &wrong_aud),
        Err(VerifyError::WrongAudience)
    );
    let any = Validation::any_audience(ISS, NOW);
    assert_eq!(keys.verify_id_token(&token, &any).unwrap().aud, "c1");
}

#[test]
fn azp_must_be_the_audience() {
    let keys = keys();
    let mut claims = IdTokenClaims::new(ISS, "u", "c1", NOW, NOW + 60);
    claims.azp = Some("c1".to_owned());
    let token = keys.sign_id_token(&claims).unwrap();
    assert!(keys.verify_id_token(&token, &validation()).is_ok());
    claims.azp = Some("c2".to_owned());
    let token = keys.sign_id_token(&claims).unwrap();
    assert_eq!(
        keys.verify_id_token(&token, &validation()),
        Err(VerifyError::WrongAudience)
    );
    let any = Validation::any_audience(ISS, NOW);
    assert_eq!(
        keys.verify_id_token(&token, &any),
        Err(VerifyError::WrongAudience)
    );
}

#[test]
fn errors_never_echo_the_token() {
    for error in [
        VerifyError::Malformed,
        VerifyError::UnknownKid,
        VerifyError::BadSignature,
    ] {
        assert!(!error.to_string().contains("eyJ"));
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(token in "\\PC{0,300}") {
        let keys = keys();
        let _ = verify_id(&keys, &token);
    }

    #[test]
    fn never_panics_on_arbitrary_signed_json(header_extra in "\\PC{0,40}", payload in "\\PC{0,120}") {
        let keys = keys();
        let key = &keys.active().key;
        let h = header(key, &header_extra);
        let _ = verify_id(&keys, &forge(key, &h, &payload));
        let _ = keys.verify_logout_token(&forge(key, &h, &payload), &validation());
    }
}
