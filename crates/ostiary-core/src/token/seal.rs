//! Sealing what a refresh issued under the refresh token that obtained it, so a retry within the window
//! gets the same tokens back without the server ever storing a usable token.
//!
//! The key is derived from the presented refresh token with the server's digest key (HMAC, a different
//! label from the token's lookup digest): the store holds only ciphertext that the holder of the old
//! refresh token — and nobody else, including someone with a copy of the database — can open.
//!
//! What is sealed is a [`RetryState`]: the new access and refresh tokens, the scope and the time of
//! issuance, about 150 bytes, from which a retry rebuilds the response (the ID token, and a JWT access
//! token, signed again with the same claims). Before, the whole response was sealed, ~1 KiB, most of
//! it the ID token: every rotation wrote it into the store (on SQLite ~40 % of the bytes a rotation
//! writes, see `benches/examples/rotation_churn.rs`). Responses sealed that way are still opened and
//! answered as they are ([`Sealed::Response`]).

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// The first byte of an encoded [`RetryState`]; a response sealed whole starts with `{`.
const RETRY_STATE_V1: u8 = 1;

/// What a retry needs to answer with the tokens the rotation issued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RetryState {
    /// When the rotation issued them: the response's `expires_in` and the ID token's `iat` and `exp`
    /// count from here, as they did in the first response.
    pub(crate) issued_at: i64,
    /// The access token (or, for JWT access tokens, its `jti`).
    pub(crate) access: Zeroizing<String>,
    /// The refresh token.
    pub(crate) refresh: Zeroizing<String>,
    /// The scope granted (the family's, or narrower).
    pub(crate) scope: String,
}

/// What a sealed retry holds, once opened.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sealed {
    /// The tokens, to rebuild the response from.
    State(RetryState),
    /// A whole response, sealed before [`RetryState`] existed: answered as it is.
    Response(Zeroizing<String>),
}

impl RetryState {
    /// `1 || issued_at (8 bytes, big-endian) || three strings, each a 2-byte big-endian length and its
    /// bytes`; `None` if a string is longer than 65535 bytes (secrets and scopes never are).
    pub(crate) fn encode(&self) -> Option<Zeroizing<Vec<u8>>> {
        let parts = [
            self.access.as_bytes(),
            self.refresh.as_bytes(),
            self.scope.as_bytes(),
        ];
        let mut out = Zeroizing::new(Vec::with_capacity(
            9 + parts.iter().map(|p| 2 + p.len()).sum::<usize>(),
        ));
        out.push(RETRY_STATE_V1);
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        for part in parts {
            out.extend_from_slice(&u16::try_from(part.len()).ok()?.to_be_bytes());
            out.extend_from_slice(part);
        }
        Some(out)
    }
}

impl Sealed {
    /// Reads what [`RetryState::encode`] wrote, or a whole response (JSON, starting with `{`); `None`
    /// for anything else.
    pub(crate) fn decode(plain: &[u8]) -> Option<Self> {
        match plain.split_first()? {
            (&RETRY_STATE_V1, rest) => {
                let (time, mut rest) = rest.split_at_checked(8)?;
                let issued_at = i64::from_be_bytes(time.try_into().ok()?);
                let mut next = || -> Option<String> {
                    let (len, tail) = rest.split_at_checked(2)?;
                    let len = usize::from(u16::from_be_bytes(len.try_into().ok()?));
                    let (part, tail) = tail.split_at_checked(len)?;
                    rest = tail;
                    String::from_utf8(part.to_vec()).ok()
                };
                let state = RetryState {
                    issued_at,
                    access: Zeroizing::new(next()?),
                    refresh: Zeroizing::new(next()?),
                    scope: next()?,
                };
                rest.is_empty().then_some(Sealed::State(state))
            }
            (b'{', _) => Some(Sealed::Response(Zeroizing::new(
                String::from_utf8(plain.to_vec()).ok()?,
            ))),
            _ => None,
        }
    }
}

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

/// Decrypts what [`seal`] produced; `None` if it was not sealed under `key` or was altered. The
/// plaintext holds tokens: it is wiped when dropped.
pub(crate) fn open(key: &[u8; 32], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let nonce: [u8; NONCE_LEN] = sealed.get(..NONCE_LEN)?.try_into().ok()?;
    let mut body = Zeroizing::new(sealed.get(NONCE_LEN..)?.to_vec());
    let len = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
        .ok()?
        .len();
    body.truncate(len);
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> RetryState {
        RetryState {
            issued_at: 1_767_225_600,
            access: Zeroizing::new("oat_t1_AZrq3q2-7wEaccess".to_owned()),
            refresh: Zeroizing::new("ort_t1_AZrq3q2-7wErefresh".to_owned()),
            scope: "openid profile".to_owned(),
        }
    }

    #[test]
    fn a_retry_state_round_trips_and_a_whole_response_is_recognised() {
        let encoded = state().encode().unwrap();
        assert_eq!(Sealed::decode(&encoded), Some(Sealed::State(state())));
        assert!(encoded.len() < 100, "{}", encoded.len());
        assert_eq!(
            Sealed::decode(b"{\"access_token\":\"x\"}"),
            Some(Sealed::Response(Zeroizing::new(
                "{\"access_token\":\"x\"}".to_owned()
            )))
        );
    }

    #[test]
    fn a_damaged_retry_state_is_refused() {
        let encoded = state().encode().unwrap();
        // Every truncation, and anything appended, is refused rather than misread.
        for len in 0..encoded.len() {
            assert_eq!(Sealed::decode(&encoded[..len]), None, "{len}");
        }
        let mut longer = encoded.to_vec();
        longer.push(0);
        assert_eq!(Sealed::decode(&longer), None);
        assert_eq!(Sealed::decode(&[2, 0, 0]), None, "an unknown version");
        let mut not_utf8 = encoded.to_vec();
        let last = not_utf8.len() - 1;
        not_utf8[last] = 0xff;
        assert_eq!(Sealed::decode(&not_utf8), None);
    }

    #[test]
    fn round_trip_and_tamper_detection() {
        let rng = SystemRandom::new();
        let key = [7u8; 32];
        let sealed = seal(&key, b"{\"access_token\":\"x\"}", &rng).unwrap();
        assert_eq!(
            open(&key, &sealed).unwrap().as_slice(),
            b"{\"access_token\":\"x\"}"
        );
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
