//! Property tests: arbitrary claim values survive sign → verify exactly, for every algorithm
//! and token type, both against the key set and against its published JWKS.

use std::sync::OnceLock;

use ostiary_jose::{
    AccessTokenClaims, AddressClaim, Algorithm, IdTokenClaims, Jwks, KeySet, LogoutSubject,
    LogoutTokenClaims, StandardClaims, Validation,
};
use proptest::prelude::*;

use crate::support::fresh_key;

/// One key set per algorithm, built once (RSA keys come from the fixture).
fn key_sets() -> &'static [(KeySet, Jwks); 3] {
    static SETS: OnceLock<[(KeySet, Jwks); 3]> = OnceLock::new();
    SETS.get_or_init(|| {
        Algorithm::ALL.map(|alg| {
            let keys = KeySet::single(fresh_key(alg), 0);
            let jwks = Jwks::from_json(keys.jwks_json()).unwrap();
            (keys, jwks)
        })
    })
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,24}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

prop_compose! {
    fn address()(
        formatted in opt_text(), street_address in opt_text(), locality in opt_text(),
        region in opt_text(), postal_code in opt_text(), country in opt_text(),
    ) -> AddressClaim {
        AddressClaim { formatted, street_address, locality, region, postal_code, country }
    }
}

prop_compose! {
    fn standard()(
        names in proptest::collection::vec(opt_text(), 13),
        updated_at in proptest::option::of(any::<i64>()),
        email in opt_text(),
        email_verified in proptest::option::of(any::<bool>()),
        phone_number in opt_text(),
        phone_number_verified in proptest::option::of(any::<bool>()),
        address in proptest::option::of(address()),
    ) -> StandardClaims {
        let mut n = names.into_iter();
        let mut next = || n.next().flatten();
        StandardClaims {
            name: next(), given_name: next(), family_name: next(), middle_name: next(),
            nickname: next(), preferred_username: next(), profile: next(), picture: next(),
            website: next(), gender: next(), birthdate: next(), zoneinfo: next(), locale: next(),
            updated_at, email, email_verified, phone_number, phone_number_verified, address,
        }
    }
}

prop_compose! {
    fn id_claims()(
        iss in text(), sub in text(), aud in text(),
        iat in -1_000_000_000_000i64..1_000_000_000_000, lifetime in 1i64..1_000_000,
        auth_time in proptest::option::of(any::<i64>()),
        nonce in opt_text(), acr in opt_text(),
        amr in proptest::option::of(proptest::collection::vec(text(), 0..4)),
        with_azp in any::<bool>(), at_hash in opt_text(), c_hash in opt_text(), sid in opt_text(),
        standard in standard(),
    ) -> IdTokenClaims {
        // OIDC Core §2: when present, `azp` names the (single) audience.
        let azp = with_azp.then(|| aud.clone());
        IdTokenClaims {
            iss, sub, aud, iat, exp: iat + lifetime, nbf: None, auth_time, nonce, acr, amr, azp,
            at_hash, c_hash, sid, standard,
        }
    }
}

fn subject() -> impl Strategy<Value = LogoutSubject> {
    prop_oneof![
        text().prop_map(LogoutSubject::Subject),
        text().prop_map(LogoutSubject::Session),
        (text(), text()).prop_map(|(sub, sid)| LogoutSubject::SubjectAndSession { sub, sid }),
    ]
}

fn validation_for(iss: &str, aud: &str, iat: i64) -> Validation {
    Validation::new(iss, aud, iat)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn id_tokens_round_trip(claims in id_claims(), which in 0usize..3) {
        let (keys, jwks) = &key_sets()[which];
        let token = keys.sign_id_token(&claims).unwrap();
        let validation = validation_for(&claims.iss, &claims.aud, claims.iat);
        prop_assert_eq!(&keys.verify_id_token(&token, &validation).unwrap(), &claims);
        prop_assert_eq!(&jwks.verify_id_token(&token, &validation).unwrap(), &claims);
    }

    #[test]
    fn logout_tokens_round_trip(
        iss in text(), aud in text(), jti in text(), subject in subject(),
        iat in any::<i32>(), which in 0usize..3,
    ) {
        let (keys, _) = &key_sets()[which];
        let iat = i64::from(iat);
        let claims = LogoutTokenClaims::new(iss, aud, iat, iat + 120, jti, subject);
        let token = keys.sign_logout_token(&claims).unwrap();
        let validation = validation_for(&claims.iss, &claims.aud, iat);
        prop_assert_eq!(keys.verify_logout_token(&token, &validation).unwrap(), claims);
    }

    #[test]
    fn access_tokens_round_trip(
        iss in text(), sub in text(), aud in text(), client_id in text(), jti in text(),
        scope in opt_text(), auth_time in proptest::option::of(any::<i64>()),
        acr in opt_text(), iat in any::<i32>(), which in 0usize..3,
    ) {
        let (keys, _) = &key_sets()[which];
        let iat = i64::from(iat);
        let mut claims = AccessTokenClaims::new(iss, sub, aud, client_id, jti, iat, iat + 60);
        claims.scope = scope;
        claims.auth_time = auth_time;
        claims.acr = acr;
        let token = keys.sign_access_token(&claims).unwrap();
        let validation = validation_for(&claims.iss, &claims.aud, iat);
        prop_assert_eq!(keys.verify_access_token(&token, &validation).unwrap(), claims);
    }

    #[test]
    fn any_corruption_of_a_token_is_an_error(claims in id_claims(), which in 0usize..3, at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (keys, _) = &key_sets()[which];
        let token = keys.sign_id_token(&claims).unwrap();
        let mut bytes = token.into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let corrupted = String::from_utf8_lossy(&bytes);
        let validation = validation_for(&claims.iss, &claims.aud, claims.iat);
        prop_assert!(keys.verify_id_token(&corrupted, &validation).is_err());
    }
}
