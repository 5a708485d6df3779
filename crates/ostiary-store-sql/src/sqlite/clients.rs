//! Clients and consents on SQLite.

use ostiary_store::records::*;
use ostiary_store::{
    ClientFilter, ClientId, ClientStore, ConsentStore, Digest, StoreError, StoreResult, UserId,
};

use super::SqliteStore;
use super::conn::transaction;
use super::metadata::MetadataCache;
use super::row::SqliteRow;
use super::sql::{execute, id, paged, query_all, query_opt};
use crate::columns::*;
use crate::decode::Cols;
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

/// The client with `id`, read on `conn` (a reader's, or the writer's: see `refresh_grant`), its
/// metadata decoded through `cache`.
pub(super) fn get_client(
    conn: &rusqlite::Connection,
    cache: &MetadataCache,
    client: ClientId,
) -> StoreResult<Option<Client>> {
    query_opt(
        conn,
        concat!("SELECT ", client_cols!(), " FROM clients WHERE id = $1"),
        rusqlite::params![id(client.as_uuid())],
        |r| client_row(r, cache),
    )
}

/// A client read through [`client_cols`] (under those names), its metadata decoded through `cache`.
pub(super) fn client_row(r: &SqliteRow<'_, '_>, cache: &MetadataCache) -> StoreResult<Client> {
    let found = ClientId::from_uuid(r.uuid("id")?);
    let metadata = cache.decode(found, r.str("metadata")?)?;
    decode::client_with(r, metadata)
}

impl ClientStore for SqliteStore {
    async fn insert_client(&self, client: &Client) -> StoreResult<()> {
        let client = client.clone();
        let metadata = encode::metadata(&client.metadata)?;
        self.write(move |conn| {
            let m = &client.metadata;
            execute(
                conn,
                "INSERT INTO clients (id, metadata, initiate_login_uri, backchannel_logout_uri, \
                 secret_digest, created_at, updated_at, secret_rotated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                rusqlite::params![
                    id(client.id.as_uuid()),
                    metadata,
                    m.initiate_login_uri.as_deref(),
                    m.backchannel_logout_uri.as_ref().map(|u| u.as_str()),
                    client.secret_digest.as_bytes().as_slice(),
                    client.created_at,
                    client.updated_at,
                    client.secret_rotated_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_client(&self, client: ClientId) -> StoreResult<Option<Client>> {
        let cache = &self.inner.client_metadata;
        self.read(|conn| get_client(conn, cache, client))
    }

    async fn update_client_metadata(
        &self,
        client: ClientId,
        metadata: &ClientMetadata,
        now: UnixTime,
    ) -> StoreResult<Option<Client>> {
        let json = encode::metadata(metadata)?;
        let initiate_login_uri = metadata.initiate_login_uri.clone();
        let backchannel_logout_uri = metadata
            .backchannel_logout_uri
            .as_ref()
            .map(|u| u.as_str().to_owned());
        self.write(move |conn| {
            query_opt(
                conn,
                concat!(
                    "UPDATE clients SET metadata = $2, initiate_login_uri = $3, \
                     backchannel_logout_uri = $4, updated_at = $5 WHERE id = $1 RETURNING ",
                    client_cols!()
                ),
                rusqlite::params![
                    id(client.as_uuid()),
                    json,
                    initiate_login_uri,
                    backchannel_logout_uri,
                    now
                ],
                |r| decode::client(r),
            )
        })
        .await
    }

    async fn set_client_secret(
        &self,
        client: ClientId,
        secret_digest: Digest,
        now: UnixTime,
    ) -> StoreResult<bool> {
        self.write(move |conn| {
            let changed = execute(
                conn,
                "UPDATE clients SET secret_digest = $2, secret_rotated_at = $3 WHERE id = $1",
                rusqlite::params![
                    id(client.as_uuid()),
                    secret_digest.as_bytes().as_slice(),
                    now
                ],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn delete_client(&self, client: ClientId, now: UnixTime) -> StoreResult<bool> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                let client = id(client.as_uuid());
                if execute(conn, "DELETE FROM clients WHERE id = $1", &[&client])? == 0 {
                    return Ok(false);
                }
                for statement in [
                    "DELETE FROM codes WHERE client_id = $1",
                    "DELETE FROM consents WHERE client_id = $1",
                    "DELETE FROM logout_outbox WHERE client_id = $1 AND outcome = 'pending'",
                ] {
                    execute(conn, statement, &[&client])?;
                }
                for statement in [
                    "UPDATE token_families SET revoked_at = $2 \
                     WHERE client_id = $1 AND revoked_at IS NULL",
                    "UPDATE org_authorizations SET state = 'revoked', revoked_by_type = 'system', \
                     revoked_by_id = NULL, revoked_at = $2 \
                     WHERE client_id = $1 AND state IN ('pending', 'active')",
                ] {
                    execute(conn, statement, &[&client, &now])?;
                }
                Ok(true)
            })
        })
        .await
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
        self.read(|conn| {
            paged(
                conn,
                sql,
                limit,
                after.as_ref().map(ClientId::as_uuid),
                |r| decode::client(r),
            )
        })
    }
}

impl ConsentStore for SqliteStore {
    async fn get_consent(&self, user: UserId, client: ClientId) -> StoreResult<Option<Consent>> {
        self.read(|conn| {
            query_opt(
                conn,
                concat!(
                    "SELECT ",
                    consent_cols!(),
                    " FROM consents WHERE user_id = $1 AND client_id = $2"
                ),
                rusqlite::params![id(user.as_uuid()), id(client.as_uuid())],
                |r| decode::consent(r),
            )
        })
    }

    async fn put_consent(&self, consent: &Consent) -> StoreResult<()> {
        let consent = consent.clone();
        self.write(move |conn| {
            execute(
                conn,
                concat!(
                    "INSERT INTO consents (",
                    consent_cols!(),
                    ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, client_id) DO UPDATE SET \
                     scope = excluded.scope, granted_at = excluded.granted_at, \
                     updated_at = excluded.updated_at"
                ),
                rusqlite::params![
                    id(consent.user_id.as_uuid()),
                    id(consent.client_id.as_uuid()),
                    consent.scope.as_str(),
                    consent.granted_at,
                    consent.updated_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_consent(&self, user: UserId, client: ClientId) -> StoreResult<bool> {
        self.write(move |conn| {
            let changed = execute(
                conn,
                "DELETE FROM consents WHERE user_id = $1 AND client_id = $2",
                rusqlite::params![id(user.as_uuid()), id(client.as_uuid())],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn list_consents_of_user(&self, user: UserId) -> StoreResult<Vec<Consent>> {
        self.read(|conn| {
            query_all(
                conn,
                concat!(
                    "SELECT ",
                    consent_cols!(),
                    " FROM consents WHERE user_id = $1 ORDER BY client_id"
                ),
                rusqlite::params![id(user.as_uuid())],
                |r| decode::consent(r),
            )
        })
    }
}
