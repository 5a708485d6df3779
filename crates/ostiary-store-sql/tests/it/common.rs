//! Checks shared by both backends beyond the conformance suite.

use ostiary_store::records::*;
use ostiary_store::*;

use crate::fixtures::{self, T0};

/// Writes one record of every kind; [`read_back`] checks them.
pub struct Written {
    client: Client,
    user: User,
    org: Organization,
    membership: Membership,
    consent: Consent,
    session: Session,
    code: AuthorizationCode,
    family: TokenFamily,
    access: AccessTokenRecord,
    refresh: RefreshTokenRecord,
    auth: OrgAuthorization,
    outbox: OutboxEntry,
    signing: Vec<SigningKeyRecord>,
    digest_key: DigestKeyRecord,
}

pub async fn write_every_kind<S: Store>(s: &S) -> Written {
    let client = fixtures::client();
    s.insert_client(&client).await.unwrap();
    let user = fixtures::user("ada");
    s.insert_user(&user).await.unwrap();
    let org = fixtures::organization();
    s.insert_organization(&org).await.unwrap();
    let membership = Membership {
        organization_id: org.id,
        user_id: user.id,
        role: OrgRole::Admin,
        created_at: T0,
    };
    s.put_membership(&membership).await.unwrap();
    let consent = Consent {
        user_id: user.id,
        client_id: client.id,
        scope: fixtures::scope("openid profile"),
        granted_at: T0,
        updated_at: T0 + 1,
    };
    s.put_consent(&consent).await.unwrap();
    let session = fixtures::session(user.id, vec![client.id, ClientId::new_random()]);
    s.insert_session(&session).await.unwrap();
    let code = fixtures::code(client.id, &session);
    s.insert_code(code.clone()).await.unwrap();
    let family = fixtures::family_for(&code);
    let access = fixtures::access(family.id);
    let mut refresh = fixtures::refresh(family.id);
    refresh.rotated_at = Some(T0 + 3);
    refresh.successor = Some(fixtures::digest());
    refresh.retry_until = Some(T0 + 63);
    refresh.sealed_retry = Some(vec![1, 2, 3, 0, 255]);
    s.create_family(&family, Some(&access), Some(&refresh), None)
        .await
        .unwrap();
    let mut auth = fixtures::org_authorization(org.id, client.id, user.id);
    auth.state = OrgAuthorizationState::Revoked;
    auth.activated = Some((Actor::Client(client.id), T0 + 1));
    auth.revoked = Some((Actor::System, T0 + 2));
    s.insert_org_authorization(&auth).await.unwrap();
    let mut outbox = fixtures::outbox_entry(client.id, T0);
    outbox.attempts = 3;
    outbox.last_error = Some("HTTP 503".into());
    s.enqueue_logouts(std::slice::from_ref(&outbox))
        .await
        .unwrap();
    let signing = vec![
        fixtures::signing_key("k1", SigningKeyState::Retired),
        fixtures::signing_key("k2", SigningKeyState::Active),
        fixtures::signing_key("k3", SigningKeyState::Next),
    ];
    assert!(s.swap_signing_keys(0, &signing).await.unwrap());
    let digest_key = fixtures::digest_key(7, true);
    s.insert_digest_key(&digest_key).await.unwrap();
    Written {
        client,
        user,
        org,
        membership,
        consent,
        session,
        code,
        family,
        access,
        refresh,
        auth,
        outbox,
        signing,
        digest_key,
    }
}

pub async fn read_back<S: Store>(s: &S, w: &Written) {
    assert_eq!(
        s.get_client(w.client.id).await.unwrap().as_ref(),
        Some(&w.client)
    );
    assert_eq!(s.get_user(w.user.id).await.unwrap().as_ref(), Some(&w.user));
    assert_eq!(
        s.find_user_by_login("ada@example.com")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(w.user.id)
    );
    assert_eq!(
        s.get_organization(w.org.id).await.unwrap().as_ref(),
        Some(&w.org)
    );
    assert_eq!(
        s.get_membership(w.org.id, w.user.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&w.membership)
    );
    assert_eq!(
        s.get_consent(w.user.id, w.client.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&w.consent)
    );
    assert_eq!(
        s.get_session(w.session.id).await.unwrap().as_ref(),
        Some(&w.session)
    );
    assert_eq!(
        s.get_session_by_cookie(w.session.cookie_digest, T0)
            .await
            .unwrap()
            .as_ref(),
        Some(&w.session)
    );
    let access = s.get_access_token(w.access.digest).await.unwrap().unwrap();
    assert_eq!((&access.token, &access.family), (&w.access, &w.family));
    let refresh = s
        .get_refresh_token(w.refresh.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&refresh.token, &refresh.family), (&w.refresh, &w.family));
    assert_eq!(
        s.get_org_authorization(w.auth.id).await.unwrap().as_ref(),
        Some(&w.auth)
    );
    assert_eq!(
        s.get_logout(w.outbox.id).await.unwrap().as_ref(),
        Some(&w.outbox)
    );
    assert_eq!(s.load_signing_keys().await.unwrap(), (1, w.signing.clone()));
    let keys = s.load_digest_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].material.id, w.digest_key.material.id);
    assert_eq!(*keys[0].material.bytes, *w.digest_key.material.bytes);
    assert!(keys[0].current);
    assert_eq!(keys[0].created_at, w.digest_key.created_at);
    // The code is read back by consuming it.
    assert_eq!(
        s.consume_code(w.code.digest, T0 + 1).await.unwrap(),
        ConsumeCode::Consumed(w.code.clone())
    );
}

/// Unique violations are conflicts that name the constraint, never the value.
pub async fn conflicts_name_their_constraint<S: Store>(s: &S) {
    let user = fixtures::user("grace");
    s.insert_user(&user).await.unwrap();
    let mut other = fixtures::user("other");
    other.email = Some("grace".into());
    assert!(matches!(
        s.insert_user(&other).await,
        Err(StoreError::Conflict("users_login_key"))
    ));
    assert!(
        s.get_user(other.id).await.unwrap().is_none(),
        "nothing of a refused user is kept"
    );
    let client = fixtures::client();
    s.insert_client(&client).await.unwrap();
    assert!(matches!(
        s.insert_client(&client).await,
        Err(StoreError::Conflict("clients_pkey"))
    ));
    let session = fixtures::session(user.id, vec![]);
    let code = fixtures::code(client.id, &session);
    s.insert_code(code.clone()).await.unwrap();
    assert!(matches!(
        s.insert_code(code.clone()).await,
        Err(StoreError::Conflict("codes_pkey"))
    ));
    s.insert_session(&session).await.unwrap();
    let mut twin = fixtures::session(user.id, vec![]);
    twin.cookie_digest = session.cookie_digest;
    assert!(matches!(
        s.insert_session(&twin).await,
        Err(StoreError::Conflict("sessions_cookie_digest_key"))
    ));
    let membership = Membership {
        organization_id: OrganizationId::new_random(),
        user_id: user.id,
        role: OrgRole::Member,
        created_at: T0,
    };
    assert!(matches!(
        s.put_membership(&membership).await,
        Err(StoreError::Conflict(_))
    ));
}
