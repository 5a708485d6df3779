//! Interoperability with `josekit`, an independent OpenSSL-based JOSE implementation: our
//! tokens verify there, its tokens verify here, and its attacks fail here with the right
//! error.

use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{ES256, EdDSA, HS256, JwsHeader, JwsSigner, JwsVerifier, RS256};
use josekit::jwt::{self, JwtPayload};
use ostiary_jose::{
    AccessTokenClaims, Algorithm, IdTokenClaims, KeySet, LogoutSubject, LogoutTokenClaims,
    Validation, VerifyError,
};

use crate::support::{CLIENT_ID, ISSUER, fixture_set, fresh_key, now, pem};

fn josekit_verifier(alg: Algorithm, jwk_json: &str) -> Box<dyn JwsVerifier> {
    let jwk = Jwk::from_bytes(jwk_json.as_bytes()).unwrap();
    match alg {
        Algorithm::Es256 => Box::new(ES256.verifier_from_jwk(&jwk).unwrap()),
        Algorithm::EdDsa => Box::new(EdDSA.verifier_from_jwk(&jwk).unwrap()),
        _ => Box::new(RS256.verifier_from_jwk(&jwk).unwrap()),
    }
}

fn josekit_signer(alg: Algorithm, pem: &str) -> Box<dyn JwsSigner> {
    match alg {
        Algorithm::Es256 => Box::new(ES256.signer_from_pem(pem).unwrap()),
        Algorithm::EdDsa => Box::new(EdDSA.signer_from_pem(pem).unwrap()),
        _ => Box::new(RS256.signer_from_pem(pem).unwrap()),
    }
}

fn id_claims() -> IdTokenClaims {
    let now = now();
    let mut claims = IdTokenClaims::new(ISSUER, "user-1", CLIENT_ID, now, now + 300);
    claims.nonce = Some("abc".to_owned());
    claims.standard.email_verified = Some(false);
    claims
}

fn payload_of<T: serde::Serialize>(claims: &T) -> JwtPayload {
    let value = serde_json::to_value(claims).unwrap();
    JwtPayload::from_map(value.as_object().unwrap().clone()).unwrap()
}

fn header(kid: &str, typ: &str) -> JwsHeader {
    let mut header = JwsHeader::new();
    header.set_key_id(kid);
    header.set_token_type(typ);
    header
}

fn validation() -> Validation {
    Validation::new(ISSUER, CLIENT_ID, now())
}

#[test]
fn our_tokens_verify_with_josekit() {
    for alg in Algorithm::ALL {
        let keys = KeySet::single(fresh_key(alg), 0);
        let verifier = josekit_verifier(alg, &keys.active().key.public_jwk().to_json());

        let claims = id_claims();
        let token = keys.sign_id_token(&claims).unwrap();
        let (payload, header) = jwt::decode_with_verifier(&token, &*verifier).unwrap();
        assert_eq!(header.algorithm(), Some(alg.as_str()));
        assert_eq!(header.key_id(), Some(keys.active().kid()));
        assert_eq!(header.token_type(), Some("JWT"));
        assert_eq!(payload.claims_set(), payload_of(&claims).claims_set());
        assert_eq!(
            payload.claim("email_verified"),
            Some(&serde_json::Value::Bool(false))
        );

        let logout = LogoutTokenClaims::new(
            ISSUER,
            CLIENT_ID,
            1,
            2,
            "j",
            LogoutSubject::Session("s".into()),
        );
        let token = keys.sign_logout_token(&logout).unwrap();
        let (_, header) = jwt::decode_with_verifier(&token, &*verifier).unwrap();
        assert_eq!(header.token_type(), Some("logout+jwt"));

        let access = AccessTokenClaims::new(ISSUER, "u", "api", CLIENT_ID, "j", 1, 2);
        let token = keys.sign_access_token(&access).unwrap();
        let (_, header) = jwt::decode_with_verifier(&token, &*verifier).unwrap();
        assert_eq!(header.token_type(), Some("at+jwt"));
    }
}

#[test]
fn josekit_tokens_verify_here() {
    for alg in Algorithm::ALL {
        let keys = fixture_set(alg);
        let signer = josekit_signer(alg, pem(alg));
        let claims = id_claims();
        let token = jwt::encode_with_signer(
            &payload_of(&claims),
            &header(keys.active().kid(), "JWT"),
            &*signer,
        )
        .unwrap();
        assert_eq!(
            keys.verify_id_token(&token, &validation()),
            Ok(claims),
            "{alg}"
        );

        // Also against the published JWKS, as a relying party.
        let jwks = ostiary_jose::Jwks::from_json(keys.jwks_json()).unwrap();
        assert!(jwks.verify_id_token(&token, &validation()).is_ok());
    }
}

