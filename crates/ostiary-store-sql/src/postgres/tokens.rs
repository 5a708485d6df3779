//! Authorization codes, token families, access and refresh tokens on PostgreSQL.
//!
//! Under READ COMMITTED with several instances: single-winner operations are one `UPDATE … WHERE
//! <expected state>` (a second writer waits for the row lock, re-checks the predicate on the new row
//! version and matches nothing); follow-up reads run as new statements, so their snapshot includes the
//! winner's commit.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, Digest, FamilyId, OrgAuthorizationId, SessionId, StoreError, StoreResult, TokenStore,
    UserId,
};
use sqlx::postgres::PgConnection;

use super::PostgresStore;
use crate::columns::*;
use crate::decode::Cols;
use crate::error::store_error;
use crate::logic::{self, GrantChecks, Spent, SpentRefresh};
use crate::{decode, encode};

/// `insert_access_token`: the token, into its family if that exists.
async fn insert_access_in_family(
    conn: &mut PgConnection,
    token: &AccessTokenRecord,
) -> StoreResult<()> {
    let done = sqlx::query(logic::INSERT_ACCESS_IN_FAMILY)
        .bind(token.digest.as_bytes().as_slice())
        .bind(token.family_id.as_uuid())
        .bind(token.scope.as_str())
        .bind(token.issued_at)
        .bind(token.expires_at)
        .bind(token.revoked_at)
        .execute(conn)
        .await
        .map_err(store_error)?;
    match done.rows_affected() {
        0 => Err(logic::unknown_family()),
        _ => Ok(()),
    }
}

/// The winning rotation: marks the presented token (`$1`) rotated and inserts its successor and the new
/// access token, all in one statement; returns a row only for the winner.
const ROTATE: &str = "WITH won AS ( \
       UPDATE refresh_tokens SET rotated_at = $2, successor = $3, retry_until = $4, sealed_retry = $5 \
       WHERE digest = $1 AND rotated_at IS NULL AND expires_at > $2 AND family_id = $6 \
       AND EXISTS (SELECT 1 FROM token_families f \
                   WHERE f.id = $6 AND f.revoked_at IS NULL AND f.expires_at > $2) \
       RETURNING family_id), \
     new_refresh AS ( \
       INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, rotated_at, successor, \
                                   retry_until, sealed_retry) \
       SELECT $3, family_id, $7, $8, $9, $10, $11, $12 FROM won), \
     new_access AS ( \
       INSERT INTO access_tokens (digest, family_id, scope, issued_at, expires_at, revoked_at) \
       SELECT $13, family_id, $14, $15, $16, $17 FROM won) \
     SELECT family_id FROM won";

