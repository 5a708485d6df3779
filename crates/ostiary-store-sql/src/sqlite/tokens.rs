//! Token families, access and refresh tokens on SQLite.
//!
//! Atomicity comes from the single writer connection: every write below is one statement or one
//! `BEGIN IMMEDIATE` transaction on it, so two racing calls simply run one after the other (and a
//! second store on the same file waits for the file's write lock).

use ostiary_store::records::*;
use std::sync::Arc;

use ostiary_store::{
    ClientId, ClientStore, Digest, FamilyId, OrgAuthorizationId, SessionId, StoreError,
    StoreResult, TokenStore, UserId,
};
use rusqlite::Connection;

use super::SqliteStore;
use super::clients::client_row;
use super::conn::transaction;
use super::metadata::MetadataCache;
use super::sessions::ADD_CLIENT;
use super::sql::{IdText, Params, execute, id, query_one, query_opt};
use crate::columns::*;
use crate::decode::{self, Cols};
use crate::encode;
use crate::logic::{self, GrantChecks, Spent, SpentRefresh};

const INSERT_FAMILY: &str = "INSERT INTO token_families (id, client_id, subject_type, subject_id, \
     scope, session_id, org_authorization_id, auth_time, amr, created_at, expires_at, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const INSERT_ACCESS: &str = "INSERT INTO access_tokens \
     (digest, family_id, scope, issued_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)";

const INSERT_REFRESH: &str = "INSERT INTO refresh_tokens (digest, family_id, issued_at, expires_at, \
     rotated_at, successor, retry_until, sealed_retry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The live-grant checks of `create_family` (see [`TokenStore::create_family`]): no code (`$1`) or one
/// that exists and was not replayed; no session (`$2`) or one unexpired at the family's creation (`$4`);
/// no organization authorization (`$3`) or an active one.
const GRANT_CHECKS: &str = "SELECT \
     ($1 IS NULL OR EXISTS (SELECT 1 FROM codes WHERE digest = $1 AND replayed_at IS NULL)) AS code_live, \
     ($2 IS NULL OR EXISTS (SELECT 1 FROM sessions WHERE id = $2 AND expires_at > $4)) AS session_live, \
     ($3 IS NULL OR EXISTS (SELECT 1 FROM org_authorizations WHERE id = $3 AND state = 'active')) \
       AS authorization_live";

/// Whether a new family's access (`$1`) or refresh (`$2`) token digest is taken: checked before the
/// first insert, so that `create_family` refuses before it changes anything.
const TOKENS_TAKEN: &str = "SELECT \
     EXISTS (SELECT 1 FROM access_tokens WHERE digest = $1) \
     OR EXISTS (SELECT 1 FROM refresh_tokens WHERE digest = $2) AS taken";

/// The compare-and-set of a rotation: the presented token (`$1`), unspent and unexpired, in its live
/// family (`$6`), becomes rotated.
const ROTATE: &str = "UPDATE refresh_tokens SET rotated_at = $2, successor = $3, retry_until = $4, \
       sealed_retry = $5 \
     WHERE digest = $1 AND rotated_at IS NULL AND expires_at > $2 AND family_id = $6 \
     AND EXISTS (SELECT 1 FROM token_families f \
                 WHERE f.id = $6 AND f.revoked_at IS NULL AND f.expires_at > $2)";

const ACCESS_GRANT: &str = concat!(
    "SELECT ",
    access_cols!(),
    ", ",
    family_cols!(),
    " FROM access_tokens a JOIN token_families f ON f.id = a.family_id WHERE a.digest = $1"
);

const REFRESH_GRANT: &str = concat!(
    "SELECT ",
    refresh_cols!(),
    ", ",
    family_cols!(),
    " FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.digest = $1"
);

/// Runs an access-token insert (`INSERT_ACCESS` or [`logic::INSERT_ACCESS_IN_FAMILY`]) for `token`;
/// the rows it inserted.
fn insert_access_with(
    conn: &Connection,
    sql: &'static str,
    token: &AccessTokenRecord,
) -> StoreResult<u64> {
    execute(
        conn,
        sql,
        rusqlite::params![
            token.digest.as_bytes().as_slice(),
            id(token.family_id.as_uuid()),
            token.scope.as_str(),
            token.issued_at,
            token.expires_at,
            token.revoked_at,
        ],
    )
}

/// Inserts an access token of a family the caller just created or checked.
fn insert_access(conn: &Connection, token: &AccessTokenRecord) -> StoreResult<()> {
    insert_access_with(conn, INSERT_ACCESS, token).map(drop)
}

