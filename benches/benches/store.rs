//! Benchmarks of the store's hot operations, one group per backend: consuming an authorization code
//! and creating the token family (token endpoint, code grant), rotating a refresh token (token endpoint,
//! refresh grant), and the point reads of the request paths: an access token by digest (introspection
//! and userinfo), a refresh token by digest, a client by id (every client authentication), a user by id
//! (userinfo, ID tokens) and a session by cookie (every authorization request).
//!
//! Every backend goes through the same [`bench_backend`], generic over [`Store`], so the numbers are
//! comparable: add a backend by calling it with a fresh store of that backend. Inputs are minted and
//! written in untimed setup and purged after each sample, so the store does not grow across samples;
//! each timed iteration is exactly one store call driven to completion with `Runtime::block_on`, whose
//! own cost is measured as `store/runtime/block_on_ready`.
//! Run: `cargo bench -p ostiary-benches --bench store`.
// criterion's macros generate undocumented items; a bench that cannot set up, or whose store answers
// wrongly, should fail loudly.
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use ostiary_store::memory::MemoryStore;
use ostiary_store::records::{PasswordHash, Profile, Session, User};
use ostiary_store::{
    AccessTokenRecord, AuthorizationCode, ClientId, ClientRegistration, ClientRegistry,
    ConsumeCode, Digest, DigestKeyMaterial, DigestKeyring, FamilyId, RefreshTokenRecord,
    RotateOutcome, Rotation, ScopeSet, SecretKind, SessionId, Store, Subject, TokenFamily, UserId,
};
use ostiary_store_sql::{PostgresOptions, PostgresStore, SqliteOptions, SqliteStore};
use tokio::runtime::Runtime;

const NOW: i64 = 1_767_225_600;
/// Access tokens present in the store during the lookup bench.
const LOOKUP_TOKENS: usize = 10_000;
/// Outlives every purge of [`purge_all`], so the session written once stays for every sample.
const SESSION_EXPIRES: i64 = NOW + 1000 * 86_400;

/// What the benches need besides the store: a digest keyring to mint realistic digests, and the ids
/// every record refers to.
struct Fixture {
    keyring: Arc<DigestKeyring>,
    client: ClientId,
    user: UserId,
    session: SessionId,
    cookie: Digest,
    scope: ScopeSet,
}

impl Fixture {
    fn new() -> Self {
        let key = DigestKeyMaterial::generate(1).unwrap();
        let keyring = Arc::new(DigestKeyring::new([key], 1).unwrap());
        let cookie = keyring.mint(SecretKind::SessionCookie).unwrap().1;
        Fixture {
            keyring,
            client: ClientId::new_random(),
            user: UserId::new_random(),
            session: SessionId::new_random(),
            cookie,
            scope: ScopeSet::parse("openid profile email").unwrap(),
        }
    }

    /// Writes what every token refers to and the point reads look up: the user, the session (families
    /// are only created for a live one), and a registered client with typical metadata, returned.
    async fn write_long_lived<S: Store>(&self, store: &S) -> ClientId {
        let user = User {
            id: self.user,
            username: "ada".to_owned(),
            email: Some("ada@example.com".to_owned()),
            email_verified: true,
            password_hash: PasswordHash::from_phc(
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo"
                    .to_owned(),
            ),
            profile: Profile {
                name: Some("Ada Lovelace".to_owned()),
                given_name: Some("Ada".to_owned()),
                family_name: Some("Lovelace".to_owned()),
                locale: Some("en-GB".to_owned()),
                ..Profile::default()
            },
            disabled: false,
            created_at: NOW,
            updated_at: NOW,
        };
        store.insert_user(&user).await.unwrap();
        let session = Session {
            id: self.session,
            cookie_digest: self.cookie,
            user_id: self.user,
            auth_time: NOW - 60,
            amr: vec!["pwd".to_owned()],
            created_at: NOW - 60,
            expires_at: SESSION_EXPIRES,
            clients: vec![self.client],
        };
        store.insert_session(&session).await.unwrap();
        let registration = ClientRegistration {
            client_name: "Acme Books".to_owned(),
            client_uri: Some("https://acme.example/".to_owned()),
            logo_uri: Some("https://acme.example/logo.png".to_owned()),
            policy_uri: Some("https://acme.example/privacy".to_owned()),
            contacts: vec!["dev@acme.example".to_owned()],
            initiate_login_uri: Some("https://acme.example/connect".to_owned()),
            redirect_uris: vec![
                "https://acme.example/callback".to_owned(),
                "https://staging.acme.example/callback".to_owned(),
            ],
            post_logout_redirect_uris: vec!["https://acme.example/signed-out".to_owned()],
            backchannel_logout_uri: Some("https://acme.example/backchannel-logout".to_owned()),
            scope: "openid profile email offline_access".to_owned(),
            ..ClientRegistration::default()
        };
        let registry = ClientRegistry::new(store.clone(), self.keyring.clone());
        registry.register(&registration, NOW).await.unwrap().0.id
    }

