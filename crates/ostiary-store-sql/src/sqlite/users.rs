//! Users (with their logins), organizations and memberships on SQLite.

use ostiary_store::records::*;
use ostiary_store::{
    OrganizationId, OrganizationStore, StoreError, StoreResult, UserId, UserStore,
};
use rusqlite::Connection;

use super::SqliteStore;
use super::conn::transaction;
use super::sql::{execute, id, paged, query_all, query_opt};
use crate::columns::*;
use crate::error::SQLITE_FOREIGN_KEY;
use crate::{decode, encode};

/// Claims the logins of `user`; a login another user holds fails with `Conflict("users_login_key")`.
fn insert_logins(conn: &Connection, user: &User) -> StoreResult<()> {
    let key = id(user.id.as_uuid());
    for login in encode::logins(user) {
        execute(
            conn,
            "INSERT INTO user_logins (login, user_id) VALUES ($1, $2)",
            &[&login, &key],
        )?;
    }
    Ok(())
}

fn insert_user(conn: &Connection, user: &User, profile: &str) -> StoreResult<()> {
    transaction(conn, |conn| {
        execute(
            conn,
            concat!(
                "INSERT INTO users (",
                user_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            rusqlite::params![
                id(user.id.as_uuid()),
                user.username,
                user.email.as_deref(),
                user.email_verified,
                user.password_hash.expose_secret(),
                profile,
                user.disabled,
                user.created_at,
                user.updated_at,
            ],
        )?;
        insert_logins(conn, user)
    })
}

/// Logins are replaced with the row: a login taken by another user fails the transaction, so nothing
/// changes.
fn update_user(conn: &Connection, user: &User, profile: &str) -> StoreResult<bool> {
    transaction(conn, |conn| {
        let key = id(user.id.as_uuid());
        let changed = execute(
            conn,
            "UPDATE users SET username = $2, email = $3, email_verified = $4, password_hash = $5, \
             profile = $6, disabled = $7, created_at = $8, updated_at = $9 WHERE id = $1",
            rusqlite::params![
                key,
                user.username,
                user.email.as_deref(),
                user.email_verified,
                user.password_hash.expose_secret(),
                profile,
                user.disabled,
                user.created_at,
                user.updated_at,
            ],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        execute(conn, "DELETE FROM user_logins WHERE user_id = $1", &[&key])?;
        insert_logins(conn, user)?;
        Ok(true)
    })
}

/// The user with id `user`, on `conn`.
pub(super) fn get(conn: &Connection, user: UserId) -> StoreResult<Option<User>> {
    query_opt(
        conn,
        concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"),
        &[&id(user.as_uuid())],
        |r| decode::user(r),
    )
}

impl UserStore for SqliteStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let user = user.clone();
        let profile = encode::profile(&user.profile)?;
        self.write(move |conn| insert_user(conn, &user, &profile))
            .await
    }

    async fn get_user(&self, user: UserId) -> StoreResult<Option<User>> {
        self.read(|conn| get(conn, user))
    }

    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        self.read(|conn| {
            query_opt(
                conn,
                concat!(
                    "SELECT ",
                    user_cols!(),
                    " FROM user_logins l JOIN users u ON u.id = l.user_id WHERE l.login = $1"
                ),
                &[&login],
                |r| decode::user(r),
            )
        })
    }

    async fn update_user(&self, user: &User) -> StoreResult<bool> {
        let user = user.clone();
        let profile = encode::profile(&user.profile)?;
        self.write(move |conn| update_user(conn, &user, &profile))
            .await
    }

    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>> {
        let sql = if after.is_some() {
            concat!(
                "SELECT ",
                user_cols!(),
                " FROM users WHERE id > $2 ORDER BY id LIMIT $1"
            )
        } else {
            concat!("SELECT ", user_cols!(), " FROM users ORDER BY id LIMIT $1")
        };
        self.read(|conn| {
            paged(conn, sql, limit, after.as_ref().map(UserId::as_uuid), |r| {
                decode::user(r)
            })
        })
    }
}

impl OrganizationStore for SqliteStore {
    async fn insert_organization(&self, org: &Organization) -> StoreResult<()> {
        let org = org.clone();
        self.write(move |conn| {
            execute(
                conn,
                "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)",
                rusqlite::params![id(org.id.as_uuid()), org.name, org.created_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_organization(&self, org: OrganizationId) -> StoreResult<Option<Organization>> {
        self.read(|conn| {
            query_opt(
                conn,
                "SELECT id, name, created_at FROM organizations WHERE id = $1",
                &[&id(org.as_uuid())],
                |r| decode::organization(r),
            )
        })
    }

    async fn list_organizations(
        &self,
        after: Option<OrganizationId>,
        limit: usize,
    ) -> StoreResult<Vec<Organization>> {
        let sql = if after.is_some() {
            "SELECT id, name, created_at FROM organizations WHERE id > $2 ORDER BY id LIMIT $1"
        } else {
            "SELECT id, name, created_at FROM organizations ORDER BY id LIMIT $1"
        };
        self.read(|conn| {
            paged(
                conn,
                sql,
                limit,
                after.as_ref().map(OrganizationId::as_uuid),
                |r| decode::organization(r),
            )
        })
    }

    async fn put_membership(&self, membership: &Membership) -> StoreResult<()> {
        let membership = membership.clone();
        self.write(move |conn| {
            let done = execute(
                conn,
                concat!(
                    "INSERT INTO memberships (",
                    membership_cols!(),
                    ") VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role"
                ),
                rusqlite::params![
                    id(membership.organization_id.as_uuid()),
                    id(membership.user_id.as_uuid()),
                    membership.role.as_str(),
                    membership.created_at
                ],
            );
            match done {
                Ok(_) => Ok(()),
                Err(StoreError::Conflict(SQLITE_FOREIGN_KEY)) => {
                    Err(StoreError::Conflict("memberships_fkey"))
                }
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn remove_membership(&self, org: OrganizationId, user: UserId) -> StoreResult<bool> {
        self.write(move |conn| {
            let changed = execute(
                conn,
                "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
                &[&id(org.as_uuid()), &id(user.as_uuid())],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn get_membership(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> StoreResult<Option<Membership>> {
        self.read(|conn| {
            query_opt(
                conn,
                concat!(
                    "SELECT ",
                    membership_cols!(),
                    " FROM memberships WHERE organization_id = $1 AND user_id = $2"
                ),
                &[&id(org.as_uuid()), &id(user.as_uuid())],
                |r| decode::membership(r),
            )
        })
    }

    async fn list_memberships_of_user(&self, user: UserId) -> StoreResult<Vec<Membership>> {
        self.read(|conn| {
            query_all(
                conn,
                concat!(
                    "SELECT ",
                    membership_cols!(),
                    " FROM memberships WHERE user_id = $1 ORDER BY organization_id"
                ),
                &[&id(user.as_uuid())],
                |r| decode::membership(r),
            )
        })
    }

    async fn list_members(&self, org: OrganizationId) -> StoreResult<Vec<Membership>> {
        self.read(|conn| {
            query_all(
                conn,
                concat!(
                    "SELECT ",
                    membership_cols!(),
                    " FROM memberships WHERE organization_id = $1 ORDER BY user_id"
                ),
                &[&id(org.as_uuid())],
                |r| decode::membership(r),
            )
        })
    }
}
