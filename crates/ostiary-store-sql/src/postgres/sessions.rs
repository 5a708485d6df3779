//! Browser sessions and the back-channel logout outbox on PostgreSQL.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, Digest, EndedSession, LogoutOutbox, OutboxId, SessionId, SessionStore, StoreResult,
    UserId,
};
use sqlx::PgExecutor;
use sqlx::postgres::PgConnection;

use super::{PostgresStore, paged};
use crate::columns::*;
use crate::decode::{self, Cols};
use crate::error::{is_foreign_key_violation, store_error};
use crate::logic::SignedInRows;
use crate::{encode, logic};

const SESSION_BY_ID: &str = concat!(
    "SELECT ",
    session_cols!(),
    " FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id WHERE s.id = $1 ORDER BY sc.seq"
);

const INSERT_OUTBOX: &str = concat!(
    "INSERT INTO logout_outbox (",
    outbox_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);

async fn insert_outbox(conn: &mut PgConnection, entry: &OutboxEntry) -> StoreResult<()> {
    sqlx::query(INSERT_OUTBOX)
        .bind(entry.id.as_uuid())
        .bind(entry.client_id.as_uuid())
        .bind(&entry.backchannel_logout_uri)
        .bind(entry.claims.sub.map(|s| *s.as_uuid()))
        .bind(entry.claims.sid.map(|s| *s.as_uuid()))
        .bind(&entry.claims.jti)
        .bind(i64::from(entry.attempts))
        .bind(entry.next_attempt_at)
        .bind(entry.outcome.as_str())
        .bind(entry.last_error.as_deref())
        .bind(entry.created_at)
        .bind(entry.finished_at)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

async fn session_by_id(
    executor: impl PgExecutor<'_>,
    id: SessionId,
) -> StoreResult<Option<Session>> {
    let rows = sqlx::query(SESSION_BY_ID)
        .bind(id.as_uuid())
        .fetch_all(executor)
        .await
        .map_err(store_error)?;
    decode::session(&rows)
}

impl SessionStore for PostgresStore {
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, cookie_digest, user_id, auth_time, amr, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(session.id.as_uuid())
        .bind(session.cookie_digest.as_bytes().as_slice())
        .bind(session.user_id.as_uuid())
        .bind(session.auth_time)
        .bind(encode::amr(&session.amr)?)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        for client in &session.clients {
            sqlx::query(
                "INSERT INTO session_clients (session_id, client_id) VALUES ($1, $2) \
                 ON CONFLICT (session_id, client_id) DO NOTHING",
            )
            .bind(session.id.as_uuid())
            .bind(client.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn get_session_by_cookie(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id \
             WHERE s.cookie_digest = $1 AND s.expires_at > $2 ORDER BY sc.seq"
        ))
        .bind(cookie_digest.as_bytes().as_slice())
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        decode::session(&rows)
    }

    async fn get_signed_in(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
        consent_for: Option<ClientId>,
    ) -> StoreResult<Option<SignedIn>> {
        let rows = sqlx::query(logic::SIGNED_IN)
            .bind(cookie_digest.as_bytes().as_slice())
            .bind(now)
            .bind(consent_for.map(|c| *c.as_uuid()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let mut gathered = SignedInRows::new(consent_for);
        for row in &rows {
            gathered.push(row)?;
        }
        Ok(gathered.finish())
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>> {
        session_by_id(&self.pool, id).await
    }

    async fn reauthenticate_session(
        &self,
        id: SessionId,
        cookie_digest: Digest,
        auth_time: UnixTime,
        amr: &[String],
        expires_at: UnixTime,
    ) -> StoreResult<bool> {
        // One statement. Its row lock orders it against end_session (which then deletes the
        // re-authenticated session, or has deleted it and this matches nothing) and against other
        // re-authentications (each waits, then overwrites the whole set of columns: the last one wins).
        // The unique index on cookie_digest refuses another session's cookie.
        let done = sqlx::query(
            "UPDATE sessions SET cookie_digest = $2, auth_time = $3, amr = $4, expires_at = $5 \
             WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(cookie_digest.as_bytes().as_slice())
        .bind(auth_time)
        .bind(encode::amr(amr)?)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn add_session_client(&self, id: SessionId, client: ClientId) -> StoreResult<bool> {
        // The foreign key refuses a client for a session that is gone.
        let result = sqlx::query(
            "INSERT INTO session_clients (session_id, client_id) VALUES ($1, $2) \
             ON CONFLICT (session_id, client_id) DO NOTHING",
        )
        .bind(id.as_uuid())
        .bind(client.as_uuid())
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_foreign_key_violation(&e) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn end_session(&self, id: SessionId, now: UnixTime) -> StoreResult<Option<EndedSession>> {
        let mut tx = self.begin().await?;
        // The session's row lock decides the race: a second end_session waits here, then finds the row
        // deleted and returns None. It also waits out add_session_client (whose foreign-key check holds
        // a KEY SHARE lock), so the client list read next, in a new snapshot, is complete, and
        // create_family (whose session check holds a KEY SHARE lock until it commits), so the revocation
        // below, in a new snapshot, sees every family created in the session; a create_family that
        // comes after this lock waits for our commit and then finds the session gone.
        let locked = sqlx::query("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE")
            .bind(*id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        if locked.is_none() {
            tx.rollback().await.map_err(store_error)?;
            return Ok(None);
        }
        let Some(session) = session_by_id(&mut *tx, id).await? else {
            return Ok(None);
        };
        let targets = sqlx::query(
            "SELECT c.id AS id, c.backchannel_logout_uri AS uri FROM session_clients sc \
             JOIN clients c ON c.id = sc.client_id \
             WHERE sc.session_id = $1 AND c.backchannel_logout_uri IS NOT NULL ORDER BY sc.seq",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        let revoked = sqlx::query(
            "UPDATE token_families SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
        )
        .bind(id.as_uuid())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let mut notifications = Vec::with_capacity(targets.len());
        for row in &targets {
            let client = ClientId::from_uuid(row.uuid("id")?);
            let uri = row.text("uri")?;
            let entry = logic::logout_entry(&session, client, uri, now);
            insert_outbox(&mut tx, &entry).await?;
            notifications.push(entry);
        }
        tx.commit().await.map_err(store_error)?;
        Ok(Some(EndedSession {
            session,
            families_revoked: revoked.rows_affected(),
            notifications,
        }))
    }

    async fn list_sessions_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id \
             WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.created_at, s.id, sc.seq"
        ))
        .bind(user.as_uuid())
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        decode::sessions(&rows)
    }
}

impl LogoutOutbox for PostgresStore {
    async fn enqueue_logouts(&self, entries: &[OutboxEntry]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for entry in entries {
            insert_outbox(&mut tx, entry).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn claim_due_logouts(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        // SKIP LOCKED: workers on other instances claim other entries instead of waiting for these; an
        // entry another claim moved since our snapshot is re-checked (next_attempt_at) when locked. The
        // CTE is materialized so the batch is picked once (see `purge.rs`).
        let rows = sqlx::query(concat!(
            "WITH due AS MATERIALIZED (SELECT id AS due_id, next_attempt_at AS due_at \
               FROM logout_outbox WHERE outcome = 'pending' AND next_attempt_at <= $1 \
               ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE logout_outbox o SET next_attempt_at = $2, attempts = o.attempts + 1 FROM due \
             WHERE o.id = due.due_id RETURNING due.due_at, ",
            outbox_cols!()
        ))
        .bind(now)
        .bind(lease_until)
        .bind(encode::limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        // Longest due first: RETURNING promises no order, so sort on the values before the claim.
        let mut claimed = rows
            .iter()
            .map(|r| Ok((r.i64("due_at")?, decode::outbox(r)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|(due_at, e)| (*due_at, e.id));
        Ok(claimed.into_iter().map(|(_, e)| e).collect())
    }

    async fn record_logout_attempt(
        &self,
        id: OutboxId,
        result: &AttemptResult,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (outcome, next_attempt_at, last_error, finished) = encode::attempt(result)?;
        let done = sqlx::query(
            "UPDATE logout_outbox SET outcome = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
             last_error = COALESCE($4, last_error), finished_at = $5 \
             WHERE id = $1 AND outcome = 'pending'",
        )
        .bind(id.as_uuid())
        .bind(outcome)
        .bind(next_attempt_at)
        .bind(last_error)
        .bind(finished.then_some(now))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn get_logout(&self, id: OutboxId) -> StoreResult<Option<OutboxEntry>> {
        sqlx::query(concat!(
            "SELECT ",
            outbox_cols!(),
            " FROM logout_outbox WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::outbox(&r))
        .transpose()
    }

    async fn list_logouts(
        &self,
        client: Option<ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let sql = if client.is_some() {
            concat!(
                "SELECT ",
                outbox_cols!(),
                " FROM logout_outbox WHERE client_id = $2 ORDER BY created_at DESC, id DESC LIMIT $1"
            )
        } else {
            concat!(
                "SELECT ",
                outbox_cols!(),
                " FROM logout_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
            )
        };
        paged(sql, limit, client.map(|c| *c.as_uuid()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .iter()
            .map(decode::outbox)
            .collect()
    }
}
