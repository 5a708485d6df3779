use serde::{Deserialize, Serialize};

use super::UnixTime;
use crate::{ClientId, OrgAuthorizationId, OrganizationId, ScopeSet, UserId};

/// The state of an organization authorization.
///
/// ```text
/// pending ──activate (partner API)──► active ──revoke (admin)──► revoked
///    │
///    ├──fail (partner says status=error, or the pending state expires)──► failed
///    └──revoke (admin)──► revoked
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrgAuthorizationState {
    /// An admin consented; the partner has not activated it yet.
    Pending,
    /// The partner activated it: organization tokens may be issued.
    Active,
    /// An admin revoked it: every token issued under it is revoked.
    Revoked,
    /// The partner reported an error, or the pending state expired.
    Failed,
}

impl OrgAuthorizationState {
    /// The storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgAuthorizationState::Pending => "pending",
            OrgAuthorizationState::Active => "active",
            OrgAuthorizationState::Revoked => "revoked",
            OrgAuthorizationState::Failed => "failed",
        }
    }

    /// Parses the storage spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(OrgAuthorizationState::Pending),
            "active" => Some(OrgAuthorizationState::Active),
            "revoked" => Some(OrgAuthorizationState::Revoked),
            "failed" => Some(OrgAuthorizationState::Failed),
            _ => None,
        }
    }

    /// Whether `self → to` is a transition of the state machine above.
    pub fn can_become(self, to: OrgAuthorizationState) -> bool {
        use OrgAuthorizationState::*;
        matches!(
            (self, to),
            (Pending, Active) | (Pending, Failed) | (Pending, Revoked) | (Active, Revoked)
        )
    }
}

/// Who moved an organization authorization to a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Actor {
    /// A user (an organization admin).
    User(UserId),
    /// A client (the partner, through the API).
    Client(ClientId),
    /// The server itself (expiry of a pending authorization).
    System,
}

/// An organization-level authorization of a partner client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAuthorization {
    /// Its id.
    pub id: OrgAuthorizationId,
    /// The organization that authorized.
    pub organization_id: OrganizationId,
    /// The partner's client.
    pub client_id: ClientId,
    /// The scopes the organization agreed to.
    pub scope: ScopeSet,
    /// The current state.
    pub state: OrgAuthorizationState,
    /// Who created it (the consenting admin) and when.
    pub created_by: Actor,
    /// When it was created.
    pub created_at: UnixTime,
    /// When a pending authorization expires if not activated.
    pub pending_expires_at: UnixTime,
    /// Who activated it and when.
    pub activated: Option<(Actor, UnixTime)>,
    /// Who revoked it and when.
    pub revoked: Option<(Actor, UnixTime)>,
    /// Who failed it and when.
    pub failed: Option<(Actor, UnixTime)>,
}

/// The result of [`crate::OrgAuthorizationStore::transition_org_authorization`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transition {
    /// The authorization moved to the requested state; here it is after the move.
    Done(OrgAuthorization),
    /// It was not in the expected state (someone else moved it first, or it expired): nothing changed.
    Conflict(OrgAuthorization),
    /// No such authorization.
    NotFound,
}
