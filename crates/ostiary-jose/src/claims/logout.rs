//! Logout token claims (OpenID Connect Back-Channel Logout 1.0 §2.4).

use serde::{Deserialize, Serialize, Serializer};

use super::{Jwt, Registered, single_audience};
use crate::json::Present;
use crate::sign::TokenType;

/// The member name of the back-channel logout event (§2.4, `events` claim).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Who is logged out: a logout token carries `sub`, `sid` or both (§2.4: "A Logout Token MUST
/// contain either a sub or a sid Claim, and MAY contain both"). Having neither is
/// unrepresentable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogoutSubject {
    /// Every session of this subject at the client (`sub` only).
    Subject(String),
    /// This session (`sid` only).
    Session(String),
    /// This session of this subject (`sub` and `sid`).
    SubjectAndSession {
        /// The subject identifier.
        sub: String,
        /// The session ID.
        sid: String,
    },
}

impl LogoutSubject {
    /// The `sub` claim, if present.
    pub fn sub(&self) -> Option<&str> {
        match self {
            LogoutSubject::Subject(sub) | LogoutSubject::SubjectAndSession { sub, .. } => Some(sub),
            LogoutSubject::Session(_) => None,
        }
    }

    /// The `sid` claim, if present.
    pub fn sid(&self) -> Option<&str> {
        match self {
            LogoutSubject::Session(sid) | LogoutSubject::SubjectAndSession { sid, .. } => Some(sid),
            LogoutSubject::Subject(_) => None,
        }
    }
}

/// The claims of a logout token (§2.4). Its JOSE header carries `typ: "logout+jwt"`; the
/// `events` claim is always `{"http://schemas.openid.net/event/backchannel-logout": {}}`, and
/// there is never a `nonce` (§2.4: "A nonce Claim MUST NOT be present").
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawLogout")]
pub struct LogoutTokenClaims {
    /// Issuer identifier.
    pub iss: String,
    /// Audience: the client's `client_id`.
    pub aud: String,
    /// Issued-at time (NumericDate).
    pub iat: i64,
    /// Expiration time (NumericDate); §2.4 recommends at most two minutes after `iat`.
    pub exp: i64,
    /// Unique identifier of this token, so the client can detect replays.
    pub jti: String,
    /// Not-before time (RFC 7519 §4.1.5). Ostiary never sets it; honoured when verifying.
    pub nbf: Option<i64>,
    /// `sub` and/or `sid`.
    pub subject: LogoutSubject,
}

impl LogoutTokenClaims {
    /// A logout token with its required claims.
    pub fn new(
        iss: impl Into<String>,
        aud: impl Into<String>,
        iat: i64,
        exp: i64,
        jti: impl Into<String>,
        subject: LogoutSubject,
    ) -> LogoutTokenClaims {
        LogoutTokenClaims {
            iss: iss.into(),
            aud: aud.into(),
            iat,
            exp,
            jti: jti.into(),
            nbf: None,
            subject,
        }
    }
}

impl Jwt for LogoutTokenClaims {
    const TYPE: TokenType = TokenType::Logout;

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

/// `{"http://schemas.openid.net/event/backchannel-logout": {}}`.
struct Events;

impl Serialize for Events {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(BACKCHANNEL_LOGOUT_EVENT, &Empty {})?;
        map.end()
    }
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Wire<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    events: Events,
}

impl Serialize for LogoutTokenClaims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            iss: &self.iss,
            aud: &self.aud,
            iat: self.iat,
            exp: self.exp,
            jti: &self.jti,
            nbf: self.nbf,
            sub: self.subject.sub(),
            sid: self.subject.sid(),
            events: Events,
        }
        .serialize(serializer)
    }
}

#[derive(Deserialize)]
struct RawLogout {
    iss: String,
    #[serde(deserialize_with = "single_audience")]
    aud: String,
    iat: i64,
    exp: i64,
    jti: String,
    nbf: Option<i64>,
    sub: Option<String>,
    sid: Option<String>,
    events: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    nonce: Present,
}

impl TryFrom<RawLogout> for LogoutTokenClaims {
    type Error = &'static str;

    /// The claim rules of Back-Channel Logout 1.0 §2.6 steps 4–7.
    fn try_from(raw: RawLogout) -> Result<Self, Self::Error> {
        // §2.6 step 5: `events` holds the back-channel logout member, whose value is an object.
        if !raw
            .events
            .get(BACKCHANNEL_LOGOUT_EVENT)
            .is_some_and(serde_json::Value::is_object)
        {
            return Err("logout token without the back-channel logout event");
        }
        // §2.6 step 7: "Verify that the Logout Token does not contain a nonce Claim."
        if raw.nonce.0 {
            return Err("logout token with a nonce");
        }
        // §2.6 step 6: a `sub` claim, a `sid` claim, or both.
        let subject = match (raw.sub, raw.sid) {
            (Some(sub), Some(sid)) => LogoutSubject::SubjectAndSession { sub, sid },
            (Some(sub), None) => LogoutSubject::Subject(sub),
            (None, Some(sid)) => LogoutSubject::Session(sid),
            (None, None) => return Err("logout token without sub or sid"),
        };
        Ok(LogoutTokenClaims {
            iss: raw.iss,
            aud: raw.aud,
            iat: raw.iat,
            exp: raw.exp,
            jti: raw.jti,
            nbf: raw.nbf,
            subject,
        })
    }
}
