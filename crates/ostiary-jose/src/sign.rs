//! JWS Compact Serialization signing (RFC 7515 §5.1, §7.1) on the hot path.
//!
//! The JOSE header of each (key, token type) is encoded once when the key is loaded. Minting a
//! token serializes the claims once, sizes the output exactly, base64url-encodes into it, signs
//! the bytes in place and appends the signature: two allocations (claims JSON, output).

use serde::Serialize;

use crate::key::MAX_SIGNATURE_LEN;
use crate::{Algorithm, MAX_TOKEN_LEN, SigningKey, b64};

/// Why a token could not be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The claims could not be serialized as JSON.
    #[error("the claims could not be serialized as JSON")]
    Serialize,
    /// The token would exceed [`MAX_TOKEN_LEN`], which verifiers here refuse.
    #[error("the token would exceed the maximum token length")]
    TooLarge,
    /// The signature operation failed (system random number generator unavailable).
    #[error("signing failed")]
    Signing,
}

/// The kind of JWT, which fixes the `typ` header parameter (RFC 7515 §4.1.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenType {
    /// An ID token: `typ: "JWT"` (RFC 7519 §5.1; OIDC Core does not define a `typ`, and
    /// relying parties such as `openidconnect` accept `JWT` or no `typ`).
    Id,
    /// A logout token: `typ: "logout+jwt"` (Back-Channel Logout 1.0 §2.4).
    Logout,
    /// A JWT access token: `typ: "at+jwt"` (RFC 9068 §2.1).
    Access,
}

impl TokenType {
    /// The `typ` value this crate writes.
    pub(crate) const fn typ(self) -> &'static str {
        match self {
            TokenType::Id => "JWT",
            TokenType::Logout => "logout+jwt",
            TokenType::Access => "at+jwt",
        }
    }
}

/// The base64url-encoded JOSE headers of one key, one per token type.
pub(crate) struct Headers {
    id: String,
    logout: String,
    access: String,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

impl Headers {
    /// Every header carries `alg` (RFC 7515 §4.1.1), `kid` (§4.1.4; OIDC Core §10.1) and `typ`.
    pub(crate) fn new(alg: Algorithm, kid: &str) -> Headers {
        let encode = |typ: TokenType| {
            let header = Header {
                alg: alg.as_str(),
                kid,
                typ: typ.typ(),
            };
            b64::encode_string(&serde_json::to_vec(&header).unwrap_or_default())
        };
        Headers {
            id: encode(TokenType::Id),
            logout: encode(TokenType::Logout),
            access: encode(TokenType::Access),
        }
    }

    pub(crate) fn get(&self, typ: TokenType) -> &str {
        match typ {
            TokenType::Id => &self.id,
            TokenType::Logout => &self.logout,
            TokenType::Access => &self.access,
        }
    }
}

/// Signs `claims` as a JWS Compact Serialization: `header.payload.signature`.
pub(crate) fn sign<C: Serialize>(
    key: &SigningKey,
    typ: TokenType,
    claims: &C,
) -> Result<String, SignError> {
    let header = key.header(typ);
    let mut payload = Vec::with_capacity(512);
    serde_json::to_writer(&mut payload, claims).map_err(|_| SignError::Serialize)?;

    let len = header.len() + 1 + b64::encoded_len(payload.len()) + 1 + key.encoded_signature_len();
    if len > MAX_TOKEN_LEN {
        return Err(SignError::TooLarge);
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(header.as_bytes());
    out.push(b'.');
    b64::encode_into(&payload, &mut out);

    // RFC 7515 §5.1 step 5: sign ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
    let mut sig = [0u8; MAX_SIGNATURE_LEN];
    let sig_len = key.sign_into(&out, &mut sig)?;
    out.push(b'.');
    b64::encode_into(sig.get(..sig_len).ok_or(SignError::Signing)?, &mut out);
    String::from_utf8(out).map_err(|_| SignError::Signing)
}
