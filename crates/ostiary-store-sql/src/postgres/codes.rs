//! Authorization codes on PostgreSQL.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, ClientStore, CodeStore, Digest, FamilyId, PresentedClient, StoreError, StoreResult,
    TokenStore, UserStore,
};

use super::PostgresStore;
use super::tokens::{create_family_in, revoke_family_in};
use crate::columns::*;
use crate::decode::{self, Cols};
use crate::encode;
use crate::error::store_error;

/// The winner of a consume: only one caller can move `consumed_at` from NULL.
const CONSUME: &str = concat!(
    "UPDATE codes SET consumed_at = $2 \
     WHERE digest = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING ",
    code_cols!()
);

impl CodeStore for PostgresStore {
    async fn insert_code(&self, code: AuthorizationCode) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO codes (",
            code_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(code.digest.as_bytes().as_slice())
        .bind(code.client_id.as_uuid())
        .bind(code.user_id.as_uuid())
        .bind(&code.redirect_uri)
        .bind(code.scope.as_str())
        .bind(code.code_challenge.as_deref())
        .bind(code.nonce.as_deref())
        .bind(code.session_id.as_uuid())
        .bind(code.auth_time)
        .bind(encode::amr(&code.amr)?)
        .bind(code.family_id.as_uuid())
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn consume_code(&self, digest: Digest, now: UnixTime) -> StoreResult<ConsumeCode> {
        // The winner: one statement; only one caller can move consumed_at from NULL.
        let won = sqlx::query(CONSUME)
            .bind(digest.as_bytes().as_slice())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        if let Some(row) = won {
            return Ok(ConsumeCode::Consumed(decode::code(&row)?));
        }
        // Losers: a replay marks the code and revokes its family in one transaction (RFC 6749 §4.1.2).
        // The UPDATE takes the code's row lock, which create_family(from_code) also takes: either the
        // family is committed first and the revocation below (a new statement, a new snapshot) sees it,
        // or the mark is committed first and create_family finds it and writes nothing.
        let mut tx = self.begin().await?;
        let replayed = sqlx::query(
            "UPDATE codes SET replayed_at = COALESCE(replayed_at, $2) \
             WHERE digest = $1 AND consumed_at IS NOT NULL RETURNING family_id, client_id",
        )
        .bind(digest.as_bytes().as_slice())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(row) = replayed else {
            tx.rollback().await.map_err(store_error)?;
            let exists = sqlx::query("SELECT 1 FROM codes WHERE digest = $1")
                .bind(digest.as_bytes().as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
            return Ok(if exists.is_some() {
                ConsumeCode::Expired
            } else {
                ConsumeCode::NotFound
            });
        };
        let family_id = FamilyId::from_uuid(row.uuid("family_id")?);
        let client_id = ClientId::from_uuid(row.uuid("client_id")?);
        revoke_family_in(&mut tx, family_id, now).await?;
        tx.commit().await.map_err(store_error)?;
        tracing::debug!(?family_id, "authorization code replayed: family revoked");
        Ok(ConsumeCode::AlreadyUsed {
            family_id,
            client_id,
        })
    }

    /// The client first, with a read of its own (before the transaction, which it would otherwise
    /// keep open one round trip longer). Then one transaction, so one commit (one WAL flush) for the
    /// two writes of an exchange: the consume's `UPDATE` (whose row lock `create_family`'s `FOR
    /// UPDATE` of the code then already holds), the check, and the family's statement, which refuses
    /// without an error (see `CREATE_FAMILY`), so the consume commits whatever it decides. A code this
    /// caller does not consume goes the way of `consume_code` (replay, expired, unknown).
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
        let Some(client) = self
            .get_client(client.id())
            .await?
            .filter(|found| client.matches(found))
        else {
            return Ok(CodeExchange::Unauthenticated);
        };
        let mut tx = self.begin().await?;
        let won = sqlx::query(CONSUME)
            .bind(digest.as_bytes().as_slice())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_error)?;
        let Some(row) = won else {
            tx.rollback().await.map_err(store_error)?;
            // Not ours to consume: the consume below finds the same and takes the loser's path.
            return Ok(CodeExchange::NotConsumed(
                self.consume_code(digest, now).await?,
            ));
        };
        let code = decode::code(&row)?;
        let created = match check(&client, &code) {
            Err(refusal) => Err(CodeExchange::Refused(refusal)),
            Ok((new, checked)) => {
                let created = create_family_in(
                    &mut tx,
                    &new.family,
                    new.access.as_ref(),
                    new.refresh.as_ref(),
                    Some(digest),
                )
                .await;
                match created {
                    Ok(()) => Ok(checked),
                    Err(error @ StoreError::Conflict(_)) => Err(CodeExchange::NotCreated(error)),
                    // The transaction may be aborted: nothing of it, the consume included, stays.
                    Err(error) => return Err(error),
                }
            }
        };
        tx.commit().await.map_err(store_error)?;
        // The user after the commit, as a read of its own: inside the transaction it would keep
        // the code's row locked one round trip longer.
        Ok(match created {
            Ok(checked) => {
                let user = self.get_user(code.user_id).await?;
                CodeExchange::Issued {
                    code,
                    client,
                    user,
                    checked,
                }
            }
            Err(refused) => refused,
        })
    }
}