#[test]
fn josekit_logout_and_access_tokens_verify_here() {
    let keys = fixture_set(Algorithm::Es256);
    let signer = josekit_signer(Algorithm::Es256, pem(Algorithm::Es256));
    let now = now();
    let logout = LogoutTokenClaims::new(
        ISSUER,
        CLIENT_ID,
        now,
        now + 120,
        "j",
        LogoutSubject::Subject("u".into()),
    );
    let token = jwt::encode_with_signer(
        &payload_of(&logout),
        &header(keys.active().kid(), "logout+jwt"),
        &*signer,
    )
    .unwrap();
    assert_eq!(keys.verify_logout_token(&token, &validation()), Ok(logout));

    let access = AccessTokenClaims::new(ISSUER, "u", CLIENT_ID, CLIENT_ID, "j", now, now + 60);
    let token = jwt::encode_with_signer(
        &payload_of(&access),
        &header(keys.active().kid(), "application/at+jwt"),
        &*signer,
    )
    .unwrap();
    assert_eq!(keys.verify_access_token(&token, &validation()), Ok(access));
}

#[test]
fn a_key_outside_the_set_fails() {
    let keys = fixture_set(Algorithm::Es256);
    let stranger = ES256.generate_key_pair().unwrap();
    let signer = ES256
        .signer_from_der(stranger.to_der_private_key())
        .unwrap();
    let payload = payload_of(&id_claims());

    // Claiming our kid: the signature does not verify.
    let token =
        jwt::encode_with_signer(&payload, &header(keys.active().kid(), "JWT"), &signer).unwrap();
    assert_eq!(
        keys.verify_id_token(&token, &validation()),
        Err(VerifyError::BadSignature)
    );
    // Its own kid: unknown here.
    let token = jwt::encode_with_signer(&payload, &header("stranger", "JWT"), &signer).unwrap();
    assert_eq!(
        keys.verify_id_token(&token, &validation()),
        Err(VerifyError::UnknownKid)
    );
}

#[test]
fn alg_none_fails() {
    let keys = fixture_set(Algorithm::Es256);
    let token = jwt::encode_unsecured(
        &payload_of(&id_claims()),
        &header(keys.active().kid(), "JWT"),
    )
    .unwrap();
    assert_eq!(
        keys.verify_id_token(&token, &validation()),
        Err(VerifyError::UnsupportedAlg)
    );
}

#[test]
fn hs256_with_the_public_key_as_secret_fails() {
    // The classic key-confusion attack: HMAC keyed with the public key the attacker knows.
    for alg in Algorithm::ALL {
        let keys = fixture_set(alg);
        let public = keys.active().key.public_jwk();
        for secret in [
            public.to_json().into_bytes(),
            keys.jwks_json().as_bytes().to_vec(),
        ] {
            let signer = HS256.signer_from_bytes(&secret).unwrap();
            let token = jwt::encode_with_signer(
                &payload_of(&id_claims()),
                &header(public.kid(), "JWT"),
                &signer,
            )
            .unwrap();
            assert_eq!(
                keys.verify_id_token(&token, &validation()),
                Err(VerifyError::UnsupportedAlg)
            );
        }
    }
}

#[test]
fn a_tampered_payload_fails() {
    let keys = fixture_set(Algorithm::EdDsa);
    let signer = josekit_signer(Algorithm::EdDsa, pem(Algorithm::EdDsa));
    let token = jwt::encode_with_signer(
        &payload_of(&id_claims()),
        &header(keys.active().kid(), "JWT"),
        &*signer,
    )
    .unwrap();
    let mut forged = id_claims();
    forged.sub = "admin".to_owned();
    let forged_payload = base64_url(&serde_json::to_vec(&forged).unwrap());
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = &forged_payload;
    let tampered = parts.join(".");
    assert_eq!(
        keys.verify_id_token(&tampered, &validation()),
        Err(VerifyError::BadSignature)
    );
}

fn base64_url(bytes: &[u8]) -> String {
    // Unpadded base64url, by hand, so the test does not borrow the crate's own encoder.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}
