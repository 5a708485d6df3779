//! Users, organizations and memberships.

use std::ops::Bound::Included;

use uuid::Uuid;

use super::{MemoryStore, State, page};
use crate::records::*;
use crate::traits::{OrganizationStore, UserStore};
use crate::{OrganizationId, StoreError, StoreResult, UserId};

/// The logins (username, and e-mail if any) of a user.
fn logins(user: &User) -> impl Iterator<Item = &String> {
    std::iter::once(&user.username).chain(user.email.as_ref())
}

impl State {
    /// Conflict if a login of `user` belongs to another user.
    fn check_logins(&self, user: &User) -> StoreResult<()> {
        let taken = logins(user).any(|login| {
            self.logins
                .get(login)
                .is_some_and(|owner| *owner != user.id)
        });
        if taken {
            Err(StoreError::Conflict("username or e-mail"))
        } else {
            Ok(())
        }
    }

    fn update_user(&mut self, user: &User) -> StoreResult<bool> {
        let Some(old) = self.users.get(&user.id) else {
            return Ok(false);
        };
        self.check_logins(user)?;
        let old_logins: Vec<String> = logins(old).cloned().collect();
        for login in old_logins {
            self.logins.remove(&login);
        }
        for login in logins(user) {
            self.logins.insert(login.clone(), user.id);
        }
        self.users.insert(user.id, user.clone());
        Ok(true)
    }
}

impl UserStore for MemoryStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.with(|s| {
            if s.users.contains_key(&user.id) {
                return Err(StoreError::Conflict("user id"));
            }
            s.check_logins(user)?;
            for login in logins(user) {
                s.logins.insert(login.clone(), user.id);
            }
            s.users.insert(user.id, user.clone());
            Ok(())
        })
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.with(|s| s.users.get(&id).cloned()))
    }

    async fn find_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        Ok(self.with(|s| s.logins.get(login).and_then(|id| s.users.get(id)).cloned()))
    }

    async fn update_user(&self, user: &User) -> StoreResult<bool> {
        self.with(|s| s.update_user(user))
    }

    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>> {
        Ok(self.with(|s| page(&s.users, after, limit, |_| true)))
    }
}

impl OrganizationStore for MemoryStore {
    async fn insert_organization(&self, org: &Organization) -> StoreResult<()> {
        self.with(|s| {
            if s.organizations.contains_key(&org.id) {
                return Err(StoreError::Conflict("organization id"));
            }
            s.organizations.insert(org.id, org.clone());
            Ok(())
        })
    }

    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        Ok(self.with(|s| s.organizations.get(&id).cloned()))
    }

    async fn list_organizations(
        &self,
        after: Option<OrganizationId>,
        limit: usize,
    ) -> StoreResult<Vec<Organization>> {
        Ok(self.with(|s| page(&s.organizations, after, limit, |_| true)))
    }

    async fn put_membership(&self, membership: &Membership) -> StoreResult<()> {
        self.with(|s| {
            let (org, user) = (membership.organization_id, membership.user_id);
            if !s.organizations.contains_key(&org) || !s.users.contains_key(&user) {
                return Err(StoreError::Conflict(
                    "membership of an unknown user or organization",
                ));
            }
            s.memberships
                .entry((org, user))
                .and_modify(|existing| existing.role = membership.role)
                .or_insert_with(|| membership.clone());
            s.memberships_by_user.insert((user, org));
            Ok(())
        })
    }

    async fn remove_membership(&self, org: OrganizationId, user: UserId) -> StoreResult<bool> {
        Ok(self.with(|s| {
            s.memberships_by_user.remove(&(user, org));
            s.memberships.remove(&(org, user)).is_some()
        }))
    }

    async fn get_membership(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> StoreResult<Option<Membership>> {
        Ok(self.with(|s| s.memberships.get(&(org, user)).cloned()))
    }

    async fn list_memberships_of_user(&self, user: UserId) -> StoreResult<Vec<Membership>> {
        let (first, last) = (
            OrganizationId::from_uuid(Uuid::nil()),
            OrganizationId::from_uuid(Uuid::max()),
        );
        Ok(self.with(|s| {
            s.memberships_by_user
                .range((Included((user, first)), Included((user, last))))
                .filter_map(|(user, org)| s.memberships.get(&(*org, *user)).cloned())
                .collect()
        }))
    }

    async fn list_members(&self, org: OrganizationId) -> StoreResult<Vec<Membership>> {
        let (first, last) = (
            UserId::from_uuid(Uuid::nil()),
            UserId::from_uuid(Uuid::max()),
        );
        Ok(self.with(|s| {
            s.memberships
                .range((Included((org, first)), Included((org, last))))
                .map(|(_, membership)| membership.clone())
                .collect()
        }))
    }
}