/// Creates a family and its first tokens in one statement, only for a live grant (see
/// [`TokenStore::create_family`]). Each check reads its row with a lock held until the statement's
/// transaction commits, so the grant cannot end between the check and the insert:
///
/// - the code (`$1`) `FOR UPDATE`: a replay marks it with an `UPDATE` (see `consume_code`);
/// - the session (`$7`) `FOR KEY SHARE`: `end_session` takes `FOR UPDATE` on it before deleting it, and
///   both conflict with this lock (while `add_session_client`'s foreign-key check does not);
/// - the organization authorization (`$8`) `FOR SHARE`: a revocation's state `UPDATE` touches no key
///   column, so it takes `FOR NO KEY UPDATE`, which `FOR KEY SHARE` would not block but `FOR SHARE` does.
///
/// A taken family id or token digest is found by the checks too, so that the statement refuses it
/// without an error (which would abort an enclosing transaction: `exchange_code` keeps its consume);
/// two racing inserts of one digest (never, for 256-bit random secrets) still meet the unique index.
///
/// The family is inserted only if every check held, the tokens only with the family, and so is the
/// family's client into the session's client list (`session_clients`, for back-channel logout): the
/// session's `FOR KEY SHARE` lock keeps it from being deleted before the commit. Returns the checks
/// and how many families were created (0 or 1). The CTEs are materialized so each runs, and locks, once.
const CREATE_FAMILY: &str = "WITH code AS MATERIALIZED ( \
       SELECT replayed_at FROM codes WHERE digest = $1 FOR UPDATE), \
     sess AS MATERIALIZED (SELECT expires_at FROM sessions WHERE id = $7 FOR KEY SHARE), \
     auth AS MATERIALIZED (SELECT state FROM org_authorizations WHERE id = $8 FOR SHARE), \
     checks AS MATERIALIZED (SELECT \
       ($1::bytea IS NULL OR EXISTS (SELECT 1 FROM code WHERE replayed_at IS NULL)) AS code_live, \
       ($7::uuid IS NULL OR EXISTS (SELECT 1 FROM sess WHERE expires_at > $11)) AS session_live, \
       ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM auth WHERE state = 'active')) AS authorization_live, \
       (EXISTS (SELECT 1 FROM token_families WHERE id = $2) \
        OR EXISTS (SELECT 1 FROM access_tokens WHERE digest = $14) \
        OR EXISTS (SELECT 1 FROM refresh_tokens WHERE digest = $20)) AS taken), \
     family AS ( \
       INSERT INTO token_families (id, client_id, subject_type, subject_id, scope, session_id, \
                                   org_authorization_id, auth_time, amr, created_at, expires_at, revoked_at) \
       SELECT $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM checks \
       WHERE code_live AND session_live AND authorization_live AND NOT taken \
       RETURNING id), \
     access AS ( \
       INSERT INTO access_tokens (digest, family_id, scope, issued_at, expires_at, revoked_at) \
       SELECT $14, $15, $16, $17, $18, $19 FROM family WHERE $14::bytea IS NOT NULL), \
     refresh AS ( \
       INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, rotated_at, successor, \
                                   retry_until, sealed_retry) \
       SELECT $20, $21, $22, $23, $24, $25, $26, $27 FROM family WHERE $20::bytea IS NOT NULL), \
     sess_client AS ( \
       INSERT INTO session_clients (session_id, client_id) \
       SELECT $7, $3 FROM family WHERE $7::uuid IS NOT NULL \
       ON CONFLICT (session_id, client_id) DO NOTHING) \
     SELECT code_live, session_live, authorization_live, \
            (SELECT count(*) FROM family) AS created FROM checks";

/// [`TokenStore::create_family`] on `conn` (a pooled connection, or the transaction of
/// `exchange_code`).
pub(super) async fn create_family_in(
    conn: &mut PgConnection,
    family: &TokenFamily,
    access: Option<&AccessTokenRecord>,
    refresh: Option<&RefreshTokenRecord>,
    from_code: Option<Digest>,
) -> StoreResult<()> {
    // One statement: the row locks taken by the checks (held until the statement commits) order
    // this against a replay of the code, the end of the session and the revocation of the
    // authorization. Each of those either committed first (the check fails and nothing is
    // inserted) or waits for our commit and then, in a later statement whose snapshot includes the
    // family, revokes it.
    let (subject_type, subject_id) = encode::subject(&family.subject)?;
    let row = sqlx::query(CREATE_FAMILY)
        .bind(from_code.as_ref().map(|d| d.as_bytes().as_slice()))
        .bind(*family.id.as_uuid())
        .bind(*family.client_id.as_uuid())
        .bind(subject_type)
        .bind(subject_id)
        .bind(family.scope.as_str())
        .bind(family.session_id.map(|s| *s.as_uuid()))
        .bind(family.org_authorization_id.map(|s| *s.as_uuid()))
        .bind(family.auth_time)
        .bind(encode::amr(&family.amr)?)
        .bind(family.created_at)
        .bind(family.expires_at)
        .bind(family.revoked_at)
        .bind(access.map(|a| a.digest.as_bytes().as_slice()))
        .bind(access.map(|a| *a.family_id.as_uuid()))
        .bind(access.map(|a| a.scope.as_str()))
        .bind(access.map(|a| a.issued_at))
        .bind(access.map(|a| a.expires_at))
        .bind(access.and_then(|a| a.revoked_at))
        .bind(refresh.map(|r| r.digest.as_bytes().as_slice()))
        .bind(refresh.map(|r| *r.family_id.as_uuid()))
        .bind(refresh.map(|r| r.issued_at))
        .bind(refresh.map(|r| r.expires_at))
        .bind(refresh.and_then(|r| r.rotated_at))
        .bind(refresh.and_then(|r| r.successor.as_ref().map(|d| d.as_bytes().as_slice())))
        .bind(refresh.and_then(|r| r.retry_until))
        .bind(refresh.and_then(|r| r.sealed_retry.as_deref()))
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    if row.i64("created")? > 0 {
        return Ok(());
    }
    // Nothing was inserted, so a check failed.
    Err(GrantChecks::from_row(&row)?
        .refusal()
        .unwrap_or(StoreError::Conflict("family not created")))
}

