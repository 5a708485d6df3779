//! Organization authorizations of partner clients.

use super::{MemoryStore, State};
use crate::records::*;
use crate::traits::OrgAuthorizationStore;
use crate::{ClientId, OrgAuthorizationId, OrganizationId, StoreError, StoreResult};

impl State {
    fn insert_org_authorization(&mut self, auth: &OrgAuthorization) -> StoreResult<()> {
        if self.org_authorizations.contains_key(&auth.id) {
            return Err(StoreError::Conflict("org authorization id"));
        }
        let pair = (auth.organization_id, auth.client_id);
        if auth.state == OrgAuthorizationState::Active {
            if self.active_org_authorizations.contains_key(&pair) {
                return Err(StoreError::Conflict("active org authorization"));
            }
            self.active_org_authorizations.insert(pair, auth.id);
        }
        self.org_authorizations.insert(auth.id, auth.clone());
        Ok(())
    }

    fn transition_org_authorization(
        &mut self,
        id: OrgAuthorizationId,
        from: OrgAuthorizationState,
        to: OrgAuthorizationState,
        actor: Actor,
        now: UnixTime,
    ) -> Transition {
        use OrgAuthorizationState::*;
        let Some(auth) = self.org_authorizations.get_mut(&id) else {
            return Transition::NotFound;
        };
        let pair = (auth.organization_id, auth.client_id);
        let refused = auth.state != from
            || !from.can_become(to)
            || (to == Active
                && (now >= auth.pending_expires_at
                    || self.active_org_authorizations.contains_key(&pair)));
        if refused {
            return Transition::Conflict(auth.clone());
        }
        auth.state = to;
        match to {
            Active => {
                auth.activated = Some((actor, now));
                self.active_org_authorizations.insert(pair, id);
            }
            Revoked => auth.revoked = Some((actor, now)),
            Failed => auth.failed = Some((actor, now)),
            Pending => {}
        }
        let after = auth.clone();
        if from == Active {
            self.active_org_authorizations.remove(&pair);
        }
        if to == Revoked {
            self.revoke_families_where(|f| f.org_authorization_id == Some(id), now);
        }
        Transition::Done(after)
    }
}

impl OrgAuthorizationStore for MemoryStore {
    async fn insert_org_authorization(&self, auth: &OrgAuthorization) -> StoreResult<()> {
        self.with(|s| s.insert_org_authorization(auth))
    }

    async fn get_org_authorization(
        &self,
        id: OrgAuthorizationId,
    ) -> StoreResult<Option<OrgAuthorization>> {
        Ok(self.with(|s| s.org_authorizations.get(&id).cloned()))
    }

    async fn transition_org_authorization(
        &self,
        id: OrgAuthorizationId,
        from: OrgAuthorizationState,
        to: OrgAuthorizationState,
        actor: Actor,
        now: UnixTime,
    ) -> StoreResult<Transition> {
        Ok(self.with(|s| s.transition_org_authorization(id, from, to, actor, now)))
    }

    async fn list_org_authorizations(
        &self,
        org: OrganizationId,
    ) -> StoreResult<Vec<OrgAuthorization>> {
        Ok(self.with(|s| {
            let mut list: Vec<OrgAuthorization> = s
                .org_authorizations
                .values()
                .filter(|auth| auth.organization_id == org)
                .cloned()
                .collect();
            // Newest first; ties in descending id order.
            list.sort_by_key(|item| std::cmp::Reverse((item.created_at, item.id)));
            list
        }))
    }

    async fn find_active_org_authorization(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> StoreResult<Option<OrgAuthorization>> {
        Ok(self.with(|s| {
            s.active_org_authorizations
                .get(&(org, client))
                .and_then(|id| s.org_authorizations.get(id))
                .cloned()
        }))
    }
}