/// `insert_access_token`: the token, into its family if that exists.
fn insert_access_in_family(conn: &Connection, token: &AccessTokenRecord) -> StoreResult<()> {
    match insert_access_with(conn, logic::INSERT_ACCESS_IN_FAMILY, token)? {
        0 => Err(logic::unknown_family()),
        _ => Ok(()),
    }
}

fn insert_refresh(conn: &Connection, token: &RefreshTokenRecord) -> StoreResult<()> {
    execute(
        conn,
        INSERT_REFRESH,
        rusqlite::params![
            token.digest.as_bytes().as_slice(),
            id(token.family_id.as_uuid()),
            token.issued_at,
            token.expires_at,
            token.rotated_at,
            token.successor.as_ref().map(|d| d.as_bytes().as_slice()),
            token.retry_until,
            token.sealed_retry.as_deref(),
        ],
    )?;
    Ok(())
}

/// What `create_family` writes, owned so that it can move to whichever thread runs the batch.
pub(super) struct FamilyWrite {
    pub(super) family: TokenFamily,
    pub(super) access: Option<AccessTokenRecord>,
    pub(super) refresh: Option<RefreshTokenRecord>,
    pub(super) from_code: Option<Digest>,
}

/// Checks that the grant is live and writes the family and its tokens, in one transaction: the write
/// lock is held from the checks to the commit, so a replay, an `end_session` or a revocation cannot slip
/// in between. Runs unguarded (see [`super::writer`]): every refusal (the grant checks, a taken token
/// digest, then a taken family id at the first insert) comes before the first change.
pub(super) fn create_family(conn: &Connection, new: &FamilyWrite) -> StoreResult<()> {
    let family = &new.family;
    let (subject_type, subject_id) = encode::subject(&family.subject)?;
    let amr = encode::amr(&family.amr)?;
    let session = family.session_id.map(|s| id(s.as_uuid()));
    let authorization = family.org_authorization_id.map(|a| id(a.as_uuid()));
    transaction(conn, |conn| {
        if new.from_code.is_some() || session.is_some() || authorization.is_some() {
            let code = new.from_code.as_ref().map(|d| d.as_bytes().as_slice());
            let checks = query_one(
                conn,
                GRANT_CHECKS,
                &[&code, &session, &authorization, &family.created_at],
                |r| GrantChecks::from_row(r),
            )?;
            if let Some(refusal) = checks.refusal() {
                return Err(refusal);
            }
        }
        if new.access.is_some() || new.refresh.is_some() {
            let access = new.access.as_ref().map(|a| a.digest.as_bytes().as_slice());
            let refresh = new.refresh.as_ref().map(|r| r.digest.as_bytes().as_slice());
            let taken = query_one(conn, TOKENS_TAKEN, &[&access, &refresh], |r| {
                r.flag("taken")
            })?;
            if taken {
                return Err(StoreError::Conflict("token digest"));
            }
        }
        execute(
            conn,
            INSERT_FAMILY,
            rusqlite::params![
                id(family.id.as_uuid()),
                id(family.client_id.as_uuid()),
                subject_type,
                id(&subject_id),
                family.scope.as_str(),
                session,
                authorization,
                family.auth_time,
                amr,
                family.created_at,
                family.expires_at,
                family.revoked_at,
            ],
        )?;
        if let Some(access) = &new.access {
            insert_access(conn, access)?;
        }
        if let Some(refresh) = &new.refresh {
            insert_refresh(conn, refresh)?;
        }
        // The session was checked live above; its client list gains this family's client.
        if let Some(session) = &session {
            execute(
                conn,
                ADD_CLIENT,
                &[session, &id(family.client_id.as_uuid())],
            )?;
        }
        Ok(())
    })
}

/// The refresh token with `digest`, its family and the family's user, in one query on `conn`.
fn refresh_grant_with_user(
    conn: &Connection,
    digest: &Digest,
) -> StoreResult<Option<(RefreshTokenGrant, Option<User>)>> {
    query_opt(
        conn,
        logic::REFRESH_GRANT_WITH_USER,
        &[&digest.as_bytes().as_slice()],
        |r| logic::refresh_grant_with_user(r),
    )
}

