//! Token families, access and refresh tokens, revocation.

use super::fixtures::*;
use crate::records::*;
use crate::{ClientId, FamilyId, OrgAuthorizationId, OrganizationId, SessionId, Store, UserId};

/// `create_family` writes the family and its tokens (either may be absent), Conflict with nothing
/// written on a taken family id or token digest; lookups return each token with its family;
/// `insert_access_token` adds to an existing family only.
pub async fn tokens_create_and_lookup<S: Store>(store: S) {
    let (client, user) = (ClientId::new_random(), UserId::new_random());
    let sess = live_session(&store, user, T0 + DAY).await;
    let family = user_family(client, user, Some(sess.id));
    let at = access(family.id, T0, T0 + HOUR);
    let rt = refresh(family.id, T0, T0 + DAY);
    ok(
        store
            .create_family(&family, Some(&at), Some(&rt), None)
            .await,
        "create_family",
    );
    assert_eq!(
        ok(store.get_family(family.id).await, "get_family"),
        Some(family.clone())
    );
    let grant = ok(store.get_access_token(at.digest).await, "get_access_token").expect("token");
    assert_eq!(
        grant,
        AccessTokenGrant {
            token: at.clone(),
            family: family.clone()
        }
    );
    assert!(grant.is_active(T0 + 1) && !grant.is_active(T0 + HOUR));
    let grant = ok(
        store.get_refresh_token(rt.digest).await,
        "get_refresh_token",
    )
    .expect("token");
    assert_eq!(
        grant,
        RefreshTokenGrant {
            token: rt.clone(),
            family: family.clone()
        }
    );
    assert_eq!(
        ok(store.get_access_token(digest()).await, "get_access_token"),
        None
    );
    assert_eq!(
        ok(store.get_refresh_token(digest()).await, "get_refresh_token"),
        None
    );
    assert_eq!(
        ok(store.get_family(FamilyId::new_random()).await, "get_family"),
        None
    );

    let fresh_at = access(family.id, T0, T0 + HOUR);
    conflict(
        store
            .create_family(&family, Some(&fresh_at), None, None)
            .await,
        "create_family with a taken family id",
    );
    assert_eq!(
        ok(store.get_access_token(fresh_at.digest).await, "lookup"),
        None,
        "nothing written"
    );
    let other = user_family(client, user, None);
    let reused = AccessTokenRecord {
        family_id: other.id,
        ..at.clone()
    };
    conflict(
        store.create_family(&other, Some(&reused), None, None).await,
        "create_family with a taken access-token digest",
    );
    assert_eq!(
        ok(store.get_family(other.id).await, "get_family"),
        None,
        "nothing written"
    );
    let reused = RefreshTokenRecord {
        family_id: other.id,
        ..rt.clone()
    };
    conflict(
        store.create_family(&other, None, Some(&reused), None).await,
        "create_family with a taken refresh-token digest",
    );
    assert_eq!(
        ok(store.get_family(other.id).await, "get_family"),
        None,
        "nothing written"
    );

    // Client credentials: an organization family with an access token and no refresh token.
    let organization = OrganizationId::new_random();
    let auth = active_org_auth(&store, organization, client).await;
    let org = org_family(client, organization, auth.id);
    let org_at = access(org.id, T0, T0 + HOUR);
    ok(
        store.create_family(&org, Some(&org_at), None, None).await,
        "create_family (no refresh)",
    );
    let grant = ok(store.get_access_token(org_at.digest).await, "lookup").expect("token");
    assert_eq!(grant.family, org);
    let refresh_only = user_family(client, user, None);
    let refresh_only_rt = refresh(refresh_only.id, T0, T0 + DAY);
    ok(
        store
            .create_family(&refresh_only, None, Some(&refresh_only_rt), None)
            .await,
        "create",
    );
    assert!(
        ok(
            store.get_refresh_token(refresh_only_rt.digest).await,
            "lookup"
        )
        .is_some()
    );

    let reissued = access(org.id, T0 + 10, T0 + HOUR + 10);
    ok(
        store.insert_access_token(&reissued).await,
        "insert_access_token",
    );
    let grant = ok(store.get_access_token(reissued.digest).await, "lookup").expect("token");
    assert_eq!((grant.token, grant.family), (reissued.clone(), org));
    conflict(
        store.insert_access_token(&reissued).await,
        "insert_access_token, taken digest",
    );
    let stray = access(FamilyId::new_random(), T0, T0 + HOUR);
    conflict(
        store.insert_access_token(&stray).await,
        "insert_access_token, unknown family",
    );
    assert_eq!(
        ok(store.get_access_token(stray.digest).await, "lookup"),
        None
    );
}

