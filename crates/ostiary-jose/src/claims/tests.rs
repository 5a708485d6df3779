use super::*;
use serde_json::{Value, json};

fn id_token() -> IdTokenClaims {
    let mut claims = IdTokenClaims::new("https://id.example.com", "u1", "c1", 100, 400);
    claims.standard.email = Some("a@example.com".into());
    claims.standard.email_verified = Some(true);
    claims.standard.updated_at = Some(90);
    claims.standard.address = Some(AddressClaim {
        country: Some("FR".into()),
        ..AddressClaim::default()
    });
    claims
}

#[test]
fn id_token_serializes_with_real_types_and_no_nulls() {
    let value = serde_json::to_value(id_token()).unwrap();
    assert_eq!(
        value,
        json!({
            "iss": "https://id.example.com", "sub": "u1", "aud": "c1", "exp": 400, "iat": 100,
            "email": "a@example.com", "email_verified": true, "updated_at": 90,
            "address": {"country": "FR"}
        })
    );
}

#[test]
fn audience_accepts_one_string_or_a_one_element_array() {
    let mut value = serde_json::to_value(id_token()).unwrap();
    value["aud"] = json!(["c1"]);
    let parsed: IdTokenClaims = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(parsed.aud, "c1");
    for bad in [json!(["c1", "c2"]), json!([]), json!(7), json!([7])] {
        value["aud"] = bad;
        assert!(serde_json::from_value::<IdTokenClaims>(value.clone()).is_err());
    }
}

#[test]
fn dates_must_be_integers() {
    let mut value = serde_json::to_value(id_token()).unwrap();
    for bad in [json!(1.5), json!("400"), json!(1e300), json!(u64::MAX)] {
        value["exp"] = bad;
        assert!(serde_json::from_value::<IdTokenClaims>(value.clone()).is_err());
    }
    value["exp"] = json!(-5);
    assert_eq!(
        serde_json::from_value::<IdTokenClaims>(value).unwrap().exp,
        -5
    );
}

#[test]
fn booleans_must_be_booleans() {
    let mut value = serde_json::to_value(id_token()).unwrap();
    value["email_verified"] = json!("true");
    assert!(serde_json::from_value::<IdTokenClaims>(value).is_err());
}

fn logout(subject: LogoutSubject) -> LogoutTokenClaims {
    LogoutTokenClaims::new("https://id.example.com", "c1", 100, 220, "j1", subject)
}

#[test]
fn logout_token_has_the_event_and_subject_members() {
    let value = serde_json::to_value(logout(LogoutSubject::SubjectAndSession {
        sub: "u1".into(),
        sid: "s1".into(),
    }))
    .unwrap();
    assert_eq!(
        value,
        json!({
            "iss": "https://id.example.com", "aud": "c1", "iat": 100, "exp": 220, "jti": "j1",
            "sub": "u1", "sid": "s1",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}}
        })
    );
    let only_sid = serde_json::to_value(logout(LogoutSubject::Session("s1".into()))).unwrap();
    assert!(only_sid.get("sub").is_none());
    assert_eq!(only_sid["sid"], "s1");
}

#[test]
fn logout_token_round_trips() {
    for subject in [
        LogoutSubject::Subject("u".into()),
        LogoutSubject::Session("s".into()),
        LogoutSubject::SubjectAndSession {
            sub: "u".into(),
            sid: "s".into(),
        },
    ] {
        let claims = logout(subject);
        let back: LogoutTokenClaims =
            serde_json::from_value(serde_json::to_value(&claims).unwrap()).unwrap();
        assert_eq!(back, claims);
    }
}

#[test]
fn logout_token_rules_are_enforced_on_parse() {
    let good = serde_json::to_value(logout(LogoutSubject::Subject("u".into()))).unwrap();
    let parse = |value: &Value| serde_json::from_value::<LogoutTokenClaims>(value.clone());
    assert!(parse(&good).is_ok());

    let mut no_subject = good.clone();
    no_subject.as_object_mut().unwrap().remove("sub");
    assert!(parse(&no_subject).is_err());

    for nonce in [json!("n"), Value::Null] {
        let mut with_nonce = good.clone();
        with_nonce["nonce"] = nonce;
        assert!(parse(&with_nonce).is_err());
    }

    for events in [
        json!({}),
        json!({BACKCHANNEL_LOGOUT_EVENT: true}),
        json!([]),
    ] {
        let mut bad_events = good.clone();
        bad_events["events"] = events;
        assert!(parse(&bad_events).is_err());
    }
}

#[test]
fn access_token_serializes_rfc9068_claims() {
    let mut claims = AccessTokenClaims::new("https://id.example.com", "u1", "api", "c1", "j", 1, 2);
    claims.scope = Some("openid profile".into());
    let value = serde_json::to_value(&claims).unwrap();
    assert_eq!(
        value,
        json!({
            "iss": "https://id.example.com", "sub": "u1", "aud": "api", "exp": 2, "iat": 1,
            "jti": "j", "client_id": "c1", "scope": "openid profile"
        })
    );
    assert_eq!(
        serde_json::from_value::<AccessTokenClaims>(value).unwrap(),
        claims
    );
}
