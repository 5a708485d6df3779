//! Signing keys and digest keys.

use super::MemoryStore;
use crate::records::*;
use crate::traits::KeyStore;
use crate::{StoreError, StoreResult};

impl KeyStore for MemoryStore {
    async fn load_signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
        Ok(self.with(|s| s.signing_keys.clone()))
    }

    async fn swap_signing_keys(
        &self,
        expected_version: u64,
        keys: &[SigningKeyRecord],
    ) -> StoreResult<bool> {
        self.with(|s| {
            let (version, stored) = &mut s.signing_keys;
            if *version != expected_version {
                return Ok(false);
            }
            *version = version
                .checked_add(1)
                .ok_or(StoreError::Corrupt("signing key set version"))?;
            *stored = keys.to_vec();
            Ok(true)
        })
    }

    async fn load_digest_keys(&self) -> StoreResult<Vec<DigestKeyRecord>> {
        Ok(self.with(|s| s.digest_keys.values().cloned().collect()))
    }

    async fn insert_digest_key(&self, record: &DigestKeyRecord) -> StoreResult<()> {
        self.with(|s| {
            if s.digest_keys.contains_key(&record.material.id) {
                return Err(StoreError::Conflict("digest key id"));
            }
            if record.current {
                for key in s.digest_keys.values_mut() {
                    key.current = false;
                }
            }
            s.digest_keys.insert(record.material.id, record.clone());
            Ok(())
        })
    }
}