/// [`logic::REFRESH_GRANT_WITH_USER`] with the family's client joined as `k`, its columns under the
/// names `get_client` reads: everything the rotation's check needs in one statement instead of two.
const REFRESH_GRANT_WITH_USER_AND_CLIENT: &str = logic::refresh_grant_query!(
    ", k.id AS id, k.metadata AS metadata, k.secret_digest AS secret_digest, \
     k.created_at AS created_at, k.updated_at AS updated_at, \
     k.secret_rotated_at AS secret_rotated_at",
    " LEFT JOIN clients k ON k.id = f.client_id"
);

/// A refresh grant with the family's user and client, as the rotation's check reads them.
type GrantUserClient = (RefreshTokenGrant, Option<User>, Option<Client>);

/// The refresh token with `digest`, its family, the family's user and its client (metadata decoded
/// through `cache`), in one query on `conn`.
fn refresh_grant_with_user_and_client(
    conn: &Connection,
    cache: &MetadataCache,
    digest: &Digest,
) -> StoreResult<Option<GrantUserClient>> {
    query_opt(
        conn,
        REFRESH_GRANT_WITH_USER_AND_CLIENT,
        &[&digest.as_bytes().as_slice()],
        |r| {
            let (grant, user) = logic::refresh_grant_with_user(r)?;
            // A LEFT JOIN: no client columns when the family's client is gone.
            let client = match r.opt_uuid("id")? {
                None => None,
                Some(_) => Some(client_row(r, cache)?),
            };
            Ok((grant, user, client))
        },
    )
}

/// The rotation as one transaction: the compare-and-set, then the successor and the new access token
/// for the winner; for a loser, the settled state decides between retry, replay (revoking the family)
/// and invalid. Runs unguarded (see [`super::writer`]): every outcome is an `Ok`, and only a taken token
/// digest (never, for 256-bit random secrets) fails after the compare-and-set.
fn rotate(conn: &Connection, rotation: &Rotation) -> StoreResult<RotateOutcome> {
    let family_id = rotation.refresh.family_id;
    let now = rotation.now;
    let presented = rotation.presented.as_bytes().as_slice();
    let outcome = transaction(conn, |conn| {
        // New tokens of two families can never win; the checks below then say why.
        if rotation.access.family_id == family_id {
            let won = execute(
                conn,
                ROTATE,
                rusqlite::params![
                    presented,
                    now,
                    rotation.refresh.digest.as_bytes().as_slice(),
                    rotation.retry_until,
                    rotation.sealed_retry.as_slice(),
                    id(family_id.as_uuid()),
                ],
            )?;
            if won > 0 {
                insert_refresh(conn, &rotation.refresh)?;
                insert_access(conn, &rotation.access)?;
                return Ok(RotateOutcome::Rotated);
            }
        }
        let state = query_opt(conn, logic::SPENT_REFRESH, &[&presented], |r| {
            SpentRefresh::from_row(r)
        })?;
        match logic::spent_refresh(state, now) {
            Spent::Invalid => Ok(RotateOutcome::Invalid),
            Spent::Retry(sealed_retry) => Ok(RotateOutcome::Retry { sealed_retry }),
            Spent::Replay(family_id) => {
                revoke_family_in(conn, family_id, now)?;
                Ok(RotateOutcome::Replay { family_id })
            }
            Spent::WrongFamily => Err(logic::wrong_family()),
        }
    })?;
    if let RotateOutcome::Replay { family_id } = &outcome {
        tracing::debug!(?family_id, "refresh token replayed: family revoked");
    }
    Ok(outcome)
}

impl TokenStore for SqliteStore {
    async fn create_family(
        &self,
        family: &TokenFamily,
        access: Option<&AccessTokenRecord>,
        refresh: Option<&RefreshTokenRecord>,
        from_code: Option<Digest>,
    ) -> StoreResult<()> {
        let new = FamilyWrite {
            family: family.clone(),
            access: access.cloned(),
            refresh: refresh.cloned(),
            from_code,
        };
        self.write_unguarded(move |conn| create_family(conn, &new))
            .await
    }

