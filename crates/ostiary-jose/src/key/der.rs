//! Just enough DER (X.690) reading to tell private-key containers apart before `ring` parses
//! them, so refusals get precise errors (`ring` only says "rejected").
//!
//! This never decides whether a key is *valid*: `ring` does that. It only classifies.

use zeroize::Zeroizing;

use super::KeyError;

/// DER tags used below (X.690 §8, universal class).
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;

/// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017 Appendix C).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480 §2.1.1).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// secp256r1 / prime256v1 / P-256, 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// id-Ed25519, 1.3.101.112 (RFC 8410 §3).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// What a private-key DER blob turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DerKind {
    /// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208 §5, RFC 5958 §2).
    Pkcs8(KeyType),
    /// PKCS#1 `RSAPrivateKey` (RFC 8017 Appendix A.1.2), with its modulus size in bits.
    Pkcs1 { modulus_bits: usize },
    /// SEC1 `ECPrivateKey` (RFC 5915 §3) outside PKCS#8.
    Sec1,
    /// PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958 §3).
    EncryptedPkcs8,
    /// X.509 `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7): a public key, not a private one.
    PublicKeyInfo,
}

/// The key type named by a PKCS#8 `privateKeyAlgorithm`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum KeyType {
    /// RSA, with its modulus size in bits (0 when the inner key could not be read).
    Rsa { modulus_bits: usize },
    /// EC on P-256; `public_key` says whether the `ECPrivateKey` embeds its public key
    /// (RFC 5915 §3 makes it optional; `ring` requires it).
    EcP256 { public_key: bool },
    /// EC on another named curve (P-384, secp256k1, …) or explicit parameters.
    EcOtherCurve,
    /// Ed25519.
    Ed25519,
    /// Anything else (Ed448, X25519, DSA, …).
    Other,
}

/// Reads one definite-length TLV: returns (tag, contents, rest). Only low tag numbers and
/// lengths up to 4 octets, which covers every key format here.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None; // indefinite length (BER only) or absurdly long
        }
        let (len_bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

/// Reads a TLV that must carry `tag`.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match read_tlv(input)? {
        (t, contents, rest) if t == tag => Some((contents, rest)),
        _ => None,
    }
}

/// Bit length of a DER INTEGER's contents read as unsigned.
fn unsigned_bits(integer: &[u8]) -> usize {
    let start = integer
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(integer.len());
    match integer.get(start..) {
        Some([first, rest @ ..]) => rest.len() * 8 + (8 - first.leading_zeros() as usize),
        _ => 0,
    }
}

/// Classifies a DER private-key blob.
pub(crate) fn classify(der: &[u8]) -> Result<DerKind, KeyError> {
    let (body, trailing) = expect(der, SEQUENCE).ok_or(KeyError::Malformed)?;
    if !trailing.is_empty() {
        return Err(KeyError::Malformed);
    }
    let (first_tag, _, rest) = read_tlv(body).ok_or(KeyError::Malformed)?;
    let (second_tag, second, after_second) = read_tlv(rest).ok_or(KeyError::Malformed)?;
    match (first_tag, second_tag) {
        (INTEGER, SEQUENCE) => Ok(DerKind::Pkcs8(pkcs8_key_type(second, after_second))),
        (INTEGER, INTEGER) => Ok(DerKind::Pkcs1 {
            modulus_bits: unsigned_bits(second),
        }),
        (INTEGER, OCTET_STRING) => Ok(DerKind::Sec1),
        (SEQUENCE, OCTET_STRING) => Ok(DerKind::EncryptedPkcs8),
        (SEQUENCE, BIT_STRING) => Ok(DerKind::PublicKeyInfo),
        _ => Err(KeyError::Malformed),
    }
}

/// The key type of a PKCS#8 `AlgorithmIdentifier`; `after` holds the `privateKey` OCTET STRING.
fn pkcs8_key_type(alg_id: &[u8], after: &[u8]) -> KeyType {
    let Some((oid, params)) = expect(alg_id, OID) else {
        return KeyType::Other;
    };
    if oid == OID_RSA {
        let modulus_bits = expect(after, OCTET_STRING)
            .and_then(|(inner, _)| expect(inner, SEQUENCE))
            .and_then(|(rsa, _)| expect(rsa, INTEGER))
            .and_then(|(_version, rest)| expect(rest, INTEGER))
            .map_or(0, |(n, _)| unsigned_bits(n));
        KeyType::Rsa { modulus_bits }
    } else if oid == OID_EC {
        match expect(params, OID) {
            Some((curve, _)) if curve == OID_P256 => KeyType::EcP256 {
                public_key: ec_has_public_key(after),
            },
            _ => KeyType::EcOtherCurve,
        }
    } else if oid == OID_ED25519 {
        KeyType::Ed25519
    } else {
        KeyType::Other
    }
}