/// Revoking one access token (idempotent, first time kept) leaves its siblings and family active;
/// revoking the family (idempotent, first time kept) deactivates every token in it.
pub async fn tokens_revoke_single_and_family<S: Store>(store: S) {
    let family = user_family(ClientId::new_random(), UserId::new_random(), None);
    let (a1, a2) = (
        access(family.id, T0, T0 + HOUR),
        access(family.id, T0, T0 + HOUR),
    );
    let rt = refresh(family.id, T0, T0 + DAY);
    ok(
        store
            .create_family(&family, Some(&a1), Some(&rt), None)
            .await,
        "create_family",
    );
    ok(store.insert_access_token(&a2).await, "insert_access_token");

    assert!(ok(
        store.revoke_access_token(a1.digest, T0 + 10).await,
        "revoke_access_token"
    ));
    assert!(
        !ok(store.revoke_access_token(a1.digest, T0 + 20).await, "again"),
        "second revoke"
    );
    assert!(
        !ok(store.revoke_access_token(digest(), T0).await, "revoke"),
        "unknown token"
    );
    let g1 = ok(store.get_access_token(a1.digest).await, "lookup").expect("token");
    assert_eq!(
        g1.token.revoked_at,
        Some(T0 + 10),
        "the first revocation time is kept"
    );
    assert!(!g1.is_active(T0 + 11), "a revoked access token is inactive");
    let g2 = ok(store.get_access_token(a2.digest).await, "lookup").expect("token");
    assert!(
        g2.is_active(T0 + 11),
        "revoking one access token leaves its sibling active"
    );
    assert!(g2.family.is_active(T0 + 11), "and its family");

    assert!(ok(
        store.revoke_family(family.id, T0 + 30).await,
        "revoke_family"
    ));
    assert!(
        !ok(store.revoke_family(family.id, T0 + 40).await, "again"),
        "second revoke"
    );
    assert!(
        !ok(
            store.revoke_family(FamilyId::new_random(), T0).await,
            "revoke"
        ),
        "unknown"
    );
    let g2 = ok(store.get_access_token(a2.digest).await, "lookup").expect("token");
    assert_eq!(
        g2.family.revoked_at,
        Some(T0 + 30),
        "the first revocation time is kept"
    );
    assert!(
        !g2.is_active(T0 + 31),
        "a revoked family deactivates its access tokens"
    );
    let gr = ok(store.get_refresh_token(rt.digest).await, "lookup").expect("token");
    assert_eq!(
        gr.family.revoked_at,
        Some(T0 + 30),
        "and its refresh tokens"
    );
}

/// Families over two users, two clients, two sessions and two organization authorizations.
struct Graph {
    users: [UserId; 2],
    clients: [ClientId; 2],
    sessions: [SessionId; 2],
    auths: [OrgAuthorizationId; 2],
    /// (label, family id)
    families: Vec<(&'static str, FamilyId)>,
}

impl Graph {
    async fn build<S: Store>(store: &S) -> Graph {
        let users = [UserId::new_random(), UserId::new_random()];
        let clients = [ClientId::new_random(), ClientId::new_random()];
        let [u1, u2] = users;
        let [c1, c2] = clients;
        // create_family needs live sessions and active authorizations.
        let sessions = [
            live_session(store, u1, T0 + DAY).await.id,
            live_session(store, u2, T0 + DAY).await.id,
        ];
        let org = OrganizationId::new_random();
        let auths = [
            active_org_auth(store, org, c1).await.id,
            active_org_auth(store, org, c2).await.id,
        ];
        let [s1, s2] = sessions;
        let specs = [
            ("c1 u1 s1", user_family(c1, u1, Some(s1))),
            ("c2 u1 s1", user_family(c2, u1, Some(s1))),
            ("c1 u1 s2", user_family(c1, u1, Some(s2))),
            ("c1 u2 s2", user_family(c1, u2, Some(s2))),
            ("c2 u2", user_family(c2, u2, None)),
            ("c1 o1", org_family(c1, org, auths[0])),
            ("c1 o2", org_family(c1, org, auths[1])),
            ("c2 o2", org_family(c2, org, auths[1])),
        ];
        let mut families = Vec::new();
        for (label, family) in specs {
            ok(
                store.create_family(&family, None, None, None).await,
                "create_family",
            );
            families.push((label, family.id));
        }
        Graph {
            users,
            clients,
            sessions,
            auths,
            families,
        }
    }

