//! Why a key could not be generated, loaded or saved.

use crate::Algorithm;

/// Why a signing key could not be generated, loaded or saved.
///
/// Each refusal has its own variant so an operator importing a key learns exactly what to
/// change. Messages are fixed text and never contain key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The bytes are not a DER-encoded private key container this crate recognizes.
    #[error("malformed key: not a DER-encoded PKCS#8 or PKCS#1 private key")]
    Malformed,
    /// The text is not exactly one well-formed PEM block (RFC 7468 §2).
    #[error("malformed PEM: expected exactly one RFC 7468 PEM block")]
    InvalidPem,
    /// The PEM label is not one this crate knows (`PRIVATE KEY`, `RSA PRIVATE KEY`).
    #[error("unsupported PEM label: expected 'PRIVATE KEY' (PKCS#8) or 'RSA PRIVATE KEY' (PKCS#1)")]
    UnsupportedPemLabel,
    /// An encrypted private key (`ENCRYPTED PRIVATE KEY`, or a legacy PEM with a `Proc-Type:
    /// 4,ENCRYPTED` header). Keys are stored unencrypted by the store, which says so; decrypt it
    /// first.
    #[error(
        "encrypted private keys are not supported: decrypt it first (openssl pkcs8 -topk8 -nocrypt)"
    )]
    Encrypted,
    /// A SEC1 `EC PRIVATE KEY` (RFC 5915). `ring` reads EC keys only inside PKCS#8.
    #[error(
        "SEC1 'EC PRIVATE KEY' is not supported: convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)"
    )]
    Sec1NotSupported,
    /// An OpenSSH-format private key (`OPENSSH PRIVATE KEY`).
    #[error("OpenSSH private keys are not supported: export the key as PKCS#8")]
    OpenSshNotSupported,
    /// A public key or a certificate where a private key is required.
    #[error("a public key or certificate was given where a private key is required")]
    NotAPrivateKey,
    /// An EC key on a curve other than P-256 (P-384, P-521, secp256k1, explicit parameters).
    #[error("unsupported EC curve: only P-256 keys (ES256) are supported")]
    UnsupportedCurve,
    /// A key type with no supported algorithm (Ed448, X25519, DSA, …).
    #[error(
        "unsupported key type: only P-256 (ES256), Ed25519 (EdDSA) and RSA (RS256) keys are supported"
    )]
    UnsupportedKeyType,
    /// The key's type does not match the algorithm it was loaded for.
    #[error("the key type does not match the requested algorithm")]
    AlgorithmMismatch {
        /// The algorithm the caller asked for.
        expected: Algorithm,
        /// The algorithm the key is for.
        found: Algorithm,
    },
    /// An RSA key under 2048 bits (RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be
    /// used").
    #[error("RSA key too small: at least 2048 bits are required (RFC 7518 section 3.3)")]
    RsaKeyTooSmall {
        /// The modulus size found, in bits.
        bits: usize,
    },
    /// An RSA key over 4096 bits, the largest `ring` signs with.
    #[error("RSA key too large: at most 4096 bits are supported")]
    RsaKeyTooLarge {
        /// The modulus size found, in bits.
        bits: usize,
    },
    /// RS256 keys cannot be generated: `ring` has no RSA key generation. Generate one with
    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` and import it.
    #[error("RSA keys cannot be generated here (ring has no RSA key generation): import one")]
    RsaGenerationUnsupported,
    /// An EC PKCS#8 key without its public key. `ring` requires it (keys from `ring` and from
    /// `openssl genpkey` include it).
    #[error("EC private key without its public key: re-export it with the public key included")]
    PublicKeyMissing,
    /// `ring` rejected the key as invalid or inconsistent (e.g. an RSA modulus that is not a
    /// multiple of 512 bits, mismatched components).
    #[error("the private key was rejected as invalid or inconsistent")]
    Rejected,
    /// The system random number generator failed during key generation.
    #[error("key generation failed: the system random number generator is unavailable")]
    Generation,
    /// Encoding the key as PEM failed.
    #[error("encoding the key as PEM failed")]
    Encoding,
}

impl From<ring::error::KeyRejected> for KeyError {
    fn from(_: ring::error::KeyRejected) -> Self {
        // `ring` gives no stable reason; the refusals operators can fix were classified
        // before `ring` saw the key.
        KeyError::Rejected
    }
}
