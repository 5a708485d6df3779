//! Record builders and assertion helpers shared by the cases.

use std::fmt::Debug;

use ostiary_redirect::RegisteredRedirectUri;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::records::*;
use crate::traits::{OrgAuthorizationStore, SessionStore, TokenStore};
use crate::{
    ClientId, Digest, DigestKeyMaterial, FamilyId, OrgAuthorizationId, OrganizationId, OutboxId,
    ScopeSet, SessionId, StoreError, StoreResult, UserId,
};

/// The suite's "now": every case works at fixed times around it.
pub(super) const T0: UnixTime = 1_700_000_000;
/// One hour.
pub(super) const HOUR: i64 = 3600;
/// One day.
pub(super) const DAY: i64 = 24 * HOUR;

/// The value of a store call that must succeed.
pub(super) fn ok<T>(result: StoreResult<T>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: unexpected store error: {error:?}"),
    }
}

/// Checks that a store call failed with [`StoreError::Conflict`].
pub(super) fn conflict<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{what}: expected StoreError::Conflict, got {other:?}"),
    }
}

/// Checks that a store call failed with [`StoreError::Conflict`] carrying exactly `reason` (the
/// contract names the reason for refusals that are not constraint violations).
pub(super) fn conflict_because<T: Debug>(result: StoreResult<T>, reason: &str, what: &str) {
    match result {
        Err(StoreError::Conflict(got)) if got == reason => {}
        other => panic!("{what}: expected StoreError::Conflict({reason:?}), got {other:?}"),
    }
}

/// A random digest, as if of a freshly minted secret.
pub(super) fn digest() -> Digest {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("conformance suite: the OS RNG failed");
    Digest::from_bytes(bytes)
}

/// A scope set from a space-delimited value.
pub(super) fn scope(value: &str) -> ScopeSet {
    ScopeSet::parse(value).expect("conformance suite: fixture scope is valid")
}

/// A registered URI from a fixture string.
pub(super) fn uri(value: &str) -> RegisteredRedirectUri {
    RegisteredRedirectUri::parse(value).expect("conformance suite: fixture URI is valid")
}

/// Client metadata with the optional parts the cases care about.
pub(super) fn metadata(
    name: &str,
    backchannel: Option<&str>,
    initiate_login: Option<&str>,
) -> ClientMetadata {
    ClientMetadata {
        client_name: name.to_owned(),
        client_uri: Some("https://partner.example/".to_owned()),
        logo_uri: None,
        tos_uri: None,
        policy_uri: None,
        contacts: vec!["dev@partner.example".to_owned()],
        initiate_login_uri: initiate_login.map(str::to_owned),
        configuration_uri: None,
        redirect_uris: vec![uri("https://partner.example/callback")],
        post_logout_redirect_uris: vec![uri("https://partner.example/bye")],
        backchannel_logout_uri: backchannel.map(uri),
        backchannel_logout_session_required: true,
        scope: scope("openid profile email"),
        pkce_required: true,
        loopback_any_port: false,
        subject_type: SubjectType::User,
        access_token_format: AccessTokenFormat::Opaque,
    }
}

/// A client with `metadata`, created at [`T0`].
pub(super) fn client_with(metadata: ClientMetadata) -> Client {
    Client {
        id: ClientId::new_random(),
        metadata: metadata.into(),
        secret_digest: digest(),
        created_at: T0,
        updated_at: T0,
        secret_rotated_at: T0,
    }
}

/// `client`'s own credentials, as [`crate::ClientRegistry::presented`] makes them from its secret.
pub(super) fn credentials(client: &Client) -> crate::PresentedClient {
    crate::PresentedClient {
        id: client.id,
        digest: Some(client.secret_digest),
    }
}

/// Credentials naming `client` with another secret.
pub(super) fn wrong_credentials(client: &Client) -> crate::PresentedClient {
    crate::PresentedClient {
        id: client.id,
        digest: Some(digest()),
    }
}

/// A plain client: no back-channel logout, not in the catalogue.
pub(super) fn client() -> Client {
    client_with(metadata("Plain Partner", None, None))
}

/// A client with a back-channel logout URI.
pub(super) fn client_with_backchannel() -> Client {
    client_with(metadata(
        "Backchannel Partner",
        Some("https://partner.example/backchannel"),
        None,
    ))
}

