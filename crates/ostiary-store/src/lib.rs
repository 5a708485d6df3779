//! Ostiary's storage layer: the domain records, the storage traits the protocol core is written against,
//! the client registry, the keyed digests of bearer secrets, and an in-memory backend.
//!
//! # What is here
//!
//! - [`records`]: clients with their full metadata, users, organizations and memberships, browser
//!   sessions, authorization codes, token families with their access and refresh tokens, consents,
//!   organization authorizations, the back-channel logout outbox, signing and digest keys.
//! - [`traits`]: async traits grouped by concern ([`ClientStore`], [`CodeStore`], [`TokenStore`], …)
//!   composed into [`Store`], the one type `ostiary-core` takes. The operations the protocol needs to be
//!   atomic — [`CodeStore::consume_code`], [`TokenStore::create_family`] (which refuses a grant whose
//!   code was replayed, whose session ended or whose organization authorization is no longer active),
//!   [`TokenStore::rotate_refresh`], the revocations, [`SessionStore::end_session`],
//!   [`SessionStore::reauthenticate_session`] — say so and are one statement or one transaction in
//!   every backend.
//! - [`ClientRegistry`]: registration validated with `ostiary-redirect`, a UUID `client_id` and a 256-bit
//!   `client_secret` returned exactly once, constant-time authentication, secret rotation, deletion that
//!   revokes everything the client holds. [`PresentedClient`] is a request's credentials digested
//!   without the store, for the grants whose store operation reads the client itself
//!   ([`CodeStore::exchange_code`] authenticates before it touches the code,
//!   [`TokenStore::refresh_grant`] hands the token's client to the caller's check).
//! - [`secret`]: bearer secrets (codes, tokens, client secrets, session cookies) minted from the OS CSPRNG
//!   and stored only as HMAC-SHA-256 digests under a rotatable digest key.
//! - [`memory::MemoryStore`]: the in-memory backend, for tests, embedding and benchmarks.
//! - `testing` (feature `testing`): the conformance suite every backend runs.
//!
//! # What is not here
//!
//! No SQL (see `ostiary-store-sql`), no protocol rules beyond what atomicity requires (see `ostiary-core`),
//! no JOSE: signing keys are stored as DER bytes and interpreted by `ostiary-jose` in the server.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use ostiary_store::{ClientRegistration, ClientRegistry, DigestKeyMaterial, DigestKeyring};
//! use ostiary_store::memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keyring = Arc::new(DigestKeyring::new([DigestKeyMaterial::generate(1).map_err(|_| "no randomness")?], 1)?);
//! let registry = ClientRegistry::new(MemoryStore::new(), keyring);
//! let registration = ClientRegistration {
//!     client_name: "Acme Books".into(),
//!     redirect_uris: vec!["https://acme.example/callback".into()],
//!     scope: "openid profile".into(),
//!     ..ClientRegistration::default()
//! };
//! let (client, secret) = registry.register(&registration, 1_700_000_000).await?;
//! // The secret is shown once; only its digest is stored.
//! let authenticated = registry.authenticate(&client.id.to_string(), secret.expose_secret()).await?;
//! assert_eq!(authenticated.id, client.id);
//! assert!(registry.authenticate(&client.id.to_string(), "ocs_1_wrong").await.is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod error;
mod ids;
pub mod memory;
pub mod records;
mod registry;
mod scope;
pub mod secret;
pub mod traits;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{StoreError, StoreResult};
pub use ids::{
    ClientId, FamilyId, InvalidId, OrgAuthorizationId, OrganizationId, OutboxId, SessionId, UserId,
};
pub use records::*;
pub use registry::{
    AuthenticateError, ClientRegistration, ClientRegistry, FieldError, InvalidMetadata,
    MAX_CLIENT_NAME_CHARS, MAX_CONTACT_LEN, MAX_CONTACTS, MAX_REDIRECT_URIS, PresentedClient,
    RegistryError,
};
pub use scope::{MAX_SCOPE_TOKEN_LEN, MAX_SCOPE_TOKENS, ScopeError, ScopeSet};
pub use secret::{
    BearerSecret, Digest, DigestKeyMaterial, DigestKeyring, KeyringError, SecretFormatError,
    SecretKind,
};
pub use traits::*;
