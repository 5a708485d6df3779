//! Benchmarks of the protocol engine in-process: `ostiary_core::Provider` over the in-memory store, no
//! HTTP, so the numbers are the core's own cost (validation, store calls, digests, JWT signing, JSON)
//! and the ceiling of what the server can do per core.
//!
//! - `core/authorize/sso_code`: a valid authorization request from a signed-in user who already
//!   consented → redirect with a new code (RFC 6749 §4.1.2).
//! - `core/authorize/error_redirect`: a request whose client and redirect URI are valid but whose PKCE
//!   method is `plain` → redirect with `error=invalid_request` (RFC 6749 §4.1.2.1).
//! - `core/authorize/error_page`: an unknown `client_id` → error page, never a redirect.
//! - `core/token/authorization_code`: the code exchange with PKCE and HTTP Basic client
//!   authentication → access, refresh and ID token (ES256).
//! - `core/token/refresh`: refresh with rotation → new access, refresh and ID token.
//! - `core/introspect`: RFC 7662 introspection of an active access token by its client.
//! - `core/userinfo`: the UserInfo endpoint with a Bearer access token.
//! - `core/params/parse_authorize_query`: parsing the authorization query (the HTTP adapter's share).
//!
//! Each sample runs on a fresh provider (its own empty store, keys, client, user, session and consent)
//! with a fixed manual clock, so nothing expires and the store never grows across samples. Inputs that
//! are used up (codes, refresh tokens) are made for every iteration before the timer starts; the timed
//! loop is one `.await` of the provider call per iteration inside a single `block_on`. Argon2id runs
//! only in setup, at a tiny cost (64 KiB, 1 iteration).
//!
//! Run: `cargo bench -p ostiary-benches --bench core`.
// criterion's macros generate undocumented items; a bench that cannot set up, or whose provider
// answers wrongly, should fail loudly.
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use criterion::{Criterion, criterion_group, criterion_main};
use ostiary_core::authorize::AuthorizeOutcome;
use ostiary_core::{CoreConfig, Issuer, ManualClock, Params, PasswordCost, Provider};
use ostiary_pkce::CodeVerifier;
use ostiary_store::memory::MemoryStore;
use ostiary_store::{ClientId, ClientRegistration, Profile, User, UserId, UserStore};
use tokio::runtime::Runtime;
use zeroize::Zeroizing;

const ISSUER: &str = "https://id.example";
const REDIRECT: &str = "https://client.example/callback";
const SCOPE: &str = "openid profile email";
const PASSWORD: &str = "correct horse battery staple";
const START: i64 = 1_767_225_600;

/// A provider with a registered client and a user who is signed in and has consented.
struct World {
    provider: Provider<MemoryStore>,
    client_id: String,
    /// The client's `Authorization: Basic …` header.
    basic: String,
    /// The user's session cookie.
    cookie: String,
}

/// The value of `name` in a redirect URI's query.
fn query_value(uri: &str, name: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    let params = Params::parse(query.as_bytes()).ok()?;
    params.get(name).map(str::to_owned)
}

impl World {
    async fn new() -> Self {
        let mut config = CoreConfig::new(Issuer::parse(ISSUER).unwrap());
        config.password_cost = PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let clock = Arc::new(ManualClock::new(START));
        let (provider, _) = Provider::open(MemoryStore::new(), config, clock)
            .await
            .unwrap();
        let registration = ClientRegistration {
            client_name: "Bench".into(),
            redirect_uris: vec![REDIRECT.into()],
            scope: SCOPE.into(),
            ..ClientRegistration::default()
        };
        let (client, secret) = provider
            .registry()
            .register(&registration, START)
            .await
            .unwrap();
        let client_id = client.id.to_string();
        let basic = format!(
            "Basic {}",
            Base64::encode_string(format!("{client_id}:{}", secret.expose_secret()).as_bytes())
        );
        let user = User {
            id: UserId::new_random(),
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            password_hash: provider
                .passwords()
                .hash(Zeroizing::new(PASSWORD.into()))
                .await
                .unwrap(),
            profile: Profile {
                name: Some("Alice Liddell".into()),
                ..Profile::default()
            },
            disabled: false,
            created_at: START,
            updated_at: START,
        };
        provider.store().insert_user(&user).await.unwrap();
        let mut world = World {
            provider,
            client_id,
            basic,
            cookie: String::new(),
        };
        world.sign_in_and_consent().await;
        world
    }

