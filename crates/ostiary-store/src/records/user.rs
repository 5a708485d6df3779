use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::UnixTime;
use crate::{OrganizationId, UserId};

/// An Argon2id password hash in PHC string format (`$argon2id$v=19$…`). Never a password.
///
/// `Debug` is redacted: a hash is still an offline-guessing target.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(Zeroizing<String>);

impl PasswordHash {
    /// Wraps a PHC string produced by the password hasher or read back from storage.
    pub fn from_phc(phc: String) -> Self {
        Self(Zeroizing::new(phc))
    }

    /// The PHC string, for verification and storage only.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// The standard profile claims of a user (OIDC Core §5.1), released with the `profile` scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `name`
    pub name: Option<String>,
    /// `given_name`
    pub given_name: Option<String>,
    /// `family_name`
    pub family_name: Option<String>,
    /// `middle_name`
    pub middle_name: Option<String>,
    /// `nickname`
    pub nickname: Option<String>,
    /// `profile`
    pub profile: Option<String>,
    /// `picture`
    pub picture: Option<String>,
    /// `website`
    pub website: Option<String>,
    /// `gender`
    pub gender: Option<String>,
    /// `birthdate` (`YYYY-MM-DD` or `YYYY`)
    pub birthdate: Option<String>,
    /// `zoneinfo`
    pub zoneinfo: Option<String>,
    /// `locale`
    pub locale: Option<String>,
}

/// A user who signs in to the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The stable subject identifier (`sub`).
    pub id: UserId,
    /// The unique login name (`preferred_username`). Compared case-insensitively at sign-in.
    pub username: String,
    /// The e-mail address; unique among users when present. Compared case-insensitively at sign-in.
    pub email: Option<String>,
    /// Whether the platform verified the e-mail address (`email_verified`).
    pub email_verified: bool,
    /// The Argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// Profile claims.
    pub profile: Profile,
    /// A disabled user cannot sign in and their tokens stop working.
    pub disabled: bool,
    /// When the user was created.
    pub created_at: UnixTime,
    /// When the user's claims last changed (`updated_at`).
    pub updated_at: UnixTime,
}

/// An organization on the platform: a customer account that several users administer or belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// The identifier (`sub` of organization tokens).
    pub id: OrganizationId,
    /// The display name.
    pub name: String,
    /// When it was created.
    pub created_at: UnixTime,
}

/// A user's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrgRole {
    /// May connect, view and revoke partner authorizations.
    Admin,
    /// A plain member.
    Member,
}

impl OrgRole {
    /// The storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }

    /// Parses the storage spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            _ => None,
        }
    }
}

/// A user's membership of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The user.
    pub user_id: UserId,
    /// The user's role in it.
    pub role: OrgRole,
    /// When the membership was created.
    pub created_at: UnixTime,
}
