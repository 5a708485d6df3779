use super::*;
use proptest::prelude::*;

fn keyring() -> DigestKeyring {
    DigestKeyring::new([DigestKeyMaterial::generate(1).unwrap()], 1).unwrap()
}

#[test]
fn minted_secret_digests_to_the_same_digest() {
    let ring = keyring();
    let (secret, digest) = ring.mint(SecretKind::RefreshToken).unwrap();
    assert!(secret.expose_secret().starts_with("ort_t1_"));
    assert_eq!(secret.expose_secret().len(), 4 + 3 + 43);
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
fn a_minted_pair_is_two_independent_secrets_of_their_kinds() {
    let ring = keyring();
    let [(access, access_digest), (refresh, refresh_digest)] = ring
        .mint_pair(SecretKind::AccessToken, SecretKind::RefreshToken)
        .unwrap();
    assert_eq!(
        ring.digest(SecretKind::AccessToken, access.expose_secret()),
        Ok(access_digest)
    );
    assert_eq!(
        ring.digest(SecretKind::RefreshToken, refresh.expose_secret()),
        Ok(refresh_digest)
    );
    // One draw from the RNG, split: the two random parts (after the time) must not overlap. The body
    // follows the kind and the key id (`ort_t1_…`); it is base64url and may itself contain `_`.
    let random = |s: &BearerSecret| {
        s.expose_secret().splitn(3, '_').nth(2).unwrap()[TIME_CHARS..].to_owned()
    };
    assert_ne!(random(&access), random(&refresh));
    assert_ne!(access_digest, refresh_digest);
    let [(again, _), _] = ring
        .mint_pair(SecretKind::AccessToken, SecretKind::RefreshToken)
        .unwrap();
    assert_ne!(random(&again), random(&access));
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
    let random = &text[7..];
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
        format!("oat_t01_{random}"),
        format!("oat_tt1_{random}"),
        format!("oat_t_{random}"),
        format!("oat_T1_{random}"),
        format!("oat_1t_{random}"),
        format!("oat_t1_{}", &random[1..]),
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
    assert!(fresh.expose_secret().starts_with("ocs_t2_"));

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

/// Milliseconds since the Unix epoch, now.
fn now_millis() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

/// The minting time a digest starts with.
fn digest_millis(digest: &Digest) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[2..].copy_from_slice(&digest.as_bytes()[..6]);
    u64::from_be_bytes(bytes)
}

#[test]
fn digests_start_with_the_minting_time_and_sort_by_it() {
    let ring = keyring();
    let before = now_millis();
    let (secret, first) = ring.mint(SecretKind::AccessToken).unwrap();
    let after = now_millis();
    let minted = digest_millis(&first);
    assert!(
        before <= minted && minted <= after,
        "{before} <= {minted} <= {after}"
    );
    // The secret's random part starts with the same six bytes.
    let random = secret.expose_secret().rsplit_once("_t1_").unwrap().1;
    let mut time = [0u8; 6];
    Base64UrlUnpadded::decode(&random[..8], &mut time).unwrap();
    assert_eq!(&time, &first.as_bytes()[..6]);

    std::thread::sleep(std::time::Duration::from_millis(2));
    let (_, second) = ring.mint(SecretKind::AccessToken).unwrap();
    assert!(
        first.as_bytes() < second.as_bytes(),
        "a later secret's digest sorts after"
    );
}

#[test]
fn the_rest_of_a_digest_is_the_keyed_tag() {
    let material = DigestKeyMaterial::generate(1).unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, material.bytes.as_ref());
    let ring = DigestKeyring::new([material], 1).unwrap();
    let (secret, digest) = ring.mint(SecretKind::RefreshToken).unwrap();
    let tag = hmac::sign(&key, secret.expose_secret().as_bytes());
    assert_eq!(&digest.as_bytes()[6..], &tag.as_ref()[..26]);
}

/// A secret minted before the time prefix (`<kind>_<key id>_…`, 256 random bits) still digests to the
/// whole HMAC-SHA-256 tag it was stored under, and still derives its sealing key.
#[test]
fn secrets_of_the_earlier_form_keep_their_digest() {
    let material = DigestKeyMaterial::generate(1).unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, material.bytes.as_ref());
    let ring = DigestKeyring::new([material], 1).unwrap();
    let text = "ort_1_3q2-7wE_0Zr9Yx4VbNq1LmKpT8sHdUeGfJaIcOvWyXQ";
    let expected = hmac::sign(&key, text.as_bytes());
    let digest = ring.digest(SecretKind::RefreshToken, text).unwrap();
    assert_eq!(digest.as_bytes().as_slice(), expected.as_ref());
    // The same random part as a time-ordered secret is another secret with another digest.
    let other = ring
        .digest(SecretKind::RefreshToken, &text.replacen("_1_", "_t1_", 1))
        .unwrap();
    assert_ne!(other, digest);
    let old = BearerSecret::from_issued(text.to_owned());
    assert!(ring.derive_sealing_key(&old).is_some());
}

proptest! {
    #[test]
    fn digest_never_panics(s in "\\PC{0,100}") {
        let ring = keyring();
        let _ = ring.digest(SecretKind::AccessToken, &s);
    }

    #[test]
    fn changing_any_character_changes_or_breaks_the_digest(index in 0usize..50, replacement in "[A-Za-z0-9_-]") {
        let ring = keyring();
        let (secret, digest) = ring.mint(SecretKind::AccessToken).unwrap();
        let mut text: Vec<char> = secret.expose_secret().chars().collect();
        prop_assume!(text[index].to_string() != replacement);
        text[index] = replacement.chars().next().unwrap();
        let mutated: String = text.into_iter().collect();
        prop_assert_ne!(ring.digest(SecretKind::AccessToken, &mutated).ok(), Some(digest));
    }
}
