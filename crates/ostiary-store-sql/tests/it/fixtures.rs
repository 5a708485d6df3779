//! Records for the backend-specific tests (the conformance suite has its own).

use ostiary_redirect::RegisteredRedirectUri;
use ostiary_store::records::*;
use ostiary_store::*;
use zeroize::Zeroizing;

/// The tests' "now".
pub const T0: UnixTime = 1_700_000_000;
/// One hour.
pub const HOUR: i64 = 3600;

/// A random digest, as if of a freshly minted secret.
pub fn digest() -> Digest {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    Digest::from_bytes(bytes)
}

pub fn scope(value: &str) -> ScopeSet {
    ScopeSet::parse(value).unwrap()
}

fn uri(value: &str) -> RegisteredRedirectUri {
    RegisteredRedirectUri::parse(value).unwrap()
}

/// A client with every metadata field set.
pub fn client() -> Client {
    Client {
        id: ClientId::new_random(),
        metadata: ClientMetadata {
            client_name: "Acme Books".into(),
            client_uri: Some("https://acme.example/".into()),
            logo_uri: Some("https://acme.example/logo.png".into()),
            tos_uri: Some("https://acme.example/tos".into()),
            policy_uri: Some("https://acme.example/privacy".into()),
            contacts: vec!["dev@acme.example".into()],
            initiate_login_uri: Some("https://acme.example/connect".into()),
            configuration_uri: Some("https://acme.example/settings".into()),
            redirect_uris: vec![
                uri("https://acme.example/callback"),
                uri("http://127.0.0.1:8080/cb"),
            ],
            post_logout_redirect_uris: vec![uri("https://acme.example/bye")],
            backchannel_logout_uri: Some(uri("https://acme.example/backchannel")),
            backchannel_logout_session_required: true,
            scope: scope("openid profile email"),
            pkce_required: true,
            loopback_any_port: true,
            subject_type: SubjectType::User,
            access_token_format: AccessTokenFormat::Jwt,
        }
        .into(),
        secret_digest: digest(),
        created_at: T0,
        updated_at: T0 + 1,
        secret_rotated_at: T0 + 2,
    }
}

pub fn user(username: &str) -> User {
    User {
        id: UserId::new_random(),
        username: username.into(),
        email: Some(format!("{username}@example.com")),
        email_verified: true,
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        ),
        profile: Profile {
            name: Some("Ada Lovelace".into()),
            locale: Some("en-GB".into()),
            ..Profile::default()
        },
        disabled: false,
        created_at: T0,
        updated_at: T0,
    }
}

pub fn session(user: UserId, clients: Vec<ClientId>) -> Session {
    Session {
        id: SessionId::new_random(),
        cookie_digest: digest(),
        user_id: user,
        auth_time: T0,
        amr: vec!["pwd".into(), "otp".into()],
        created_at: T0,
        expires_at: T0 + 8 * HOUR,
        clients,
    }
}

pub fn code(client: ClientId, session: &Session) -> AuthorizationCode {
    AuthorizationCode {
        digest: digest(),
        client_id: client,
        user_id: session.user_id,
        redirect_uri: "https://acme.example/callback".into(),
        scope: scope("openid profile"),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        session_id: session.id,
        auth_time: T0,
        amr: vec!["pwd".into()],
        family_id: FamilyId::new_random(),
        created_at: T0,
        expires_at: T0 + 60,
    }
}

/// The family a code exchange creates.
pub fn family_for(code: &AuthorizationCode) -> TokenFamily {
    TokenFamily {
        id: code.family_id,
        client_id: code.client_id,
        subject: Subject::User(code.user_id),
        scope: code.scope.clone(),
        session_id: Some(code.session_id),
        org_authorization_id: None,
        auth_time: Some(code.auth_time),
        amr: code.amr.clone(),
        created_at: T0,
        expires_at: T0 + 30 * 24 * HOUR,
        revoked_at: None,
    }
}

pub fn access(family: FamilyId) -> AccessTokenRecord {
    AccessTokenRecord {
        digest: digest(),
        family_id: family,
        scope: scope("openid"),
        issued_at: T0,
        expires_at: T0 + HOUR,
        revoked_at: None,
    }
}

pub fn refresh(family: FamilyId) -> RefreshTokenRecord {
    RefreshTokenRecord {
        digest: digest(),
        family_id: family,
        issued_at: T0,
        expires_at: T0 + 24 * HOUR,
        rotated_at: None,
        successor: None,
        retry_until: None,
        sealed_retry: None,
    }
}

/// A rotation of `presented` at `now` with a fresh refresh and access token.
pub fn rotation(presented: Digest, family: FamilyId, now: UnixTime, window: i64) -> Rotation {
    let mut next = refresh(family);
    next.issued_at = now;
    let mut token = access(family);
    token.issued_at = now;
    Rotation {
        presented,
        sealed_retry: next.digest.as_bytes().to_vec(),
        refresh: next,
        access: token,
        retry_until: now + window,
        now,
    }
}

pub fn organization() -> Organization {
    Organization {
        id: OrganizationId::new_random(),
        name: "Contoso".into(),
        created_at: T0,
    }
}

pub fn org_authorization(org: OrganizationId, client: ClientId, admin: UserId) -> OrgAuthorization {
    OrgAuthorization {
        id: OrgAuthorizationId::new_random(),
        organization_id: org,
        client_id: client,
        scope: scope("org:read"),
        state: OrgAuthorizationState::Pending,
        created_by: Actor::User(admin),
        created_at: T0,
        pending_expires_at: T0 + HOUR,
        activated: None,
        revoked: None,
        failed: None,
    }
}

pub fn outbox_entry(client: ClientId, due: UnixTime) -> OutboxEntry {
    OutboxEntry {
        id: OutboxId::new_random(),
        client_id: client,
        backchannel_logout_uri: "https://acme.example/backchannel".into(),
        claims: LogoutClaims {
            sub: Some(UserId::new_random()),
            sid: Some(SessionId::new_random()),
            jti: uuid::Uuid::new_v4().to_string(),
        },
        attempts: 0,
        next_attempt_at: due,
        outcome: OutboxOutcome::Pending,
        last_error: None,
        created_at: T0,
        finished_at: None,
    }
}

pub fn signing_key(kid: &str, state: SigningKeyState) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.into(),
        alg: "ES256".into(),
        private_der: Zeroizing::new(vec![0x30, 0x81, 0x87, 1, 2, 3]),
        state,
        published_at: T0,
        activated_at: Some(T0 + 1),
        retired_at: None,
    }
}

pub fn digest_key(id: u16, current: bool) -> DigestKeyRecord {
    DigestKeyRecord {
        material: DigestKeyMaterial::generate(id).unwrap(),
        current,
        created_at: T0,
    }
}