/// A user named `username` with an optional e-mail.
pub(super) fn user(username: &str, email: Option<&str>) -> User {
    User {
        id: UserId::new_random(),
        username: username.to_owned(),
        email: email.map(str::to_owned),
        email_verified: email.is_some(),
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        ),
        profile: Profile {
            name: Some(format!("{username} Example")),
            ..Profile::default()
        },
        disabled: false,
        created_at: T0,
        updated_at: T0,
    }
}

/// An organization.
pub(super) fn organization(name: &str) -> Organization {
    Organization {
        id: OrganizationId::new_random(),
        name: name.to_owned(),
        created_at: T0,
    }
}

/// A session of `user` expiring at `expires_at`, with no clients yet.
pub(super) fn session(user: UserId, expires_at: UnixTime) -> Session {
    Session {
        id: SessionId::new_random(),
        cookie_digest: digest(),
        user_id: user,
        auth_time: T0,
        amr: vec!["pwd".to_owned()],
        created_at: T0,
        expires_at,
        clients: Vec::new(),
    }
}

/// A code for `client` and `user` in `session`, expiring at `expires_at`, with a fresh family id.
pub(super) fn code(
    client: ClientId,
    user: UserId,
    session: SessionId,
    expires_at: UnixTime,
) -> AuthorizationCode {
    AuthorizationCode {
        digest: digest(),
        client_id: client,
        user_id: user,
        redirect_uri: "https://partner.example/callback".to_owned(),
        scope: scope("openid profile"),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        nonce: Some("n-0S6_WzA2Mj".to_owned()),
        session_id: session,
        auth_time: T0,
        amr: vec!["pwd".to_owned()],
        family_id: FamilyId::new_random(),
        created_at: T0,
        expires_at,
    }
}

/// A user family (from a code exchange) expiring in 30 days.
pub(super) fn user_family(
    client: ClientId,
    user: UserId,
    session: Option<SessionId>,
) -> TokenFamily {
    TokenFamily {
        id: FamilyId::new_random(),
        client_id: client,
        subject: Subject::User(user),
        scope: scope("openid profile"),
        session_id: session,
        org_authorization_id: None,
        auth_time: Some(T0),
        amr: vec!["pwd".to_owned()],
        created_at: T0,
        expires_at: T0 + 30 * DAY,
        revoked_at: None,
    }
}

/// An organization family under `auth`, expiring in 30 days.
pub(super) fn org_family(
    client: ClientId,
    org: OrganizationId,
    auth: OrgAuthorizationId,
) -> TokenFamily {
    TokenFamily {
        id: FamilyId::new_random(),
        client_id: client,
        subject: Subject::Organization(org),
        scope: scope("partner.read"),
        session_id: None,
        org_authorization_id: Some(auth),
        auth_time: None,
        amr: Vec::new(),
        created_at: T0,
        expires_at: T0 + 30 * DAY,
        revoked_at: None,
    }
}

/// An access token of `family` issued at `issued_at`, expiring at `expires_at`.
pub(super) fn access(
    family: FamilyId,
    issued_at: UnixTime,
    expires_at: UnixTime,
) -> AccessTokenRecord {
    AccessTokenRecord {
        digest: digest(),
        family_id: family,
        scope: scope("openid profile"),
        issued_at,
        expires_at,
        revoked_at: None,
    }
}

/// An unspent refresh token of `family` issued at `issued_at`, expiring at `expires_at`.
pub(super) fn refresh(
    family: FamilyId,
    issued_at: UnixTime,
    expires_at: UnixTime,
) -> RefreshTokenRecord {
    RefreshTokenRecord {
        digest: digest(),
        family_id: family,
        issued_at,
        expires_at,
        rotated_at: None,
        successor: None,
        retry_until: None,
        sealed_retry: None,
    }
}

/// A rotation of `presented` (of `family`) at `now` with fresh tokens and the given sealed bytes.
pub(super) fn rotation(
    presented: Digest,
    family: FamilyId,
    now: UnixTime,
    retry_until: UnixTime,
    sealed: &[u8],
) -> Rotation {
    Rotation {
        presented,
        refresh: refresh(family, now, now + 7 * DAY),
        access: access(family, now, now + HOUR),
        sealed_retry: sealed.to_vec(),
        retry_until,
        now,
    }
}

