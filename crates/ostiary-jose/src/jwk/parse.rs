//! Reading a JWK Set from JSON (RFC 7517 §5), strictly.

use serde::Deserialize;

use super::{Jwks, PublicJwk};
use crate::json::Present;
use crate::{Algorithm, b64, json};

/// Largest JWKS JSON accepted, checked before parsing (a few dozen RSA-4096 keys fit).
pub const MAX_JWKS_LEN: usize = 64 * 1024;

/// Why a JWK Set could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The JSON is longer than [`MAX_JWKS_LEN`].
    #[error("JWK Set too large")]
    TooLarge,
    /// Not JSON, duplicated member names, nested too deep, or not a `{"keys":[…]}` object.
    #[error("malformed JWK Set")]
    Malformed,
    /// A key carries a private or symmetric parameter (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`,
    /// `k`). A published set must never contain one (RFC 7517 §9.2); the whole set is refused
    /// so the leak is noticed.
    #[error("JWK Set contains a private key parameter")]
    PrivateParameter,
    /// A key of a supported type whose parameters are invalid (bad base64url, wrong coordinate
    /// length, RSA modulus under 2048 bits, missing member).
    #[error("JWK Set contains an invalid key")]
    InvalidKey,
    /// Two keys share a `kid`.
    #[error("JWK Set contains two keys with the same kid")]
    DuplicateKid,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    #[serde(default)]
    d: Present,
    #[serde(default)]
    p: Present,
    #[serde(default)]
    q: Present,
    #[serde(default)]
    dp: Present,
    #[serde(default)]
    dq: Present,
    #[serde(default)]
    qi: Present,
    #[serde(default)]
    oth: Present,
    #[serde(default)]
    k: Present,
}

impl RawJwk {
    fn has_private_parameter(&self) -> bool {
        [
            &self.d, &self.p, &self.q, &self.dp, &self.dq, &self.qi, &self.oth, &self.k,
        ]
        .iter()
        .any(|present| present.0)
    }

    /// The algorithm this key would verify, or `None` for a key this crate does not use.
    fn algorithm(&self) -> Option<Algorithm> {
        let alg = match (self.kty.as_str(), self.crv.as_deref()) {
            ("EC", Some("P-256")) => Algorithm::Es256,
            ("OKP", Some("Ed25519")) => Algorithm::EdDsa,
            ("RSA", _) => Algorithm::Rs256,
            _ => return None,
        };
        // RFC 7517 §4.4: a key declared for another algorithm (ES384, PS256, …) is not ours.
        match self.alg.as_deref() {
            Some(name) if name != alg.as_str() => None,
            _ => Some(alg),
        }
    }

    fn into_public(self, alg: Algorithm, kid: String) -> Result<PublicJwk, JwksError> {
        let decode = |member: Option<&String>| {
            member
                .and_then(|text| b64::decode(text))
                .ok_or(JwksError::InvalidKey)
        };
        let key = match alg {
            Algorithm::Es256 => {
                // RFC 7518 §6.2.1.2–3: x and y are the full 32 octets each.
                let (x, y) = (decode(self.x.as_ref())?, decode(self.y.as_ref())?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JwksError::InvalidKey);
                }
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                PublicJwk::p256(&point, Some(kid))
            }
            Algorithm::EdDsa => PublicJwk::ed25519(&decode(self.x.as_ref())?, Some(kid)),
            Algorithm::Rs256 => {
                let (n, e) = (decode(self.n.as_ref())?, decode(self.e.as_ref())?);
                let jwk = PublicJwk::rsa(&n, &e, Some(kid));
                // RFC 7518 §3.3: keys of 2048 bits or larger.
                match &jwk {
                    Some(PublicJwk {
                        material: super::Material::Rsa { n, .. },
                        ..
                    }) if n.len() < 256 => return Err(JwksError::InvalidKey),
                    _ => jwk,
                }
            }
        };
        key.ok_or(JwksError::InvalidKey)
    }
}

impl Jwks {
    /// Reads a JWK Set from JSON, as a relying party reads a `jwks_uri` document.
    ///
    /// Strict where it matters: bounded size, no duplicate member names, any private parameter
    /// refuses the whole set, keys of our types must be valid, `kid`s must be unique. Lenient
    /// where a real JWKS needs it: keys this crate cannot use (other curves, `use: "enc"`,
    /// other algorithms) and keys without a `kid` (a token could never select them, since
    /// verification requires `kid`) are skipped.
    pub fn from_json(json: &str) -> Result<Jwks, JwksError> {
        if json.len() > MAX_JWKS_LEN {
            return Err(JwksError::TooLarge);
        }
        let raw: RawJwks = json::from_slice(json.as_bytes()).map_err(|_| JwksError::Malformed)?;
        let mut keys = Vec::with_capacity(raw.keys.len());
        for key in raw.keys {
            if key.has_private_parameter() {
                return Err(JwksError::PrivateParameter);
            }
            if key.use_.as_deref().is_some_and(|use_| use_ != "sig") {
                continue;
            }
            let (Some(alg), Some(kid)) = (key.algorithm(), key.kid.clone()) else {
                continue;
            };
            keys.push(key.into_public(alg, kid)?);
        }
        Jwks::new(keys)
    }
}