    async fn check<S: Store>(&self, store: &S, path: &str, count: u64, expected: &[&str]) {
        let mut revoked = Vec::new();
        for (label, id) in &self.families {
            if family_revoked(store, *id).await {
                revoked.push(*label);
            }
        }
        assert_eq!(
            revoked, expected,
            "{path} must revoke exactly these families"
        );
        assert_eq!(
            count,
            expected.len() as u64,
            "{path} must count the families it revoked"
        );
    }
}

/// Each `revoke_by_*` revokes exactly the families it names — no more, no less — counts them, and
/// counts nothing on a second call or for unknown ids.
pub async fn tokens_revoke_by_paths<S: Store>(store: S) {
    let now = T0 + 100;
    let g = Graph::build(&store).await;
    let n = ok(
        store.revoke_by_session(g.sessions[0], now).await,
        "revoke_by_session",
    );
    g.check(&store, "revoke_by_session", n, &["c1 u1 s1", "c2 u1 s1"])
        .await;
    let again = ok(
        store.revoke_by_session(g.sessions[0], now).await,
        "revoke_by_session",
    );
    assert_eq!(again, 0, "already revoked families are not counted again");

    let g = Graph::build(&store).await;
    let n = ok(
        store.revoke_by_client(g.clients[0], now).await,
        "revoke_by_client",
    );
    let expected = ["c1 u1 s1", "c1 u1 s2", "c1 u2 s2", "c1 o1", "c1 o2"];
    g.check(&store, "revoke_by_client", n, &expected).await;

    let g = Graph::build(&store).await;
    let n = ok(
        store.revoke_by_user(g.users[0], now).await,
        "revoke_by_user",
    );
    g.check(
        &store,
        "revoke_by_user",
        n,
        &["c1 u1 s1", "c2 u1 s1", "c1 u1 s2"],
    )
    .await;

    let g = Graph::build(&store).await;
    let by_pair = store.revoke_by_user_and_client(g.users[0], g.clients[0], now);
    let n = ok(by_pair.await, "revoke_by_user_and_client");
    g.check(
        &store,
        "revoke_by_user_and_client",
        n,
        &["c1 u1 s1", "c1 u1 s2"],
    )
    .await;

    let g = Graph::build(&store).await;
    let n = ok(
        store.revoke_by_org_authorization(g.auths[1], now).await,
        "by org authorization",
    );
    g.check(
        &store,
        "revoke_by_org_authorization",
        n,
        &["c1 o2", "c2 o2"],
    )
    .await;

    let g = Graph::build(&store).await;
    let unknown = [
        ok(
            store.revoke_by_session(SessionId::new_random(), now).await,
            "revoke_by_session",
        ),
        ok(
            store.revoke_by_client(ClientId::new_random(), now).await,
            "revoke_by_client",
        ),
        ok(
            store.revoke_by_user(UserId::new_random(), now).await,
            "revoke_by_user",
        ),
        ok(
            store
                .revoke_by_org_authorization(OrgAuthorizationId::new_random(), now)
                .await,
            "org",
        ),
    ];
    assert_eq!(unknown, [0; 4], "unknown ids revoke nothing");
    g.check(&store, "revoking unknown ids", 0, &[]).await;
}

/// `get_refresh_token_with_user` returns what `get_refresh_token` does and, for a user's family, that
/// user as stored; no user for an organization's family or a user that does not exist; `None` for an
/// unknown digest.
pub async fn tokens_refresh_with_user<S: Store>(store: S) {
    let client = ClientId::new_random();
    let stored = user("refresh-reader", Some("refresh-reader@example.com"));
    ok(store.insert_user(&stored).await, "insert_user");
    // A family of another user whose row does not exist.
    let missing = UserId::new_random();
    let org = OrganizationId::new_random();
    let auth = active_org_auth(&store, org, client).await;
    let families = [
        (user_family(client, stored.id, None), Some(stored.clone())),
        (user_family(client, missing, None), None),
        (org_family(client, org, auth.id), None),
    ];
    for (family, expected_user) in families {
        let rt = refresh(family.id, T0, T0 + DAY);
        ok(
            store.create_family(&family, None, Some(&rt), None).await,
            "create_family",
        );
        let alone = ok(
            store.get_refresh_token(rt.digest).await,
            "get_refresh_token",
        );
        let (grant, user) = ok(
            store.get_refresh_token_with_user(rt.digest).await,
            "get_refresh_token_with_user",
        )
        .expect("token");
        assert_eq!(Some(&grant), alone.as_ref(), "{:?}", family.subject);
        assert_eq!(grant.family, family);
        assert_eq!(user, expected_user, "{:?}", family.subject);
    }
    assert_eq!(
        ok(
            store.get_refresh_token_with_user(digest()).await,
            "get_refresh_token_with_user"
        ),
        None
    );
}