    async fn get_family(&self, family: FamilyId) -> StoreResult<Option<TokenFamily>> {
        self.read(|conn| {
            query_opt(
                conn,
                concat!(
                    "SELECT ",
                    family_cols!(),
                    " FROM token_families f WHERE f.id = $1"
                ),
                &[&id(family.as_uuid())],
                |r| decode::family(r),
            )
        })
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()> {
        let token = token.clone();
        self.write(move |conn| insert_access_in_family(conn, &token))
            .await
    }

    async fn get_access_token(&self, digest: Digest) -> StoreResult<Option<AccessTokenGrant>> {
        self.read(|conn| {
            query_opt(conn, ACCESS_GRANT, &[&digest.as_bytes().as_slice()], |r| {
                Ok(AccessTokenGrant {
                    token: decode::access(r)?,
                    family: decode::family(r)?,
                })
            })
        })
    }

    async fn get_refresh_token(&self, digest: Digest) -> StoreResult<Option<RefreshTokenGrant>> {
        self.read(|conn| {
            query_opt(conn, REFRESH_GRANT, &[&digest.as_bytes().as_slice()], |r| {
                Ok(RefreshTokenGrant {
                    token: decode::refresh(r)?,
                    family: decode::family(r)?,
                })
            })
        })
    }

    async fn get_refresh_token_with_user(
        &self,
        digest: Digest,
    ) -> StoreResult<Option<(RefreshTokenGrant, Option<User>)>> {
        self.read(|conn| refresh_grant_with_user(conn, &digest))
    }

    async fn rotate_refresh(&self, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        let rotation = rotation.clone();
        self.write_unguarded(move |conn| rotate(conn, &rotation))
            .await
    }

    /// One unguarded operation of the writer: the reads (on the writer's page cache, which its own
    /// commits keep valid), the check, then the rotation exactly as `rotate_refresh` runs it. Nothing
    /// is written before the check accepts.
    async fn refresh_grant<T, R, F>(
        &self,
        digest: Digest,
        check: F,
    ) -> StoreResult<RefreshGrantOutcome<T, R>>
    where
        Self: ClientStore + Sync,
        T: Send + 'static,
        R: Send + 'static,
        F: FnOnce(&RefreshTokenGrant, Option<&Client>, Option<&User>) -> Result<(Rotation, T), R>
            + Send
            + 'static,
    {
        let inner = Arc::clone(&self.inner);
        self.write_unguarded(move |conn| {
            let Some((grant, user, client)) =
                refresh_grant_with_user_and_client(conn, &inner.client_metadata, &digest)?
            else {
                return Ok(RefreshGrantOutcome::NotFound);
            };
            let (rotation, checked) = match check(&grant, client.as_ref(), user.as_ref()) {
                Ok(accepted) => accepted,
                Err(refusal) => return Ok(RefreshGrantOutcome::Refused(refusal)),
            };
            let outcome = rotate(conn, &rotation)?;
            Ok(RefreshGrantOutcome::Checked {
                grant,
                client,
                user,
                checked,
                outcome,
            })
        })
        .await
    }

    async fn revoke_access_token(&self, digest: Digest, now: UnixTime) -> StoreResult<bool> {
        self.write(move |conn| {
            let changed = execute(
                conn,
                "UPDATE access_tokens SET revoked_at = $2 WHERE digest = $1 AND revoked_at IS NULL",
                &[&digest.as_bytes().as_slice(), &now],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn revoke_family(&self, family: FamilyId, now: UnixTime) -> StoreResult<bool> {
        self.write(move |conn| Ok(revoke_family_in(conn, family, now)? > 0))
            .await
    }

    async fn revoke_by_session(&self, session: SessionId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
            id(session.as_uuid()),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_client(&self, client: ClientId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            id(client.as_uuid()),
            None,
            now,
        )
        .await
    }

    async fn revoke_by_user(&self, user: UserId, now: UnixTime) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 \
             WHERE subject_id = $1 AND subject_type = 'user' AND revoked_at IS NULL",
            id(user.as_uuid()),
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
            id(user.as_uuid()),
            Some(id(client.as_uuid())),
            now,
        )
        .await
    }

    async fn revoke_by_org_authorization(
        &self,
        authorization: OrgAuthorizationId,
        now: UnixTime,
    ) -> StoreResult<u64> {
        self.revoke_where(
            "UPDATE token_families SET revoked_at = $2 \
             WHERE org_authorization_id = $1 AND revoked_at IS NULL",
            id(authorization.as_uuid()),
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
        key: IdText,
        second: Option<IdText>,
        now: UnixTime,
    ) -> StoreResult<u64> {
        self.write(move |conn| {
            let params: &Params<'_> = match &second {
                Some(second) => &[&key, &now, second],
                None => &[&key, &now],
            };
            execute(conn, sql, params)
        })
        .await
    }
}

/// Revokes one family (inside the caller's transaction, or alone); how many rows changed.
pub(super) fn revoke_family_in(
    conn: &Connection,
    family: FamilyId,
    now: UnixTime,
) -> StoreResult<u64> {
    execute(
        conn,
        "UPDATE token_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        &[&id(family.as_uuid()), &now],
    )
}
