//! Authorization codes on SQLite.

use ostiary_store::records::*;
use ostiary_store::{ClientId, CodeStore, Digest, FamilyId, StoreResult};

use super::SqliteStore;
use super::tokens::revoke_family_in;
use crate::columns::*;
use crate::decode::{self, Cols};
use crate::encode;
use crate::error::store_error;

impl CodeStore for SqliteStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO codes (",
            code_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(code.digest.as_bytes().as_slice())
        .bind(code.client_id.as_uuid().hyphenated())
        .bind(code.user_id.as_uuid().hyphenated())
        .bind(&code.redirect_uri)
        .bind(code.scope.to_string())
        .bind(code.code_challenge.as_deref())
        .bind(code.nonce.as_deref())
        .bind(code.session_id.as_uuid().hyphenated())
        .bind(code.auth_time)
        .bind(encode::amr(&code.amr)?)
        .bind(code.family_id.as_uuid().hyphenated())
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn consume_code(&self, digest: Digest, now: UnixTime) -> StoreResult<ConsumeCode> {
        // The winner: one statement; only one caller can move consumed_at from NULL.
        let won = sqlx::query(concat!(
            "UPDATE codes SET consumed_at = $2 \
             WHERE digest = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING ",
            code_cols!()
        ))
        .bind(digest.as_bytes().as_slice())
        .bind(now)
        .fetch_optional(&self.writer)
        .await
        .map_err(store_error)?;
        if let Some(row) = won {
            return Ok(ConsumeCode::Consumed(decode::code(&row)?));
        }
        // Losers: a replay marks the code and revokes its family in one transaction (RFC 6749 §4.1.2).
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
            let exists = sqlx::query("SELECT 1 FROM codes WHERE digest = $1")
                .bind(digest.as_bytes().as_slice())
                .fetch_optional(&mut *tx)
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
}
