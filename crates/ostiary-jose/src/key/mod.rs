//! Private signing keys: generate (ES256, EdDSA), load and save (PKCS#8, PKCS#1 for RSA).

mod der;
mod error;
mod pem;

use std::fmt;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::rsa;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use zeroize::Zeroizing;

use crate::{Algorithm, PublicJwk, SignError, b64};
pub use error::KeyError;

use der::{DerKind, KeyType};

/// Smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (the largest `ring` signs with).
pub const MAX_RSA_BITS: usize = 4096;
/// Longest raw signature any key here makes (RSA-4096), in bytes.
pub(crate) const MAX_SIGNATURE_LEN: usize = MAX_RSA_BITS / 8;

/// A private signing key with its algorithm, `kid` and public JWK.
///
/// Cheap to clone (shared). The DER copy this crate keeps (for [`SigningKey::to_der`]) is
/// zeroized when the last clone drops; `ring`'s parsed key pair does not offer zeroization, a
/// documented limitation of `ring`. `Debug` shows the algorithm and `kid`, never key material.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<Inner>,
}

struct Inner {
    pair: Pair,
    /// The private key exactly as loaded or generated (PKCS#8, or PKCS#1 for some RSA keys).
    der: Zeroizing<Vec<u8>>,
    format: Format,
    public: PublicJwk,
    /// Base64url JOSE headers, encoded once per key: the hot path only copies them.
    headers: crate::sign::Headers,
}

enum Pair {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

/// The container format of the stored DER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// PKCS#8 (`PRIVATE KEY`).
    Pkcs8,
    /// PKCS#1 `RSAPrivateKey` (`RSA PRIVATE KEY`).
    Pkcs1,
}

