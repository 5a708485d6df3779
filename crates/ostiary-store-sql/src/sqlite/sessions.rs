//! Browser sessions and the back-channel logout outbox on SQLite.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, Digest, EndedSession, LogoutOutbox, OutboxId, SessionId, SessionStore, StoreError,
    StoreResult, UserId,
};
use rusqlite::Connection;

use super::SqliteStore;
use super::conn::transaction;
use super::sql::{Params, execute, for_each, id, paged, query_all};
use crate::columns::*;
use crate::decode::{self, Cols, SessionRows};
use crate::error::SQLITE_FOREIGN_KEY;
use crate::logic::SignedInRows;
use crate::{encode, logic};

const SESSION_BY_ID: &str = concat!(
    "SELECT ",
    session_cols!(),
    " FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id WHERE s.id = $1 ORDER BY sc.seq"
);

const SESSION_BY_COOKIE: &str = concat!(
    "SELECT ",
    session_cols!(),
    " FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id \
     WHERE s.cookie_digest = $1 AND s.expires_at > $2 ORDER BY sc.seq"
);

pub(super) const ADD_CLIENT: &str = "INSERT INTO session_clients (session_id, client_id) VALUES ($1, $2) \
     ON CONFLICT (session_id, client_id) DO NOTHING";

/// The due entries, longest due first: `$1` now, `$2` limit.
const DUE: &str = "SELECT id FROM logout_outbox WHERE outcome = 'pending' AND next_attempt_at <= $1 \
     ORDER BY next_attempt_at, id LIMIT $2";

const INSERT_OUTBOX: &str = concat!(
    "INSERT INTO logout_outbox (",
    outbox_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);

fn insert_outbox(conn: &Connection, entry: &OutboxEntry) -> StoreResult<()> {
    execute(
        conn,
        INSERT_OUTBOX,
        rusqlite::params![
            id(entry.id.as_uuid()),
            id(entry.client_id.as_uuid()),
            entry.backchannel_logout_uri,
            entry.claims.sub.map(|s| id(s.as_uuid())),
            entry.claims.sid.map(|s| id(s.as_uuid())),
            entry.claims.jti,
            i64::from(entry.attempts),
            entry.next_attempt_at,
            entry.outcome.as_str(),
            entry.last_error.as_deref(),
            entry.created_at,
            entry.finished_at,
        ],
    )?;
    Ok(())
}

/// The rows of one session, streamed into a [`Session`].
fn one_session(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
) -> StoreResult<Option<Session>> {
    let mut sessions = SessionRows::default();
    for_each(conn, sql, params, |row| sessions.push(row))?;
    Ok(sessions.finish().into_iter().next())
}

fn session_by_id(conn: &Connection, session: SessionId) -> StoreResult<Option<Session>> {
    one_session(conn, SESSION_BY_ID, &[&id(session.as_uuid())])
}

/// Ends a session in one transaction: its clients' logout notifications, its deletion and the
/// revocation of its families. A racing call waits for the write lock, then finds no session.
fn end_session(
    conn: &Connection,
    session: SessionId,
    now: UnixTime,
) -> StoreResult<Option<EndedSession>> {
    transaction(conn, |conn| {
        let Some(ended) = session_by_id(conn, session)? else {
            return Ok(None);
        };
        let key = id(session.as_uuid());
        let targets = query_all(
            conn,
            "SELECT c.id AS id, c.backchannel_logout_uri AS uri FROM session_clients sc \
             JOIN clients c ON c.id = sc.client_id \
             WHERE sc.session_id = $1 AND c.backchannel_logout_uri IS NOT NULL ORDER BY sc.seq",
            &[&key],
            |r| Ok((ClientId::from_uuid(r.uuid("id")?), r.text("uri")?)),
        )?;
        execute(conn, "DELETE FROM sessions WHERE id = $1", &[&key])?;
        let families_revoked = execute(
            conn,
            "UPDATE token_families SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
            &[&key, &now],
        )?;
        let mut notifications = Vec::with_capacity(targets.len());
        for (client, uri) in targets {
            let entry = logic::logout_entry(&ended, client, uri, now);
            insert_outbox(conn, &entry)?;
            notifications.push(entry);
        }
        Ok(Some(EndedSession {
            session: ended,
            families_revoked,
            notifications,
        }))
    })
}

impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        let session = session.clone();
        let amr = encode::amr(&session.amr)?;
        self.write(move |conn| {
            transaction(conn, |conn| {
                let key = id(session.id.as_uuid());
                execute(
                    conn,
                    "INSERT INTO sessions (id, cookie_digest, user_id, auth_time, amr, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    rusqlite::params![
                        key,
                        session.cookie_digest.as_bytes().as_slice(),
                        id(session.user_id.as_uuid()),
                        session.auth_time,
                        amr,
                        session.created_at,
                        session.expires_at,
                    ],
                )?;
                for client in &session.clients {
                    execute(conn, ADD_CLIENT, &[&key, &id(client.as_uuid())])?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn get_session_by_cookie(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        self.read(|conn| {
            one_session(
                conn,
                SESSION_BY_COOKIE,
                &[&cookie_digest.as_bytes().as_slice(), &now],
            )
        })
    }

    async fn get_signed_in(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
        consent_for: Option<ClientId>,
    ) -> StoreResult<Option<SignedIn>> {
        let client = consent_for.map(|c| id(c.as_uuid()));
        self.read(|conn| {
            let mut rows = SignedInRows::new(consent_for);
            for_each(
                conn,
                logic::SIGNED_IN,
                &[&cookie_digest.as_bytes().as_slice(), &now, &client],
                |row| rows.push(row),
            )?;
            Ok(rows.finish())
        })
    }

    async fn get_session(&self, session: SessionId) -> StoreResult<Option<Session>> {
        self.read(|conn| session_by_id(conn, session))
    }

    async fn reauthenticate_session(
        &self,
        session: SessionId,
        cookie_digest: Digest,
        auth_time: UnixTime,
        amr: &[String],
        expires_at: UnixTime,
    ) -> StoreResult<bool> {
        let amr = encode::amr(amr)?;
        // One statement on the single writer: racing calls run one after the other (the last one wins,
        // whole). The unique index on cookie_digest refuses another session's cookie.
        self.write(move |conn| {
            let changed = execute(
                conn,
                "UPDATE sessions SET cookie_digest = $2, auth_time = $3, amr = $4, expires_at = $5 \
                 WHERE id = $1",
                rusqlite::params![
                    id(session.as_uuid()),
                    cookie_digest.as_bytes().as_slice(),
                    auth_time,
                    amr,
                    expires_at
                ],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn add_session_client(&self, session: SessionId, client: ClientId) -> StoreResult<bool> {
        // The foreign key refuses a client for a session that is gone.
        self.write(move |conn| {
            match execute(
                conn,
                ADD_CLIENT,
                &[&id(session.as_uuid()), &id(client.as_uuid())],
            ) {
                Ok(_) => Ok(true),
                Err(StoreError::Conflict(SQLITE_FOREIGN_KEY)) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn end_session(
        &self,
        session: SessionId,
        now: UnixTime,
    ) -> StoreResult<Option<EndedSession>> {
        self.write(move |conn| end_session(conn, session, now))
            .await
    }

    async fn list_sessions_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<Session>> {
        self.read(|conn| {
            let mut sessions = SessionRows::default();
            for_each(
                conn,
                concat!(
                    "SELECT ",
                    session_cols!(),
                    " FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id \
                     WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.created_at, s.id, sc.seq"
                ),
                &[&id(user.as_uuid()), &now],
                |row| sessions.push(row),
            )?;
            Ok(sessions.finish())
        })
    }
}

/// Claims due entries in one transaction: two claims can never see the same entry as due. The first
/// statement fixes the order (RETURNING gives none).
fn claim(
    conn: &Connection,
    now: UnixTime,
    lease_until: UnixTime,
    limit: usize,
) -> StoreResult<Vec<OutboxEntry>> {
    let limit = encode::limit(limit);
    transaction(conn, |conn| {
        let order = query_all(conn, DUE, &[&now, &limit], |r| r.uuid("id"))?;
        if order.is_empty() {
            return Ok(Vec::new());
        }
        let mut claimed = query_all(
            conn,
            concat!(
                "UPDATE logout_outbox SET next_attempt_at = $2, attempts = attempts + 1 WHERE rowid IN \
                 (SELECT rowid FROM logout_outbox WHERE outcome = 'pending' AND next_attempt_at <= $1 \
                  ORDER BY next_attempt_at, id LIMIT $3) RETURNING ",
                outbox_cols!()
            ),
            &[&now, &lease_until, &limit],
            |r| decode::outbox(r),
        )?;
        claimed.sort_by_key(|e| order.iter().position(|id| id == e.id.as_uuid()));
        Ok(claimed)
    })
}

impl LogoutOutbox for SqliteStore {
    async fn enqueue_logouts(&self, entries: &[OutboxEntry]) -> StoreResult<()> {
        let entries = entries.to_vec();
        self.write(move |conn| {
            transaction(conn, |conn| {
                entries
                    .iter()
                    .try_for_each(|entry| insert_outbox(conn, entry))
            })
        })
        .await
    }

    async fn claim_due_logouts(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        self.write(move |conn| claim(conn, now, lease_until, limit))
            .await
    }

    async fn record_logout_attempt(
        &self,
        entry: OutboxId,
        result: &AttemptResult,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (outcome, next_attempt_at, last_error, finished) = encode::attempt(result)?;
        let last_error = last_error.map(str::to_owned);
        self.write(move |conn| {
            let changed = execute(
                conn,
                "UPDATE logout_outbox SET outcome = $2, \
                 next_attempt_at = COALESCE($3, next_attempt_at), \
                 last_error = COALESCE($4, last_error), finished_at = $5 \
                 WHERE id = $1 AND outcome = 'pending'",
                rusqlite::params![
                    id(entry.as_uuid()),
                    outcome,
                    next_attempt_at,
                    last_error,
                    finished.then_some(now)
                ],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn get_logout(&self, entry: OutboxId) -> StoreResult<Option<OutboxEntry>> {
        self.read(|conn| {
            super::sql::query_opt(
                conn,
                concat!(
                    "SELECT ",
                    outbox_cols!(),
                    " FROM logout_outbox WHERE id = $1"
                ),
                &[&id(entry.as_uuid())],
                |r| decode::outbox(r),
            )
        })
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
        self.read(|conn| {
            paged(
                conn,
                sql,
                limit,
                client.as_ref().map(ClientId::as_uuid),
                |r| decode::outbox(r),
            )
        })
    }
}
