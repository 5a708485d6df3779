//! Organization authorizations on SQLite.

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, OrgAuthorizationId, OrgAuthorizationStore, OrganizationId, StoreError, StoreResult,
};
use rusqlite::Connection;

use super::SqliteStore;
use super::conn::transaction;
use super::sql::{execute, id, query_all, query_opt};
use crate::columns::*;
use crate::decode;
use crate::encode;
use crate::orgauth::{INSERT, transition_sql};

const BY_ID: &str = concat!(
    "SELECT ",
    org_auth_cols!(),
    " FROM org_authorizations WHERE id = $1"
);

fn insert(conn: &Connection, auth: &OrgAuthorization) -> StoreResult<()> {
    let (created_type, created_id) = encode::actor(&auth.created_by)?;
    let [activated, revoked, failed] = [auth.activated, auth.revoked, auth.failed]
        .map(|stamp| stamp.map(|(actor, at)| encode::actor(&actor).map(|a| (a, at))));
    let (activated, revoked, failed) = (
        activated.transpose()?,
        revoked.transpose()?,
        failed.transpose()?,
    );
    let kind =
        |stamp: Option<((&'static str, Option<uuid::Uuid>), UnixTime)>| stamp.map(|((t, _), _)| t);
    let who = |stamp: Option<((&'static str, Option<uuid::Uuid>), UnixTime)>| {
        stamp.and_then(|((_, actor), _)| actor).map(|a| id(&a))
    };
    let at =
        |stamp: Option<((&'static str, Option<uuid::Uuid>), UnixTime)>| stamp.map(|(_, at)| at);
    execute(
        conn,
        INSERT,
        rusqlite::params![
            id(auth.id.as_uuid()),
            id(auth.organization_id.as_uuid()),
            id(auth.client_id.as_uuid()),
            auth.scope.as_str(),
            auth.state.as_str(),
            created_type,
            created_id.map(|a| id(&a)),
            auth.created_at,
            auth.pending_expires_at,
            kind(activated),
            who(activated),
            at(activated),
            kind(revoked),
            who(revoked),
            at(revoked),
            kind(failed),
            who(failed),
            at(failed),
        ],
    )?;
    Ok(())
}

/// The answer when nothing moved: the record as it is now, or `NotFound`. Read inside the transaction
/// that holds the write lock, so it reflects the write that beat us.
fn unchanged(conn: &Connection, auth: OrgAuthorizationId) -> StoreResult<Transition> {
    let found = query_opt(conn, BY_ID, &[&id(auth.as_uuid())], |r| {
        decode::org_authorization(r)
    })?;
    Ok(match found {
        Some(found) => Transition::Conflict(found),
        None => Transition::NotFound,
    })
}

/// One transaction: the compare-and-set on the state, then (for a revocation) the families issued under
/// the authorization. On the single writer, a `create_family` under this authorization runs wholly
/// before (its family is revoked here) or after (it finds the authorization revoked).
fn transition(
    conn: &Connection,
    auth: OrgAuthorizationId,
    sql: &'static str,
    from: OrgAuthorizationState,
    to: OrgAuthorizationState,
    actor: (&'static str, Option<uuid::Uuid>),
    now: UnixTime,
) -> StoreResult<Transition> {
    transaction(conn, |conn| {
        let key = id(auth.as_uuid());
        let moved = query_opt(
            conn,
            sql,
            rusqlite::params![key, from.as_str(), actor.0, actor.1.map(|a| id(&a)), now],
            |r| decode::org_authorization(r),
        );
        let moved = match moved {
            Ok(Some(moved)) => moved,
            Ok(None) => return unchanged(conn, auth),
            // Another authorization of the pair is active: the partial unique index refused this one.
            Err(StoreError::Conflict("org_authorizations_one_active")) => {
                return unchanged(conn, auth);
            }
            Err(e) => return Err(e),
        };
        if to == OrgAuthorizationState::Revoked {
            execute(
                conn,
                "UPDATE token_families SET revoked_at = $2 \
                 WHERE org_authorization_id = $1 AND revoked_at IS NULL",
                &[&key, &now],
            )?;
        }
        Ok(Transition::Done(moved))
    })
}

impl OrgAuthorizationStore for SqliteStore {
    async fn insert_org_authorization(&self, auth: &OrgAuthorization) -> StoreResult<()> {
        let auth = auth.clone();
        self.write(move |conn| insert(conn, &auth)).await
    }

    async fn get_org_authorization(
        &self,
        auth: OrgAuthorizationId,
    ) -> StoreResult<Option<OrgAuthorization>> {
        self.read(|conn| {
            query_opt(conn, BY_ID, &[&id(auth.as_uuid())], |r| {
                decode::org_authorization(r)
            })
        })
    }

    async fn transition_org_authorization(
        &self,
        auth: OrgAuthorizationId,
        from: OrgAuthorizationState,
        to: OrgAuthorizationState,
        actor: Actor,
        now: UnixTime,
    ) -> StoreResult<Transition> {
        let Some(sql) = transition_sql(from, to) else {
            return self.write(move |conn| unchanged(conn, auth)).await;
        };
        let actor = encode::actor(&actor)?;
        self.write(move |conn| transition(conn, auth, sql, from, to, actor, now))
            .await
    }

    async fn list_org_authorizations(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<OrgAuthorization>> {
        self.read(|conn| {
            query_all(
                conn,
                concat!(
                    "SELECT ",
                    org_auth_cols!(),
                    " FROM org_authorizations WHERE organization_id = $1 \
                     ORDER BY created_at DESC, id DESC"
                ),
                &[&id(org.as_uuid())],
                |r| decode::org_authorization(r),
            )
        })
    }

    async fn find_active_org_authorization(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> StoreResult<Option<OrgAuthorization>> {
        self.read(|conn| {
            query_opt(
                conn,
                concat!(
                    "SELECT ",
                    org_auth_cols!(),
                    " FROM org_authorizations \
                     WHERE organization_id = $1 AND client_id = $2 AND state = 'active'"
                ),
                &[&id(org.as_uuid()), &id(client.as_uuid())],
                |r| decode::org_authorization(r),
            )
        })
    }
}
