//! Authorization codes on SQLite.

use ostiary_store::records::*;
use std::sync::Arc;

use ostiary_store::{
    ClientId, ClientStore, CodeStore, Digest, FamilyId, PresentedClient, StoreResult, TokenStore,
    UserStore,
};
use rusqlite::Connection;

use super::SqliteStore;
use super::clients::get_client;
use super::conn::transaction;
use super::sql::{execute, id, query_opt};
use super::tokens::{self, FamilyWrite, revoke_family_in};
use super::users;
use crate::columns::*;
use crate::decode::{self, Cols};
use crate::encode;

/// The code a `consume_code` may win: unconsumed and unexpired.
const CONSUMABLE: &str = concat!(
    "SELECT ",
    code_cols!(),
    " FROM codes WHERE digest = $1 AND consumed_at IS NULL AND expires_at > $2"
);

/// The winner of `consume_code`: only one caller can move `consumed_at` from NULL.
const CONSUME: &str = "UPDATE codes SET consumed_at = $2 WHERE digest = $1 AND consumed_at IS NULL";

impl CodeStore for SqliteStore {
    async fn insert_code(&self, code: AuthorizationCode) -> StoreResult<()> {
        let amr = encode::amr(&code.amr)?;
        // One statement: a taken digest fails it before any change.
        self.write_unguarded(move |conn| {
            execute(
                conn,
                concat!(
                    "INSERT INTO codes (",
                    code_cols!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                ),
                rusqlite::params![
                    code.digest.as_bytes().as_slice(),
                    id(code.client_id.as_uuid()),
                    id(code.user_id.as_uuid()),
                    code.redirect_uri,
                    code.scope.as_str(),
                    code.code_challenge,
                    code.nonce,
                    id(code.session_id.as_uuid()),
                    code.auth_time,
                    amr,
                    id(code.family_id.as_uuid()),
                    code.created_at,
                    code.expires_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn consume_code(&self, digest: Digest, now: UnixTime) -> StoreResult<ConsumeCode> {
        // Refuses nothing: every outcome is an `Ok`.
        self.write_unguarded(move |conn| consume(conn, &digest, now))
            .await
    }

    /// One operation of the writer, so one commit (and one trip through the writer) for the two
    /// writes of an exchange, and the reads of the client before them and of the code's user after
    /// them on the writer's warm page cache. It runs unguarded: what refuses after the consume (the
    /// check, the grant checks of `create_family`, a taken token digest or family id) refuses before
    /// writing anything more, and the consume stays; a failure after a change (an I/O error) rolls
    /// back the whole transaction, the consume with it (see `sqlite/writer.rs`).
    async fn exchange_code<T, R, F>(
        &self,
        digest: Digest,
        now: UnixTime,
        client: PresentedClient,
        check: F,
    ) -> StoreResult<CodeExchange<T, R>>
    where
        Self: ClientStore + TokenStore + UserStore + Sync,
        T: Send + 'static,
        R: Send + 'static,
        F: FnOnce(&Client, &AuthorizationCode) -> Result<(NewFamily, T), R> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        self.write_unguarded(move |conn| {
            let Some(client) = get_client(conn, &inner.client_metadata, client.id())?
                .filter(|found| client.matches(found))
            else {
                return Ok(CodeExchange::Unauthenticated);
            };
            let code = match consume(conn, &digest, now)? {
                ConsumeCode::Consumed(code) => code,
                other => return Ok(CodeExchange::NotConsumed(other)),
            };
            let (new, checked) = match check(&client, &code) {
                Ok(accepted) => accepted,
                Err(refusal) => return Ok(CodeExchange::Refused(refusal)),
            };
            let write = FamilyWrite {
                family: new.family,
                access: new.access,
                refresh: new.refresh,
                from_code: Some(digest),
            };
            let before = conn.total_changes();
            match tokens::create_family(conn, &write) {
                Ok(()) => {
                    // The writer's page cache is warm: cheaper here than a read of its own after
                    // the commit, which a reader connection would start with an emptied cache.
                    let user = users::get(conn, code.user_id)?;
                    Ok(CodeExchange::Issued {
                        code,
                        client,
                        user,
                        checked,
                    })
                }
                Err(error) if conn.total_changes() == before => Ok(CodeExchange::NotCreated(error)),
                Err(error) => Err(error),
            }
        })
        .await
    }
}

/// The winner reads the code and moves `consumed_at` from NULL; a loser marks the replay and revokes
/// the code's family in one transaction (RFC 6749 §4.1.2). On the single writer nothing runs between
/// the two. The winner's read and write are two statements rather than one `UPDATE … RETURNING`:
/// SQLite gathers a `RETURNING` statement's rows in a temporary table first, and creating it (a B-tree
/// and its page cache) cost eight allocations per exchange, more than the second statement. The
/// `UPDATE` still decides: a code read but then changing no row (another process consumed it
/// between, outside a transaction) takes the loser's path.
fn consume(conn: &Connection, digest: &Digest, now: UnixTime) -> StoreResult<ConsumeCode> {
    let key = digest.as_bytes().as_slice();
    if let Some(code) = query_opt(conn, CONSUMABLE, &[&key, &now], |r| decode::code(r))?
        && execute(conn, CONSUME, &[&key, &now])? == 1
    {
        return Ok(ConsumeCode::Consumed(code));
    }
    let outcome = transaction(conn, |conn| {
        let replayed = query_opt(
            conn,
            "UPDATE codes SET replayed_at = COALESCE(replayed_at, $2) \
             WHERE digest = $1 AND consumed_at IS NOT NULL RETURNING family_id, client_id",
            &[&key, &now],
            |r| {
                Ok((
                    FamilyId::from_uuid(r.uuid("family_id")?),
                    ClientId::from_uuid(r.uuid("client_id")?),
                ))
            },
        )?;
        let Some((family_id, client_id)) = replayed else {
            let exists = query_opt(
                conn,
                "SELECT 1 AS found FROM codes WHERE digest = $1",
                &[&key],
                |_| Ok(()),
            )?;
            return Ok(if exists.is_some() {
                ConsumeCode::Expired
            } else {
                ConsumeCode::NotFound
            });
        };
        revoke_family_in(conn, family_id, now)?;
        Ok(ConsumeCode::AlreadyUsed {
            family_id,
            client_id,
        })
    })?;
    if let ConsumeCode::AlreadyUsed { family_id, .. } = &outcome {
        tracing::debug!(?family_id, "authorization code replayed: family revoked");
    }
    Ok(outcome)
}