    fn digest(&self, kind: SecretKind) -> Digest {
        self.keyring.mint(kind).unwrap().1
    }

    fn code(&self) -> AuthorizationCode {
        AuthorizationCode {
            digest: self.digest(SecretKind::AuthorizationCode),
            client_id: self.client,
            user_id: self.user,
            redirect_uri: "https://partner.example/callback".to_owned(),
            scope: self.scope.clone(),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
            nonce: Some("n-0S6_WzA2Mj".to_owned()),
            session_id: self.session,
            auth_time: NOW - 60,
            amr: vec!["pwd".to_owned()],
            family_id: FamilyId::new_random(),
            created_at: NOW,
            expires_at: NOW + 60,
        }
    }

    fn family(&self) -> TokenFamily {
        TokenFamily {
            id: FamilyId::new_random(),
            client_id: self.client,
            subject: Subject::User(self.user),
            scope: self.scope.clone(),
            session_id: Some(self.session),
            org_authorization_id: None,
            auth_time: Some(NOW - 60),
            amr: vec!["pwd".to_owned()],
            created_at: NOW,
            expires_at: NOW + 30 * 86_400,
            revoked_at: None,
        }
    }

    fn access(&self, family: FamilyId) -> AccessTokenRecord {
        AccessTokenRecord {
            digest: self.digest(SecretKind::AccessToken),
            family_id: family,
            scope: self.scope.clone(),
            issued_at: NOW,
            expires_at: NOW + 3600,
            revoked_at: None,
        }
    }

    fn refresh(&self, family: FamilyId) -> RefreshTokenRecord {
        RefreshTokenRecord {
            digest: self.digest(SecretKind::RefreshToken),
            family_id: family,
            issued_at: NOW,
            expires_at: NOW + 14 * 86_400,
            rotated_at: None,
            successor: None,
            retry_until: None,
            sealed_retry: None,
        }
    }

    /// A live family with one refresh token in `store`, and the rotation of that token.
    async fn rotation<S: Store>(&self, store: &S) -> Rotation {
        let family = self.family();
        let presented = self.refresh(family.id);
        store
            .create_family(
                &family,
                Some(&self.access(family.id)),
                Some(&presented),
                None,
            )
            .await
            .unwrap();
        Rotation {
            presented: presented.digest,
            refresh: self.refresh(family.id),
            access: self.access(family.id),
            // About the size of a sealed token response (access, refresh and ID token).
            sealed_retry: vec![0x5a; 1200],
            retry_until: NOW + 30,
            now: NOW + 1,
        }
    }
}

/// Empties `store` of everything the benches wrote (all of it expires within a year), between samples,
/// so every sample runs against a store of the same small size.
fn purge_all<S: Store>(rt: &Runtime, store: &S) {
    const BATCH: usize = 100_000;
    while rt
        .block_on(store.purge_expired(NOW + 400 * 86_400, 0, BATCH))
        .unwrap()
        .total()
        >= BATCH as u64
    {}
}

