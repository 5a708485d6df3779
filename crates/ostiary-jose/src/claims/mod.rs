//! JWT claims sets: ID token (OIDC Core §2, §5.1), logout token (Back-Channel Logout 1.0
//! §2.4) and JWT access token (RFC 9068 §2.2).
//!
//! Times are `i64` seconds since the Unix epoch, serialized as JSON integers (RFC 7519 §2
//! NumericDate); booleans are JSON booleans; absent optional claims are omitted, never `null`.

mod access;
mod id_token;
mod logout;

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Serialize, de::DeserializeOwned};

use crate::sign::TokenType;

pub use access::AccessTokenClaims;
pub use id_token::{AddressClaim, IdTokenClaims, StandardClaims};
pub use logout::{BACKCHANNEL_LOGOUT_EVENT, LogoutSubject, LogoutTokenClaims};

/// The registered claims every verification checks.
pub(crate) struct Registered<'a> {
    pub(crate) iss: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) nbf: Option<i64>,
    /// The authorized party (ID tokens only).
    pub(crate) azp: Option<&'a str>,
}

/// A claims type this crate signs and verifies.
pub(crate) trait Jwt: Serialize + DeserializeOwned {
    /// The token type, which fixes the `typ` header.
    const TYPE: TokenType;
    /// The registered claims to validate.
    fn registered(&self) -> Registered<'_>;
}

/// Deserializes `aud` (RFC 7519 §4.1.3) as a single audience: a string, or an array holding
/// exactly one string. Ostiary only issues single-audience tokens; a token for several
/// audiences is refused (OIDC Core §3.1.3.7 step 3 lets a client reject audiences it does not
/// trust, and we trust none but the one).
pub(crate) fn single_audience<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Audience;

    impl<'de> Visitor<'de> for Audience {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a single audience")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
            let first: String = seq
                .next_element()?
                .ok_or_else(|| de::Error::custom("empty audience"))?;
            if seq.next_element::<de::IgnoredAny>()?.is_some() {
                return Err(de::Error::custom("more than one audience"));
            }
            Ok(first)
        }
    }

    d.deserialize_any(Audience)
}

#[cfg(test)]
mod tests;