/// An organization authorization in `state`, created at [`T0`] by a user.
pub(super) fn org_auth(
    org: OrganizationId,
    client: ClientId,
    state: OrgAuthorizationState,
    pending_expires_at: UnixTime,
) -> OrgAuthorization {
    OrgAuthorization {
        id: OrgAuthorizationId::new_random(),
        organization_id: org,
        client_id: client,
        scope: scope("partner.read"),
        state,
        created_by: Actor::User(UserId::new_random()),
        created_at: T0,
        pending_expires_at,
        activated: None,
        revoked: None,
        failed: None,
    }
}

/// A pending outbox entry for `client`, created at `created_at` and due at `due`.
pub(super) fn outbox_entry(client: ClientId, created_at: UnixTime, due: UnixTime) -> OutboxEntry {
    OutboxEntry {
        id: OutboxId::new_random(),
        client_id: client,
        backchannel_logout_uri: "https://partner.example/backchannel".to_owned(),
        claims: LogoutClaims {
            sub: Some(UserId::new_random()),
            sid: Some(SessionId::new_random()),
            jti: format!("jti-{}", OutboxId::new_random()),
        },
        attempts: 0,
        next_attempt_at: due,
        outcome: OutboxOutcome::Pending,
        last_error: None,
        created_at,
        finished_at: None,
    }
}

/// A signing key record with `kid` and recognisable bytes.
pub(super) fn signing_key(kid: &str, state: SigningKeyState) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        alg: "ES256".to_owned(),
        private_der: Zeroizing::new(kid.as_bytes().to_vec()),
        state,
        published_at: T0,
        activated_at: (state == SigningKeyState::Active).then_some(T0),
        retired_at: None,
    }
}

/// A digest key record with `id`.
pub(super) fn digest_key(id: u16, current: bool) -> DigestKeyRecord {
    DigestKeyRecord {
        material: DigestKeyMaterial::generate(id).expect("conformance suite: the OS RNG failed"),
        current,
        created_at: T0,
    }
}

/// Inserts a session of `user` expiring at `expires_at` and returns it.
pub(super) async fn live_session<S: SessionStore>(
    store: &S,
    user: UserId,
    expires_at: UnixTime,
) -> Session {
    let sess = session(user, expires_at);
    ok(store.insert_session(&sess).await, "insert_session");
    sess
}

/// Inserts an active organization authorization of `client` by `org` and returns it.
pub(super) async fn active_org_auth<S: OrgAuthorizationStore>(
    store: &S,
    org: OrganizationId,
    client: ClientId,
) -> OrgAuthorization {
    let auth = org_auth(org, client, OrgAuthorizationState::Active, T0 + HOUR);
    ok(
        store.insert_org_authorization(&auth).await,
        "insert_org_authorization",
    );
    auth
}

/// Checks that a refused `create_family` wrote nothing: no family, no access or refresh token.
pub(super) async fn assert_not_created<S: TokenStore>(
    store: &S,
    family: FamilyId,
    access: Option<&AccessTokenRecord>,
    refresh: Option<&RefreshTokenRecord>,
    what: &str,
) {
    assert_eq!(
        ok(store.get_family(family).await, "get_family"),
        None,
        "{what}: no family may be written"
    );
    if let Some(access) = access {
        let found = ok(
            store.get_access_token(access.digest).await,
            "get_access_token",
        );
        assert!(found.is_none(), "{what}: no access token may be written");
    }
    if let Some(refresh) = refresh {
        let found = ok(
            store.get_refresh_token(refresh.digest).await,
            "get_refresh_token",
        );
        assert!(found.is_none(), "{what}: no refresh token may be written");
    }
}

/// Whether the family (which must exist) is revoked.
pub(super) async fn family_revoked<S: TokenStore>(store: &S, id: FamilyId) -> bool {
    ok(store.get_family(id).await, "get_family")
        .unwrap_or_else(|| panic!("get_family: family {id:?} is missing"))
        .revoked_at
        .is_some()
}

/// The ids of `items`, sorted, for order-insensitive comparisons.
pub(super) fn sorted<T, K: Ord>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<K> {
    let mut keys: Vec<K> = items.into_iter().map(|item| key(&item)).collect();
    keys.sort();
    keys
}
