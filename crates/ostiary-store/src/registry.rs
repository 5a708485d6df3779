//! The client registry: registration with validation, secrets generated and returned exactly once,
//! authentication in constant time, metadata updates, secret rotation and deletion.

use std::sync::Arc;

use ostiary_redirect::RegisteredRedirectUri;
use serde::Deserialize;

use crate::records::{Client, ClientMetadata, UnixTime};
use crate::secret::{BearerSecret, Digest, DigestKeyring, SecretKind};
use crate::traits::{ClientFilter, ClientStore};
use crate::{ClientId, StoreError};

#[cfg(test)]
mod tests;
mod validate;

pub use validate::{
    FieldError, InvalidMetadata, MAX_CLIENT_NAME_CHARS, MAX_CONTACT_LEN, MAX_CONTACTS,
    MAX_REDIRECT_URIS,
};

/// Client metadata as submitted (CLI flags, admin API JSON): raw strings, validated by
/// [`ClientRegistry::register`] and [`ClientRegistry::update`] into [`ClientMetadata`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientRegistration {
    /// `client_name` (required).
    pub client_name: String,
    /// `client_uri`.
    pub client_uri: Option<String>,
    /// `logo_uri`.
    pub logo_uri: Option<String>,
    /// `tos_uri`.
    pub tos_uri: Option<String>,
    /// `policy_uri`.
    pub policy_uri: Option<String>,
    /// `contacts` (e-mail addresses).
    pub contacts: Vec<String>,
    /// `initiate_login_uri`.
    pub initiate_login_uri: Option<String>,
    /// `configuration_uri`.
    pub configuration_uri: Option<String>,
    /// `redirect_uris`.
    pub redirect_uris: Vec<String>,
    /// `post_logout_redirect_uris`.
    pub post_logout_redirect_uris: Vec<String>,
    /// `backchannel_logout_uri`.
    pub backchannel_logout_uri: Option<String>,
    /// `backchannel_logout_session_required` (default `false`).
    pub backchannel_logout_session_required: bool,
    /// `scope`, space-delimited.
    pub scope: String,
    /// `pkce_required`; absent means `true`.
    pub pkce_required: Option<bool>,
    /// Let loopback IP redirect URIs match on any port (RFC 8252 §7.3); default `false`.
    pub loopback_any_port: bool,
    /// `user` (default) or `organization`.
    pub subject_type: Option<String>,
    /// `opaque` (default) or `jwt`.
    pub access_token_format: Option<String>,
}

