//! Signing keys and digest keys on SQLite.

use ostiary_store::records::*;
use ostiary_store::{KeyStore, StoreResult};

use super::SqliteStore;
use crate::decode;
use crate::error::store_error;
use crate::keys::{INSERT_DIGEST_KEY, INSERT_SIGNING_KEY, LOAD_DIGEST_KEYS, LOAD_SIGNING_KEYS};

impl KeyStore for SqliteStore {
    async fn load_signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
        // One statement, so the version and the keys come from one snapshot.
        let rows = sqlx::query(LOAD_SIGNING_KEYS)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        crate::keys::signing_key_set(&rows)
    }

    async fn swap_signing_keys(
        &self,
        expected_version: u64,
        keys: &[SigningKeyRecord],
    ) -> StoreResult<bool> {
        let Ok(expected) = i64::try_from(expected_version) else {
            return Ok(false);
        };
        let mut tx = self.begin().await?;
        let swapped = sqlx::query(
            "UPDATE signing_key_set SET version = version + 1 WHERE id = 1 AND version = $1",
        )
        .bind(expected)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if swapped.rows_affected() == 0 {
            tx.rollback().await.map_err(store_error)?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM signing_keys")
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        for (position, key) in (0_i64..).zip(keys) {
            sqlx::query(INSERT_SIGNING_KEY)
                .bind(position)
                .bind(&key.kid)
                .bind(&key.alg)
                .bind(key.private_der.as_slice())
                .bind(key.state.as_str())
                .bind(key.published_at)
                .bind(key.activated_at)
                .bind(key.retired_at)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn load_digest_keys(&self) -> StoreResult<Vec<DigestKeyRecord>> {
        sqlx::query(LOAD_DIGEST_KEYS)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?
            .iter()
            .map(decode::digest_key)
            .collect()
    }

    async fn insert_digest_key(&self, record: &DigestKeyRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if record.current {
            sqlx::query("UPDATE digest_keys SET current = 0 WHERE current = 1")
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        sqlx::query(INSERT_DIGEST_KEY)
            .bind(i64::from(record.material.id))
            .bind(record.material.bytes.as_slice())
            .bind(record.current)
            .bind(record.created_at)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }
}
