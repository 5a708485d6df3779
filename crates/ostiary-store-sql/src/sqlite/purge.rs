//! Expiry housekeeping on SQLite, in bounded batches so the writer is never held for long.

use ostiary_store::records::UnixTime;
use ostiary_store::{Maintenance, PurgeReport, StoreResult};

use super::SqliteStore;
use super::sql::execute;
use crate::encode;

impl Maintenance for SqliteStore {
    async fn purge_expired(
        &self,
        now: UnixTime,
        code_tombstone_secs: i64,
        batch: usize,
    ) -> StoreResult<PurgeReport> {
        let code_cutoff = now.saturating_sub(code_tombstone_secs.max(0));
        // Each statement is its own short write transaction: other writers interleave between them.
        Ok(PurgeReport {
            codes: self
                .purge(
                    "DELETE FROM codes WHERE rowid IN \
                     (SELECT rowid FROM codes WHERE expires_at < $1 LIMIT $2)",
                    code_cutoff,
                    batch,
                )
                .await?,
            access_tokens: self
                .purge(
                    "DELETE FROM access_tokens WHERE rowid IN \
                     (SELECT rowid FROM access_tokens WHERE expires_at < $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?,
            refresh_tokens: self
                .purge(
                    "DELETE FROM refresh_tokens WHERE rowid IN \
                     (SELECT rowid FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?,
            // A token of an expired family is inactive, whatever its own expiry: the family goes
            // without waiting for its tokens (the token tables have no index on family_id).
            families: self
                .purge(
                    "DELETE FROM token_families WHERE rowid IN \
                     (SELECT rowid FROM token_families WHERE expires_at < $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?,
            sessions: self
                .purge(
                    "DELETE FROM sessions WHERE rowid IN \
                     (SELECT rowid FROM sessions WHERE expires_at < $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?,
            org_authorizations_failed: self
                .purge(
                    "UPDATE org_authorizations SET state = 'failed', failed_by_type = 'system', \
                     failed_by_id = NULL, failed_at = $1 WHERE rowid IN \
                     (SELECT rowid FROM org_authorizations \
                      WHERE state = 'pending' AND pending_expires_at <= $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?,
            sealed_retries_cleared: self
                .purge(
                    "UPDATE refresh_tokens SET sealed_retry = NULL WHERE rowid IN \
                     (SELECT rowid FROM refresh_tokens \
                      WHERE sealed_retry IS NOT NULL AND retry_until < $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?,
        })
    }
}

impl SqliteStore {
    /// Runs one batch statement with `$1` = the cut-off time and `$2` = the batch size.
    async fn purge(&self, sql: &'static str, cutoff: UnixTime, batch: usize) -> StoreResult<u64> {
        let batch = encode::limit(batch);
        self.write(move |conn| execute(conn, sql, &[&cutoff, &batch]))
            .await
    }
}
