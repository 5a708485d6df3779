//! Authorization codes, token families, access and refresh tokens on SQLite.
//!
//! Atomicity comes from the single writer connection: every write below is one statement or one
//! `BEGIN IMMEDIATE` transaction on it, so two racing calls are simply run one after the other.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, Digest, FamilyId, OrgAuthorizationId, SessionId, StoreError, StoreResult, TokenStore,
    UserId,
};
use sqlx::sqlite::SqliteConnection;

use super::SqliteStore;
use crate::columns::*;
use crate::error::store_error;
use crate::logic::{self, GrantChecks, Spent, SpentRefresh};
use crate::{decode, encode};

async fn insert_access(conn: &mut SqliteConnection, token: &AccessTokenRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO access_tokens (digest, family_id, scope, issued_at, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.digest.as_bytes().as_slice())
    .bind(token.family_id.as_uuid().hyphenated())
    .bind(token.scope.to_string())
    .bind(token.issued_at)
    .bind(token.expires_at)
    .bind(token.revoked_at)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// The live-grant condition of `create_family` (see [`TokenStore::create_family`]): no code (`$1`) or
/// one that exists and was not replayed; no session (`$7`) or one unexpired at the family's creation
/// (`$11`); no organization authorization (`$8`) or an active one.
macro_rules! live_grant {
    () => {
        "($1 IS NULL OR EXISTS (SELECT 1 FROM codes WHERE digest = $1 AND replayed_at IS NULL)) \
         AND ($7 IS NULL OR EXISTS (SELECT 1 FROM sessions WHERE id = $7 AND expires_at > $11)) \
         AND ($8 IS NULL OR EXISTS (SELECT 1 FROM org_authorizations \
                                    WHERE id = $8 AND state = 'active'))"
    };
}

/// Creates a family and its first tokens as one command on the writer (inside the caller's
/// transaction). Each insert runs only if the grant is live (`live_grant!`), so the command changes no
/// row exactly when a check fails; nothing can change between the inserts, which share the write lock.
const CREATE_FAMILY: &str = concat!(
    "INSERT INTO token_families (id, client_id, subject_type, subject_id, scope, \
       session_id, org_authorization_id, auth_time, amr, created_at, expires_at, revoked_at) \
     SELECT $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 WHERE ",
    live_grant!(),
    "; INSERT INTO access_tokens (digest, family_id, scope, issued_at, expires_at, revoked_at) \
     SELECT $14, $15, $16, $17, $18, $19 WHERE $14 IS NOT NULL AND ",
    live_grant!(),
    "; INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, rotated_at, successor, \
                                 retry_until, sealed_retry) \
     SELECT $20, $21, $22, $23, $24, $25, $26, $27 WHERE $20 IS NOT NULL AND ",
    live_grant!()
);

/// Why [`CREATE_FAMILY`] wrote nothing: the checks one by one, with the same parameters `$1` (code),
/// `$2` (session), `$3` (authorization) and `$4` (the family's creation), in the same transaction.
const GRANT_CHECKS: &str = "SELECT \
     ($1 IS NULL OR EXISTS (SELECT 1 FROM codes WHERE digest = $1 AND replayed_at IS NULL)) AS code_live, \
     ($2 IS NULL OR EXISTS (SELECT 1 FROM sessions WHERE id = $2 AND expires_at > $4)) AS session_live, \
     ($3 IS NULL OR EXISTS (SELECT 1 FROM org_authorizations WHERE id = $3 AND state = 'active')) \
       AS authorization_live";

/// The winning rotation, as one command on the writer: the compare-and-set update of the presented token
/// (`$1`), then its successor and the new access token, each inserted only if the statement before it
/// changed a row (`changes()`). Run inside the caller's transaction; changes 3 rows for the winner and
/// none otherwise.
const ROTATE: &str = "UPDATE refresh_tokens SET rotated_at = $2, successor = $3, retry_until = $4, \
       sealed_retry = $5 \
     WHERE digest = $1 AND rotated_at IS NULL AND expires_at > $2 AND family_id = $6 \
     AND EXISTS (SELECT 1 FROM token_families f \
                 WHERE f.id = $6 AND f.revoked_at IS NULL AND f.expires_at > $2); \
     INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, rotated_at, successor, \
                                 retry_until, sealed_retry) \
     SELECT $3, $6, $7, $8, $9, $10, $11, $12 WHERE changes() = 1; \
     INSERT INTO access_tokens (digest, family_id, scope, issued_at, expires_at, revoked_at) \
     SELECT $13, $6, $14, $15, $16, $17 WHERE changes() = 1";

impl TokenStore for SqliteStore {
    async fn create_family(
        &self,
        family: &TokenFamily,
        access: Option<&AccessTokenRecord>,
        refresh: Option<&RefreshTokenRecord>,
        from_code: Option<Digest>,
    ) -> StoreResult<()> {
        let (subject_type, subject_id) = encode::subject(&family.subject)?;
        let subject_id = subject_id.hyphenated();
        // The write lock is ours until commit: a replay, an end_session or a revocation cannot slip in
        // between the checks and the inserts.
        let mut tx = self.begin().await?;
        let created = sqlx::query(CREATE_FAMILY)
            .bind(from_code.as_ref().map(|d| d.as_bytes().as_slice()))
            .bind(family.id.as_uuid().hyphenated())
            .bind(family.client_id.as_uuid().hyphenated())
            .bind(subject_type)
            .bind(subject_id)
            .bind(family.scope.to_string())
            .bind(family.session_id.map(|s| s.as_uuid().hyphenated()))
            .bind(
                family
                    .org_authorization_id
                    .map(|s| s.as_uuid().hyphenated()),
            )
            .bind(family.auth_time)
            .bind(encode::amr(&family.amr)?)
            .bind(family.created_at)
            .bind(family.expires_at)
            .bind(family.revoked_at)
            .bind(access.map(|a| a.digest.as_bytes().as_slice()))
            .bind(access.map(|a| a.family_id.as_uuid().hyphenated()))
            .bind(access.map(|a| a.scope.to_string()))
            .bind(access.map(|a| a.issued_at))
            .bind(access.map(|a| a.expires_at))
            .bind(access.and_then(|a| a.revoked_at))
            .bind(refresh.map(|r| r.digest.as_bytes().as_slice()))
            .bind(refresh.map(|r| r.family_id.as_uuid().hyphenated()))
            .bind(refresh.map(|r| r.issued_at))
            .bind(refresh.map(|r| r.expires_at))
            .bind(refresh.and_then(|r| r.rotated_at))
            .bind(refresh.and_then(|r| r.successor.as_ref().map(|d| d.as_bytes().as_slice())))
            .bind(refresh.and_then(|r| r.retry_until))
            .bind(refresh.and_then(|r| r.sealed_retry.as_deref()))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if created.rows_affected() > 0 {
            return tx.commit().await.map_err(store_error);
        }
        // A check failed and nothing was written: say which, under the same write lock.
        let checks = sqlx::query(GRANT_CHECKS)
            .bind(from_code.as_ref().map(|d| d.as_bytes().as_slice()))
            .bind(family.session_id.map(|s| s.as_uuid().hyphenated()))
            .bind(
                family
                    .org_authorization_id
                    .map(|s| s.as_uuid().hyphenated()),
            )
            .bind(family.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(store_error)?;
        let refusal = GrantChecks::from_row(&checks)?.refusal();
        tx.rollback().await.map_err(store_error)?;
        Err(refusal.unwrap_or(StoreError::Conflict("family not created")))
    }

    async fn get_family(&self, id: FamilyId) -> StoreResult<Option<TokenFamily>> {
        sqlx::query(concat!(
            "SELECT ",
            family_cols!(),
            " FROM token_families f WHERE f.id = $1"
        ))
        .bind(id.as_uuid().hyphenated())
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?
        .map(|r| decode::family(&r))
        .transpose()
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await.map_err(store_error)?;
        insert_access(&mut conn, token).await
    }

    async fn get_access_token(&self, digest: Digest) -> StoreResult<Option<AccessTokenGrant>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            access_cols!(),
            ", ",
            family_cols!(),
            " FROM access_tokens a JOIN token_families f ON f.id = a.family_id WHERE a.digest = $1"
        ))
        .bind(digest.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        row.map(|r| {
            Ok(AccessTokenGrant {
                token: decode::access(&r)?,
                family: decode::family(&r)?,
            })
        })
        .transpose()
    }

    async fn get_refresh_token(&self, digest: Digest) -> StoreResult<Option<RefreshTokenGrant>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            refresh_cols!(),
            ", ",
            family_cols!(),
            " FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.digest = $1"
        ))
        .bind(digest.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        row.map(|r| {
            Ok(RefreshTokenGrant {
                token: decode::refresh(&r)?,
                family: decode::family(&r)?,
            })
        })
        .transpose()
    }

    async fn rotate_refresh(&self, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        let family_id = rotation.refresh.family_id;
        let now = rotation.now;
        let mut tx = self.begin().await?;
        // New tokens of two families can never win; the checks below then say why.
        if rotation.access.family_id == family_id {
            let won = sqlx::query(ROTATE)
                .bind(rotation.presented.as_bytes().as_slice())
                .bind(now)
                .bind(rotation.refresh.digest.as_bytes().as_slice())
                .bind(rotation.retry_until)
                .bind(rotation.sealed_retry.as_slice())
                .bind(family_id.as_uuid().hyphenated())
                .bind(rotation.refresh.issued_at)
                .bind(rotation.refresh.expires_at)
                .bind(rotation.refresh.rotated_at)
                .bind(
                    rotation
                        .refresh
                        .successor
                        .as_ref()
                        .map(|d| d.as_bytes().as_slice()),
                )
                .bind(rotation.refresh.retry_until)
                .bind(rotation.refresh.sealed_retry.as_deref())
                .bind(rotation.access.digest.as_bytes().as_slice())
                .bind(rotation.access.scope.to_string())
                .bind(rotation.access.issued_at)
                .bind(rotation.access.expires_at)
                .bind(rotation.access.revoked_at)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            if won.rows_affected() > 0 {
                tx.commit().await.map_err(store_error)?;
                return Ok(RotateOutcome::Rotated);
            }
        }
        let state = sqlx::query(logic::SPENT_REFRESH)
            .bind(rotation.presented.as_bytes().as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?
            .map(|r| SpentRefresh::from_row(&r))
            .transpose()?;
        match logic::spent_refresh(state, now) {
            Spent::Invalid => Ok(RotateOutcome::Invalid),
            Spent::Retry(sealed_retry) => Ok(RotateOutcome::Retry { sealed_retry }),
            Spent::Replay(family_id) => {
                revoke_family_in(&mut tx, family_id, now).await?;
                tx.commit().await.map_err(store_error)?;
                tracing::debug!(?family_id, "refresh token replayed: family revoked");
                Ok(RotateOutcome::Replay { family_id })
            }
            Spent::WrongFamily => Err(logic::wrong_family()),
        }
    }

    async fn revoke_access_token(&self, digest: Digest, now: UnixTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $2 WHERE digest = $1 AND revoked_at IS NULL",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now)
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_family(&self, id: FamilyId, now: UnixTime) -> StoreResult<bool> {
        let mut conn = self.writer.acquire().await.map_err(store_error)?;
        Ok(revoke_family_in(&mut conn, id, now).await? > 0)
    }

    async fn revoke_by_session(&self, id: SessionId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
            id.as_uuid().hyphenated(),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_client(&self, id: ClientId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            id.as_uuid().hyphenated(),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_user(&self, id: UserId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 \
             WHERE subject_id = $1 AND subject_type = 'user' AND revoked_at IS NULL",
            id.as_uuid().hyphenated(),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_user_and_client(
        &self,
        user: UserId,
        client: ClientId,
        now: UnixTime,
    ) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 \
             WHERE subject_id = $1 AND client_id = $3 AND subject_type = 'user' AND revoked_at IS NULL",
            user.as_uuid().hyphenated(),
            Some(client.as_uuid().hyphenated()),
            now,
        )
        .await
    }

    async fn revoke_by_org_authorization(
        &self,
        id: OrgAuthorizationId,
        now: UnixTime,
    ) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 \
             WHERE org_authorization_id = $1 AND revoked_at IS NULL",
            id.as_uuid().hyphenated(),
            None,
            now,
        )
        .await
    }
}

impl SqliteStore {
    /// Runs one family-revoking `UPDATE` with `$1` = `key`, `$2` = `now` and `$3` = `second`.
    async fn revoke_where(
        &self,
        sql: &'static str,
        key: uuid::fmt::Hyphenated,
        second: Option<uuid::fmt::Hyphenated>,
        now: UnixTime,
    ) -> StoreResult<u64> {
        let mut query = sqlx::query(sql).bind(key).bind(now);
        if let Some(second) = second {
            query = query.bind(second);
        }
        let done = query.execute(&self.writer).await.map_err(store_error)?;
        Ok(done.rows_affected())
    }
}

pub(super) async fn revoke_family_in(
    conn: &mut SqliteConnection,
    id: FamilyId,
    now: UnixTime,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE token_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id.as_uuid().hyphenated())
    .bind(now)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected())
}