/// Benches `consume_code`, `rotate_refresh` and `get_access_token` on `store` (fresh and empty), as the
/// group `store/<name>`. `rt` drives the store's futures; SQL backends pass the runtime their pool
/// lives on. Inputs are written before each sample and purged after it, untimed.
fn bench_backend<S: Store>(c: &mut Criterion, name: &str, rt: &Runtime, store: S) {
    let fixture = Fixture::new();
    let client = rt.block_on(fixture.write_long_lived(&store));
    let mut group = c.benchmark_group(format!("store/{name}"));

    group.bench_function("consume_code", |b| {
        b.iter_custom(|iters| {
            let codes: Vec<Digest> = (0..iters)
                .map(|_| {
                    let code = fixture.code();
                    let digest = code.digest;
                    rt.block_on(store.insert_code(code)).unwrap();
                    digest
                })
                .collect();
            let start = Instant::now();
            for digest in &codes {
                let outcome = rt.block_on(store.consume_code(*digest, NOW + 1)).unwrap();
                assert!(matches!(outcome, ConsumeCode::Consumed(_)));
            }
            let elapsed = start.elapsed();
            purge_all(rt, &store);
            elapsed
        });
    });

    group.bench_function("rotate_refresh", |b| {
        b.iter_custom(|iters| {
            let rotations: Vec<Rotation> = (0..iters)
                .map(|_| rt.block_on(fixture.rotation(&store)))
                .collect();
            let start = Instant::now();
            for rotation in &rotations {
                let outcome = rt.block_on(store.rotate_refresh(rotation)).unwrap();
                assert_eq!(outcome, RotateOutcome::Rotated);
            }
            let elapsed = start.elapsed();
            purge_all(rt, &store);
            elapsed
        });
    });

    group.bench_function("create_family", |b| {
        b.iter_custom(|iters| {
            let families: Vec<_> = (0..iters)
                .map(|_| {
                    let family = fixture.family();
                    let access = fixture.access(family.id);
                    let refresh = fixture.refresh(family.id);
                    (family, access, refresh)
                })
                .collect();
            let start = Instant::now();
            for (family, access, refresh) in &families {
                rt.block_on(store.create_family(family, Some(access), Some(refresh), None))
                    .unwrap();
            }
            let elapsed = start.elapsed();
            purge_all(rt, &store);
            elapsed
        });
    });

    let family = fixture.family();
    rt.block_on(store.create_family(&family, None, None, None))
        .unwrap();
    let digests: Vec<Digest> = (0..LOOKUP_TOKENS)
        .map(|_| {
            let token = fixture.access(family.id);
            rt.block_on(store.insert_access_token(&token)).unwrap();
            token.digest
        })
        .collect();
    let mut next = 0;
    group.bench_function("get_access_token", |b| {
        b.iter(|| {
            next = (next + 1) % digests.len();
            let grant = rt.block_on(store.get_access_token(black_box(digests[next])));
            assert!(grant.unwrap().is_some());
        });
    });
    let refresh_family = fixture.family();
    let refresh = fixture.refresh(refresh_family.id);
    rt.block_on(store.create_family(&refresh_family, None, Some(&refresh), None))
        .unwrap();
    group.bench_function("get_refresh_token", |b| {
        b.iter(|| {
            let grant = rt.block_on(store.get_refresh_token(black_box(refresh.digest)));
            assert!(grant.unwrap().is_some());
        });
    });
    group.bench_function("get_client", |b| {
        b.iter(|| {
            let found = rt.block_on(store.get_client(black_box(client)));
            assert!(found.unwrap().is_some());
        });
    });
    group.bench_function("get_user", |b| {
        b.iter(|| {
            let found = rt.block_on(store.get_user(black_box(fixture.user)));
            assert!(found.unwrap().is_some());
        });
    });
    group.bench_function("get_session_by_cookie", |b| {
        b.iter(|| {
            let found = rt.block_on(store.get_session_by_cookie(black_box(fixture.cookie), NOW));
            assert!(found.unwrap().is_some());
        });
    });
    group.finish();
}

/// The cost of driving one ready future with `Runtime::block_on`: included in every number above.
fn runtime_overhead(c: &mut Criterion, rt: &Runtime) {
    c.bench_function("store/runtime/block_on_ready", |b| {
        b.iter(|| rt.block_on(async { black_box(1) }));
    });
}

fn memory(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime_overhead(c, &rt);
    bench_backend(c, "memory", &rt, MemoryStore::new());
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions::new(dir.path().join("bench.db"));
    let store = rt.block_on(SqliteStore::open(options)).unwrap();
    bench_backend(c, "sqlite", &rt, store);
}

/// PostgreSQL, on the database named by `OSTIARY_TEST_POSTGRES_URL` (its tables are created there if
/// missing; the bench purges what it writes). Skipped, saying so, when the variable is unset.
#[allow(clippy::print_stderr)] // a skipped backend must be visible
fn postgres(c: &mut Criterion) {
    let Some(url) = std::env::var("OSTIARY_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("SKIPPED store/postgres: OSTIARY_TEST_POSTGRES_URL is not set");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt
        .block_on(PostgresStore::connect(&url, PostgresOptions::default()))
        .unwrap();
    purge_all(&rt, &store);
    bench_backend(c, "postgres", &rt, store);
}

criterion_group!(benches, memory, sqlite, postgres);
criterion_main!(benches);
