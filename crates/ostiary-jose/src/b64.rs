//! base64url without padding (RFC 7515 §2 "Base64url Encoding"), strict on input.

use base64ct::{Base64UrlUnpadded, Encoding};

/// The base64url length of `n` bytes without padding.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// Appends the base64url encoding of `src` to `out`.
pub(crate) fn encode_into(src: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(src.len()), 0);
    if let Some(dst) = out.get_mut(start..) {
        // The destination has exactly the encoded length, so encoding cannot fail; on the
        // impossible error the zero bytes left behind make any later UTF-8 or signature check fail.
        let _ = Base64UrlUnpadded::encode(src, dst);
    }
}

/// The base64url encoding of `src` as a `String`.
pub(crate) fn encode_string(src: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(src)
}

/// Decodes strict base64url: no padding, no whitespace, only the URL-safe alphabet, and the
/// unused bits of the last character must be zero (canonical encoding, RFC 7515 §2 and
/// RFC 4648 §3.5), so every byte string has exactly one accepted encoding.
pub(crate) fn decode(src: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(src).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_padding_and_other_alphabets() {
        assert_eq!(decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode("YQ=="), None);
        assert_eq!(decode("+/8"), None);
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("Y Q"), None);
        assert_eq!(decode("Y"), None);
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "YQ" is the canonical encoding of "a"; "YR" decodes to the same byte with a
        // non-zero unused bit.
        assert_eq!(decode("YR"), None);
    }

    proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut out = Vec::new();
            encode_into(&bytes, &mut out);
            prop_assert_eq!(out.len(), encoded_len(bytes.len()));
            let text = String::from_utf8(out).unwrap();
            prop_assert_eq!(&text, &encode_string(&bytes));
            prop_assert_eq!(decode(&text), Some(bytes));
        }

        #[test]
        fn decode_never_panics(text in "\\PC{0,64}") {
            let _ = decode(&text);
        }
    }
}