impl SigningKey {
    /// Generates a new key for `alg` with the system CSPRNG (`ring` PKCS#8 generation).
    /// Ed25519 keys are kept as PKCS#8 v1 (RFC 8410 §7, as `openssl genpkey` writes them),
    /// because OpenSSL 3.0 cannot read the v2 encoding `ring` produces.
    ///
    /// RS256 keys cannot be generated (`ring` has no RSA key generation):
    /// [`KeyError::RsaGenerationUnsupported`]; import one with [`SigningKey::from_pem`].
    pub fn generate(alg: Algorithm) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let pkcs8 = match alg {
            Algorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            }
            Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng),
            Algorithm::Rs256 => return Err(KeyError::RsaGenerationUnsupported),
        }
        .map_err(|_| KeyError::Generation)?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        if alg == Algorithm::EdDsa {
            // Saved as PKCS#8 v1, the form OpenSSL reads (see `der::pkcs8_v1`).
            let v1 = der::pkcs8_v1(&pkcs8).ok_or(KeyError::Generation)?;
            return SigningKey::from_der(alg, &v1);
        }
        SigningKey::from_der(alg, &pkcs8)
    }

    /// Loads a private key from DER bytes for `alg` (how the store keeps keys).
    ///
    /// Accepted: PKCS#8 (v1 or v2) for every algorithm; PKCS#1 `RSAPrivateKey` for RS256.
    /// Refused with a precise [`KeyError`]: encrypted PKCS#8, SEC1 `ECPrivateKey`, public keys,
    /// other curves and key types, RSA outside 2048–4096 bits, a key of another algorithm
    /// ([`KeyError::AlgorithmMismatch`]). Ed25519 PKCS#8 v1 (no embedded public key, as
    /// `openssl genpkey` writes it) is accepted: the public key is derived from the seed.
    pub fn from_der(alg: Algorithm, der: &[u8]) -> Result<SigningKey, KeyError> {
        let detected = detect(der)?;
        if detected.0 != alg {
            return Err(KeyError::AlgorithmMismatch {
                expected: alg,
                found: detected.0,
            });
        }
        SigningKey::load(alg, detected.1, der)
    }

    /// Loads a private key from DER, taking the algorithm from the key type (P-256 → ES256,
    /// Ed25519 → EdDSA, RSA → RS256). Same acceptance rules as [`SigningKey::from_der`].
    pub fn from_der_any(der: &[u8]) -> Result<SigningKey, KeyError> {
        let (alg, format) = detect(der)?;
        SigningKey::load(alg, format, der)
    }

    fn load(alg: Algorithm, format: Format, der: &[u8]) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let pair = match (alg, format) {
            (Algorithm::Es256, _) => Pair::Es256(EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                der,
                &rng,
            )?),
            // v1 (seed only) or v2 (seed + public key, then checked for consistency).
            (Algorithm::EdDsa, _) => Pair::EdDsa(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)?),
            (Algorithm::Rs256, Format::Pkcs8) => Pair::Rs256(RsaKeyPair::from_pkcs8(der)?),
            (Algorithm::Rs256, Format::Pkcs1) => Pair::Rs256(RsaKeyPair::from_der(der)?),
        };
        let public = pair.public_jwk().ok_or(KeyError::Rejected)?;
        let headers = crate::sign::Headers::new(alg, public.kid());
        Ok(SigningKey {
            inner: Arc::new(Inner {
                pair,
                der: Zeroizing::new(der.to_vec()),
                format,
                public,
                headers,
            }),
        })
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Algorithm {
        match self.inner.pair {
            Pair::Es256(_) => Algorithm::Es256,
            Pair::EdDsa(_) => Algorithm::EdDsa,
            Pair::Rs256(_) => Algorithm::Rs256,
        }
    }

    /// The key ID: the RFC 7638 thumbprint of the public key. Stable (same key, same `kid`)
    /// and unique in practice (SHA-256).
    pub fn kid(&self) -> &str {
        self.inner.public.kid()
    }

    /// The public key as a JWK, ready for the JWKS.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.inner.public
    }

    /// **Exposes the secret**: the private key as DER, in the format it was loaded or generated
    /// in (PKCS#8, or PKCS#1 for RSA keys imported that way). For persisting in the store;
    /// [`SigningKey::from_der`] reads it back. Zeroized on drop.
    pub fn to_der(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.inner.der.to_vec())
    }

    /// **Exposes the secret**: the private key as PEM (`PRIVATE KEY`, or `RSA PRIVATE KEY` for
    /// PKCS#1), LF line endings. Zeroized on drop.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let label = match self.inner.format {
            Format::Pkcs8 => pem::PKCS8_LABEL,
            Format::Pkcs1 => pem::PKCS1_LABEL,
        };
        pem::encode(label, &self.inner.der)
    }

    /// Loads a private key from PEM text, taking the algorithm from the key type.
    ///
    /// Accepted: `PRIVATE KEY` (PKCS#8: P-256, Ed25519 v1/v2, RSA) and `RSA PRIVATE KEY`
    /// (PKCS#1). Refused, each with its own [`KeyError`]: `ENCRYPTED PRIVATE KEY` and legacy
    /// `Proc-Type: 4,ENCRYPTED` PEM ([`KeyError::Encrypted`]), `EC PRIVATE KEY`
    /// ([`KeyError::Sec1NotSupported`]), `OPENSSH PRIVATE KEY`
    /// ([`KeyError::OpenSshNotSupported`]), public keys and certificates
    /// ([`KeyError::NotAPrivateKey`]), other labels, several blocks, and every DER-level
    /// refusal of [`SigningKey::from_der`].
    pub fn from_pem(pem: &str) -> Result<SigningKey, KeyError> {
        let der = pem::decode(pem)?;
        SigningKey::from_der_any(&der)
    }

    /// [`SigningKey::from_pem`], requiring the key to be for `alg`.
    pub fn from_pem_for(alg: Algorithm, pem: &str) -> Result<SigningKey, KeyError> {
        let der = pem::decode(pem)?;
        SigningKey::from_der(alg, &der)
    }

    /// The raw JWS signature primitive (RFC 7515 §5.1 step 5) over any signing input:
    /// ECDSA P-256 fixed `r || s`, Ed25519, or RSASSA-PKCS1-v1_5 SHA-256.
    ///
    /// Prefer the typed token methods of [`crate::KeySet`]; this exists for measuring the
    /// signature cost alone and for JWS uses this crate has no type for.
    pub fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = [0u8; MAX_SIGNATURE_LEN];
        let len = self.sign_into(message, &mut sig)?;
        Ok(sig.get(..len).ok_or(SignError::Signing)?.to_vec())
    }

    /// Signs `message` into `dst` (at least [`MAX_SIGNATURE_LEN`] bytes); returns the length.
    pub(crate) fn sign_into(&self, message: &[u8], dst: &mut [u8]) -> Result<usize, SignError> {
        match &self.inner.pair {
            Pair::Es256(pair) => {
                let sig = pair
                    .sign(&SystemRandom::new(), message)
                    .map_err(|_| SignError::Signing)?;
                copy_signature(sig.as_ref(), dst)
            }
            Pair::EdDsa(pair) => copy_signature(pair.sign(message).as_ref(), dst),
            Pair::Rs256(pair) => {
                let len = pair.public().modulus_len();
                let dst = dst.get_mut(..len).ok_or(SignError::Signing)?;
                pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, dst)
                    .map_err(|_| SignError::Signing)?;
                Ok(len)
            }
        }
    }

    /// The encoded JOSE header for a token type.
    pub(crate) fn header(&self, typ: crate::sign::TokenType) -> &str {
        self.inner.headers.get(typ)
    }

    /// Upper bound of the base64url signature length.
    pub(crate) fn encoded_signature_len(&self) -> usize {
        b64::encoded_len(match &self.inner.pair {
            // Fixed-width `r || s` (RFC 7518 §3.4) and Ed25519 (RFC 8032 §5.1.6) signatures.
            Pair::Es256(_) | Pair::EdDsa(_) => 64,
            Pair::Rs256(pair) => pair.public().modulus_len(),
        })
    }
}

