//! Signing keys and digest keys: loaded from the store, bootstrapped on first start, rotated on demand.
//!
//! The signing key set lives in the store (so every instance sharing a database signs with the same key
//! and publishes the same JWKS) and is cached here behind an `Arc` that is swapped on change: the token
//! endpoint reads it with one uncontended lock and an `Arc` clone.

use std::sync::{Arc, RwLock};

use ostiary_jose::{
    Algorithm, KeySet, KeyState, ManagedKey, RotationPolicy, RotationReport, SigningKey,
};
use ostiary_store::{
    DigestKeyMaterial, DigestKeyRecord, DigestKeyring, KeyStore, SigningKeyRecord, SigningKeyState,
    StoreError,
};

/// Why keys could not be loaded, created or rotated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyManagementError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored signing key could not be read (unknown algorithm, bad DER, inconsistent states).
    #[error("stored signing keys are invalid: {0}")]
    InvalidStoredKeys(&'static str),
    /// Creating a key failed.
    #[error("creating a signing key failed")]
    Create(#[source] ostiary_jose::KeySetError),
    /// Building the digest keyring failed.
    #[error("stored digest keys are invalid")]
    DigestKeys(#[from] ostiary_store::KeyringError),
    /// The OS random number generator failed.
    #[error("random number generator failure")]
    Random,
    /// [`import_first_signing_key`] found keys already stored.
    #[error(
        "the store already has signing keys: a key can only be imported before the first start"
    )]
    AlreadyHasKeys,
    /// Another instance kept changing the keys while this one tried to.
    #[error("the signing keys changed concurrently too often; try again")]
    Contended,
}

/// The cached signing key set and its store version.
#[derive(Debug)]
pub(crate) struct SigningKeys {
    current: RwLock<(u64, Arc<KeySet>)>,
}

impl SigningKeys {
    /// The key set to sign and verify with now.
    pub(crate) fn get(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard.1),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().1),
        }
    }

    fn set(&self, version: u64, keys: KeySet) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Never go back to an older version (a slow reload racing a rotation).
        if version >= guard.0 {
            *guard = (version, Arc::new(keys));
        }
    }

    /// Loads the key set from the store, creating it (an active and a next key of `alg`) on first start.
    pub(crate) async fn open<S: KeyStore + Sync>(
        store: &S,
        alg: Algorithm,
        now: i64,
    ) -> Result<(Self, bool), KeyManagementError> {
        for _ in 0..5 {
            let (version, records) = store.load_signing_keys().await?;
            if !records.is_empty() {
                let set = from_records(&records)?;
                return Ok((
                    Self {
                        current: RwLock::new((version, Arc::new(set))),
                    },
                    false,
                ));
            }
            let set = KeySet::bootstrap(now, || SigningKey::generate(alg))
                .map_err(KeyManagementError::Create)?;
            if store.swap_signing_keys(version, &to_records(&set)).await? {
                return Ok((
                    Self {
                        current: RwLock::new((version + 1, Arc::new(set))),
                    },
                    true,
                ));
            }
            // Another instance bootstrapped first: load theirs.
        }
        Err(KeyManagementError::Contended)
    }

    /// Re-reads the key set from the store (another instance may have rotated it).
    pub(crate) async fn reload<S: KeyStore + Sync>(
        &self,
        store: &S,
    ) -> Result<(), KeyManagementError> {
        let (version, records) = store.load_signing_keys().await?;
        if !records.is_empty() {
            self.set(version, from_records(&records)?);
        }
        Ok(())
    }

    /// Rotates the key set per `policy` (see [`KeySet::rotate`]) and saves it with compare-and-swap,
    /// retrying on a concurrent change.
    /// `new_key` makes the key that enters as the next key when the rotation needs one.
    pub(crate) async fn rotate<S: KeyStore + Sync>(
        &self,
        store: &S,
        new_key: &(dyn Fn() -> Result<SigningKey, ostiary_jose::KeyError> + Sync),
        policy: &RotationPolicy,
        now: i64,
    ) -> Result<RotationReport, KeyManagementError> {
        for _ in 0..5 {
            let (version, records) = store.load_signing_keys().await?;
            let mut set = from_records(&records)?;
            let report = set
                .rotate(now, policy, new_key)
                .map_err(KeyManagementError::Create)?;
            if !report.changed() {
                self.set(version, set);
                return Ok(report);
            }
            if store.swap_signing_keys(version, &to_records(&set)).await? {
                self.set(version + 1, set);
                return Ok(report);
            }
        }
        Err(KeyManagementError::Contended)
    }
}

