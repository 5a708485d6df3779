//! Signing keys and digest keys on SQLite.

use ostiary_store::records::*;
use ostiary_store::{KeyStore, StoreResult};
use rusqlite::Connection;

use super::SqliteStore;
use super::conn::transaction;
use super::sql::{execute, for_each, query_all};
use crate::decode;
use crate::keys::{
    INSERT_DIGEST_KEY, INSERT_SIGNING_KEY, LOAD_DIGEST_KEYS, LOAD_SIGNING_KEYS, SigningKeyRows,
};

/// The compare-and-swap of the key set: nothing changes unless the version is still `expected`.
fn swap(conn: &Connection, expected: i64, keys: &[SigningKeyRecord]) -> StoreResult<bool> {
    transaction(conn, |conn| {
        let swapped = execute(
            conn,
            "UPDATE signing_key_set SET version = version + 1 WHERE id = 1 AND version = $1",
            &[&expected],
        )?;
        if swapped == 0 {
            return Ok(false);
        }
        execute(conn, "DELETE FROM signing_keys", &[])?;
        for (position, key) in (0_i64..).zip(keys) {
            execute(
                conn,
                INSERT_SIGNING_KEY,
                rusqlite::params![
                    position,
                    key.kid,
                    key.alg,
                    key.private_der.as_slice(),
                    key.state.as_str(),
                    key.published_at,
                    key.activated_at,
                    key.retired_at,
                ],
            )?;
        }
        Ok(true)
    })
}

impl KeyStore for SqliteStore {
    async fn load_signing_keys(&self) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
        // One statement, so the version and the keys come from one snapshot.
        self.read(|conn| {
            let mut set = SigningKeyRows::default();
            for_each(conn, LOAD_SIGNING_KEYS, &[], |row| set.push(row))?;
            Ok(set.finish())
        })
    }

    async fn swap_signing_keys(
        &self,
        expected_version: u64,
        keys: &[SigningKeyRecord],
    ) -> StoreResult<bool> {
        let Ok(expected) = i64::try_from(expected_version) else {
            return Ok(false);
        };
        let keys = keys.to_vec();
        self.write(move |conn| swap(conn, expected, &keys)).await
    }

    async fn load_digest_keys(&self) -> StoreResult<Vec<DigestKeyRecord>> {
        self.read(|conn| query_all(conn, LOAD_DIGEST_KEYS, &[], |r| decode::digest_key(r)))
    }

    async fn insert_digest_key(&self, record: &DigestKeyRecord) -> StoreResult<()> {
        let id = i64::from(record.material.id);
        let bytes = record.material.bytes.clone();
        let (current, created_at) = (record.current, record.created_at);
        self.write(move |conn| {
            transaction(conn, |conn| {
                if current {
                    execute(
                        conn,
                        "UPDATE digest_keys SET current = 0 WHERE current = 1",
                        &[],
                    )?;
                }
                execute(
                    conn,
                    INSERT_DIGEST_KEY,
                    rusqlite::params![id, bytes.as_slice(), current, created_at],
                )?;
                Ok(())
            })
        })
        .await
    }
}
