//! The test harness: a fresh store per case, a provider on a manual clock, the server on an ephemeral
//! loopback port, a registered client and a user; plus request helpers for the API endpoints.

use std::sync::Arc;

use ostiary_core::{CoreConfig, Issuer, ManualClock, PasswordCost, Provider};
use ostiary_server::{RunningServer, ServerConfig};
use ostiary_store::{ClientRegistration, Profile, Store, User, UserId};
use serde_json::Value;
use zeroize::Zeroizing;

pub use crate::backends::{Backend, Cleanup};
use crate::browser::Browser;
pub use crate::client::{
    Callback, Pkce, Reply, api_client, http_client, install_crypto_provider, random_token,
    wall_clock,
};

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

    /// Credentials that are not a client's: the default client with a well-formed wrong secret, and
    /// its secret under a client id nobody registered.
    pub fn wrong_credentials(&self) -> [TestClient; 2] {
        let wrong_secret = TestClient {
            secret: format!("ocs_t1_{}", "A".repeat(43)),
            ..self.client.clone()
        };
        let unknown_client = TestClient {
            id: "7d0e6a43-5f8e-4a7b-b0a4-2f6cf0d0c4e1".to_owned(),
            ..self.client.clone()
        };
        [wrong_secret, unknown_client]
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

    /// Registers a client as described.
    pub async fn register(&self, registration: &ClientRegistration) -> TestClient {
        register_as(&self.provider, registration).await
    }

    /// Signs the test user in to `client` (new browser) with `scope` and exchanges the code.
    pub async fn tokens_for(&self, client: &TestClient, scope: &str) -> Value {
        let pkce = Pkce::new();
        let url = self.authorize_url_for(client, &pkce, &[("scope", scope)]);
        let location = self
            .browser()
            .authorize(&url, &self.user.username, PASSWORD)
            .await;
        let code = Callback::parse(&location)
            .code
            .expect("the authorization succeeded");
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", pkce.verifier.as_str()),
        ];
        let reply = self.token(client, &form).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
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

/// The registration of a test client: every informational URI set.
pub fn registration(name: &str, redirect_uri: &str, scope: &str) -> ClientRegistration {
    ClientRegistration {
        client_name: name.to_owned(),
        client_uri: Some("https://books.example/".to_owned()),
        logo_uri: Some("https://books.example/logo.png".to_owned()),
        tos_uri: Some("https://books.example/terms".to_owned()),
        policy_uri: Some("https://books.example/privacy".to_owned()),
        redirect_uris: vec![redirect_uri.to_owned()],
        scope: scope.to_owned(),
        ..ClientRegistration::default()
    }
}

async fn register<S: Store>(
    provider: &Provider<S>,
    name: &str,
    redirect_uri: &str,
    scope: &str,
) -> TestClient {
    register_as(provider, &registration(name, redirect_uri, scope)).await
}

async fn register_as<S: Store>(
    provider: &Provider<S>,
    registration: &ClientRegistration,
) -> TestClient {
    let (client, secret) = provider
        .registry()
        .register(registration, provider.now())
        .await
        .unwrap();
    TestClient {
        id: client.id.to_string(),
        secret: secret.expose_secret().to_owned(),
        redirect_uri: registration.redirect_uris[0].clone(),
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
