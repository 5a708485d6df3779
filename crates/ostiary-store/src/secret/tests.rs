use super::*;
use proptest::prelude::*;

fn keyring() -> DigestKeyring {
    DigestKeyring::new([DigestKeyMaterial::generate(1).unwrap()], 1).unwrap()
}

#[test]
fn minted_secret_digests_to_the_same_digest() {
    let ring = keyring();
    let (secret, digest) = ring.mint(SecretKind::RefreshToken).unwrap();
    assert!(secret.expose_secret().starts_with("ort_1_"));
    assert_eq!(secret.expose_secret().len(), 4 + 2 + 43);
    assert_eq!(
        ring.digest(SecretKind::RefreshToken, secret.expose_secret()),
        Ok(digest)
    );
}

#[test]
fn secrets_are_unique() {
    let ring = keyring();
    let (a, da) = ring.mint(SecretKind::AccessToken).unwrap();
    let (b, db) = ring.mint(SecretKind::AccessToken).unwrap();
    assert_ne!(a.expose_secret(), b.expose_secret());
    assert_ne!(da, db);
}

#[test]
fn wrong_kind_is_refused_before_any_lookup() {
    let ring = keyring();
    let (secret, _) = ring.mint(SecretKind::AccessToken).unwrap();
    assert_eq!(
        ring.digest(SecretKind::RefreshToken, secret.expose_secret()),
        Err(SecretFormatError::WrongKind)
    );
}

#[test]
fn malformed_secrets_are_refused() {
    let ring = keyring();
    let (secret, _) = ring.mint(SecretKind::AccessToken).unwrap();
    let text = secret.expose_secret();
    let random = &text[6..];
    for bad in [
        String::new(),
        "oat".to_owned(),
        "oat_1".to_owned(),
        format!("oat_01_{random}"),
        format!("oat_+1_{random}"),
        format!("oat__{random}"),
        format!("oat_1_{}", &random[1..]),
        format!("oat_1_{random}A"),
        format!("oat_1_{}=", &random[1..]),
        format!("xyz_1_{random}"),
        format!("oat_999999_{random}"),
    ] {
        assert_eq!(
            ring.digest(SecretKind::AccessToken, &bad),
            Err(SecretFormatError::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn digest_keys_rotate_without_breaking_existing_secrets() {
    let old = DigestKeyMaterial::generate(1).unwrap();
    let new = DigestKeyMaterial::generate(2).unwrap();
    let before = DigestKeyring::new([old.clone()], 1).unwrap();
    let (secret, digest) = before.mint(SecretKind::ClientSecret).unwrap();

    let after = DigestKeyring::new([old, new.clone()], 2).unwrap();
    assert_eq!(
        after.digest(SecretKind::ClientSecret, secret.expose_secret()),
        Ok(digest)
    );
    let (fresh, _) = after.mint(SecretKind::ClientSecret).unwrap();
    assert!(fresh.expose_secret().starts_with("ocs_2_"));

    let dropped = DigestKeyring::new([new], 2).unwrap();
    assert_eq!(
        dropped.digest(SecretKind::ClientSecret, secret.expose_secret()),
        Err(SecretFormatError::UnknownKey)
    );
}

#[test]
fn digests_depend_on_the_key() {
    let a = keyring();
    let b = keyring();
    let (secret, digest) = a.mint(SecretKind::SessionCookie).unwrap();
    assert_ne!(
        b.digest(SecretKind::SessionCookie, secret.expose_secret())
            .unwrap(),
        digest
    );
}

#[test]
fn keyring_validation() {
    let k = DigestKeyMaterial::generate(1).unwrap();
    assert_eq!(
        DigestKeyring::new([k.clone()], 2).unwrap_err(),
        KeyringError::MissingCurrent
    );
    assert_eq!(
        DigestKeyring::new([k.clone(), k], 1).unwrap_err(),
        KeyringError::DuplicateId
    );
}

#[test]
fn debug_output_is_redacted() {
    let ring = keyring();
    let (secret, _) = ring.mint(SecretKind::RefreshToken).unwrap();
    assert_eq!(format!("{secret:?}"), "BearerSecret([redacted])");
    let material = DigestKeyMaterial::generate(7).unwrap();
    assert!(!format!("{material:?}").contains(&format!("{:?}", &material.bytes[..4])));
    assert!(format!("{ring:?}").contains("current: 1"));
}

#[test]
fn sealing_key_differs_from_digest_and_is_stable() {
    let ring = keyring();
    let (secret, digest) = ring.mint(SecretKind::RefreshToken).unwrap();
    let k1 = ring.derive_sealing_key(&secret).unwrap();
    let k2 = ring.derive_sealing_key(&secret).unwrap();
    assert_eq!(*k1, *k2);
    assert_ne!(&*k1, digest.as_bytes());
}

proptest! {
    #[test]
    fn digest_never_panics(s in "\\PC{0,100}") {
        let ring = keyring();
        let _ = ring.digest(SecretKind::AccessToken, &s);
    }

    #[test]
    fn changing_any_character_changes_or_breaks_the_digest(index in 0usize..49, replacement in "[A-Za-z0-9_-]") {
        let ring = keyring();
        let (secret, digest) = ring.mint(SecretKind::AccessToken).unwrap();
        let mut text: Vec<char> = secret.expose_secret().chars().collect();
        prop_assume!(text[index].to_string() != replacement);
        text[index] = replacement.chars().next().unwrap();
        let mutated: String = text.into_iter().collect();
        prop_assert_ne!(ring.digest(SecretKind::AccessToken, &mutated).ok(), Some(digest));
    }
}