impl From<&ClientMetadata> for ClientRegistration {
    fn from(m: &ClientMetadata) -> Self {
        let uris =
            |list: &[RegisteredRedirectUri]| list.iter().map(|u| u.as_str().to_owned()).collect();
        ClientRegistration {
            client_name: m.client_name.clone(),
            client_uri: m.client_uri.clone(),
            logo_uri: m.logo_uri.clone(),
            tos_uri: m.tos_uri.clone(),
            policy_uri: m.policy_uri.clone(),
            contacts: m.contacts.clone(),
            initiate_login_uri: m.initiate_login_uri.clone(),
            configuration_uri: m.configuration_uri.clone(),
            redirect_uris: uris(&m.redirect_uris),
            post_logout_redirect_uris: uris(&m.post_logout_redirect_uris),
            backchannel_logout_uri: m
                .backchannel_logout_uri
                .as_ref()
                .map(|u| u.as_str().to_owned()),
            backchannel_logout_session_required: m.backchannel_logout_session_required,
            scope: m.scope.to_string(),
            pkce_required: Some(m.pkce_required),
            loopback_any_port: m.loopback_any_port,
            subject_type: Some(m.subject_type.as_str().to_owned()),
            access_token_format: Some(m.access_token_format.as_str().to_owned()),
        }
    }
}

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The metadata broke a registration rule; the error lists every field at fault.
    #[error(transparent)]
    Invalid(#[from] InvalidMetadata),
    /// No client with that id.
    #[error("no such client")]
    NotFound,
    /// The OS random number generator failed.
    #[error("random number generator failure")]
    Random,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why client authentication failed. The token endpoint answers `invalid_client` for every variant
/// (RFC 6749 §5.2); the variants exist for logs and metrics only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthenticateError {
    /// The client id is not a registered client.
    #[error("unknown client")]
    UnknownClient,
    /// The secret is malformed, of another kind, or does not match.
    #[error("wrong client secret")]
    WrongSecret,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client id and the digest of the secret presented with it, not yet checked against the client
/// (see [`ClientRegistry::presented`]). Holds no secret: the digest is all that is kept of it.
#[derive(Debug, Clone)]
pub struct PresentedClient {
    pub(crate) id: ClientId,
    /// `None` when the secret is not a well-formed client secret under a known key: it matches no
    /// client.
    pub(crate) digest: Option<Digest>,
}

impl PresentedClient {
    /// The client the credentials name.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// Whether these are `client`'s credentials: its id, and a secret whose digest equals the stored
    /// one (compared in constant time).
    pub fn matches(&self, client: &Client) -> bool {
        // `Digest`'s equality is constant-time.
        client.id == self.id && self.digest.as_ref() == Some(&client.secret_digest)
    }
}

/// The client registry over a [`ClientStore`].
#[derive(Debug, Clone)]
pub struct ClientRegistry<S> {
    store: S,
    keyring: Arc<DigestKeyring>,
}

impl<S: ClientStore + Sync> ClientRegistry<S> {
    /// A registry over `store`, digesting secrets with `keyring`.
    pub fn new(store: S, keyring: Arc<DigestKeyring>) -> Self {
        Self { store, keyring }
    }

    /// The store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Registers a client: validates the metadata (redirect URIs with `ostiary-redirect`), generates a UUID
    /// `client_id` and a 256-bit `client_secret`, stores only the secret's digest, and returns the secret —
    /// the only time it is ever available.
    pub async fn register(
        &self,
        registration: &ClientRegistration,
        now: UnixTime,
    ) -> Result<(Client, BearerSecret), RegistryError> {
        let metadata = validate::metadata(registration)?;
        let (secret, secret_digest) = self
            .keyring
            .mint(SecretKind::ClientSecret)
            .map_err(|_| RegistryError::Random)?;
        let client = Client {
            id: ClientId::new_random(),
            metadata: Arc::new(metadata),
            secret_digest,
            created_at: now,
            updated_at: now,
            secret_rotated_at: now,
        };
        self.store.insert_client(&client).await?;
        Ok((client, secret))
    }

    /// Authenticates a client by id and secret (RFC 6749 §2.3.1). The secret is digested and compared with
    /// the stored digest in constant time. Every failure looks the same to the caller's peer.
    pub async fn authenticate(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Client, AuthenticateError> {
        self.authenticate_presented(&self.presented(client_id, secret)?)
            .await
    }

    /// Authenticates credentials already digested by [`Self::presented`]: reads the client and
    /// checks them with [`PresentedClient::matches`].
    pub async fn authenticate_presented(
        &self,
        presented: &PresentedClient,
    ) -> Result<Client, AuthenticateError> {
        let client = self
            .store
            .get_client(presented.id)
            .await?
            .ok_or(AuthenticateError::UnknownClient)?;
        if presented.matches(&client) {
            Ok(client)
        } else {
            Err(AuthenticateError::WrongSecret)
        }
    }

    /// Client credentials checked as far as they can be without the client, the secret digested: for
    /// [`Self::authenticate_presented`], or for an operation that reads the client itself
    /// (see [`crate::TokenStore::refresh_grant`]) and then verifies them with
    /// [`PresentedClient::matches`]. `UnknownClient` if `client_id` is not a client id at all.
    pub fn presented(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<PresentedClient, AuthenticateError> {
        let id: ClientId = client_id
            .parse()
            .map_err(|_| AuthenticateError::UnknownClient)?;
        let digest = self.keyring.digest(SecretKind::ClientSecret, secret).ok();
        Ok(PresentedClient { id, digest })
    }

    /// The client with `id`.
    pub async fn get(&self, id: ClientId) -> Result<Option<Client>, RegistryError> {
        Ok(self.store.get_client(id).await?)
    }

    /// Replaces a client's metadata after validating it like a registration.
    pub async fn update(
        &self,
        id: ClientId,
        registration: &ClientRegistration,
        now: UnixTime,
    ) -> Result<Client, RegistryError> {
        let metadata = validate::metadata(registration)?;
        self.store
            .update_client_metadata(id, &metadata, now)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// Issues a new secret, replacing the old one at once, and returns it (the only time it is available).
    pub async fn rotate_secret(
        &self,
        id: ClientId,
        now: UnixTime,
    ) -> Result<BearerSecret, RegistryError> {
        let (secret, digest) = self
            .keyring
            .mint(SecretKind::ClientSecret)
            .map_err(|_| RegistryError::Random)?;
        if self.store.set_client_secret(id, digest, now).await? {
            Ok(secret)
        } else {
            Err(RegistryError::NotFound)
        }
    }

    /// Deletes a client and revokes everything it holds (see [`ClientStore::delete_client`]).
    pub async fn delete(&self, id: ClientId, now: UnixTime) -> Result<(), RegistryError> {
        if self.store.delete_client(id, now).await? {
            Ok(())
        } else {
            Err(RegistryError::NotFound)
        }
    }

    /// Clients in id order, a page at a time.
    pub async fn list(
        &self,
        filter: ClientFilter,
        after: Option<ClientId>,
        limit: usize,
    ) -> Result<Vec<Client>, RegistryError> {
        Ok(self.store.list_clients(filter, after, limit).await?)
    }
}
