//! JWT access token claims (RFC 9068 §2.2).

use serde::{Deserialize, Serialize};

use super::{Jwt, Registered, single_audience};
use crate::sign::TokenType;

/// The claims of a JWT access token (RFC 9068 §2.2), an alternative to opaque access tokens.
/// Its JOSE header carries `typ: "at+jwt"` (§2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer identifier.
    pub iss: String,
    /// Subject: the resource owner, or the client itself for client-credentials tokens
    /// (§2.2).
    pub sub: String,
    /// Audience: the resource server the token is for.
    #[serde(deserialize_with = "single_audience")]
    pub aud: String,
    /// Expiration time (NumericDate).
    pub exp: i64,
    /// Issued-at time (NumericDate).
    pub iat: i64,
    /// Not-before time (RFC 7519 §4.1.5). Ostiary never sets it; honoured when verifying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Unique identifier of this token.
    pub jti: String,
    /// The client the token was issued to (RFC 8693 §4.3).
    pub client_id: String,
    /// Granted scopes, space-separated (§2.2.3); present whenever scopes were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the end-user authenticated (§2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Authentication context class reference (§2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods references (§2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

impl AccessTokenClaims {
    /// An access token with the required claims of §2.2 and nothing else.
    #[allow(clippy::too_many_arguments)] // exactly the seven required claims of RFC 9068 §2.2
    pub fn new(
        iss: impl Into<String>,
        sub: impl Into<String>,
        aud: impl Into<String>,
        client_id: impl Into<String>,
        jti: impl Into<String>,
        iat: i64,
        exp: i64,
    ) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: iss.into(),
            sub: sub.into(),
            aud: aud.into(),
            exp,
            iat,
            nbf: None,
            jti: jti.into(),
            client_id: client_id.into(),
            scope: None,
            auth_time: None,
            acr: None,
            amr: None,
        }
    }
}

impl Jwt for AccessTokenClaims {
    const TYPE: TokenType = TokenType::Access;

    fn registered(&self) -> Registered<'_> {
        Registered {
            iss: &self.iss,
            aud: &self.aud,
            exp: self.exp,
            iat: self.iat,
            nbf: self.nbf,
            azp: None,
        }
    }
}
