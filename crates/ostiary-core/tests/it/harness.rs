//! A provider over a `MemoryStore` with a manual clock, a registered client and a user.

use std::sync::Arc;

use base64ct::{Base64, Encoding};
use ostiary_core::authorize::AuthorizeOutcome;
use ostiary_core::{CoreConfig, Issuer, ManualClock, Params, PasswordCost, Provider};
use ostiary_pkce::CodeVerifier;
use ostiary_store::memory::MemoryStore;
use ostiary_store::{Client, ClientRegistration, Profile, User, UserId, UserStore};
use zeroize::Zeroizing;

pub const ISSUER: &str = "https://id.example";
pub const REDIRECT: &str = "https://client.example/callback";
pub const PASSWORD: &str = "correct horse battery staple";
pub const START: i64 = 1_700_000_000;

pub struct Harness {
    pub provider: Provider<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub client: Client,
    pub secret: String,
    pub user: User,
}

pub fn encode(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out.into_bytes()
}

pub fn params(pairs: &[(&str, &str)]) -> Params {
    Params::parse(&encode(pairs)).unwrap()
}

/// Splits a redirect URI's query into pairs.
pub fn query(uri: &str) -> Vec<(String, String)> {
    let q = uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    let p = Params::parse(q.as_bytes()).unwrap();
    p.iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_registration(registration()).await
    }

    pub async fn with_registration(registration: ClientRegistration) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let mut config = CoreConfig::new(Issuer::parse(ISSUER).unwrap());
        config.password_cost = PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let (provider, startup) = Provider::open(MemoryStore::new(), config, clock.clone())
            .await
            .unwrap();
        assert!(startup.created_signing_keys && startup.created_digest_key);
        let (client, secret) = provider
            .registry()
            .register(&registration, START)
            .await
            .unwrap();
        let user = create_user(&provider, "alice", "alice@example.com").await;
        Harness {
            provider,
            clock,
            client,
            secret: secret.expose_secret().to_owned(),
            user,
        }
    }

    pub fn basic(&self) -> String {
        basic_auth(&self.client.id.to_string(), &self.secret)
    }

    /// Authorization parameters for this client with PKCE.
    pub fn authorize_params<'a>(
        &'a self,
        client_id: &'a str,
        challenge: &'a str,
        extra: &[(&'a str, &'a str)],
    ) -> Vec<(&'a str, &'a str)> {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile email"),
            ("state", "xyz"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            pairs.retain(|(n, _)| n != name);
            pairs.push((name, value));
        }
        pairs
    }

    /// Runs authorize → login → consent and returns (code, session cookie, verifier).
    pub async fn sign_in(&self) -> (String, String, CodeVerifier) {
        let verifier = CodeVerifier::generate().unwrap();
        let client_id = self.client.id.to_string();
        let challenge = verifier.challenge();
        let request = params(&self.authorize_params(&client_id, challenge.as_str(), &[]));
        let first = self.provider.authorize(&request, None).await;
        assert!(
            matches!(first.outcome, AuthorizeOutcome::Login(_)),
            "{:?}",
            first.outcome
        );
        let login = self
            .provider
            .login(&request, "Alice", Zeroizing::new(PASSWORD.into()), None)
            .await;
        let cookie = login
            .new_session
            .expect("a session")
            .cookie
            .expose_secret()
            .to_owned();
        let to = match login.outcome {
            // Consent is remembered from an earlier sign-in.
            AuthorizeOutcome::Redirect(to) => to,
            AuthorizeOutcome::Consent(_) => {
                let consent = self.provider.consent(&request, true, Some(&cookie)).await;
                let AuthorizeOutcome::Redirect(to) = consent.outcome else {
                    panic!("{:?}", consent.outcome)
                };
                to
            }
            other => panic!("{other:?}"),
        };
        let pairs = query(&to);
        assert!(to.starts_with(REDIRECT));
        assert_eq!(get(&pairs, "state"), Some("xyz"));
        assert_eq!(get(&pairs, "iss"), Some(ISSUER));
        (get(&pairs, "code").unwrap().to_owned(), cookie, verifier)
    }

    /// Exchanges a code; returns the JSON response.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &CodeVerifier,
    ) -> Result<serde_json::Value, ostiary_core::OAuthError> {
        let body = params(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.expose_secret()),
        ]);
        let json = self.provider.token(Some(&self.basic()), &body).await?;
        Ok(serde_json::from_str(&json).unwrap())
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<String, ostiary_core::OAuthError> {
        let body = params(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ]);
        self.provider.token(Some(&self.basic()), &body).await
    }
}

pub fn basic_auth(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        Base64::encode_string(format!("{id}:{secret}").as_bytes())
    )
}

pub fn registration() -> ClientRegistration {
    ClientRegistration {
        client_name: "Acme Books".into(),
        redirect_uris: vec![REDIRECT.into()],
        scope: "openid profile email api:read".into(),
        ..ClientRegistration::default()
    }
}

pub async fn create_user(provider: &Provider<MemoryStore>, username: &str, email: &str) -> User {
    let hash = provider
        .passwords()
        .hash(Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    let user = User {
        id: UserId::new_random(),
        username: username.into(),
        email: Some(email.into()),
        email_verified: true,
        password_hash: hash,
        profile: Profile {
            name: Some("Alice Liddell".into()),
            locale: Some("en-GB".into()),
            ..Profile::default()
        },
        disabled: false,
        created_at: START,
        updated_at: START,
    };
    provider.store().insert_user(&user).await.unwrap();
    user
}

/// Asserts that two token responses carry the same tokens: every member equal, except that a JWT
/// (the ID token, a JWT access token) may carry another signature over the same header and claims, as
/// a refresh retry's response does (its JWTs are signed again).
pub fn assert_same_tokens(a: &str, b: &str) {
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(a).expect("JSON"),
        serde_json::from_str(b).expect("JSON"),
    );
    let (a, b) = (
        a.as_object().expect("object"),
        b.as_object().expect("object"),
    );
    let keys =
        |o: &serde_json::Map<String, serde_json::Value>| o.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(a), keys(b));
    for (name, value) in a {
        let other = &b[name];
        match (value.as_str(), other.as_str()) {
            (Some(x), Some(y)) if x.split('.').count() == 3 => {
                let signed = |jwt: &str| jwt.rsplit_once('.').map(|(signed, _)| signed.to_owned());
                assert_eq!(signed(x), signed(y), "{name}: header and claims");
            }
            _ => assert_eq!(value, other, "{name}"),
        }
    }
}
