//! Sealing a token response under the refresh token that obtained it, so a retry within the window can
//! get the very same response back without the server ever storing a usable token.
//!
//! The key is derived from the presented refresh token with the server's digest key (HMAC, a different
//! label from the token's lookup digest): the store holds only ciphertext that the holder of the old
//! refresh token — and nobody else, including someone with a copy of the database — can open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// Encrypts `plaintext` under `key`: `nonce || ciphertext || tag`.
pub(crate) fn seal(key: &[u8; 32], plaintext: &[u8], rng: &SystemRandom) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce).ok()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + CHACHA20_POLY1305.tag_len());
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
        .ok()?;
    out.extend_from_slice(&body);
    Some(out)
}

/// Decrypts what [`seal`] produced; `None` if it was not sealed under `key` or was altered.
pub(crate) fn open(key: &[u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let nonce: [u8; NONCE_LEN] = sealed.get(..NONCE_LEN)?.try_into().ok()?;
    let mut body = sealed.get(NONCE_LEN..)?.to_vec();
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
        .ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let rng = SystemRandom::new();
        let key = [7u8; 32];
        let sealed = seal(&key, b"{\"access_token\":\"x\"}", &rng).unwrap();
        assert_eq!(open(&key, &sealed).unwrap(), b"{\"access_token\":\"x\"}");
        assert_eq!(
            open(&[8u8; 32], &sealed),
            None,
            "another key cannot open it"
        );
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(
            open(&key, &altered),
            None,
            "a modified ciphertext is refused"
        );
        assert_eq!(open(&key, &sealed[..5]), None);
    }
}
