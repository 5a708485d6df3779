use super::UnixTime;
use crate::{ClientId, ScopeSet, UserId};

/// A user's remembered consent to a client: asked again only when a request asks for more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The user who consented.
    pub user_id: UserId,
    /// The client consented to.
    pub client_id: ClientId,
    /// Every scope the user granted the client so far.
    pub scope: ScopeSet,
    /// When consent was first given.
    pub granted_at: UnixTime,
    /// When it last changed.
    pub updated_at: UnixTime,
}
