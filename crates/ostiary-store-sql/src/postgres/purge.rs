//! Expiry housekeeping on PostgreSQL, in bounded batches.
//!
//! Each batch picks its rows by key in a `MATERIALIZED` CTE with `FOR UPDATE SKIP LOCKED` (instances
//! purging at the same time take different rows instead of queueing behind each other). Materializing
//! matters: as a plain `IN (subquery)` PostgreSQL may rescan the subquery for every outer row, and a
//! rescan skips the rows this very statement already changed, so the batch bound would not hold. The
//! predicate is repeated outside, so a row changed since the CTE's snapshot is re-checked.

use ostiary_store::records::UnixTime;
use ostiary_store::{Maintenance, PurgeReport, StoreResult};

use super::PostgresStore;
use crate::encode;
use crate::error::store_error;

impl Maintenance for PostgresStore {
    async fn purge_expired(
        &self,
        now: UnixTime,
        code_tombstone_secs: i64,
        batch: usize,
    ) -> StoreResult<PurgeReport> {
        let code_cutoff = now.saturating_sub(code_tombstone_secs.max(0));
        Ok(PurgeReport {
            codes: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT digest FROM codes WHERE expires_at < $1 \
                     LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     DELETE FROM codes c USING due WHERE c.digest = due.digest AND c.expires_at < $1",
                    code_cutoff,
                    batch,
                )
                .await?,
            access_tokens: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT digest FROM access_tokens WHERE expires_at < $1 \
                     LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     DELETE FROM access_tokens a USING due \
                     WHERE a.digest = due.digest AND a.expires_at < $1",
                    now,
                    batch,
                )
                .await?,
            refresh_tokens: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT digest FROM refresh_tokens WHERE expires_at < $1 \
                     LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     DELETE FROM refresh_tokens r USING due \
                     WHERE r.digest = due.digest AND r.expires_at < $1",
                    now,
                    batch,
                )
                .await?,
            // A token of an expired family is inactive, whatever its own expiry: the family goes
            // without waiting for its tokens (the token tables have no index on family_id).
            families: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT id FROM token_families WHERE expires_at < $1 \
                     LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     DELETE FROM token_families f USING due WHERE f.id = due.id AND f.expires_at < $1",
                    now,
                    batch,
                )
                .await?,
            sessions: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT id FROM sessions WHERE expires_at < $1 \
                     LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     DELETE FROM sessions s USING due WHERE s.id = due.id AND s.expires_at < $1",
                    now,
                    batch,
                )
                .await?,
            org_authorizations_failed: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT id FROM org_authorizations \
                     WHERE state = 'pending' AND pending_expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     UPDATE org_authorizations o SET state = 'failed', failed_by_type = 'system', \
                     failed_by_id = NULL, failed_at = $1 FROM due \
                     WHERE o.id = due.id AND o.state = 'pending' AND o.pending_expires_at <= $1",
                    now,
                    batch,
                )
                .await?,
            sealed_retries_cleared: self
                .purge(
                    "WITH due AS MATERIALIZED (SELECT digest FROM refresh_tokens \
                     WHERE sealed_retry IS NOT NULL AND retry_until < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     UPDATE refresh_tokens r SET sealed_retry = NULL FROM due \
                     WHERE r.digest = due.digest AND r.sealed_retry IS NOT NULL AND r.retry_until < $1",
                    now,
                    batch,
                )
                .await?,
        })
    }
}

impl PostgresStore {
    /// Runs one batch statement with `$1` = the cut-off time and `$2` = the batch size.
    async fn purge(&self, sql: &'static str, cutoff: UnixTime, batch: usize) -> StoreResult<u64> {
        let done = sqlx::query(sql)
            .bind(cutoff)
            .bind(encode::limit(batch))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected())
    }
}
