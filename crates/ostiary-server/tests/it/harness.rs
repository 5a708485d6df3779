//! The test harness: a fresh store per case, a provider on a manual clock, the server on an ephemeral
//! loopback port, a registered client and a user; plus plain HTTP helpers for the API endpoints.

use std::future::Future;
use std::sync::{Arc, Once, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use ostiary_core::{CoreConfig, Issuer, ManualClock, PasswordCost, Provider};
use ostiary_server::{RunningServer, ServerConfig};
use ostiary_store::memory::MemoryStore;
use ostiary_store::{ClientRegistration, Profile, Store, User, UserId};
use ostiary_store_sql::{PostgresOptions, PostgresStore, SqliteOptions, SqliteStore};
use reqwest::header::HeaderMap;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::browser::Browser;

/// The password of the test user.
pub const PASSWORD: &str = "correct horse battery staple";
/// Every scope the default client may request.
pub const CLIENT_SCOPE: &str = "openid profile email offline_access orders:read";
/// The default client's redirect URI. Never contacted: the tests read the `Location` headers.
pub const REDIRECT_URI: &str = "https://books.example/callback";
/// The cheap Argon2id cost used in tests (one test uses the default cost).
pub const CHEAP: PasswordCost = PasswordCost {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

/// A store backend the suite runs on.
pub trait Backend: Store + Sized {
    /// The backend's name, for messages.
    const NAME: &'static str;
    /// `Err(reason)` when this backend cannot run here.
    fn available() -> Result<(), &'static str> {
        Ok(())
    }
    /// A fresh, empty store, with what must be cleaned up after the case.
    fn create() -> impl Future<Output = (Self, Cleanup)> + Send;
}

/// What a store leaves behind.
pub enum Cleanup {
    Nothing,
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Database { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Database { admin_url, name } = self {
            // Dropped from synchronous code (also when a case panics): a thread with its own runtime.
            let (admin_url, database) = (admin_url.clone(), name.clone());
            let dropped = std::thread::spawn(move || {
                let name = database;
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    use sqlx::Connection;
                    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                });
            })
            .join();
            if dropped.is_err() {
                eprintln!("could not drop the test database {name}");
            }
        }
    }
}

impl Backend for MemoryStore {
    const NAME: &'static str = "memory";
    async fn create() -> (Self, Cleanup) {
        (MemoryStore::new(), Cleanup::Nothing)
    }
}

impl Backend for SqliteStore {
    const NAME: &'static str = "sqlite";
    async fn create() -> (Self, Cleanup) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(SqliteOptions::new(dir.path().join("ostiary.db")).readers(2))
            .await
            .unwrap();
        (store, Cleanup::Directory(dir))
    }
}

const POSTGRES_URL: &str = "OSTIARY_TEST_POSTGRES_URL";

impl Backend for PostgresStore {
    const NAME: &'static str = "postgres";
    fn available() -> Result<(), &'static str> {
        match std::env::var(POSTGRES_URL) {
            Ok(url) if !url.is_empty() => Ok(()),
            _ => Err("OSTIARY_TEST_POSTGRES_URL is not set"),
        }
    }
    async fn create() -> (Self, Cleanup) {
        use sqlx::Connection;
        let admin_url = std::env::var(POSTGRES_URL).unwrap();
        let name = format!(
            "ostiary_it_{}",
            random_token(12).to_ascii_lowercase().replace('-', "_")
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        // The name is ours: a fixed prefix and base64url characters.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let cleanup = Cleanup::Database {
            admin_url: admin_url.clone(),
            name: name.clone(),
        };
        let mut url = openidconnect::url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let store =
            PostgresStore::connect(url.as_str(), PostgresOptions::default().max_connections(12))
                .await
                .unwrap();
        (store, cleanup)
    }
}

/// Runs one case on backend `S`, or says loudly that it was skipped.
pub async fn run<S: Backend, F, Fut>(name: &str, case: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    if let Err(reason) = S::available() {
        eprintln!("SKIPPED: {reason} ({}::{name})", S::NAME);
        return;
    }
    install_crypto_provider();
    case().await;
}

/// reqwest is built without a default TLS crypto provider: install ring's once.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `n` random bytes, base64url.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    SystemRandom::new().fill(&mut bytes).unwrap();
    Base64UrlUnpadded::encode_string(&bytes)
}

/// Wall-clock seconds: the manual clock starts here so that ID tokens are valid for real clients.
pub fn wall_clock() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// How a harness is set up.
pub struct Options {
    /// Configure an `https://` issuer (requests still go over plain HTTP to the loopback port).
    pub https_issuer: bool,
    pub password_cost: PasswordCost,
    pub server: ServerConfig,
}

