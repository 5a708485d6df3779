//! JWS Compact Serialization verification (RFC 7515 §5.2) and JWT validation (RFC 7519 §7.2,
//! OIDC Core §3.1.3.7, Back-Channel Logout 1.0 §2.6, RFC 9068 §4).
//!
//! Order matters: size first, then the header, then the key and the signature, and only then
//! is the payload decoded and parsed. Attacker-controlled claims JSON is never parsed before
//! its signature checked out.

use serde::Deserialize;

use crate::claims::Jwt;
use crate::json::{self, JsonError, Present};
use crate::sign::TokenType;
use crate::{Algorithm, PublicJwk, b64};

/// Longest token accepted, checked before any decoding; signing refuses to produce longer.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Default clock-skew leeway, in seconds.
pub const DEFAULT_LEEWAY: u32 = 60;
/// Largest clock-skew leeway a [`Validation`] accepts, in seconds (larger values are clamped).
pub const MAX_LEEWAY: u32 = 300;

/// Why a token was refused. Messages are fixed text: they never echo the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Longer than [`MAX_TOKEN_LEN`].
    #[error("token too large")]
    TooLarge,
    /// Not three base64url segments of JSON: wrong segment count, non-canonical base64url or
    /// padding, invalid JSON, duplicated member names, nesting too deep, or a header without
    /// `alg`.
    #[error("malformed token")]
    Malformed,
    /// The `alg` header is not ES256, EdDSA or RS256 (this includes `none` and every HMAC
    /// algorithm).
    #[error("unsupported signature algorithm")]
    UnsupportedAlg,
    /// The header uses `crit` (RFC 7515 §4.1.11) or `cty` (nested JWTs, RFC 7519 §5.2), which
    /// this crate does not support.
    #[error("unsupported JOSE header parameter")]
    UnsupportedHeader,
    /// The header has no `kid`; every token this crate accepts names its key.
    #[error("token has no key ID")]
    MissingKid,
    /// No key with the header's `kid`.
    #[error("unknown key ID")]
    UnknownKid,
    /// The header's `alg` is not the algorithm of the key named by `kid`.
    #[error("signature algorithm does not match the key")]
    AlgorithmMismatch,
    /// The `typ` header is not the one this token type requires.
    #[error("wrong token type")]
    WrongType,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// The claims are missing, of the wrong JSON type (floats or huge numbers as dates,
    /// strings as booleans…), name several audiences, or break a token-type rule (logout token
    /// without the event, with a `nonce`, or without `sub` and `sid`).
    #[error("invalid claims")]
    InvalidClaims,
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` is not the expected audience.
    #[error("wrong audience")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is still in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
}

/// What a token must satisfy besides its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    issuer: String,
    audience: Option<String>,
    now: i64,
    leeway: i64,
    accept_expired: bool,
}

impl Validation {
    /// Require `iss == issuer` and `aud == audience` (byte for byte), at time `now` (Unix
    /// seconds), with [`DEFAULT_LEEWAY`].
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, now: i64) -> Validation {
        Validation {
            issuer: issuer.into(),
            audience: Some(audience.into()),
            now,
            leeway: i64::from(DEFAULT_LEEWAY),
            accept_expired: false,
        }
    }

    /// Require `iss == issuer` but accept any single audience: **the caller must check `aud`
    /// itself**. For an `id_token_hint`, where the audience is how the server learns which
    /// client the hint belongs to (OIDC RP-Initiated Logout 1.0 §2).
    pub fn any_audience(issuer: impl Into<String>, now: i64) -> Validation {
        Validation {
            audience: None,
            ..Validation::new(issuer, String::new(), now)
        }
    }

    /// Clock-skew leeway in seconds for `exp`, `nbf` and `iat`, clamped to [`MAX_LEEWAY`].
    pub fn with_leeway(mut self, seconds: u32) -> Validation {
        self.leeway = i64::from(seconds.min(MAX_LEEWAY));
        self
    }

    /// Accept tokens whose `exp` has passed; everything else (signature, issuer, audience,
    /// `iat`, `nbf`) is still checked. Only for `id_token_hint`: OIDC RP-Initiated Logout 1.0
    /// §2 lets the OP accept an expired ID token as a hint.
    pub fn accept_expired(mut self) -> Validation {
        self.accept_expired = true;
        self
    }
}

/// Finds a verification key by `kid`.
pub(crate) trait KeyLookup {
    fn find_key(&self, kid: &str) -> Option<&PublicJwk>;
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    #[serde(default)]
    crit: Present,
    #[serde(default)]
    cty: Present,
}

/// Verifies a compact JWS and validates its claims as a `C`.
pub(crate) fn verify<C: Jwt, K: KeyLookup + ?Sized>(
    token: &str,
    keys: &K,
    validation: &Validation,
) -> Result<C, VerifyError> {
    // Bound the work before decoding anything.
    if token.len() > MAX_TOKEN_LEN {
        return Err(VerifyError::TooLarge);
    }
    // RFC 7515 §7.1 / §5.2 step 1: exactly three segments.
    let (signing_input, signature) = token.rsplit_once('.').ok_or(VerifyError::Malformed)?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or(VerifyError::Malformed)?;
    if payload.contains('.') {
        return Err(VerifyError::Malformed);
    }
    let key = check_header::<C, K>(header, keys)?;

    // RFC 7515 §5.2 steps 7–8: decode the signature and verify it over the signing input.
    let signature = b64::decode(signature).ok_or(VerifyError::Malformed)?;
    if !key.verify_signature(signing_input.as_bytes(), &signature) {
        return Err(VerifyError::BadSignature);
    }

    // RFC 7519 §7.2 steps 7–10: the payload is the claims set, strict JSON.
    let payload = b64::decode(payload).ok_or(VerifyError::Malformed)?;
    let claims: C = json::from_slice(&payload).map_err(|error| match error {
        JsonError::Syntax => VerifyError::Malformed,
        JsonError::Schema => VerifyError::InvalidClaims,
    })?;
    check_claims(&claims, validation)?;
    Ok(claims)
}

/// RFC 7515 §5.2 steps 2–5: decode and parse the header, understand every parameter, pick the
/// key.
fn check_header<'k, C: Jwt, K: KeyLookup + ?Sized>(
    header: &str,
    keys: &'k K,
) -> Result<&'k PublicJwk, VerifyError> {
    let header = b64::decode(header).ok_or(VerifyError::Malformed)?;
    let header: Header = json::from_slice(&header).map_err(|_| VerifyError::Malformed)?;
    // RFC 7515 §4.1.1 and RFC 8725 §3.1: an allow-list of asymmetric algorithms; `none` and
    // HMAC never get this far.
    let alg = Algorithm::from_name(&header.alg).ok_or(VerifyError::UnsupportedAlg)?;
    // RFC 7515 §4.1.11: `crit` names extensions we would have to understand; we understand
    // none. RFC 7519 §5.2: `cty` signals nesting, which we do not support.
    if header.crit.0 || header.cty.0 {
        return Err(VerifyError::UnsupportedHeader);
    }
    // RFC 8725 §3.11 explicit typing: each token type has its own `typ`.
    if !type_matches(C::TYPE, header.typ.as_deref()) {
        return Err(VerifyError::WrongType);
    }
    // OIDC Core §10.1: the key is selected by `kid`; we always require one.
    let kid = header.kid.ok_or(VerifyError::MissingKid)?;
    let key = keys.find_key(&kid).ok_or(VerifyError::UnknownKid)?;
    // RFC 8725 §3.1: the key decides the algorithm; the header must agree with it.
    if key.alg() != alg {
        return Err(VerifyError::AlgorithmMismatch);
    }
    Ok(key)
}

/// Whether a `typ` header fits the token type. RFC 7515 §4.1.9: compared case-insensitively,
/// with or without the `application/` prefix.
fn type_matches(expected: TokenType, typ: Option<&str>) -> bool {
    let Some(typ) = typ else {
        // An ID token may omit `typ` (OIDC Core defines none); logout tokens (Back-Channel
        // Logout §2.4) and JWT access tokens (RFC 9068 §4) must carry theirs.
        return expected == TokenType::Id;
    };
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..).unwrap_or(""),
        _ => typ,
    };
    bare.eq_ignore_ascii_case(expected.typ())
}

/// RFC 7519 §4.1 and OIDC Core §3.1.3.7 steps 2–5, 9 and 10.
fn check_claims<C: Jwt>(claims: &C, validation: &Validation) -> Result<(), VerifyError> {
    let registered = claims.registered();
    // OIDC Core §3.1.3.7 step 2: the issuer matches exactly.
    if registered.iss != validation.issuer {
        return Err(VerifyError::WrongIssuer);
    }
    // Step 3: the audience is the expected client (a single audience: see `single_audience`).
    if let Some(audience) = &validation.audience
        && registered.aud != audience
    {
        return Err(VerifyError::WrongAudience);
    }
    // Steps 4–5: an `azp`, when present, must be the audience (our single client).
    if registered.azp.is_some_and(|azp| azp != registered.aud) {
        return Err(VerifyError::WrongAudience);
    }
    let now = validation.now;
    let leeway = validation.leeway;
    // Step 9 / RFC 7519 §4.1.4: now must be before exp (plus leeway).
    if !validation.accept_expired && now >= registered.exp.saturating_add(leeway) {
        return Err(VerifyError::Expired);
    }
    // RFC 7519 §4.1.5: not before nbf (minus leeway).
    if registered
        .nbf
        .is_some_and(|nbf| now.saturating_add(leeway) < nbf)
    {
        return Err(VerifyError::NotYetValid);
    }
    // Step 10 / RFC 7519 §4.1.6: a token cannot have been issued in the future.
    if registered.iat > now.saturating_add(leeway) {
        return Err(VerifyError::IssuedInFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
