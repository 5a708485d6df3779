//! ID tokens minted here verify with the `openidconnect` crate exactly as a relying party
//! verifies them: from our JWKS JSON, with the nonce and `at_hash` checks.

use std::str::FromStr;

use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{AccessToken, AccessTokenHash, ClientId, IssuerUrl, Nonce};
use ostiary_jose::{AddressClaim, Algorithm, IdTokenClaims, KeySet};

use crate::support::{CLIENT_ID, ISSUER, fresh_key, now};

const ACCESS_TOKEN: &str = "k2BHy0oyL4z3BvQh3Jq3b0mN8jP-8u5iXn1GfK2Yt7c";
const NONCE: &str = "n-0S6_WzA2Mj";

fn rp_alg(alg: Algorithm) -> CoreJwsSigningAlgorithm {
    match alg {
        Algorithm::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        Algorithm::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        _ => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    }
}

fn verifier(keys: &KeySet, alg: Algorithm) -> CoreIdTokenVerifier<'static> {
    let jwks: CoreJsonWebKeySet = serde_json::from_str(keys.jwks_json()).unwrap();
    CoreIdTokenVerifier::new_public_client(
        ClientId::new(CLIENT_ID.to_owned()),
        IssuerUrl::new(ISSUER.to_owned()).unwrap(),
        jwks,
    )
    .set_allowed_algs([rp_alg(alg)])
}

fn full_claims(keys: &KeySet) -> IdTokenClaims {
    let now = now();
    let mut claims = IdTokenClaims::new(ISSUER, "user-42", CLIENT_ID, now, now + 300);
    claims.auth_time = Some(now - 20);
    claims.nonce = Some(NONCE.to_owned());
    claims.at_hash = Some(keys.signing_alg().token_hash(ACCESS_TOKEN));
    claims.sid = Some("session-7".to_owned());
    claims.acr = Some("urn:example:loa:1".to_owned());
    claims.amr = Some(vec!["pwd".to_owned()]);
    let standard = &mut claims.standard;
    standard.name = Some("Ada Lovelace".to_owned());
    standard.given_name = Some("Ada".to_owned());
    standard.family_name = Some("Lovelace".to_owned());
    standard.preferred_username = Some("ada".to_owned());
    standard.picture = Some("https://img.example.com/ada.png".to_owned());
    standard.website = Some("https://ada.example.com/".to_owned());
    standard.birthdate = Some("1815-12-10".to_owned());
    standard.zoneinfo = Some("Europe/London".to_owned());
    standard.locale = Some("en-GB".to_owned());
    standard.updated_at = Some(now - 3600);
    standard.email = Some("ada@example.com".to_owned());
    standard.email_verified = Some(true);
    standard.phone_number = Some("+44 20 7946 0000".to_owned());
    standard.phone_number_verified = Some(false);
    standard.address = Some(AddressClaim {
        locality: Some("London".to_owned()),
        country: Some("UK".to_owned()),
        ..AddressClaim::default()
    });
    claims
}

#[test]
fn id_tokens_verify_with_openidconnect_for_every_algorithm() {
    for alg in Algorithm::ALL {
        let keys = KeySet::single(fresh_key(alg), 0);
        let claims = full_claims(&keys);
        let token = keys.sign_id_token(&claims).unwrap();

        let verifier = verifier(&keys, alg);
        let id_token = CoreIdToken::from_str(&token).unwrap();
        let verified = id_token
            .claims(&verifier, &Nonce::new(NONCE.to_owned()))
            .unwrap_or_else(|e| panic!("{alg}: {e}"));

        assert_eq!(verified.subject().as_str(), "user-42");
        assert_eq!(verified.issuer().as_str(), ISSUER);
        assert_eq!(verified.audiences().len(), 1);
        assert_eq!(
            verified.email().map(|e| e.as_str()),
            Some("ada@example.com")
        );
        assert_eq!(verified.email_verified(), Some(true));
        assert_eq!(verified.phone_number_verified(), Some(false));
        assert_eq!(
            verified.auth_time().map(|t| t.timestamp()),
            claims.auth_time
        );
        assert_eq!(
            verified.updated_at().map(|t| t.timestamp()),
            claims.standard.updated_at
        );

        // The relying party's at_hash check (OIDC Core §3.1.3.8).
        let expected = AccessTokenHash::from_token(
            &AccessToken::new(ACCESS_TOKEN.to_owned()),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(verified.access_token_hash(), Some(&expected), "{alg}");
    }
}

#[test]
fn openidconnect_rejects_a_wrong_nonce_and_a_foreign_key() {
    let keys = KeySet::single(fresh_key(Algorithm::Es256), 0);
    let token = keys.sign_id_token(&full_claims(&keys)).unwrap();
    let id_token = CoreIdToken::from_str(&token).unwrap();

    let verifier = verifier(&keys, Algorithm::Es256);
    assert!(
        id_token
            .claims(&verifier, &Nonce::new("other".to_owned()))
            .is_err()
    );

    let stranger = KeySet::single(fresh_key(Algorithm::Es256), 0);
    let wrong_keys = verifier_for_jwks(&stranger);
    assert!(
        id_token
            .claims(&wrong_keys, &Nonce::new(NONCE.to_owned()))
            .is_err()
    );
}

fn verifier_for_jwks(keys: &KeySet) -> CoreIdTokenVerifier<'static> {
    verifier(keys, Algorithm::Es256)
}

#[test]
fn tokens_signed_before_a_rotation_verify_after_it_with_openidconnect() {
    // The RP holds the JWKS fetched after the rotation: both the retired and the new active
    // key are there, and `kid` picks the right one (no `AmbiguousKeyId`).
    let policy = ostiary_jose::RotationPolicy {
        active_lifetime: 0,
        next_publish_lead: 0,
        max_token_lifetime: 600,
        retire_leeway: 60,
    };
    let mut keys =
        KeySet::bootstrap(0, || ostiary_jose::SigningKey::generate(Algorithm::Es256)).unwrap();
    let before = keys.sign_id_token(&full_claims(&keys)).unwrap();
    let report = keys
        .rotate(1, &policy, || {
            ostiary_jose::SigningKey::generate(Algorithm::Es256)
        })
        .unwrap();
    assert!(report.promoted.is_some());
    let after = keys.sign_id_token(&full_claims(&keys)).unwrap();

    let verifier = verifier(&keys, Algorithm::Es256);
    for token in [before, after] {
        let id_token = CoreIdToken::from_str(&token).unwrap();
        id_token
            .claims(&verifier, &Nonce::new(NONCE.to_owned()))
            .unwrap();
    }
}