impl Default for Options {
    fn default() -> Self {
        let mut server = ServerConfig::default();
        // Background tasks are off unless a case turns them on.
        server.key_reload_interval = None;
        server.purge_interval = None;
        Self {
            https_issuer: false,
            password_cost: CHEAP,
            server,
        }
    }
}

/// A registered client.
#[derive(Clone)]
pub struct TestClient {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
}

/// The test user.
#[derive(Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub email: String,
}

/// A running server with its provider, clock, client and user.
pub struct Harness<S: Backend> {
    pub provider: Provider<S>,
    pub clock: Arc<ManualClock>,
    /// Where requests go: `http://127.0.0.1:<port>`.
    pub base: String,
    /// The configured issuer (equal to `base` unless `https_issuer`).
    pub issuer: String,
    pub client: TestClient,
    pub user: TestUser,
    server: Option<RunningServer>,
    api: reqwest::Client,
    _cleanup: Cleanup,
}

impl<S: Backend> Harness<S> {
    /// A harness with the default options.
    pub async fn start() -> Self {
        Self::with(Options::default()).await
    }

    /// A harness with `options`.
    pub async fn with(options: Options) -> Self {
        install_crypto_provider();
        let (store, cleanup) = S::create().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let issuer = if options.https_issuer {
            format!("https://127.0.0.1:{port}")
        } else {
            base.clone()
        };
        let mut config = CoreConfig::new(Issuer::parse(&issuer).unwrap());
        config.password_cost = options.password_cost;
        config.platform_name = "Example Platform".to_owned();
        let clock = Arc::new(ManualClock::new(wall_clock()));
        let (provider, _) = Provider::open(store, config, clock.clone()).await.unwrap();
        let client = register(&provider, "Acme Books", REDIRECT_URI, CLIENT_SCOPE).await;
        let user = create_user(&provider, "alice", "Alice@Example.com", PASSWORD).await;
        let server = RunningServer::start(listener, provider.clone(), options.server).unwrap();
        Self {
            provider,
            clock,
            base,
            issuer,
            client,
            user,
            server: Some(server),
            api: api_client(),
            _cleanup: cleanup,
        }
    }

