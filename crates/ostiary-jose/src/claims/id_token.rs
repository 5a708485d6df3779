//! ID token claims (OIDC Core §2) and the standard claims (OIDC Core §5.1).

use serde::{Deserialize, Serialize};

use super::{Jwt, Registered, single_audience};
use crate::sign::TokenType;

/// The claims of an ID token (OIDC Core §2, with the standard claims of §5.1 flattened in).
///
/// Build with [`IdTokenClaims::new`] and set the optional fields:
/// - `nonce`: whenever the authentication request carried one, echoed exactly (§3.1.2.1,
///   §3.1.3.7 step 11).
/// - `at_hash`: whenever an access token is issued with the ID token (§3.1.3.6 makes it
///   optional in the code flow; we always send it then), from
///   [`crate::Algorithm::token_hash`] with [`crate::KeySet::signing_alg`].
/// - `c_hash`: when the ID token is returned from the authorization endpoint with a code
///   (hybrid flow, §3.3.2.11); not in the code flow.
/// - `azp`: only needed when the ID token has several audiences or a single audience that is
///   not the authorized party (§2). Ostiary always issues one audience equal to the
///   `client_id`, so it leaves `azp` unset; it is emitted only if a caller sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer identifier: the configured issuer, byte for byte.
    pub iss: String,
    /// Subject identifier, locally unique and never reassigned.
    pub sub: String,
    /// Audience: the client's `client_id`, serialized as a single string.
    #[serde(deserialize_with = "single_audience")]
    pub aud: String,
    /// Expiration time (NumericDate).
    pub exp: i64,
    /// Issued-at time (NumericDate).
    pub iat: i64,
    /// Not-before time (RFC 7519 §4.1.5). Ostiary never sets it; honoured when verifying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// When the end-user authenticated (NumericDate); required when `max_age` was requested
    /// or `auth_time` was requested as an essential claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The `nonce` from the authentication request, exactly as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authentication context class reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Authentication methods references (RFC 8176 values such as `pwd`, `mfa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Authorized party; see the type documentation for when it is needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Access token hash (§3.1.3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Code hash (§3.3.2.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_hash: Option<String>,
    /// Session ID (Front-/Back-Channel Logout 1.0), so a logout token can name the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Standard claims released by the granted scopes (`profile`, `email`, `phone`,
    /// `address`).
    #[serde(flatten)]
    pub standard: StandardClaims,
}

impl IdTokenClaims {
    /// An ID token with the required claims (§2) and nothing else.
    pub fn new(
        iss: impl Into<String>,
        sub: impl Into<String>,
        aud: impl Into<String>,
        iat: i64,
        exp: i64,
    ) -> IdTokenClaims {
        IdTokenClaims {
            iss: iss.into(),
            sub: sub.into(),
            aud: aud.into(),
            exp,
            iat,
            nbf: None,
            auth_time: None,
            nonce: None,
            acr: None,
            amr: None,
            azp: None,
            at_hash: None,
            c_hash: None,
            sid: None,
            standard: StandardClaims::default(),
        }
    }
}

impl Jwt for IdTokenClaims {
    const TYPE: TokenType = TokenType::Id;

    fn registered(&self) -> Registered<'_> {
        Registered {
            iss: &self.iss,
            aud: &self.aud,
            exp: self.exp,
            iat: self.iat,
            nbf: self.nbf,
            azp: self.azp.as_deref(),
        }
    }
}

/// The standard claims of OIDC Core §5.1 (everything but `sub`), all optional. Also what the
/// UserInfo endpoint returns beside `sub`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardClaims {
    /// Full name (`profile` scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Given name(s) or first name(s) (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname(s) or last name(s) (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Middle name(s) (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Casual name (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Shorthand name the user wishes to be referred to by (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Profile page URL (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Profile picture URL (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Web page or blog URL (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Gender (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Birthday, `YYYY-MM-DD` or `YYYY` (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// Time zone, e.g. `Europe/Paris` (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// Locale, a BCP 47 language tag such as `en-US` (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// When the information was last updated, NumericDate (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Preferred e-mail address (`email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the e-mail address was verified, a JSON boolean (`email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Preferred telephone number, E.164 recommended (`phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number was verified, a JSON boolean (`phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// Postal address (`address`, §5.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressClaim>,
}

/// The `address` claim (OIDC Core §5.1.1); every member optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressClaim {
    /// Full mailing address, lines separated by newlines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street address, lines separated by newlines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Zip or postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}
