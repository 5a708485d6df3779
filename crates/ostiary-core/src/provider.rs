//! [`Provider`]: the protocol engine, holding the store, the keys and the configuration.

use std::sync::Arc;

use ostiary_jose::{KeySet, RotationPolicy, RotationReport, SigningKey};
use ostiary_store::{BearerSecret, ClientRegistry, Digest, DigestKeyring, SecretKind, Store};

use crate::clock::Clock;
use crate::config::{ConfigError, CoreConfig};
use crate::discovery::Discovery;
use crate::keys::{self, KeyManagementError, SigningKeys};
use crate::password::{PasswordError, PasswordHasher};

/// Why the provider could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Keys could not be loaded or created.
    #[error(transparent)]
    Keys(#[from] KeyManagementError),
    /// The password hasher could not be built.
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// What [`Provider::open`] did, for the server's first log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Startup {
    /// A new signing key set was created (first start).
    pub created_signing_keys: bool,
    /// A new digest key was created (first start).
    pub created_digest_key: bool,
}

/// The OAuth 2.0 / OpenID Connect protocol engine. Cheap to clone; share one per process.
pub struct Provider<S> {
    pub(crate) inner: Arc<Inner<S>>,
}

impl<S> Clone for Provider<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> std::fmt::Debug for Provider<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.inner.config.issuer)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner<S> {
    pub(crate) store: S,
    pub(crate) config: CoreConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) digests: Arc<DigestKeyring>,
    pub(crate) keys: SigningKeys,
    pub(crate) registry: ClientRegistry<S>,
    pub(crate) passwords: PasswordHasher,
    pub(crate) discovery: Discovery,
    pub(crate) rng: ring::rand::SystemRandom,
}

impl<S: Store> Provider<S> {
    /// Starts the engine over `store`: validates the configuration, loads the digest and signing keys
    /// (creating them on first start) and prepares the discovery documents.
    pub async fn open(
        store: S,
        config: CoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, Startup), SetupError> {
        config.lifetimes.validate()?;
        let now = clock.now();
        let (digests, created_digest_key) = keys::open_digest_keyring(&store, now).await?;
        let digests = Arc::new(digests);
        let (keys, created_signing_keys) =
            SigningKeys::open(&store, config.signing_alg, now).await?;
        let passwords = PasswordHasher::new(config.password_cost, config.password_concurrency)?;
        let discovery = Discovery::new(&config);
        let registry = ClientRegistry::new(store.clone(), Arc::clone(&digests));
        let inner = Inner {
            store,
            config,
            clock,
            digests,
            keys,
            registry,
            passwords,
            discovery,
            rng: ring::rand::SystemRandom::new(),
        };
        Ok((
            Self {
                inner: Arc::new(inner),
            },
            Startup {
                created_signing_keys,
                created_digest_key,
            },
        ))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &CoreConfig {
        &self.inner.config
    }

    /// The client registry (registration, authentication, secret rotation).
    pub fn registry(&self) -> &ClientRegistry<S> {
        &self.inner.registry
    }

    /// The password hasher (for creating users and setting passwords).
    pub fn passwords(&self) -> &PasswordHasher {
        &self.inner.passwords
    }

    /// The current signing key set.
    pub fn key_set(&self) -> Arc<KeySet> {
        self.inner.keys.get()
    }

    /// The JWKS document (RFC 7517) with the public keys of every published key.
    pub fn jwks_json(&self) -> String {
        self.inner.keys.get().jwks_json().to_owned()
    }

    /// The same JWKS document without a copy: it shares the current key set's serialized document
    /// (for example as the body of a response, with `bytes::Bytes::from_owner`).
    pub fn jwks_document(&self) -> JwksDocument {
        JwksDocument(self.inner.keys.get())
    }

    /// Re-reads the signing keys from the store: call periodically when several instances share a store.
    pub async fn reload_keys(&self) -> Result<(), KeyManagementError> {
        self.inner.keys.reload(&self.inner.store).await
    }

    /// Rotates the signing keys per `policy` (next → active → retired → dropped) and saves them. New keys
    /// are generated with the configured algorithm; ring cannot generate RSA keys, so with RS256 use
    /// [`Provider::rotate_keys_with`].
    pub async fn rotate_keys(
        &self,
        policy: &RotationPolicy,
    ) -> Result<RotationReport, KeyManagementError> {
        let alg = self.inner.config.signing_alg;
        let now = self.now();
        self.inner
            .keys
            .rotate(
                &self.inner.store,
                &|| SigningKey::generate(alg),
                policy,
                now,
            )
            .await
    }

    /// Rotates the signing keys per `policy`, using `key` (for example an imported RSA key) as the new next
    /// key if the rotation needs one. A rotation that needs no new key leaves `key` unused: the report says
    /// whether it was created.
    pub async fn rotate_keys_with(
        &self,
        policy: &RotationPolicy,
        key: SigningKey,
    ) -> Result<RotationReport, KeyManagementError> {
        let now = self.now();
        self.inner
            .keys
            .rotate(&self.inner.store, &|| Ok(key.clone()), policy, now)
            .await
    }
}

impl<S> Provider<S> {
    /// The current time per the engine's clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The keyed digest of a presented secret of `kind`, or `None` if it is malformed, of another kind, or
    /// made under an unknown digest key.
    pub(crate) fn digest(&self, kind: SecretKind, presented: &str) -> Option<Digest> {
        self.inner.digests.digest(kind, presented).ok()
    }

    /// Mints a new secret of `kind`.
    pub(crate) fn mint(&self, kind: SecretKind) -> Option<(BearerSecret, Digest)> {
        self.inner.digests.mint(kind).ok()
    }

    pub(crate) fn issuer(&self) -> &str {
        self.inner.config.issuer.as_str()
    }
}

/// The JWKS document of one key set (see [`Provider::jwks_document`]): its bytes, shared with the key
/// set that serialized them.
#[derive(Clone)]
pub struct JwksDocument(Arc<KeySet>);

impl AsRef<[u8]> for JwksDocument {
    fn as_ref(&self) -> &[u8] {
        self.0.jwks_json().as_bytes()
    }
}

impl AsRef<str> for JwksDocument {
    fn as_ref(&self) -> &str {
        self.0.jwks_json()
    }
}

impl std::fmt::Debug for JwksDocument {
    /// The document's length only: the key set it shares also holds the private keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksDocument")
            .field("len", &self.0.jwks_json().len())
            .finish()
    }
}
