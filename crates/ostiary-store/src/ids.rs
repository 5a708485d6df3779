//! Identifiers of the domain records.
//!
//! Every identifier is a random (version 4) UUID, wrapped in its own type so that a client id can never be
//! passed where a user id is expected; token families minted by the protocol core are time-ordered
//! ([`FamilyId::new_time_ordered`]). They are public identifiers, not secrets: they appear in URLs, tokens
//! (`sub`, `client_id`, `sid`) and logs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The error returned when a string is not a valid identifier (a hyphenated UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid identifier: a UUID is expected")]
pub struct InvalidId;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random identifier (UUID version 4, from the OS CSPRNG).
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            /// Parses the hyphenated form (`123e4567-e89b-12d3-a456-426614174000`), case-insensitively.
            /// Other UUID spellings (braced, URN, simple) are refused so each id has one textual form.
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                if s.len() != 36 {
                    return Err(InvalidId);
                }
                Uuid::try_parse(s).map(Self).map_err(|_| InvalidId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }
    };
}

uuid_id!(
    /// An OAuth client's `client_id` (RFC 6749 §2.2).
    ClientId
);
uuid_id!(
    /// A user's stable subject identifier: the `sub` claim of tokens issued for the user.
    UserId
);
uuid_id!(
    /// An organization's identifier: the `sub` of organization-scoped access tokens.
    OrganizationId
);
uuid_id!(
    /// The public identifier of a browser session: the `sid` claim of ID and logout tokens
    /// (OIDC Back-Channel Logout 1.0 §2.1). Not the session cookie, which is a secret.
    SessionId
);
uuid_id!(
    /// A token family: every access and refresh token descending from one grant (one code exchange or
    /// one organization authorization), revoked together.
    FamilyId
);

impl FamilyId {
    /// A new time-ordered identifier (UUID version 7: 48 bits of Unix milliseconds, then 74 random bits
    /// from the OS CSPRNG), so that a store's index on family ids grows at its end. A random id sent
    /// every new family to a random leaf of that index, one more page written per sign-in (about one
    /// in eight of an SSO flow's WAL pages on SQLite). A family id is not a secret, and the creation
    /// time it reveals is the `iat` of the family's first tokens.
    pub fn new_time_ordered() -> Self {
        Self(Uuid::now_v7())
    }
}
uuid_id!(
    /// An organization-level authorization of a partner client.
    OrgAuthorizationId
);
uuid_id!(
    /// A back-channel logout outbox entry.
    OutboxId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_string_form() {
        let id = ClientId::new_random();
        let parsed: ClientId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
    }

    /// Time-ordered family ids sort in the order they were made, as UUIDs (PostgreSQL's order) and as
    /// their text (SQLite's), and are version 7.
    #[test]
    fn time_ordered_family_ids_sort_by_creation() {
        let ids: Vec<FamilyId> = (0..2000).map(|_| FamilyId::new_time_ordered()).collect();
        assert!(ids.iter().all(|id| id.as_uuid().get_version_num() == 7));
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "UUID order");
        let texts: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "text order");
    }

    #[test]
    fn only_the_hyphenated_form_parses() {
        let id = UserId::new_random();
        let simple = id.as_uuid().simple().to_string();
        assert_eq!(simple.parse::<UserId>(), Err(InvalidId));
        assert_eq!(format!("{{{id}}}").parse::<UserId>(), Err(InvalidId));
        assert_eq!("".parse::<UserId>(), Err(InvalidId));
        assert_eq!(
            "not-a-uuid-but-it-is-36-characters!!".parse::<UserId>(),
            Err(InvalidId)
        );
    }
}