/// Saves `key` as the only, active signing key of a store that has none yet: how an RS256 deployment
/// starts, since ring cannot generate RSA keys. [`crate::Provider::open`] then loads it instead of
/// generating keys; rotate later with [`crate::Provider::rotate_keys_with`].
pub async fn import_first_signing_key<S: KeyStore + Sync>(
    store: &S,
    key: SigningKey,
    now: i64,
) -> Result<KeySet, KeyManagementError> {
    let (version, existing) = store.load_signing_keys().await?;
    if !existing.is_empty() {
        return Err(KeyManagementError::AlreadyHasKeys);
    }
    let set = KeySet::single(key, now);
    if store.swap_signing_keys(version, &to_records(&set)).await? {
        Ok(set)
    } else {
        // Another process created keys between the load and the swap.
        Err(KeyManagementError::AlreadyHasKeys)
    }
}

fn from_records(records: &[SigningKeyRecord]) -> Result<KeySet, KeyManagementError> {
    let mut keys = Vec::with_capacity(records.len());
    for record in records {
        let alg = Algorithm::from_name(&record.alg)
            .ok_or(KeyManagementError::InvalidStoredKeys("unknown algorithm"))?;
        let key = SigningKey::from_der(alg, &record.private_der)
            .map_err(|_| KeyManagementError::InvalidStoredKeys("undecodable private key"))?;
        if key.kid() != record.kid {
            return Err(KeyManagementError::InvalidStoredKeys(
                "kid does not match the key",
            ));
        }
        let state = match record.state {
            SigningKeyState::Next => KeyState::Next,
            SigningKeyState::Active => KeyState::Active,
            _ => KeyState::Retired,
        };
        keys.push(ManagedKey {
            key,
            state,
            published_at: record.published_at,
            activated_at: record.activated_at,
            retired_at: record.retired_at,
        });
    }
    KeySet::from_keys(keys)
        .map_err(|_| KeyManagementError::InvalidStoredKeys("inconsistent key states"))
}

fn to_records(set: &KeySet) -> Vec<SigningKeyRecord> {
    set.keys()
        .map(|managed| SigningKeyRecord {
            kid: managed.kid().to_owned(),
            alg: managed.key.alg().as_str().to_owned(),
            private_der: managed.key.to_der(),
            state: match managed.state {
                KeyState::Next => SigningKeyState::Next,
                KeyState::Active => SigningKeyState::Active,
                _ => SigningKeyState::Retired,
            },
            published_at: managed.published_at,
            activated_at: managed.activated_at,
            retired_at: managed.retired_at,
        })
        .collect()
}

/// Loads the digest keyring, creating the first digest key on first start.
pub(crate) async fn open_digest_keyring<S: KeyStore + Sync>(
    store: &S,
    now: i64,
) -> Result<(DigestKeyring, bool), KeyManagementError> {
    for _ in 0..5 {
        let records = store.load_digest_keys().await?;
        if let Some(current) = records.iter().find(|r| r.current) {
            let current_id = current.material.id;
            let ring = DigestKeyring::new(records.into_iter().map(|r| r.material), current_id)?;
            return Ok((ring, false));
        }
        let material = DigestKeyMaterial::generate(1).map_err(|_| KeyManagementError::Random)?;
        let record = DigestKeyRecord {
            material,
            current: true,
            created_at: now,
        };
        match store.insert_digest_key(&record).await {
            Ok(()) => {
                let ring = DigestKeyring::new([record.material], 1)?;
                return Ok((ring, true));
            }
            // Another instance created it first: load theirs.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(KeyManagementError::Contended)
}
