//! The storage traits, grouped by concern (fosite-style narrow interfaces) and composed into [`Store`].
//!
//! Every method is async and returns a `Send` future, so the server can call the store from any task.
//! Methods that the protocol needs to be atomic say so; a backend must make each of them one statement or
//! one transaction, correct when several requests race — on one instance or on several instances sharing a
//! database. The conformance suite (`ostiary_store::testing`, feature `testing`) checks every promise made
//! here against every backend.
//!
//! Times are Unix seconds chosen by the caller. A record with an `expires_at` is valid while
//! `now < expires_at`: "expired" and "past `expires_at`" mean `now >= expires_at`, except in
//! [`Maintenance::purge_expired`], whose conditions are written out.

use std::future::Future;

use crate::records::*;
use crate::{
    ClientId, Digest, FamilyId, OrgAuthorizationId, OrganizationId, OutboxId, PresentedClient,
    SessionId, StoreResult, UserId,
};

/// Which clients [`ClientStore::list_clients`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientFilter {
    /// Every client.
    All,
    /// The app catalogue: clients with an `initiate_login_uri`.
    Catalogue,
}

/// Registered OAuth clients. Most callers use [`crate::ClientRegistry`], which validates and generates
/// secrets, rather than these raw operations.
pub trait ClientStore {
    /// Inserts a new client. [`crate::StoreError::Conflict`] if the id exists.
    fn insert_client(&self, client: &Client) -> impl Future<Output = StoreResult<()>> + Send;
    /// The client with `id`.
    fn get_client(&self, id: ClientId) -> impl Future<Output = StoreResult<Option<Client>>> + Send;
    /// Replaces a client's metadata and sets `updated_at`. Returns the updated client, `None` if unknown.
    fn update_client_metadata(
        &self,
        id: ClientId,
        metadata: &ClientMetadata,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<Client>>> + Send;
    /// Replaces a client's secret digest and sets `secret_rotated_at`. `false` if the client is unknown.
    fn set_client_secret(
        &self,
        id: ClientId,
        secret_digest: Digest,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// **Atomic.** Deletes a client and everything it holds: its codes, consents and pending logout
    /// notifications are deleted (delivered and given-up ones stay for operators), its token families
    /// revoked, its pending and active organization authorizations revoked (by [`Actor::System`]). `false`
    /// if the client is unknown.
    fn delete_client(
        &self,
        id: ClientId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Clients in id order, starting after `after`, at most `limit`.
    fn list_clients(
        &self,
        filter: ClientFilter,
        after: Option<ClientId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Client>>> + Send;
}

/// Users.
pub trait UserStore {
    /// Inserts a user. [`crate::StoreError::Conflict`] if the id, the username or the e-mail is taken.
    /// Usernames and e-mails share one namespace (a username equal to another user's e-mail is taken too),
    /// so [`UserStore::find_user_by_login`] names at most one user.
    fn insert_user(&self, user: &User) -> impl Future<Output = StoreResult<()>> + Send;
    /// The user with `id`.
    fn get_user(&self, id: UserId) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// The user whose username or e-mail is exactly `login`. Callers normalize first (usernames and
    /// e-mails are stored in lower case), so backends compare bytes and can use an index.
    fn find_user_by_login(
        &self,
        login: &str,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// Replaces every field of the user with `user.id`. `false` if unknown; Conflict (nothing changed) on a
    /// username or e-mail taken by another user.
    fn update_user(&self, user: &User) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Users in id order, starting after `after`, at most `limit`.
    fn list_users(
        &self,
        after: Option<UserId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<User>>> + Send;
}

/// Organizations and their memberships.
pub trait OrganizationStore {
    /// Inserts an organization. Conflict if the id exists.
    fn insert_organization(
        &self,
        org: &Organization,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The organization with `id`.
    fn get_organization(
        &self,
        id: OrganizationId,
    ) -> impl Future<Output = StoreResult<Option<Organization>>> + Send;
    /// Organizations in id order, starting after `after`, at most `limit`.
    fn list_organizations(
        &self,
        after: Option<OrganizationId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Organization>>> + Send;
    /// Creates a membership, or changes the role of an existing one (keeping its `created_at`). Conflict if
    /// the user or organization does not exist.
    fn put_membership(
        &self,
        membership: &Membership,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes a membership. `false` if there was none.
    fn remove_membership(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The membership of `user` in `org`.
    fn get_membership(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> impl Future<Output = StoreResult<Option<Membership>>> + Send;
    /// Every membership of a user.
    fn list_memberships_of_user(
        &self,
        user: UserId,
    ) -> impl Future<Output = StoreResult<Vec<Membership>>> + Send;
    /// Every membership of an organization.
    fn list_members(
        &self,
        org: OrganizationId,
    ) -> impl Future<Output = StoreResult<Vec<Membership>>> + Send;
}

/// The result of [`SessionStore::end_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    /// The session as it was.
    pub session: Session,
    /// How many token families were revoked with it.
    pub families_revoked: u64,
    /// The back-channel logout notifications enqueued for it.
    pub notifications: Vec<OutboxEntry>,
}

/// Browser sessions at the platform.
pub trait SessionStore {
    /// Inserts a session. Conflict if the id or cookie digest exists.
    fn insert_session(&self, session: &Session) -> impl Future<Output = StoreResult<()>> + Send;
    /// The unexpired session whose cookie has `cookie_digest` (`expires_at > now`).
    fn get_session_by_cookie(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;
    /// [`SessionStore::get_session_by_cookie`] and, in the same read, the session's user and, with
    /// `consent_for`, that user's consent to that client ([`ConsentStore::get_consent`]): what a
    /// request of a signed-in browser at the authorization endpoint needs, in one query on the SQL
    /// backends instead of three reads.
    fn get_signed_in(
        &self,
        cookie_digest: Digest,
        now: UnixTime,
        consent_for: Option<ClientId>,
    ) -> impl Future<Output = StoreResult<Option<SignedIn>>> + Send;
    /// The session with `id`, expired or not.
    fn get_session(
        &self,
        id: SessionId,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;
    /// **Atomic.** The same user signed in again in the same browser (OIDC Core §3.1.2.1 `prompt=login`,
    /// or `max_age` exceeded): in one step, replaces the session's cookie digest with `cookie_digest` (the
    /// old cookie stops finding the session at once, so a cookie known before the sign-in does not survive
    /// it) and sets `auth_time`, `amr` and `expires_at`. The session keeps its id (the `sid` partners
    /// hold), its clients and every token family issued in it. Works whatever the session's expiry, like
    /// [`SessionStore::end_session`].
    ///
    /// `false` (nothing changed) if the session does not exist. [`crate::StoreError::Conflict`] (nothing
    /// changed) if another session has `cookie_digest`. The caller checks that the user who signed in is
    /// the session's user; a different user ends the session and starts a new one instead. Racing calls
    /// on one session all succeed, one after the other: the last one's cookie and times win, whole.
    fn reauthenticate_session(
        &self,
        id: SessionId,
        cookie_digest: Digest,
        auth_time: UnixTime,
        amr: &[String],
        expires_at: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Records that `client` received tokens in the session. Idempotent; `false` if the session is gone.
    /// [`TokenStore::create_family`] does this itself for a family issued in a session.
    fn add_session_client(
        &self,
        id: SessionId,
        client: ClientId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// **Atomic.** Ends a session (expired or not): deletes it, revokes every token family issued in it,
    /// and enqueues one back-channel logout notification (pending, no attempts, with `sub`, `sid` and a
    /// fresh random `jti`, created and due at `now`) for each of its clients that still exists and
    /// registered a `backchannel_logout_uri`. Exactly one caller gets `Some` for a session; a second,
    /// racing call gets `None`, so notifications are never doubled.
    fn end_session(
        &self,
        id: SessionId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<EndedSession>>> + Send;
    /// The unexpired sessions of a user (`expires_at > now`).
    fn list_sessions_of_user(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Vec<Session>>> + Send;
}

/// Authorization codes.
pub trait CodeStore {
    /// Inserts a code. Conflict if the digest exists. Takes the record: a store keeps it or moves it
    /// into its write without a copy.
    fn insert_code(&self, code: AuthorizationCode) -> impl Future<Output = StoreResult<()>> + Send;
    /// **Atomic, single use.** Consumes the code with `digest`: exactly one caller ever gets
    /// [`ConsumeCode::Consumed`]. The code stays behind as a spent marker until purged. A later call gets
    /// [`ConsumeCode::AlreadyUsed`] and, in the same atomic step, the code's token family is revoked and the
    /// code is marked replayed, so that a [`TokenStore::create_family`] for it that has not run yet fails
    /// (RFC 6749 §4.1.2: "SHOULD revoke … all tokens previously issued based on that authorization code").
    /// An unspent code past `expires_at` (`now >= expires_at`) gives [`ConsumeCode::Expired`] and stays
    /// unspent.
    fn consume_code(
        &self,
        digest: Digest,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<ConsumeCode>> + Send;
    /// A code exchange by the client whose credentials are `client`: the client is read and the
    /// credentials checked first (if they are not its, [`CodeExchange::Unauthenticated`], and the code
    /// is not touched); then [`Self::consume_code`], then, for the caller that consumed it, `check` on
    /// the client and the code (the binding to the client and redirect URI, PKCE) and, if it accepts,
    /// the [`TokenStore::create_family`] of the family it returns, with `from_code` = `digest`. A
    /// refusal by the check or by `create_family` leaves the code spent and nothing else written.
    /// Whatever else `check` makes (`T`, for example the new tokens' secrets) comes back with the
    /// outcome. `check` must be quick and must not block: a backend may run it inside its write
    /// transaction.
    ///
    /// The default runs the operations one after the other, which is what their own guarantees make
    /// correct (a replay between them makes `create_family` fail), then reads the code's user. A
    /// backend may run them as one transaction, saving a commit: the SQLite store does, and reads the
    /// client and the user in the same operation.
    fn exchange_code<T, R, F>(
        &self,
        digest: Digest,
        now: UnixTime,
        client: PresentedClient,
        check: F,
    ) -> impl Future<Output = StoreResult<CodeExchange<T, R>>> + Send
    where
        Self: ClientStore + TokenStore + UserStore + Sync,
        T: Send + 'static,
        R: Send + 'static,
        F: FnOnce(&Client, &AuthorizationCode) -> Result<(NewFamily, T), R> + Send + 'static,
    {
        async move {
            let Some(client) = self
                .get_client(client.id())
                .await?
                .filter(|found| client.matches(found))
            else {
                return Ok(CodeExchange::Unauthenticated);
            };
            let code = match self.consume_code(digest, now).await? {
                ConsumeCode::Consumed(code) => code,
                other => return Ok(CodeExchange::NotConsumed(other)),
            };
            let (new, checked) = match check(&client, &code) {
                Ok(accepted) => accepted,
                Err(refusal) => return Ok(CodeExchange::Refused(refusal)),
            };
            let created = self
                .create_family(
                    &new.family,
                    new.access.as_ref(),
                    new.refresh.as_ref(),
                    Some(digest),
                )
                .await;
            Ok(match created {
                Ok(()) => {
                    let user = self.get_user(code.user_id).await?;
                    CodeExchange::Issued {
                        code,
                        client,
                        user,
                        checked,
                    }
                }
                Err(error) => CodeExchange::NotCreated(error),
            })
        }
    }
}

/// Token families, access tokens and refresh tokens.
pub trait TokenStore {
    /// **Atomic.** Creates a family with its first tokens (either may be absent: client-credentials
    /// grants have no refresh token), but only for a grant that is still live. In the same atomic step,
    /// and in this order, with nothing written when a check fails:
    ///
    /// - with `from_code`, the code is checked (and, on backends with concurrent writers, its row
    ///   locked): if it was replayed meanwhile (or is gone), the result is `Conflict("code replayed")`;
    /// - if `family.session_id` is `Some`, that session must exist and be unexpired at the family's
    ///   creation (`expires_at > family.created_at`), else `Conflict("session ended")`. A code issued in a
    ///   session that was then signed out must not yield live tokens: [`SessionStore::end_session`]
    ///   revokes only the families that exist when it runs;
    /// - if `family.org_authorization_id` is `Some`, that organization authorization must be
    ///   [`OrgAuthorizationState::Active`], else `Conflict("authorization not active")`.
    ///
    /// Racing an [`SessionStore::end_session`] of the session, or a move of the authorization to
    /// `Revoked` ([`OrgAuthorizationStore::transition_org_authorization`]), there are exactly two
    /// outcomes: the family is created first and the ending revokes it, or the ending comes first and
    /// the creation fails. Never a live family of an ended session or a revoked authorization.
    ///
    /// Conflict as well, with nothing written, if the family id or a token digest exists.
    ///
    /// With a `family.session_id`, the same atomic step records `family.client_id` as a client of that
    /// session (like [`SessionStore::add_session_client`]): a client is notified at logout exactly when
    /// it received tokens in the session, and recording it costs no write of its own.
    fn create_family(
        &self,
        family: &TokenFamily,
        access: Option<&AccessTokenRecord>,
        refresh: Option<&RefreshTokenRecord>,
        from_code: Option<Digest>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The family with `id`.
    fn get_family(
        &self,
        id: FamilyId,
    ) -> impl Future<Output = StoreResult<Option<TokenFamily>>> + Send;
    /// Adds an access token to an existing family (for example a client-credentials re-issue). Conflict if
    /// the family does not exist or the digest does.
    fn insert_access_token(
        &self,
        token: &AccessTokenRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The access token with `digest` and its family, whatever their state (callers check
    /// [`AccessTokenGrant::is_active`]). One lookup: this is the hot path of introspection and userinfo.
    fn get_access_token(
        &self,
        digest: Digest,
    ) -> impl Future<Output = StoreResult<Option<AccessTokenGrant>>> + Send;
    /// The refresh token with `digest` and its family, whatever their state.
    fn get_refresh_token(
        &self,
        digest: Digest,
    ) -> impl Future<Output = StoreResult<Option<RefreshTokenGrant>>> + Send;
    /// [`TokenStore::get_refresh_token`] and, in the same read, the family's user: what the refresh
    /// token grant needs, in one query on the SQL backends instead of two reads. The user is `None`
    /// for a family of an organization, or when the family's user does not exist.
    fn get_refresh_token_with_user(
        &self,
        digest: Digest,
    ) -> impl Future<Output = StoreResult<Option<(RefreshTokenGrant, Option<User>)>>> + Send;
    /// **Atomic, single winner.** Rotates the refresh token `rotation.presented` (`now` is `rotation.now`):
    /// - if it is unknown: [`RotateOutcome::Invalid`];
    /// - if it was already rotated, `now <= retry_until`, its family is active and its successor is itself
    ///   unspent and unexpired: [`RotateOutcome::Retry`] with the stored sealed response;
    /// - if it was already rotated otherwise (whatever its own expiry or its family's state): revokes the
    ///   family (if not yet revoked) in the same atomic step and returns [`RotateOutcome::Replay`]
    ///   (RFC 9700 §4.14.2);
    /// - if it is unspent but expired, or its family inactive: [`RotateOutcome::Invalid`], nothing changed;
    /// - otherwise: marks it rotated at `now` with its successor, `retry_until` and `sealed_retry`, inserts
    ///   the new refresh and access tokens, and returns [`RotateOutcome::Rotated`] — to exactly one of any
    ///   number of racing callers.
    fn rotate_refresh(
        &self,
        rotation: &Rotation,
    ) -> impl Future<Output = StoreResult<RotateOutcome>> + Send;
    /// The store's part of a refresh token grant in one step: the token with `digest`, its family and
    /// the family's user (as [`Self::get_refresh_token_with_user`]) and the family's client,
    /// `check` on them, and, if `check` returns a rotation (whose `presented` is `digest`),
    /// [`Self::rotate_refresh`] of it. A refusal by `check` writes nothing. `check` also runs for a
    /// token already rotated, so the grant's own rules (the client and its credentials, the family's
    /// state, the scope) come before a retry or a replay is decided, as they would if the caller read
    /// the token first. Whatever else `check` makes (`T`, for example the new tokens' secrets) comes
    /// back with the outcome. `check` must be quick and must not block: a backend may run it inside
    /// its write transaction.
    ///
    /// The default reads, checks and rotates one after the other, which `rotate_refresh`'s own
    /// atomicity makes correct. The SQLite store runs the three as one operation of its writer: the
    /// reads on the writer's warm page cache instead of a reader's, whose cache every commit empties.
    fn refresh_grant<T, R, F>(
        &self,
        digest: Digest,
        check: F,
    ) -> impl Future<Output = StoreResult<RefreshGrantOutcome<T, R>>> + Send
    where
        Self: ClientStore + Sync,
        T: Send + 'static,
        R: Send + 'static,
        F: FnOnce(&RefreshTokenGrant, Option<&Client>, Option<&User>) -> Result<(Rotation, T), R>
            + Send
            + 'static,
    {
        async move {
            let Some((grant, user)) = self.get_refresh_token_with_user(digest).await? else {
                return Ok(RefreshGrantOutcome::NotFound);
            };
            let client = self.get_client(grant.family.client_id).await?;
            let (rotation, checked) = match check(&grant, client.as_ref(), user.as_ref()) {
                Ok(accepted) => accepted,
                Err(refusal) => return Ok(RefreshGrantOutcome::Refused(refusal)),
            };
            let outcome = self.rotate_refresh(&rotation).await?;
            Ok(RefreshGrantOutcome::Checked {
                grant,
                client,
                user,
                checked,
                outcome,
            })
        }
    }
    /// Revokes one access token (RFC 7009). `false` if unknown or already revoked (the first revocation
    /// time is kept).
    fn revoke_access_token(
        &self,
        digest: Digest,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Revokes a family and so every token in it. `false` if unknown or already revoked.
    fn revoke_family(
        &self,
        id: FamilyId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Revokes every family issued in a session. Returns how many were revoked: here and in the other
    /// `revoke_by_*` methods, families already revoked keep their `revoked_at` and are not counted.
    fn revoke_by_session(
        &self,
        id: SessionId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Revokes every family of a client.
    fn revoke_by_client(
        &self,
        id: ClientId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Revokes every family of a user (for example when the user is disabled or changes password).
    fn revoke_by_user(
        &self,
        id: UserId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Revokes every family of a user with one client (for example when the user withdraws consent).
    fn revoke_by_user_and_client(
        &self,
        user: UserId,
        client: ClientId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Revokes every family issued under an organization authorization.
    fn revoke_by_org_authorization(
        &self,
        id: OrgAuthorizationId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// Remembered consents.
pub trait ConsentStore {
    /// The consent of `user` to `client`.
    fn get_consent(
        &self,
        user: UserId,
        client: ClientId,
    ) -> impl Future<Output = StoreResult<Option<Consent>>> + Send;
    /// Creates or replaces a consent.
    fn put_consent(&self, consent: &Consent) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes a consent. `false` if there was none.
    fn delete_consent(
        &self,
        user: UserId,
        client: ClientId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Every consent of a user.
    fn list_consents_of_user(
        &self,
        user: UserId,
    ) -> impl Future<Output = StoreResult<Vec<Consent>>> + Send;
}

/// Organization authorizations of partner clients.
pub trait OrgAuthorizationStore {
    /// Inserts an authorization (normally pending). Conflict if the id exists, or if it is active and the
    /// (organization, client) pair already has an active one.
    fn insert_org_authorization(
        &self,
        auth: &OrgAuthorization,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The authorization with `id`.
    fn get_org_authorization(
        &self,
        id: OrgAuthorizationId,
    ) -> impl Future<Output = StoreResult<Option<OrgAuthorization>>> + Send;
    /// **Atomic compare-and-set.** Moves the authorization from `from` to `to` (which must be allowed by
    /// [`OrgAuthorizationState::can_become`]), recording `actor` and `now` in the field of the new state
    /// (`activated`, `revoked`, `failed`). A pending authorization past `pending_expires_at`
    /// (`now >= pending_expires_at`) cannot become active (it can still fail or be revoked). Moving to
    /// `Revoked` revokes, in the same step, every token family issued under it. Anything else — wrong
    /// current state, expired, disallowed move — changes nothing and returns [`Transition::Conflict`] with
    /// the record as it is.
    fn transition_org_authorization(
        &self,
        id: OrgAuthorizationId,
        from: OrgAuthorizationState,
        to: OrgAuthorizationState,
        actor: Actor,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Transition>> + Send;
    /// The authorizations of an organization, newest first (by `created_at`; ties in descending id order).
    fn list_org_authorizations(
        &self,
        org: OrganizationId,
    ) -> impl Future<Output = StoreResult<Vec<OrgAuthorization>>> + Send;
    /// The active authorization of `client` by `org`, if any. At most one is active per pair: activating
    /// a second one while another is active gives [`Transition::Conflict`].
    fn find_active_org_authorization(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> impl Future<Output = StoreResult<Option<OrgAuthorization>>> + Send;
}

/// The back-channel logout outbox.
pub trait LogoutOutbox {
    /// Enqueues notifications (usually done by [`SessionStore::end_session`]). Conflict, with nothing
    /// written, if an id exists.
    fn enqueue_logouts(
        &self,
        entries: &[OutboxEntry],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// **Atomic claim.** Returns up to `limit` pending entries due at `now` (`next_attempt_at <= now`),
    /// longest due first (by `next_attempt_at`, ties in id order), after moving their `next_attempt_at` to
    /// `lease_until` and incrementing `attempts`, so that no other worker (on this or another instance)
    /// claims them until the lease ends. The entries are returned as updated.
    fn claim_due_logouts(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<OutboxEntry>>> + Send;
    /// Records the result of an attempt on a claimed entry: [`AttemptResult::Delivered`] makes it delivered
    /// (`finished_at = now`); [`AttemptResult::RetryAt`] keeps it pending, due at `retry_at`, with
    /// `last_error`; [`AttemptResult::GiveUp`] makes it given up (`finished_at = now`) with `last_error`.
    /// `false` (nothing changed) if unknown or no longer pending.
    fn record_logout_attempt(
        &self,
        id: OutboxId,
        result: &AttemptResult,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// One entry.
    fn get_logout(
        &self,
        id: OutboxId,
    ) -> impl Future<Output = StoreResult<Option<OutboxEntry>>> + Send;
    /// Entries of a client (or all), newest first (by `created_at`; ties in descending id order), at most
    /// `limit`.
    fn list_logouts(
        &self,
        client: Option<ClientId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<OutboxEntry>>> + Send;
}

/// Signing keys and digest keys: the only secrets stored in recoverable form.
pub trait KeyStore {
    /// The stored signing keys and the version of the set.
    fn load_signing_keys(
        &self,
    ) -> impl Future<Output = StoreResult<(u64, Vec<SigningKeyRecord>)>> + Send;
    /// **Atomic compare-and-swap.** Replaces the whole signing-key set if its version is still
    /// `expected_version`, and bumps the version. `false` (nothing written) if another writer got there
    /// first: reload and retry. The first save of an empty store uses version 0.
    fn swap_signing_keys(
        &self,
        expected_version: u64,
        keys: &[SigningKeyRecord],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Every stored digest key.
    fn load_digest_keys(&self) -> impl Future<Output = StoreResult<Vec<DigestKeyRecord>>> + Send;
    /// **Atomic.** Inserts a digest key and, if `record.current`, makes it the only current one.
    /// Conflict if the id exists (another instance bootstrapped first: reload).
    fn insert_digest_key(
        &self,
        record: &DigestKeyRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// What [`Maintenance::purge_expired`] removed or changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Codes deleted (expired, or spent and past the tombstone period).
    pub codes: u64,
    /// Access tokens deleted.
    pub access_tokens: u64,
    /// Refresh tokens deleted.
    pub refresh_tokens: u64,
    /// Token families deleted (expired, with no tokens left).
    pub families: u64,
    /// Sessions deleted.
    pub sessions: u64,
    /// Pending organization authorizations moved to failed.
    pub org_authorizations_failed: u64,
    /// Sealed retry responses cleared after their window.
    pub sealed_retries_cleared: u64,
}

impl PurgeReport {
    /// The total number of records touched.
    pub fn total(&self) -> u64 {
        self.codes
            + self.access_tokens
            + self.refresh_tokens
            + self.families
            + self.sessions
            + self.org_authorizations_failed
            + self.sealed_retries_cleared
    }
}

/// Expiry housekeeping.
pub trait Maintenance {
    /// Purges, in bounded batches of at most `batch` rows per kind: codes with `expires_at +
    /// code_tombstone_secs < now` (a spent code is kept that long so a replay can still revoke its family),
    /// access and refresh tokens with `expires_at < now`, families with `expires_at < now` (without waiting
    /// for their tokens: a token of an expired family is inactive whatever its own expiry, and a lookup
    /// finds a token only together with its family, so a token left behind is never found again and goes
    /// at its own expiry), sessions with `expires_at < now`; moves pending organization authorizations with
    /// `pending_expires_at <= now` to failed (by [`Actor::System`]); clears the sealed retry responses of
    /// refresh tokens with `retry_until < now`. Tokens are purged before families in the same call, so a
    /// call whose report's total is below `batch` leaves nothing due behind: call repeatedly until then.
    ///
    /// Back-channel logout notifications are never purged yet: pending ones are work to do, and
    /// delivered or given-up ones stay for operators ([`LogoutOutbox::list_logouts`]) until a retention
    /// setting comes with the logout work. An outbox that grows with every sign-out needs, for now, a
    /// manual clean-up of old finished entries.
    fn purge_expired(
        &self,
        now: UnixTime,
        code_tombstone_secs: i64,
        batch: usize,
    ) -> impl Future<Output = StoreResult<PurgeReport>> + Send;
}

/// The whole store: what `ostiary-core` and `ostiary-server` take. Implemented automatically for any type
/// with every concern.
pub trait Store:
    ClientStore
    + UserStore
    + OrganizationStore
    + SessionStore
    + CodeStore
    + TokenStore
    + ConsentStore
    + OrgAuthorizationStore
    + LogoutOutbox
    + KeyStore
    + Maintenance
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ClientStore
        + UserStore
        + OrganizationStore
        + SessionStore
        + CodeStore
        + TokenStore
        + ConsentStore
        + OrgAuthorizationStore
        + LogoutOutbox
        + KeyStore
        + Maintenance
        + Clone
        + Send
        + Sync
        + 'static
{
}
