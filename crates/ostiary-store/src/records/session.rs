use super::UnixTime;
use crate::{ClientId, Digest, SessionId, UserId};

/// A browser session at the platform: created at sign-in, ended at sign-out or expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The public session id: the `sid` claim (OIDC Back-Channel Logout §2.1).
    pub id: SessionId,
    /// The keyed digest of the session cookie, by which the session is found.
    pub cookie_digest: Digest,
    /// The signed-in user.
    pub user_id: UserId,
    /// When the user authenticated (`auth_time`, OIDC Core §2).
    pub auth_time: UnixTime,
    /// How the user authenticated (`amr`, RFC 8176 values such as `pwd`).
    pub amr: Vec<String>,
    /// When the session was created.
    pub created_at: UnixTime,
    /// When the session expires.
    pub expires_at: UnixTime,
    /// The clients that received tokens in this session: the audience of back-channel logout.
    pub clients: Vec<ClientId>,
}

/// What a request of a signed-in browser reads at once: see [`crate::SessionStore::get_signed_in`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The unexpired session of the cookie.
    pub session: Session,
    /// The session's user; `None` when it does not exist.
    pub user: Option<crate::records::User>,
    /// The user's consent to the client asked about; `None` when there is none or none was asked
    /// about.
    pub consent: Option<crate::records::Consent>,
}
