//! Clients and consents.

use std::sync::Arc;

use super::{MemoryStore, State, page};
use crate::records::*;
use crate::traits::{ClientFilter, ClientStore, ConsentStore};
use crate::{ClientId, Digest, StoreError, StoreResult, UserId};

impl ClientStore for MemoryStore {
    async fn insert_client(&self, client: &Client) -> StoreResult<()> {
        self.with(|s| {
            if s.clients.contains_key(&client.id) {
                return Err(StoreError::Conflict("client id"));
            }
            s.clients.insert(client.id, client.clone());
            Ok(())
        })
    }

    async fn get_client(&self, id: ClientId) -> StoreResult<Option<Client>> {
        Ok(self.with(|s| s.clients.get(&id).cloned()))
    }

    async fn update_client_metadata(
        &self,
        id: ClientId,
        metadata: &ClientMetadata,
        now: UnixTime,
    ) -> StoreResult<Option<Client>> {
        Ok(self.with(|s| {
            s.clients.get_mut(&id).map(|client| {
                client.metadata = Arc::new(metadata.clone());
                client.updated_at = now;
                client.clone()
            })
        }))
    }

    async fn set_client_secret(
        &self,
        id: ClientId,
        secret_digest: Digest,
        now: UnixTime,
    ) -> StoreResult<bool> {
        Ok(self.with(|s| match s.clients.get_mut(&id) {
            Some(client) => {
                client.secret_digest = secret_digest;
                client.secret_rotated_at = now;
                true
            }
            None => false,
        }))
    }

    async fn delete_client(&self, id: ClientId, now: UnixTime) -> StoreResult<bool> {
        Ok(self.with(|s| s.delete_client(id, now)))
    }

    async fn list_clients(
        &self,
        filter: ClientFilter,
        after: Option<ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<Client>> {
        Ok(self.with(|s| {
            page(&s.clients, after, limit, |client| match filter {
                ClientFilter::All => true,
                ClientFilter::Catalogue => client.metadata.initiate_login_uri.is_some(),
            })
        }))
    }
}

impl State {
    fn delete_client(&mut self, id: ClientId, now: UnixTime) -> bool {
        if self.clients.remove(&id).is_none() {
            return false;
        }
        self.codes.retain(|_, stored| stored.code.client_id != id);
        self.consents.retain(|(_, client), _| *client != id);
        let pending: Vec<_> = self
            .outbox
            .values()
            .filter(|e| e.client_id == id && e.outcome == OutboxOutcome::Pending)
            .map(|e| (e.next_attempt_at, e.id))
            .collect();
        for key in pending {
            self.outbox_due.remove(&key);
            self.outbox.remove(&key.1);
        }
        self.revoke_families_where(|family| family.client_id == id, now);
        for auth in self.org_authorizations.values_mut() {
            if auth.client_id == id && auth.state.can_become(OrgAuthorizationState::Revoked) {
                auth.state = OrgAuthorizationState::Revoked;
                auth.revoked = Some((Actor::System, now));
            }
        }
        self.active_org_authorizations
            .retain(|(_, client), _| *client != id);
        true
    }
}

impl ConsentStore for MemoryStore {
    async fn get_consent(&self, user: UserId, client: ClientId) -> StoreResult<Option<Consent>> {
        Ok(self.with(|s| s.consents.get(&(user, client)).cloned()))
    }

    async fn put_consent(&self, consent: &Consent) -> StoreResult<()> {
        self.with(|s| {
            s.consents
                .insert((consent.user_id, consent.client_id), consent.clone());
        });
        Ok(())
    }

    async fn delete_consent(&self, user: UserId, client: ClientId) -> StoreResult<bool> {
        Ok(self.with(|s| s.consents.remove(&(user, client)).is_some()))
    }

    async fn list_consents_of_user(&self, user: UserId) -> StoreResult<Vec<Consent>> {
        use std::ops::Bound::Included;
        let first = ClientId::from_uuid(uuid::Uuid::nil());
        let last = ClientId::from_uuid(uuid::Uuid::max());
        Ok(self.with(|s| {
            s.consents
                .range((Included((user, first)), Included((user, last))))
                .map(|(_, consent)| consent.clone())
                .collect()
        }))
    }
}
