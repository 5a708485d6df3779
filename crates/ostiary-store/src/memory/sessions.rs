//! Browser sessions and their end (with back-channel logout notifications).

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::rand::{SecureRandom, SystemRandom};

use super::{MemoryStore, State};
use crate::records::*;
use crate::traits::{EndedSession, SessionStore};
use crate::{ClientId, Digest, OutboxId, SessionId, StoreError, StoreResult, UserId};

/// The OS random number generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the OS random number generator failed")]
struct RandomFailure;

/// A fresh logout-token `jti`: 256 random bits, base64url.
fn random_jti() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::backend(RandomFailure))?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

impl State {
    /// The unexpired session of a cookie.
    fn live_session(&self, cookie_digest: &Digest, now: UnixTime) -> Option<&Session> {
        self.session_by_cookie
            .get(cookie_digest)
            .and_then(|id| self.sessions.get(id))
            .filter(|session| session.expires_at > now)
    }

    fn end_session(&mut self, id: SessionId, now: UnixTime) -> StoreResult<Option<EndedSession>> {
        let Some(session) = self.sessions.get(&id) else {
            return Ok(None);
        };
        // Build the notifications first: it is the only step that can fail (randomness), and nothing has
        // changed yet if it does.
        let mut notifications: Vec<OutboxEntry> = Vec::new();
        for client_id in &session.clients {
            let Some(uri) = self
                .clients
                .get(client_id)
                .and_then(|c| c.metadata.backchannel_logout_uri.as_ref())
            else {
                continue;
            };
            if notifications.iter().any(|n| n.client_id == *client_id) {
                continue;
            }
            notifications.push(OutboxEntry {
                id: OutboxId::new_random(),
                client_id: *client_id,
                backchannel_logout_uri: uri.as_str().to_owned(),
                claims: LogoutClaims {
                    sub: Some(session.user_id),
                    sid: Some(id),
                    jti: random_jti()?,
                },
                attempts: 0,
                next_attempt_at: now,
                outcome: OutboxOutcome::Pending,
                last_error: None,
                created_at: now,
                finished_at: None,
            });
        }
        let Some(session) = self.sessions.remove(&id) else {
            return Ok(None);
        };
        self.session_by_cookie.remove(&session.cookie_digest);
        let families_revoked = self.revoke_families_where(|f| f.session_id == Some(id), now);
        for entry in &notifications {
            self.outbox_due.insert((entry.next_attempt_at, entry.id));
            self.outbox.insert(entry.id, entry.clone());
        }
        Ok(Some(EndedSession {
            session,
            families_revoked,
            notifications,
        }))
    }

    fn reauthenticate_session(
        &mut self,
        id: SessionId,
        cookie_digest: Digest,
        auth_time: UnixTime,
        amr: &[String],
        expires_at: UnixTime,
    ) -> StoreResult<bool> {
        let Some(session) = self.sessions.get_mut(&id) else {
            return Ok(false);
        };
        // Checked before anything changes: a cookie digest names at most one session.
        if self
            .session_by_cookie
            .get(&cookie_digest)
            .is_some_and(|owner| *owner != id)
        {
            return Err(StoreError::Conflict("session cookie"));
        }
        self.session_by_cookie.remove(&session.cookie_digest);
        self.session_by_cookie.insert(cookie_digest, id);
        session.cookie_digest = cookie_digest;
        session.auth_time = auth_time;
        session.amr = amr.to_vec();
        session.expires_at = expires_at;
        Ok(true)
    }
}

impl SessionStore for MemoryStore {
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.with(|s| {
            if s.sessions.contains_key(&session.id)
                || s.session_by_cookie.contains_key(&session.cookie_digest)
            {
                return Err(StoreError::Conflict("session id or cookie"));
            }
            s.session_by_cookie
                .insert(session.cookie_digest, session.id);
            s.sessions.insert(session.id, session.clone());
            Ok(())
        })
    }

    async fn get_session_by_cookie(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
    ) -> StoreResult<Option<Session>> {
        Ok(self.with(|s| s.live_session(&cookie_digest, now).cloned()))
    }

    async fn get_signed_in(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
        consent_for: Option<ClientId>,
    ) -> StoreResult<Option<SignedIn>> {
        Ok(self.with(|s| {
            let session = s.live_session(&cookie_digest, now)?;
            Some(SignedIn {
                session: session.clone(),
                user: s.users.get(&session.user_id).cloned(),
                consent: consent_for
                    .and_then(|client| s.consents.get(&(session.user_id, client)).cloned()),
            })
        }))
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>> {
        Ok(self.with(|s| s.sessions.get(&id).cloned()))
    }

    async fn reauthenticate_session(
        &self,
        id: SessionId,
        cookie_digest: Digest,
        auth_time: UnixTime,
        amr: &[String],
        expires_at: UnixTime,
    ) -> StoreResult<bool> {
        self.with(|s| s.reauthenticate_session(id, cookie_digest, auth_time, amr, expires_at))
    }

    async fn add_session_client(&self, id: SessionId, client: ClientId) -> StoreResult<bool> {
        Ok(self.with(|s| match s.sessions.get_mut(&id) {
            Some(session) => {
                if !session.clients.contains(&client) {
                    session.clients.push(client);
                }
                true
            }
            None => false,
        }))
    }

    async fn end_session(&self, id: SessionId, now: UnixTime) -> StoreResult<Option<EndedSession>> {
        self.with(|s| s.end_session(id, now))
    }

    async fn list_sessions_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<Session>> {
        Ok(self.with(|s| {
            let mut sessions: Vec<Session> = s
                .sessions
                .values()
                .filter(|session| session.user_id == user && session.expires_at > now)
                .cloned()
                .collect();
            sessions.sort_by_key(|session| (session.created_at, session.id));
            sessions
        }))
    }
}
