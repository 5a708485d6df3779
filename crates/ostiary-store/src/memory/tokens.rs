//! Authorization codes, token families, access and refresh tokens.

use super::{MemoryStore, State, StoredCode};
use crate::UserId;
use crate::records::*;
use crate::traits::{CodeStore, TokenStore};
use crate::{ClientId, Digest, FamilyId, OrgAuthorizationId, SessionId, StoreError, StoreResult};

impl State {
    fn consume_code(&mut self, digest: Digest, now: UnixTime) -> ConsumeCode {
        let Some(stored) = self.codes.get_mut(&digest) else {
            return ConsumeCode::NotFound;
        };
        if stored.spent {
            // RFC 6749 §4.1.2: a replayed code revokes what it issued, or will issue.
            stored.replayed = true;
            let (family_id, client_id) = (stored.code.family_id, stored.code.client_id);
            self.revoke_family(family_id, now);
            return ConsumeCode::AlreadyUsed {
                family_id,
                client_id,
            };
        }
        if now >= stored.code.expires_at {
            return ConsumeCode::Expired;
        }
        stored.spent = true;
        ConsumeCode::Consumed(stored.code.clone())
    }

    fn create_family(
        &mut self,
        family: &TokenFamily,
        access: Option<&AccessTokenRecord>,
        refresh: Option<&RefreshTokenRecord>,
        from_code: Option<Digest>,
    ) -> StoreResult<()> {
        if let Some(code) = from_code {
            match self.codes.get(&code) {
                Some(stored) if !stored.replayed => {}
                _ => return Err(StoreError::Conflict("code replayed")),
            }
        }
        // A grant outlives neither its session nor its organization authorization: end_session and the
        // revocation only revoke families that exist, so a later creation must be refused here.
        if let Some(id) = family.session_id {
            match self.sessions.get(&id) {
                Some(session) if session.expires_at > family.created_at => {}
                _ => return Err(StoreError::Conflict("session ended")),
            }
        }
        if let Some(id) = family.org_authorization_id {
            match self.org_authorizations.get(&id) {
                Some(auth) if auth.state == OrgAuthorizationState::Active => {}
                _ => return Err(StoreError::Conflict("authorization not active")),
            }
        }
        if self.families.contains_key(&family.id) {
            return Err(StoreError::Conflict("family id"));
        }
        if access.is_some_and(|a| self.access_tokens.contains_key(&a.digest))
            || refresh.is_some_and(|r| self.refresh_tokens.contains_key(&r.digest))
        {
            return Err(StoreError::Conflict("token digest"));
        }
        self.families.insert(family.id, family.clone());
        if let Some(access) = access {
            self.access_tokens.insert(access.digest, access.clone());
        }
        if let Some(refresh) = refresh {
            self.refresh_tokens.insert(refresh.digest, refresh.clone());
        }
        // Checked live above, so it is there.
        if let Some(session) = family
            .session_id
            .and_then(|id| self.sessions.get_mut(&id))
            .filter(|session| !session.clients.contains(&family.client_id))
        {
            session.clients.push(family.client_id);
        }
        Ok(())
    }

    fn rotate_refresh(&mut self, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        let now = rotation.now;
        let Some(token) = self.refresh_tokens.get(&rotation.presented) else {
            return Ok(RotateOutcome::Invalid);
        };
        let family_id = token.family_id;
        // The purge removes an expired family without waiting for its tokens: one left behind is
        // found no more, as in the SQL stores (their lookups join the family).
        let Some(family) = self.families.get(&family_id) else {
            return Ok(RotateOutcome::Invalid);
        };
        let family_active = family.is_active(now);
        if token.rotated_at.is_some() {
            let within_window = token.retry_until.is_some_and(|until| now <= until);
            let successor_usable = token
                .successor
                .and_then(|successor| self.refresh_tokens.get(&successor))
                .is_some_and(|s| s.rotated_at.is_none() && now < s.expires_at);
            if let (true, true, true, Some(sealed)) = (
                within_window,
                successor_usable,
                family_active,
                token.sealed_retry.as_ref(),
            ) {
                return Ok(RotateOutcome::Retry {
                    sealed_retry: sealed.clone(),
                });
            }
            // RFC 9700 §4.14.2: a rotated-out token presented again revokes the whole family.
            self.revoke_family(family_id, now);
            return Ok(RotateOutcome::Replay { family_id });
        }
        if now >= token.expires_at || !family_active {
            return Ok(RotateOutcome::Invalid);
        }
        if rotation.refresh.family_id != family_id || rotation.access.family_id != family_id {
            return Err(StoreError::Invalid(
                "rotated tokens must belong to the presented token's family".to_owned(),
            ));
        }
        if self.refresh_tokens.contains_key(&rotation.refresh.digest)
            || self.access_tokens.contains_key(&rotation.access.digest)
        {
            return Err(StoreError::Conflict("token digest"));
        }
        if let Some(token) = self.refresh_tokens.get_mut(&rotation.presented) {
            token.rotated_at = Some(now);
            token.successor = Some(rotation.refresh.digest);
            token.retry_until = Some(rotation.retry_until);
            token.sealed_retry = Some(rotation.sealed_retry.clone());
        }
        self.refresh_tokens
            .insert(rotation.refresh.digest, rotation.refresh.clone());
        self.access_tokens
            .insert(rotation.access.digest, rotation.access.clone());
        Ok(RotateOutcome::Rotated)
    }
}

