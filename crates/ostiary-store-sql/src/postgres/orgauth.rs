//! Organization authorizations on PostgreSQL.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, OrgAuthorizationId, OrgAuthorizationStore, OrganizationId, StoreResult,
};

use super::PostgresStore;
use crate::columns::*;
use crate::error::{is_violation, store_error};
use crate::orgauth::{INSERT, transition_sql};
use crate::{decode, encode};

impl OrgAuthorizationStore for PostgresStore {
    async fn insert_org_authorization(&self, auth: &OrgAuthorization) -> StoreResult<()> {
        let (created_type, created_id) = encode::actor(&auth.created_by)?;
        let [activated, revoked, failed] = [auth.activated, auth.revoked, auth.failed]
            .map(|stamp| stamp.map(|(actor, at)| encode::actor(&actor).map(|a| (a, at))));
        let (activated, revoked, failed) = (
            activated.transpose()?,
            revoked.transpose()?,
            failed.transpose()?,
        );
        sqlx::query(INSERT)
            .bind(auth.id.as_uuid())
            .bind(auth.organization_id.as_uuid())
            .bind(auth.client_id.as_uuid())
            .bind(auth.scope.as_str())
            .bind(auth.state.as_str())
            .bind(created_type)
            .bind(created_id)
            .bind(auth.created_at)
            .bind(auth.pending_expires_at)
            .bind(activated.map(|((t, _), _)| t))
            .bind(activated.and_then(|((_, id), _)| id))
            .bind(activated.map(|(_, at)| at))
            .bind(revoked.map(|((t, _), _)| t))
            .bind(revoked.and_then(|((_, id), _)| id))
            .bind(revoked.map(|(_, at)| at))
            .bind(failed.map(|((t, _), _)| t))
            .bind(failed.and_then(|((_, id), _)| id))
            .bind(failed.map(|(_, at)| at))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get_org_authorization(
        &self,
        id: OrgAuthorizationId,
    ) -> StoreResult<Option<OrgAuthorization>> {
        sqlx::query(concat!(
            "SELECT ",
            org_auth_cols!(),
            " FROM org_authorizations WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::org_authorization(&r))
        .transpose()
    }

    async fn transition_org_authorization(
        &self,
        id: OrgAuthorizationId,
        from: OrgAuthorizationState,
        to: OrgAuthorizationState,
        actor: Actor,
        now: UnixTime,
    ) -> StoreResult<Transition> {
        let Some(sql) = transition_sql(from, to) else {
            return self.unchanged(id).await;
        };
        let (actor_type, actor_id) = encode::actor(&actor)?;
        let mut tx = self.begin().await?;
        let moved = sqlx::query(sql)
            .bind(id.as_uuid())
            .bind(from.as_str())
            .bind(actor_type)
            .bind(actor_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await;
        let row = match moved {
            Ok(Some(row)) => row,
            Ok(None) => {
                tx.rollback().await.map_err(store_error)?;
                return self.unchanged(id).await;
            }
            // Another authorization of the pair is active: the partial unique index refused this one.
            Err(e) if is_violation(&e, "org_authorizations_one_active") => {
                tx.rollback().await.map_err(store_error)?;
                return self.unchanged(id).await;
            }
            Err(e) => return Err(store_error(e)),
        };
        let auth = decode::org_authorization(&row)?;
        // Our UPDATE holds the row lock until commit. A create_family under this authorization that
        // checked it first (FOR SHARE) committed before our UPDATE could proceed, so this new statement
        // sees and revokes its family; one that comes later waits for our commit and finds it revoked.
        if to == OrgAuthorizationState::Revoked {
            sqlx::query(
                "UPDATE token_families SET revoked_at = $2 \
                 WHERE org_authorization_id = $1 AND revoked_at IS NULL",
            )
            .bind(id.as_uuid())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(Transition::Done(auth))
    }

    async fn list_org_authorizations(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<OrgAuthorization>> {
        sqlx::query(concat!(
            "SELECT ",
            org_auth_cols!(),
            " FROM org_authorizations WHERE organization_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(org.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(decode::org_authorization)
        .collect()
    }

    async fn find_active_org_authorization(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> StoreResult<Option<OrgAuthorization>> {
        sqlx::query(concat!(
            "SELECT ",
            org_auth_cols!(),
            " FROM org_authorizations WHERE organization_id = $1 AND client_id = $2 AND state = 'active'"
        ))
        .bind(org.as_uuid())
        .bind(client.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::org_authorization(&r))
        .transpose()
    }
}

impl PostgresStore {
    /// The answer when nothing moved: the record as it is now, or `NotFound`. Read after our
    /// transaction ended, in a new snapshot, so it reflects the write that beat us.
    async fn unchanged(&self, id: OrgAuthorizationId) -> StoreResult<Transition> {
        let row = sqlx::query(concat!(
            "SELECT ",
            org_auth_cols!(),
            " FROM org_authorizations WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(match row {
            Some(row) => Transition::Conflict(decode::org_authorization(&row)?),
            None => Transition::NotFound,
        })
    }
}