    /// Stops the server gracefully.
    pub async fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }

    /// The absolute URL of `path` on the running server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new browser (an empty cookie jar).
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A plain HTTP client: no cookies, no redirects followed.
    pub fn api(&self) -> &reqwest::Client {
        &self.api
    }

    /// Registers another client.
    pub async fn register_client(&self, name: &str, redirect_uri: &str, scope: &str) -> TestClient {
        register(&self.provider, name, redirect_uri, scope).await
    }

    /// A POST of `form` to `path` with the client's Basic credentials.
    pub async fn post_as(&self, client: &TestClient, path: &str, form: &[(&str, &str)]) -> Reply {
        let response = self
            .api
            .post(self.url(path))
            .basic_auth(&client.id, Some(&client.secret))
            .form(form)
            .send()
            .await
            .unwrap();
        Reply::read(response).await
    }

    /// A token request by `client`.
    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> Reply {
        self.post_as(client, "/oauth/token", form).await
    }

    /// Exchanges `code` for tokens as the default client with the right redirect URI and verifier.
    pub async fn exchange(&self, code: &str, pkce: &Pkce) -> Reply {
        self.token(
            &self.client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await
    }

    /// A refresh as the default client.
    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.token(
            &self.client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// A UserInfo GET with the token in the `Authorization` header.
    pub async fn userinfo(&self, access_token: &str) -> Reply {
        let response = self
            .api
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        Reply::read(response).await
    }

    /// An introspection by `client`.
    pub async fn introspect(&self, client: &TestClient, token: &str) -> Reply {
        self.post_as(client, "/oauth/introspect", &[("token", token)])
            .await
    }

    /// A revocation by `client`.
    pub async fn revoke(&self, client: &TestClient, token: &str) -> Reply {
        self.post_as(client, "/oauth/revoke", &[("token", token)])
            .await
    }

    /// An authorization URL for the default client with `scope`, PKCE S256, a state and a nonce, plus
    /// `extra` parameters (which replace defaults of the same name).
    pub fn authorize_url(&self, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
        self.authorize_url_for(&self.client, pkce, extra)
    }

    /// Like [`Self::authorize_url`] for another client.
    pub fn authorize_url_for(
        &self,
        client: &TestClient,
        pkce: &Pkce,
        extra: &[(&str, &str)],
    ) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &client.id),
            ("redirect_uri", &client.redirect_uri),
            ("scope", "openid profile email"),
            ("state", "state-123"),
            ("nonce", "nonce-456"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            if !value.is_empty() {
                params.push((name, value));
            }
        }
        let mut url = openidconnect::url::Url::parse(&self.url("/oauth/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// Signs the test user in with a new browser and consents: returns the browser (with its session)
    /// and the code of the redirect.
    pub async fn sign_in(&self, pkce: &Pkce, extra: &[(&str, &str)]) -> (Browser, String) {
        let browser = self.browser();
        let location = browser
            .authorize(
                &self.authorize_url(pkce, extra),
                &self.user.username,
                PASSWORD,
            )
            .await;
        let callback = Callback::parse(&location);
        let code = callback.code.expect("the authorization succeeded");
        (browser, code)
    }

    /// Signs in and exchanges the code: the token response JSON.
    pub async fn tokens(&self, extra: &[(&str, &str)]) -> Value {
        let pkce = Pkce::new();
        let (_, code) = self.sign_in(&pkce, extra).await;
        let reply = self.exchange(&code, &pkce).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
}

fn api_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn register<S: Store>(
    provider: &Provider<S>,
    name: &str,
    redirect_uri: &str,
    scope: &str,
) -> TestClient {
    let registration = ClientRegistration {
        client_name: name.to_owned(),
        client_uri: Some("https://books.example/".to_owned()),
        logo_uri: Some("https://books.example/logo.png".to_owned()),
        tos_uri: Some("https://books.example/terms".to_owned()),
        policy_uri: Some("https://books.example/privacy".to_owned()),
        redirect_uris: vec![redirect_uri.to_owned()],
        scope: scope.to_owned(),
        ..ClientRegistration::default()
    };
    let (client, secret) = provider
        .registry()
        .register(&registration, provider.now())
        .await
        .unwrap();
    TestClient {
        id: client.id.to_string(),
        secret: secret.expose_secret().to_owned(),
        redirect_uri: redirect_uri.to_owned(),
    }
}

async fn create_user<S: Store>(
    provider: &Provider<S>,
    username: &str,
    email: &str,
    password: &str,
) -> TestUser {
    let hash = provider
        .passwords()
        .hash(Zeroizing::new(password.to_owned()))
        .await
        .unwrap();
    let now = provider.now();
    let user = User {
        id: UserId::new_random(),
        username: username.to_lowercase(),
        email: Some(email.to_lowercase()),
        email_verified: true,
        password_hash: hash,
        profile: Profile {
            name: Some("Alice Liddell".to_owned()),
            given_name: Some("Alice".to_owned()),
            locale: Some("en-GB".to_owned()),
            ..Profile::default()
        },
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    provider.store().insert_user(&user).await.unwrap();
    TestUser {
        id: user.id.to_string(),
        username: username.to_owned(),
        email: email.to_owned(),
    }
}

/// A PKCE pair (RFC 7636 §4.1–4.2, S256), computed independently of the server's crates.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = random_token(32);
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        let challenge = Base64UrlUnpadded::encode_string(digest.as_ref());
        Self {
            verifier,
            challenge,
        }
    }
}

/// An HTTP response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `error` of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// The parameters of a redirect to the client.
#[derive(Debug)]
pub struct Callback {
    pub base: String,
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl Callback {
    pub fn parse(location: &str) -> Self {
        let url = openidconnect::url::Url::parse(location)
            .unwrap_or_else(|e| panic!("not a URL ({e}): {location}"));
        let get = |name: &str| {
            url.query_pairs()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
        };
        let mut base = url.clone();
        base.set_query(None);
        Self {
            base: base.to_string(),
            code: get("code"),
            state: get("state"),
            iss: get("iss"),
            error: get("error"),
            error_description: get("error_description"),
        }
    }
}

/// The HTTP client the `openidconnect` and `oauth2` crates call (their async client interface, over
/// reqwest without following redirects).
pub async fn http_client(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, HttpError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    let client = CLIENT.get_or_init(api_client);
    let (parts, body) = request.into_parts();
    // The test server speaks plain HTTP on loopback; client libraries that insist on https URLs get
    // them carried over plain HTTP (loopback only).
    let uri = parts.uri.to_string();
    let uri = match uri.strip_prefix("https://127.0.0.1:") {
        Some(rest) => format!("http://127.0.0.1:{rest}"),
        None => uri,
    };
    let response = client
        .request(parts.method, uri)
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    builder
        .body(body.to_vec())
        .map_err(|e| HttpError(e.to_string()))
}

/// An error of [`http_client`].
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}