impl CodeStore for MemoryStore {
    async fn insert_code(&self, code: AuthorizationCode) -> StoreResult<()> {
        self.with(|s| {
            if s.codes.contains_key(&code.digest) {
                return Err(StoreError::Conflict("code digest"));
            }
            let digest = code.digest;
            let stored = StoredCode {
                code,
                spent: false,
                replayed: false,
            };
            s.codes.insert(digest, stored);
            Ok(())
        })
    }

    async fn consume_code(&self, digest: Digest, now: UnixTime) -> StoreResult<ConsumeCode> {
        Ok(self.with(|s| s.consume_code(digest, now)))
    }
}

impl TokenStore for MemoryStore {
    async fn create_family(
        &self,
        family: &TokenFamily,
        access: Option<&AccessTokenRecord>,
        refresh: Option<&RefreshTokenRecord>,
        from_code: Option<Digest>,
    ) -> StoreResult<()> {
        self.with(|s| s.create_family(family, access, refresh, from_code))
    }

    async fn get_family(&self, id: FamilyId) -> StoreResult<Option<TokenFamily>> {
        Ok(self.with(|s| s.families.get(&id).cloned()))
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()> {
        self.with(|s| {
            if !s.families.contains_key(&token.family_id) {
                return Err(StoreError::Conflict("access token of an unknown family"));
            }
            if s.access_tokens.contains_key(&token.digest) {
                return Err(StoreError::Conflict("token digest"));
            }
            s.access_tokens.insert(token.digest, token.clone());
            Ok(())
        })
    }

    async fn get_access_token(&self, digest: Digest) -> StoreResult<Option<AccessTokenGrant>> {
        self.with(|s| {
            // A token whose family the purge removed is not found (see `rotate_refresh`).
            Ok(s.access_tokens.get(&digest).and_then(|token| {
                let family = s.families.get(&token.family_id)?;
                Some(AccessTokenGrant {
                    token: token.clone(),
                    family: family.clone(),
                })
            }))
        })
    }

    async fn get_refresh_token(&self, digest: Digest) -> StoreResult<Option<RefreshTokenGrant>> {
        self.with(|s| {
            // A token whose family the purge removed is not found (see `rotate_refresh`).
            Ok(s.refresh_tokens.get(&digest).and_then(|token| {
                let family = s.families.get(&token.family_id)?;
                Some(RefreshTokenGrant {
                    token: token.clone(),
                    family: family.clone(),
                })
            }))
        })
    }

    async fn get_refresh_token_with_user(
        &self,
        digest: Digest,
    ) -> StoreResult<Option<(RefreshTokenGrant, Option<User>)>> {
        self.with(|s| {
            Ok(s.refresh_tokens.get(&digest).and_then(|token| {
                let family = s.families.get(&token.family_id)?;
                let user = match family.subject {
                    Subject::User(id) => s.users.get(&id).cloned(),
                    Subject::Organization(_) => None,
                };
                let grant = RefreshTokenGrant {
                    token: token.clone(),
                    family: family.clone(),
                };
                Some((grant, user))
            }))
        })
    }

    async fn rotate_refresh(&self, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        self.with(|s| s.rotate_refresh(rotation))
    }

    async fn revoke_access_token(&self, digest: Digest, now: UnixTime) -> StoreResult<bool> {
        Ok(self.with(|s| match s.access_tokens.get_mut(&digest) {
            Some(token) if token.revoked_at.is_none() => {
                token.revoked_at = Some(now);
                true
            }
            _ => false,
        }))
    }

    async fn revoke_family(&self, id: FamilyId, now: UnixTime) -> StoreResult<bool> {
        Ok(self.with(|s| s.revoke_family(id, now)))
    }

    async fn revoke_by_session(&self, id: SessionId, now: UnixTime) -> StoreResult<u64> {
        Ok(self.with(|s| s.revoke_families_where(|f| f.session_id == Some(id), now)))
    }

    async fn revoke_by_client(&self, id: ClientId, now: UnixTime) -> StoreResult<u64> {
        Ok(self.with(|s| s.revoke_families_where(|f| f.client_id == id, now)))
    }

    async fn revoke_by_user(&self, id: UserId, now: UnixTime) -> StoreResult<u64> {
        Ok(self.with(|s| s.revoke_families_where(|f| f.subject == Subject::User(id), now)))
    }

    async fn revoke_by_user_and_client(
        &self,
        user: UserId,
        client: ClientId,
        now: UnixTime,
    ) -> StoreResult<u64> {
        Ok(self.with(|s| {
            s.revoke_families_where(
                |f| f.subject == Subject::User(user) && f.client_id == client,
                now,
            )
        }))
    }

    async fn revoke_by_org_authorization(
        &self,
        id: OrgAuthorizationId,
        now: UnixTime,
    ) -> StoreResult<u64> {
        Ok(self.with(|s| s.revoke_families_where(|f| f.org_authorization_id == Some(id), now)))
    }
}
