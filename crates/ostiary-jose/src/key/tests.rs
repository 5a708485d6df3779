use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/", $name))
    };
}

#[test]
fn generates_es256_and_eddsa() {
    for alg in [Algorithm::Es256, Algorithm::EdDsa] {
        let key = SigningKey::generate(alg).unwrap();
        assert_eq!(key.alg(), alg);
        assert_eq!(key.public_jwk().alg(), alg);
        assert_eq!(key.kid(), key.public_jwk().thumbprint());
        assert_ne!(key, SigningKey::generate(alg).unwrap());
    }
}

#[test]
fn generated_ed25519_is_saved_as_pkcs8_v1() {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let der = key.to_der();
    // SEQUENCE (46 bytes) { INTEGER 0, { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }
    assert_eq!(der.len(), 48);
    assert_eq!(der.get(..5), Some(&[0x30, 0x2e, 0x02, 0x01, 0x00][..]));
    assert_eq!(
        SigningKey::from_der(Algorithm::EdDsa, &der).unwrap().kid(),
        key.kid()
    );
    let signature = key.sign_raw(b"m").unwrap();
    assert!(key.public_jwk().verify_signature(b"m", &signature));
}

#[test]
fn refuses_to_generate_rsa() {
    assert_eq!(
        SigningKey::generate(Algorithm::Rs256).err(),
        Some(KeyError::RsaGenerationUnsupported)
    );
}

#[test]
fn der_and_pem_round_trip_with_a_stable_kid() {
    let rsa = SigningKey::from_pem(fixture!("rsa-2048.pem")).unwrap();
    for key in [
        SigningKey::generate(Algorithm::Es256).unwrap(),
        SigningKey::generate(Algorithm::EdDsa).unwrap(),
        rsa,
    ] {
        let from_der = SigningKey::from_der(key.alg(), &key.to_der()).unwrap();
        assert_eq!(from_der.kid(), key.kid());
        assert_eq!(from_der.to_der().as_slice(), key.to_der().as_slice());
        let pem = key.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let from_pem = SigningKey::from_pem_for(key.alg(), &pem).unwrap();
        assert_eq!(from_pem.kid(), key.kid());
    }
}

#[test]
fn pkcs1_and_pkcs8_rsa_are_the_same_key_and_keep_their_format() {
    let pkcs8 = SigningKey::from_pem(fixture!("rsa-2048.pem")).unwrap();
    let pkcs1 = SigningKey::from_pem(fixture!("rsa-2048-pkcs1.pem")).unwrap();
    assert_eq!(pkcs1.alg(), Algorithm::Rs256);
    assert_eq!(pkcs1.kid(), pkcs8.kid());
    assert!(
        pkcs1
            .to_pem()
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
    );
    let reloaded = SigningKey::from_der(Algorithm::Rs256, &pkcs1.to_der()).unwrap();
    assert_eq!(reloaded.kid(), pkcs8.kid());
}

#[test]
fn loads_openssl_keys() {
    assert_eq!(
        SigningKey::from_pem(fixture!("ec-p256.pem")).unwrap().alg(),
        Algorithm::Es256
    );
    // PKCS#8 v1 without the public key: derived from the seed.
    let ed = SigningKey::from_pem(fixture!("ed25519-v1.pem")).unwrap();
    assert_eq!(ed.alg(), Algorithm::EdDsa);
    assert_eq!(ed.kid(), ed.public_jwk().thumbprint());
}

#[test]
fn refusals_are_precise() {
    let cases: [(&str, KeyError); 9] = [
        (fixture!("ec-p256-sec1.pem"), KeyError::Sec1NotSupported),
        (fixture!("ec-p256-encrypted.pem"), KeyError::Encrypted),
        (
            fixture!("rsa-2048-legacy-encrypted.pem"),
            KeyError::Encrypted,
        ),
        (fixture!("ec-p256-public.pem"), KeyError::NotAPrivateKey),
        (fixture!("ec-p384.pem"), KeyError::UnsupportedCurve),
        (fixture!("ed448.pem"), KeyError::UnsupportedKeyType),
        (
            fixture!("openssh-ed25519.pem"),
            KeyError::OpenSshNotSupported,
        ),
        (
            fixture!("rsa-1024.pem"),
            KeyError::RsaKeyTooSmall { bits: 1024 },
        ),
        ("not a key", KeyError::InvalidPem),
    ];
    for (pem, expected) in cases {
        assert_eq!(SigningKey::from_pem(pem).err(), Some(expected));
    }
}

