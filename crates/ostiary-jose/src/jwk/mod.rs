//! Public JSON Web Keys (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2), their RFC 7638 thumbprints,
//! and JWK Sets.
//!
//! [`PublicJwk`] is structurally unable to hold a private parameter: it stores only an EC
//! point, an Ed25519 public key or an RSA modulus and exponent, and serializes exactly
//! `kty`, `crv`, `x`, `y` / `kty`, `crv`, `x` / `kty`, `n`, `e` plus `kid`, `alg` and `use`.

mod parse;

use std::fmt;

use ring::digest;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use crate::{Algorithm, b64};

pub use parse::{JwksError, MAX_JWKS_LEN};

/// The public half of a signing key, as published in the JWKS.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicJwk {
    kid: String,
    alg: Algorithm,
    material: Material,
}

/// Public key material only: there is nowhere to put `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`
/// or `k`.
#[derive(Clone, PartialEq, Eq)]
enum Material {
    /// An uncompressed P-256 point, `0x04 || x || y` (SEC1 §2.3.3).
    P256 { point: [u8; 65] },
    /// An Ed25519 public key (RFC 8032 §5.1.5).
    Ed25519 { x: [u8; 32] },
    /// An RSA public key: modulus and exponent, big-endian without leading zeros
    /// (RFC 7518 §6.3.1).
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl PublicJwk {
    /// An ES256 key from an uncompressed P-256 point; `kid` defaults to the thumbprint.
    pub(crate) fn p256(point: &[u8], kid: Option<String>) -> Option<PublicJwk> {
        let point: [u8; 65] = point.try_into().ok()?;
        if point[0] != 0x04 {
            return None;
        }
        Some(Self::with_kid(
            Algorithm::Es256,
            Material::P256 { point },
            kid,
        ))
    }

    /// An EdDSA key from an Ed25519 public key; `kid` defaults to the thumbprint.
    pub(crate) fn ed25519(x: &[u8], kid: Option<String>) -> Option<PublicJwk> {
        let x: [u8; 32] = x.try_into().ok()?;
        Some(Self::with_kid(
            Algorithm::EdDsa,
            Material::Ed25519 { x },
            kid,
        ))
    }

    /// An RS256 key from its modulus and exponent; `kid` defaults to the thumbprint.
    pub(crate) fn rsa(n: &[u8], e: &[u8], kid: Option<String>) -> Option<PublicJwk> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        if n.is_empty() || e.is_empty() {
            return None;
        }
        let material = Material::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        };
        Some(Self::with_kid(Algorithm::Rs256, material, kid))
    }

    fn with_kid(alg: Algorithm, material: Material, kid: Option<String>) -> PublicJwk {
        let mut jwk = PublicJwk {
            kid: String::new(),
            alg,
            material,
        };
        jwk.kid = kid.unwrap_or_else(|| jwk.thumbprint());
        jwk
    }

    /// The key ID (`kid`, RFC 7517 §4.5). For keys of this crate it is the RFC 7638
    /// thumbprint; for keys read from another JWKS it is whatever that JWKS said.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key is for (`alg`, RFC 7517 §4.4). A token must name exactly it.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order
    /// without whitespace (§3.2, members per §3.2.1 and RFC 8037 §2), base64url encoded.
    pub fn thumbprint(&self) -> String {
        let canonical = match &self.material {
            Material::P256 { point } => {
                let (x, y) = point_coordinates(point);
                format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    b64::encode_string(x),
                    b64::encode_string(y)
                )
            }
            Material::Ed25519 { x } => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                b64::encode_string(x)
            ),
            Material::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64::encode_string(e),
                b64::encode_string(n)
            ),
        };
        b64::encode_string(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    }

    /// This key as a JWK JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Verifies a JWS signature (RFC 7515 §5.2 step 8) with this key's algorithm: ECDSA P-256
    /// fixed-width `r || s` (RFC 7518 §3.4), Ed25519 (RFC 8037 §3.1), or RSASSA-PKCS1-v1_5
    /// SHA-256 with a 2048–8192-bit modulus (RFC 7518 §3.3).
    pub(crate) fn verify_signature(&self, message: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            Material::P256 { point } => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Material::Ed25519 { x } => UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(message, sig)
                .is_ok(),
            Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
        }
    }
}

fn point_coordinates(point: &[u8; 65]) -> (&[u8], &[u8]) {
    let coordinates = point.get(1..).unwrap_or_default();
    coordinates.split_at(coordinates.len() / 2)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

impl fmt::Debug for PublicJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicJwk")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Serialize for PublicJwk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.material {
            Material::P256 { point } => {
                let (x, y) = point_coordinates(point);
                map.serialize_entry("kty", "EC")?;
                map.serialize_entry("crv", "P-256")?;
                map.serialize_entry("x", &b64::encode_string(x))?;
                map.serialize_entry("y", &b64::encode_string(y))?;
            }
            Material::Ed25519 { x } => {
                map.serialize_entry("kty", "OKP")?;
                map.serialize_entry("crv", "Ed25519")?;
                map.serialize_entry("x", &b64::encode_string(x))?;
            }
            Material::Rsa { n, e } => {
                map.serialize_entry("kty", "RSA")?;
                map.serialize_entry("n", &b64::encode_string(n))?;
                map.serialize_entry("e", &b64::encode_string(e))?;
            }
        }
        map.serialize_entry("kid", &self.kid)?;
        map.serialize_entry("alg", self.alg.as_str())?;
        // RFC 7517 §4.2: these keys only ever verify signatures.
        map.serialize_entry("use", "sig")?;
        map.end()
    }
}

/// A JWK Set (RFC 7517 §5) of public keys: what the server publishes at its `jwks_uri`, or
/// what a verifier read from someone's `jwks_uri` with [`Jwks::from_json`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<PublicJwk>,
}

impl Jwks {
    /// A set of these keys. Fails with [`JwksError::DuplicateKid`] when two share a `kid`
    /// (a verifier could not tell them apart).
    pub fn new(keys: Vec<PublicJwk>) -> Result<Jwks, JwksError> {
        for (i, key) in keys.iter().enumerate() {
            if keys.iter().skip(i + 1).any(|other| other.kid == key.kid) {
                return Err(JwksError::DuplicateKid);
            }
        }
        Ok(Jwks { keys })
    }

    /// The keys, in order.
    pub fn keys(&self) -> &[PublicJwk] {
        &self.keys
    }

    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&PublicJwk> {
        self.keys.iter().find(|key| key.kid == kid)
    }

    /// The set as JSON, `{"keys":[…]}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for Jwks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut set = serializer.serialize_struct("Jwks", 1)?;
        set.serialize_field("keys", &self.keys)?;
        set.end()
    }
}

#[cfg(test)]
mod tests;
