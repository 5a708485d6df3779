//! Client-side helpers: plain HTTP replies, redirect callbacks, PKCE pairs, and the HTTP client the
//! `openidconnect` and `oauth2` crates run on.

use std::sync::{Once, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use reqwest::header::HeaderMap;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

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

/// A plain HTTP client: no cookies, no redirects followed.
pub fn api_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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