    /// A valid authorization request with PKCE S256, `state` and `nonce`, with `extra` pairs replacing
    /// or adding to the defaults.
    fn authorize_params(&self, challenge: &str, extra: &[(&str, &str)]) -> Params {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPE),
            ("state", "af0ifjsldkj"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            pairs.retain(|(n, _)| n != name);
            pairs.push((name, value));
        }
        Params::from_pairs(pairs).unwrap()
    }

    /// Signs the user in (password form) and consents, keeping the session cookie.
    async fn sign_in_and_consent(&mut self) {
        let verifier = CodeVerifier::generate().unwrap();
        let request = self.authorize_params(verifier.challenge().as_str(), &[]);
        let login = self
            .provider
            .login(&request, "alice", Zeroizing::new(PASSWORD.into()), None)
            .await;
        self.cookie = login
            .new_session
            .expect("a session")
            .cookie
            .expose_secret()
            .to_owned();
        let consent = self
            .provider
            .consent(&request, true, Some(&self.cookie))
            .await;
        assert!(matches!(consent.outcome, AuthorizeOutcome::Redirect(_)));
    }

    /// A fresh code for a fresh verifier, through the SSO path.
    async fn code(&self) -> (String, CodeVerifier) {
        let verifier = CodeVerifier::generate().unwrap();
        let request = self.authorize_params(verifier.challenge().as_str(), &[]);
        let outcome = self
            .provider
            .authorize(&request, Some(&self.cookie))
            .await
            .outcome;
        let AuthorizeOutcome::Redirect(to) = outcome else {
            panic!("no redirect: {outcome:?}")
        };
        (query_value(&to, "code").expect("a code"), verifier)
    }

    fn exchange_params(code: &str, verifier: &CodeVerifier) -> Params {
        Params::from_pairs([
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.expose_secret()),
        ])
        .unwrap()
    }

    /// A fresh token response (code, then exchange).
    async fn tokens(&self) -> serde_json::Value {
        let (code, verifier) = self.code().await;
        let json = self
            .provider
            .token(Some(&self.basic), &Self::exchange_params(&code, &verifier))
            .await
            .unwrap();
        serde_json::from_str(&json).unwrap()
    }
}

/// The string `name` of a token response.
fn field(json: &serde_json::Value, name: &str) -> String {
    json[name].as_str().expect(name).to_owned()
}

fn authorize(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("core/authorize");
    group.bench_function("sso_code", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let verifier = CodeVerifier::generate().unwrap();
                let request = world.authorize_params(verifier.challenge().as_str(), &[]);
                let start = Instant::now();
                for _ in 0..iters {
                    let done = world
                        .provider
                        .authorize(&request, Some(&world.cookie))
                        .await;
                    assert!(matches!(done.outcome, AuthorizeOutcome::Redirect(_)));
                    black_box(done);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("error_redirect", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let request = world.authorize_params(
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                    &[("code_challenge_method", "plain")],
                );
                let start = Instant::now();
                for _ in 0..iters {
                    let done = world.provider.authorize(&request, Some(&world.cookie)).await;
                    assert!(
                        matches!(&done.outcome, AuthorizeOutcome::Redirect(to) if to.contains("error=invalid_request"))
                    );
                    black_box(done);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("error_page", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let unknown = ClientId::new_random().to_string();
                let request = world.authorize_params(
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                    &[("client_id", unknown.as_str())],
                );
                let start = Instant::now();
                for _ in 0..iters {
                    let done = world
                        .provider
                        .authorize(&request, Some(&world.cookie))
                        .await;
                    assert!(matches!(done.outcome, AuthorizeOutcome::ErrorPage(_)));
                    black_box(done);
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn token(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("core/token");
    group.bench_function("authorization_code", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let mut requests = Vec::new();
                for _ in 0..iters {
                    let (code, verifier) = world.code().await;
                    requests.push(World::exchange_params(&code, &verifier));
                }
                let start = Instant::now();
                for request in &requests {
                    let json = world.provider.token(Some(&world.basic), request).await;
                    black_box(json.unwrap());
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("refresh", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let mut requests = Vec::new();
                for _ in 0..iters {
                    let refresh = field(&world.tokens().await, "refresh_token");
                    requests.push(
                        Params::from_pairs([
                            ("grant_type", "refresh_token"),
                            ("refresh_token", refresh.as_str()),
                        ])
                        .unwrap(),
                    );
                }
                let start = Instant::now();
                for request in &requests {
                    let json = world.provider.token(Some(&world.basic), request).await;
                    black_box(json.unwrap());
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn resource(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("core");
    group.bench_function("introspect", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let access = field(&world.tokens().await, "access_token");
                let request = Params::from_pairs([("token", access.as_str())]).unwrap();
                let start = Instant::now();
                for _ in 0..iters {
                    let json = world
                        .provider
                        .introspect(Some(&world.basic), &request)
                        .await;
                    let json = json.unwrap();
                    assert!(json.starts_with(r#"{"active":true"#), "{json}");
                    black_box(json);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("userinfo", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let world = World::new().await;
                let header = format!("Bearer {}", field(&world.tokens().await, "access_token"));
                let start = Instant::now();
                for _ in 0..iters {
                    let json = world.provider.userinfo(Some(&header), false).await;
                    black_box(json.unwrap());
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

/// The HTTP adapter's share of an authorization request: parsing its query.
fn params(c: &mut Criterion) {
    let query = format!(
        "response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fclient.example%2Fcallback\
         &scope=openid%20profile%20email&state=af0ifjsldkj&nonce=n-0S6_WzA2Mj\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        UserId::new_random()
    );
    c.bench_function("core/params/parse_authorize_query", |b| {
        b.iter(|| Params::parse(black_box(query.as_bytes())).unwrap());
    });
}

fn all(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    authorize(c, &rt);
    token(c, &rt);
    resource(c, &rt);
    params(c);
}

criterion_group! {
    name = benches;
    // Fewer, longer samples than the default: each sample builds a fresh provider.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = all
}
criterion_main!(benches);