fn copy_signature(sig: &[u8], dst: &mut [u8]) -> Result<usize, SignError> {
    dst.get_mut(..sig.len())
        .ok_or(SignError::Signing)?
        .copy_from_slice(sig);
    Ok(sig.len())
}

impl Pair {
    fn public_jwk(&self) -> Option<PublicJwk> {
        match self {
            Pair::Es256(pair) => PublicJwk::p256(pair.public_key().as_ref(), None),
            Pair::EdDsa(pair) => PublicJwk::ed25519(pair.public_key().as_ref(), None),
            Pair::Rs256(pair) => {
                let components: rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
                PublicJwk::rsa(&components.n, &components.e, None)
            }
        }
    }
}

/// Detects the algorithm and container of a private-key DER blob, refusing what we do not
/// support with a precise error.
fn detect(der: &[u8]) -> Result<(Algorithm, Format), KeyError> {
    match der::classify(der)? {
        DerKind::Pkcs8(KeyType::EcP256 { public_key: true }) => {
            Ok((Algorithm::Es256, Format::Pkcs8))
        }
        DerKind::Pkcs8(KeyType::EcP256 { public_key: false }) => Err(KeyError::PublicKeyMissing),
        DerKind::Pkcs8(KeyType::Ed25519) => Ok((Algorithm::EdDsa, Format::Pkcs8)),
        DerKind::Pkcs8(KeyType::Rsa { modulus_bits }) => {
            check_rsa_bits(modulus_bits).map(|()| (Algorithm::Rs256, Format::Pkcs8))
        }
        DerKind::Pkcs1 { modulus_bits } => {
            check_rsa_bits(modulus_bits).map(|()| (Algorithm::Rs256, Format::Pkcs1))
        }
        DerKind::Pkcs8(KeyType::EcOtherCurve) => Err(KeyError::UnsupportedCurve),
        DerKind::Pkcs8(KeyType::Other) => Err(KeyError::UnsupportedKeyType),
        DerKind::Sec1 => Err(KeyError::Sec1NotSupported),
        DerKind::EncryptedPkcs8 => Err(KeyError::Encrypted),
        DerKind::PublicKeyInfo => Err(KeyError::NotAPrivateKey),
    }
}

/// RFC 7518 §3.3: at least 2048 bits; `ring` signs with at most 4096.
fn check_rsa_bits(bits: usize) -> Result<(), KeyError> {
    if bits < MIN_RSA_BITS {
        Err(KeyError::RsaKeyTooSmall { bits })
    } else if bits > MAX_RSA_BITS {
        Err(KeyError::RsaKeyTooLarge { bits })
    } else {
        Ok(())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg())
            .field("kid", &self.kid())
            .field("private_key", &format_args!("[redacted]"))
            .finish()
    }
}

impl PartialEq for SigningKey {
    /// Two keys are equal when their public keys are (same `kid`, same algorithm).
    fn eq(&self, other: &Self) -> bool {
        self.inner.public == other.inner.public
    }
}

impl Eq for SigningKey {}

#[cfg(test)]
mod tests;