#[test]
fn refuses_a_key_for_another_algorithm() {
    let ec = SigningKey::generate(Algorithm::Es256).unwrap();
    assert_eq!(
        SigningKey::from_der(Algorithm::EdDsa, &ec.to_der()).err(),
        Some(KeyError::AlgorithmMismatch {
            expected: Algorithm::EdDsa,
            found: Algorithm::Es256
        })
    );
}

#[test]
fn refuses_sec1_and_public_keys_as_der() {
    let sec1 = pem::decode(&fixture!("ec-p256-sec1.pem").replace("EC PRIVATE KEY", "PRIVATE KEY"))
        .unwrap();
    assert_eq!(
        SigningKey::from_der_any(&sec1).err(),
        Some(KeyError::Sec1NotSupported)
    );
}

#[test]
fn refuses_oversized_rsa_before_parsing() {
    // PKCS#1 RSAPrivateKey { version 0, modulus of 8192 bits, … }: classification stops it.
    let mut modulus = vec![0x02, 0x82, 0x04, 0x01, 0x00];
    modulus.extend(std::iter::repeat_n(0xff, 1024));
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend(modulus);
    let mut der = vec![0x30, 0x82];
    der.extend(u16::try_from(body.len()).unwrap().to_be_bytes());
    der.extend(body);
    assert_eq!(
        SigningKey::from_der(Algorithm::Rs256, &der).err(),
        Some(KeyError::RsaKeyTooLarge { bits: 8192 })
    );
}

#[test]
fn garbage_der_is_an_error() {
    for der in [
        &[][..],
        &[0x30],
        &[0x30, 0x00],
        &[0x04, 0x00],
        &[0x30, 0x03, 0x02, 0x01, 0x00],
    ] {
        assert!(SigningKey::from_der_any(der).is_err());
    }
}

#[test]
fn debug_is_redacted() {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains("[redacted]"));
    assert!(debug.contains(key.kid()));
    let der = key.to_der();
    let der_b64 = b64::encode_string(&der);
    assert!(!debug.contains(&der_b64));
    assert!(!debug.contains(&format!("{:?}", der.as_slice())));
}

#[test]
fn raw_signatures_verify_with_the_public_jwk() {
    let rsa = SigningKey::from_pem(fixture!("rsa-2048.pem")).unwrap();
    for key in [
        SigningKey::generate(Algorithm::Es256).unwrap(),
        SigningKey::generate(Algorithm::EdDsa).unwrap(),
        rsa,
    ] {
        let sig = key.sign_raw(b"message").unwrap();
        assert_eq!(b64::encoded_len(sig.len()), key.encoded_signature_len());
        assert!(key.public_jwk().verify_signature(b"message", &sig));
        assert!(!key.public_jwk().verify_signature(b"massage", &sig));
    }
}

#[test]
fn ec_key_without_its_public_key_is_named() {
    // Strip the `[1] publicKey` from the ECPrivateKey inside ring's PKCS#8 (RFC 5915 §3).
    let der = SigningKey::generate(Algorithm::Es256).unwrap().to_der();
    let scalar_at = der
        .windows(4)
        .position(|w| w == [0x02, 0x01, 0x01, 0x04])
        .unwrap();
    let alg_id = der.get(6..27).unwrap(); // after `30 81 87 02 01 00`: SEQUENCE { id-ecPublicKey, prime256v1 }
    let scalar = der.get(scalar_at + 5..scalar_at + 37).unwrap();
    let mut ec_private_key = vec![0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20];
    ec_private_key.extend_from_slice(scalar);
    let mut pkcs8 = vec![0x30, 0x41, 0x02, 0x01, 0x00];
    pkcs8.extend_from_slice(alg_id);
    pkcs8.extend_from_slice(&[0x04, 0x27]);
    pkcs8.extend_from_slice(&ec_private_key);
    assert_eq!(
        SigningKey::from_der(Algorithm::Es256, &pkcs8).err(),
        Some(KeyError::PublicKeyMissing)
    );
}
