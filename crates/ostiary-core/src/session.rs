//! Ending browser sessions.

use ostiary_store::{EndedSession, SessionId, Store, StoreError};

use crate::Provider;

impl<S: Store> Provider<S> {
    /// Ends a session: revokes the tokens issued in it and enqueues back-channel logout notifications for
    /// its clients, atomically (see `SessionStore::end_session`). `None` if it had already ended.
    pub async fn end_session_by_id(
        &self,
        id: SessionId,
    ) -> Result<Option<EndedSession>, StoreError> {
        self.inner.store.end_session(id, self.now()).await
    }

    /// Ends the session of a session cookie, if it is valid.
    pub async fn end_session_by_cookie(
        &self,
        cookie: &str,
    ) -> Result<Option<EndedSession>, StoreError> {
        let Some(digest) = self.digest(ostiary_store::SecretKind::SessionCookie, cookie) else {
            return Ok(None);
        };
        match self
            .inner
            .store
            .get_session_by_cookie(digest, self.now())
            .await?
        {
            Some(session) => self.end_session_by_id(session.id).await,
            None => Ok(None),
        }
    }
}