/// Whether the `ECPrivateKey` (RFC 5915 §3) in a PKCS#8 `privateKey` OCTET STRING carries the
/// `[1] publicKey` member.
fn ec_has_public_key(private_key: &[u8]) -> bool {
    const PARAMETERS: u8 = 0xa0; // [0] EXPLICIT
    const PUBLIC_KEY: u8 = 0xa1; // [1] EXPLICIT
    let Some((_version, rest)) = expect(private_key, OCTET_STRING)
        .and_then(|(inner, _)| expect(inner, SEQUENCE))
        .and_then(|(ec, _)| expect(ec, INTEGER))
    else {
        return false;
    };
    let Some((_scalar, mut rest)) = expect(rest, OCTET_STRING) else {
        return false;
    };
    if let Some((_, after)) = expect(rest, PARAMETERS) {
        rest = after;
    }
    expect(rest, PUBLIC_KEY).is_some()
}

/// Rewrites a PKCS#8 v2 `OneAsymmetricKey` (RFC 5958 §2, with the optional public key) as
/// v1 `PrivateKeyInfo` (version 0, no public key), keeping the algorithm and private key.
///
/// `ring` writes Ed25519 keys as v2 with a `[1]` tag OpenSSL 3.0 refuses; the v1 form (RFC 8410
/// §7) is what `openssl genpkey` writes and every tool reads. Only short-form lengths (under
/// 128 bytes, which covers Ed25519) are handled; `None` otherwise.
pub(crate) fn pkcs8_v1(der: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (body, _) = expect(der, SEQUENCE)?;
    let (_version, rest) = expect(body, INTEGER)?;
    let (_, _, after_alg) = read_tlv(rest)?;
    let alg_id = rest.get(..rest.len() - after_alg.len())?;
    let (_, _, after_key) = read_tlv(after_alg)?;
    let private_key = after_alg.get(..after_alg.len() - after_key.len())?;
    let len = 3 + alg_id.len() + private_key.len();
    let len_byte = u8::try_from(len).ok().filter(|len| *len < 0x80)?;
    let mut v1 = Zeroizing::new(Vec::with_capacity(2 + len));
    v1.extend_from_slice(&[SEQUENCE, len_byte, INTEGER, 0x01, 0x00]);
    v1.extend_from_slice(alg_id);
    v1.extend_from_slice(private_key);
    Some(v1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_long_form_lengths() {
        let mut der = vec![SEQUENCE, 0x81, 0x03, INTEGER, 0x01, 0x00];
        assert_eq!(
            read_tlv(&der).map(|(t, c, r)| (t, c.len(), r.len())),
            Some((SEQUENCE, 3, 0))
        );
        der[2] = 0x04; // length past the end
        assert_eq!(read_tlv(&der), None);
    }

    #[test]
    fn rejects_indefinite_length_and_high_tags() {
        assert_eq!(read_tlv(&[SEQUENCE, 0x80, 0x00, 0x00]), None);
        assert_eq!(read_tlv(&[0x1f, 0x01, 0x00]), None);
    }

    #[test]
    fn counts_modulus_bits() {
        assert_eq!(unsigned_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(unsigned_bits(&[0x01]), 1);
        assert_eq!(unsigned_bits(&[0x00]), 0);
        assert_eq!(unsigned_bits(&[]), 0);
    }

    #[test]
    fn classifies_public_key_info_and_encrypted() {
        // SEQUENCE { SEQUENCE {}, BIT STRING {} } and SEQUENCE { SEQUENCE {}, OCTET STRING {} }
        let spki = [SEQUENCE, 0x04, SEQUENCE, 0x00, BIT_STRING, 0x00];
        assert_eq!(classify(&spki), Ok(DerKind::PublicKeyInfo));
        let enc = [SEQUENCE, 0x04, SEQUENCE, 0x00, OCTET_STRING, 0x00];
        assert_eq!(classify(&enc), Ok(DerKind::EncryptedPkcs8));
    }

    proptest! {
        #[test]
        fn classify_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = classify(&bytes);
        }
    }
}