impl TokenStore for PostgresStore {
    async fn create_family(
        &self,
        family: &TokenFamily,
        access: Option<&AccessTokenRecord>,
        refresh: Option<&RefreshTokenRecord>,
        from_code: Option<Digest>,
    ) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        create_family_in(&mut conn, family, access, refresh, from_code).await
    }

    async fn get_family(&self, id: FamilyId) -> StoreResult<Option<TokenFamily>> {
        sqlx::query(concat!(
            "SELECT ",
            family_cols!(),
            " FROM token_families f WHERE f.id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::family(&r))
        .transpose()
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        insert_access_in_family(&mut conn, token).await
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
        .fetch_optional(&self.pool)
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
        .fetch_optional(&self.pool)
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

    async fn get_refresh_token_with_user(
        &self,
        digest: Digest,
    ) -> StoreResult<Option<(RefreshTokenGrant, Option<User>)>> {
        let row = sqlx::query(logic::REFRESH_GRANT_WITH_USER)
            .bind(digest.as_bytes().as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.map(|r| logic::refresh_grant_with_user(&r)).transpose()
    }

    async fn rotate_refresh(&self, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        let family_id = rotation.refresh.family_id;
        let now = rotation.now;
        // New tokens of two families can never win; the checks below then say why.
        if rotation.access.family_id == family_id && self.rotate_winner(rotation).await? {
            return Ok(RotateOutcome::Rotated);
        }
        // Losers. A rotated token never changes again, and the winner committed before our UPDATE
        // returned, so this new statement sees the rotation and its successor.
        let state = sqlx::query(logic::SPENT_REFRESH)
            .bind(rotation.presented.as_bytes().as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .map(|r| SpentRefresh::from_row(&r))
            .transpose()?;
        match logic::spent_refresh(state, now) {
            Spent::Invalid => Ok(RotateOutcome::Invalid),
            Spent::Retry(sealed_retry) => Ok(RotateOutcome::Retry { sealed_retry }),
            Spent::Replay(family_id) => {
                let mut conn = self.pool.acquire().await.map_err(store_error)?;
                revoke_family_in(&mut conn, family_id, now).await?;
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
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_family(&self, id: FamilyId, now: UnixTime) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        Ok(revoke_family_in(&mut conn, id, now).await? > 0)
    }

    async fn revoke_by_session(&self, id: SessionId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
            *id.as_uuid(),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_client(&self, id: ClientId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            *id.as_uuid(),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_user(&self, id: UserId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 \
             WHERE subject_id = $1 AND subject_type = 'user' AND revoked_at IS NULL",
            *id.as_uuid(),
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
            *user.as_uuid(),
            Some(*client.as_uuid()),
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
            *id.as_uuid(),
            None,
            now,
        )
        .await
    }
}

impl PostgresStore {
    /// The winning rotation (see [`ROTATE`]): `true` for the one caller whose statement matched.
    async fn rotate_winner(&self, rotation: &Rotation) -> StoreResult<bool> {
        // The winner: one statement. The UPDATE matches an unspent token of an active family; a racing
        // rotation waits for its row lock and then matches nothing. The inserts run only for the winner.
        let won = sqlx::query(ROTATE)
            .bind(rotation.presented.as_bytes().as_slice())
            .bind(rotation.now)
            .bind(rotation.refresh.digest.as_bytes().as_slice())
            .bind(rotation.retry_until)
            .bind(rotation.sealed_retry.as_slice())
            .bind(*rotation.refresh.family_id.as_uuid())
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
            .bind(rotation.access.scope.as_str())
            .bind(rotation.access.issued_at)
            .bind(rotation.access.expires_at)
            .bind(rotation.access.revoked_at)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(won.is_some())
    }

    /// Runs one family-revoking `UPDATE` with `$1` = `key`, `$2` = `now` and `$3` = `second`.
    async fn revoke_where(
        &self,
        sql: &'static str,
        key: uuid::Uuid,
        second: Option<uuid::Uuid>,
        now: UnixTime,
    ) -> StoreResult<u64> {
        let mut query = sqlx::query(sql).bind(key).bind(now);
        if let Some(second) = second {
            query = query.bind(second);
        }
        let done = query.execute(&self.pool).await.map_err(store_error)?;
        Ok(done.rows_affected())
    }
}

pub(super) async fn revoke_family_in(
    conn: &mut PgConnection,
    id: FamilyId,
    now: UnixTime,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE token_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id.as_uuid())
    .bind(now)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected())
}
