//! Users (with their logins), organizations and memberships on PostgreSQL.

use ostiary_store::records::*;
use ostiary_store::{
    OrganizationId, OrganizationStore, StoreError, StoreResult, UserId, UserStore,
};

use sqlx::postgres::PgConnection;

use super::{PostgresStore, paged};
use crate::columns::*;
use crate::error::{is_foreign_key_violation, store_error};
use crate::{decode, encode};

impl UserStore for PostgresStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(concat!(
            "INSERT INTO users (",
            user_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(*user.id.as_uuid())
        .bind(&user.username)
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(user.password_hash.expose_secret())
        .bind(encode::profile(&user.profile)?)
        .bind(user.disabled)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_logins(&mut tx, user).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::user(&r))
        .transpose()
    }

    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM user_logins l JOIN users u ON u.id = l.user_id WHERE l.login = $1"
        ))
        .bind(login)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::user(&r))
        .transpose()
    }

    async fn update_user(&self, user: &User) -> StoreResult<bool> {
        // Logins are replaced with the row: a login taken by another user fails the transaction, so
        // nothing changes.
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET username = $2, email = $3, email_verified = $4, password_hash = $5, \
             profile = $6, disabled = $7, created_at = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(*user.id.as_uuid())
        .bind(&user.username)
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(user.password_hash.expose_secret())
        .bind(encode::profile(&user.profile)?)
        .bind(user.disabled)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if done.rows_affected() == 0 {
            tx.rollback().await.map_err(store_error)?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM user_logins WHERE user_id = $1")
            .bind(*user.id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        insert_logins(&mut tx, user).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
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
        paged(sql, limit, after.map(|a| *a.as_uuid()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .iter()
            .map(decode::user)
            .collect()
    }
}

/// Claims the logins of `user`; a login another user holds fails with `Conflict("users_login_key")`.
async fn insert_logins(conn: &mut PgConnection, user: &User) -> StoreResult<()> {
    for login in encode::logins(user) {
        sqlx::query("INSERT INTO user_logins (login, user_id) VALUES ($1, $2)")
            .bind(login)
            .bind(*user.id.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(store_error)?;
    }
    Ok(())
}

impl OrganizationStore for PostgresStore {
    async fn insert_organization(&self, org: &Organization) -> StoreResult<()> {
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.as_uuid())
            .bind(&org.name)
            .bind(org.created_at)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        sqlx::query("SELECT id, name, created_at FROM organizations WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .map(|r| decode::organization(&r))
            .transpose()
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
        paged(sql, limit, after.map(|a| *a.as_uuid()))
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?
            .iter()
            .map(decode::organization)
            .collect()
    }

    async fn put_membership(&self, membership: &Membership) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO memberships (",
            membership_cols!(),
            ") VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role"
        ))
        .bind(membership.organization_id.as_uuid())
        .bind(membership.user_id.as_uuid())
        .bind(membership.role.as_str())
        .bind(membership.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::Conflict("memberships_fkey")
            } else {
                store_error(e)
            }
        })?;
        Ok(())
    }

    async fn remove_membership(&self, org: OrganizationId, user: UserId) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2")
                .bind(org.as_uuid())
                .bind(user.as_uuid())
                .execute(&self.pool)
                .await
                .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn get_membership(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> StoreResult<Option<Membership>> {
        sqlx::query(concat!(
            "SELECT ",
            membership_cols!(),
            " FROM memberships WHERE organization_id = $1 AND user_id = $2"
        ))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(|r| decode::membership(&r))
        .transpose()
    }

    async fn list_memberships_of_user(&self, user: UserId) -> StoreResult<Vec<Membership>> {
        sqlx::query(concat!(
            "SELECT ",
            membership_cols!(),
            " FROM memberships WHERE user_id = $1 ORDER BY organization_id"
        ))
        .bind(user.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(decode::membership)
        .collect()
    }

    async fn list_members(&self, org: OrganizationId) -> StoreResult<Vec<Membership>> {
        sqlx::query(concat!(
            "SELECT ",
            membership_cols!(),
            " FROM memberships WHERE organization_id = $1 ORDER BY user_id"
        ))
        .bind(org.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(decode::membership)
        .collect()
    }
}
