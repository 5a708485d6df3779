//! Clients and consents on PostgreSQL.

use ostiary_store::records::*;
use ostiary_store::{
    ClientFilter, ClientId, ClientStore, ConsentStore, Digest, StoreError, StoreResult, UserId,
};

use super::{PostgresStore, paged};
use crate::columns::*;
use crate::error::store_error;
use crate::{decode, encode};

const CLIENTS_ALL: &str = concat!(
    "SELECT ",
    client_cols!(),
    " FROM clients ORDER BY id LIMIT $1"
);
const CLIENTS_ALL_AFTER: &str = concat!(
    "SELECT ",
    client_cols!(),
    " FROM clients WHERE id > $2 ORDER BY id LIMIT $1"
);
const CLIENTS_CATALOGUE: &str = concat!(
    "SELECT ",
    client_cols!(),
    " FROM clients WHERE initiate_login_uri IS NOT NULL ORDER BY id LIMIT $1"
);
const CLIENTS_CATALOGUE_AFTER: &str = concat!(
    "SELECT ",
    client_cols!(),
    " FROM clients WHERE initiate_login_uri IS NOT NULL AND id > $2 ORDER BY id LIMIT $1"
);

impl ClientStore for PostgresStore {
    async fn insert_client(&self, client: &Client) -> StoreResult<()> {
        let m = &client.metadata;
        sqlx::query(
            "INSERT INTO clients (id, metadata, initiate_login_uri, backchannel_logout_uri, secret_digest, \
             created_at, updated_at, secret_rotated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(client.id.as_uuid())
        .bind(encode::metadata(m)?)
        .bind(m.initiate_login_uri.as_deref())
        .bind(m.backchannel_logout_uri.as_ref().map(|u| u.as_str()))
        .bind(client.secret_digest.as_bytes().as_slice())
        .bind(client.created_at)
        .bind(client.updated_at)
        .bind(client.secret_rotated_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn get_client(&self, id: ClientId) -> StoreResult<Option<Client>> {
        sqlx::query(concat!(
            "SELECT ",
            client_cols!(),
            " FROM clients WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::client(&r))
        .transpose()
    }

    async fn update_client_metadata(
        &self,
        id: ClientId,
        metadata: &ClientMetadata,
        now: UnixTime,
    ) -> StoreResult<Option<Client>> {
        sqlx::query(concat!(
            "UPDATE clients SET metadata = $2, initiate_login_uri = $3, backchannel_logout_uri = $4, \
             updated_at = $5 WHERE id = $1 RETURNING ",
            client_cols!()
        ))
        .bind(id.as_uuid())
        .bind(encode::metadata(metadata)?)
        .bind(metadata.initiate_login_uri.as_deref())
        .bind(metadata.backchannel_logout_uri.as_ref().map(|u| u.as_str()))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::client(&r))
        .transpose()
    }

    async fn set_client_secret(
        &self,
        id: ClientId,
        secret_digest: Digest,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE clients SET secret_digest = $2, secret_rotated_at = $3 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(secret_digest.as_bytes().as_slice())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_client(&self, id: ClientId, now: UnixTime) -> StoreResult<bool> {
        let id = *id.as_uuid();
        let mut tx = self.begin().await?;
        let deleted = sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        for statement in [
            "DELETE FROM codes WHERE client_id = $1",
            "DELETE FROM consents WHERE client_id = $1",
            "DELETE FROM logout_outbox WHERE client_id = $1 AND outcome = 'pending'",
        ] {
            sqlx::query(statement)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        for statement in [
            "UPDATE token_families SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            "UPDATE org_authorizations SET state = 'revoked', revoked_by_type = 'system', \
             revoked_by_id = NULL, revoked_at = $2 WHERE client_id = $1 AND state IN ('pending', 'active')",
        ] {
            sqlx::query(statement)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn list_clients(
        &self,
        filter: ClientFilter,
        after: Option<ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<Client>> {
        let catalogue = match filter {
            ClientFilter::All => false,
            ClientFilter::Catalogue => true,
            _ => return Err(StoreError::Invalid("unsupported client filter".into())),
        };
        let sql = match (catalogue, after.is_some()) {
            (false, false) => CLIENTS_ALL,
            (false, true) => CLIENTS_ALL_AFTER,
            (true, false) => CLIENTS_CATALOGUE,
            (true, true) => CLIENTS_CATALOGUE_AFTER,
        };
        paged(sql, limit, after.map(|a| *a.as_uuid()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .iter()
            .map(decode::client)
            .collect()
    }
}

impl ConsentStore for PostgresStore {
    async fn get_consent(&self, user: UserId, client: ClientId) -> StoreResult<Option<Consent>> {
        sqlx::query(concat!(
            "SELECT ",
            consent_cols!(),
            " FROM consents WHERE user_id = $1 AND client_id = $2"
        ))
        .bind(user.as_uuid())
        .bind(client.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::consent(&r))
        .transpose()
    }

    async fn put_consent(&self, consent: &Consent) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO consents (",
            consent_cols!(),
            ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, client_id) DO UPDATE SET \
             scope = excluded.scope, granted_at = excluded.granted_at, updated_at = excluded.updated_at"
        ))
        .bind(consent.user_id.as_uuid())
        .bind(consent.client_id.as_uuid())
        .bind(consent.scope.as_str())
        .bind(consent.granted_at)
        .bind(consent.updated_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_consent(&self, user: UserId, client: ClientId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user.as_uuid())
            .bind(client.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_consents_of_user(&self, user: UserId) -> StoreResult<Vec<Consent>> {
        sqlx::query(concat!(
            "SELECT ",
            consent_cols!(),
            " FROM consents WHERE user_id = $1 ORDER BY client_id"
        ))
        .bind(user.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(decode::consent)
        .collect()
    }
}
