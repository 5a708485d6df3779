use std::sync::Arc;

use ostiary_redirect::{MatchMode, RegisteredRedirectUri};
use serde::{Deserialize, Serialize};

use super::UnixTime;
use crate::{ClientId, Digest, ScopeSet};

/// Whom a client's tokens are about by default: a signed-in user, or an organization that authorized the
/// partner (Ostiary's organization-level grant). This is not OIDC's `public`/`pairwise` subject type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubjectType {
    /// Tokens are issued to act for a user (authorization code flow).
    User,
    /// Tokens are issued to act for an organization (client credentials naming the organization).
    Organization,
}

impl SubjectType {
    /// The wire and storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SubjectType::User => "user",
            SubjectType::Organization => "organization",
        }
    }

    /// Parses the wire and storage spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "user" => Some(SubjectType::User),
            "organization" => Some(SubjectType::Organization),
            _ => None,
        }
    }
}

/// How access tokens are issued to a client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccessTokenFormat {
    /// A random bearer string, looked up by digest (introspection, userinfo). Revocation is immediate.
    #[default]
    Opaque,
    /// A signed JWT (RFC 9068) that resource servers can verify offline; its `jti` is recorded.
    Jwt,
}

impl AccessTokenFormat {
    /// The wire and storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            AccessTokenFormat::Opaque => "opaque",
            AccessTokenFormat::Jwt => "jwt",
        }
    }

    /// Parses the wire and storage spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "opaque" => Some(AccessTokenFormat::Opaque),
            "jwt" => Some(AccessTokenFormat::Jwt),
            _ => None,
        }
    }
}

/// Everything a partner registers about its client: the human-readable metadata shown to users, and the
/// technical metadata the protocol enforces. Field names follow RFC 7591 §2 and OIDC Dynamic Client
/// Registration §2 where one exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMetadata {
    // --- human-readable ---
    /// `client_name`: shown on the consent page.
    pub client_name: String,
    /// `client_uri`: the partner's home page.
    pub client_uri: Option<String>,
    /// `logo_uri`: shown on the consent page.
    pub logo_uri: Option<String>,
    /// `tos_uri`: the partner's terms of service, linked from the consent page.
    pub tos_uri: Option<String>,
    /// `policy_uri`: the partner's privacy policy, linked from the consent page.
    pub policy_uri: Option<String>,
    /// `contacts`: e-mail addresses of people responsible for the client.
    pub contacts: Vec<String>,
    /// `initiate_login_uri` (OIDC Core §4): where a user starts connecting the app; listed in the catalogue.
    pub initiate_login_uri: Option<String>,
    /// `configuration_uri`: the app's settings page, linked from the platform.
    pub configuration_uri: Option<String>,

    // --- technical ---
    /// `redirect_uris` (RFC 6749 §3.1.2), matched exactly.
    #[serde(with = "uri_serde::list")]
    pub redirect_uris: Vec<RegisteredRedirectUri>,
    /// `post_logout_redirect_uris` (OIDC RP-Initiated Logout §3.1), matched exactly.
    #[serde(with = "uri_serde::list")]
    pub post_logout_redirect_uris: Vec<RegisteredRedirectUri>,
    /// `backchannel_logout_uri` (OIDC Back-Channel Logout §2.2).
    #[serde(with = "uri_serde::option")]
    pub backchannel_logout_uri: Option<RegisteredRedirectUri>,
    /// `backchannel_logout_session_required`: the logout token must carry `sid`.
    pub backchannel_logout_session_required: bool,
    /// `scope`: the scopes the client may ask for.
    pub scope: ScopeSet,
    /// Whether PKCE (S256) is required. `true` unless the client was registered with an explicit exception.
    pub pkce_required: bool,
    /// RFC 8252 §7.3: let loopback IP redirect URIs match on any port. Off unless registered.
    pub loopback_any_port: bool,
    /// Whom the client's tokens are about by default.
    pub subject_type: SubjectType,
    /// The format of the client's access tokens.
    pub access_token_format: AccessTokenFormat,
}

impl ClientMetadata {
    /// The redirect-URI matching mode this client registered.
    pub fn redirect_match_mode(&self) -> MatchMode {
        if self.loopback_any_port {
            MatchMode::LoopbackAnyPort
        } else {
            MatchMode::Exact
        }
    }
}

/// A registered client as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: ClientId,
    /// The registered metadata: shared, because it changes only by replacement and is read on every
    /// request of the client (a store may hand out the one decoded copy it caches).
    pub metadata: Arc<ClientMetadata>,
    /// The keyed digest of the client secret (see [`crate::secret`]).
    pub secret_digest: Digest,
    /// When the client was registered.
    pub created_at: UnixTime,
    /// When its metadata last changed.
    pub updated_at: UnixTime,
    /// When its secret was last issued.
    pub secret_rotated_at: UnixTime,
}

/// Serde for registered URIs (the redirect crate has no serde dependency): written as strings, and
/// re-checked against the registration rules when read back.
mod uri_serde {
    use ostiary_redirect::RegisteredRedirectUri;
    use serde::{Deserialize, Deserializer, Serializer};

    fn parse<E: serde::de::Error>(s: &str) -> Result<RegisteredRedirectUri, E> {
        RegisteredRedirectUri::parse(s).map_err(E::custom)
    }

    pub(super) mod list {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            uris: &[RegisteredRedirectUri],
            s: S,
        ) -> Result<S::Ok, S::Error> {
            s.collect_seq(uris.iter().map(RegisteredRedirectUri::as_str))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<RegisteredRedirectUri>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|s| parse(s))
                .collect()
        }
    }

    pub(super) mod option {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            uri: &Option<RegisteredRedirectUri>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match uri {
                Some(uri) => s.serialize_some(uri.as_str()),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<RegisteredRedirectUri>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| parse(&s))
                .transpose()
        }
    }
}
