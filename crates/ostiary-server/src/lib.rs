//! The HTTP layer of the Ostiary authorization server: a hyper service that turns requests into calls
//! of the protocol engine ([`ostiary_core::Provider`]) and its answers into responses, with the sign-in,
//! consent and error pages, cookies, CSRF protection, security headers, bounded request reading and the
//! background tasks a running server needs.
//!
//! It is deliberately thin: every OAuth 2.0 / OpenID Connect rule (validation order, PKCE, redirect-URI
//! matching, error codes, token rotation…) lives in `ostiary-core`. What lives here is HTTP: routing,
//! methods, content types, size and time limits, cookies, HTML and headers.
//!
//! # What it does not do
//!
//! No TLS (run it behind a TLS-terminating proxy, or serve [`OstiaryService`] on your own TLS
//! connections), no admin API, no logout endpoints, no JavaScript, no CORS beyond the public discovery
//! documents.
//!
//! # Routes
//!
//! | Method | Path | What |
//! |---|---|---|
//! | GET, POST | `/oauth/authorize` | Authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2.1) |
//! | POST | `/oauth/authorize/login` | The sign-in form (forwarded request, `username`, `password`, `csrf_token`) |
//! | POST | `/oauth/authorize/consent` | The consent form (forwarded request, `decision=allow\|deny`, `csrf_token`) |
//! | POST | `/oauth/token` | Token endpoint (RFC 6749 §3.2), `client_secret_basic` |
//! | GET, POST | `/userinfo` | UserInfo (OIDC Core §5.3), bearer token in the `Authorization` header only |
//! | POST | `/oauth/revoke` | Revocation (RFC 7009) |
//! | POST | `/oauth/introspect` | Introspection (RFC 7662) |
//! | GET, HEAD | `/.well-known/openid-configuration` | OpenID Provider metadata (OIDC Discovery §4) |
//! | GET, HEAD | `/.well-known/oauth-authorization-server` | Authorization server metadata (RFC 8414 §3) |
//! | GET, HEAD | `/.well-known/jwks.json` | The JWKS (RFC 7517) |
//! | GET, HEAD | `/healthz` | Liveness: `200 ok` |
//! | GET, HEAD | `/assets/ostiary.css` | The stylesheet of the pages |
//!
//! Any other path is 404. A known path with another method is 405 with `Allow` (RFC 9110 §15.5.6), in
//! JSON (`invalid_request`) on the machine endpoints and as a page elsewhere.
//!
//! # HTTP rules
//!
//! - **Authorization endpoint**: a redirect from the core is `302` after a GET and `303` after a form
//!   post; an error page is shown with its status and is never a redirect (RFC 6749 §4.1.2.1); the
//!   sign-in and consent prompts are HTML forms that repeat the request as hidden fields.
//! - **Token, revocation, introspection**: the body must be `application/x-www-form-urlencoded` (a
//!   `charset=utf-8` parameter is allowed), else `400 invalid_request`. Errors are JSON with the status of
//!   [`ostiary_core::OAuthError::http_status`], `Cache-Control: no-store`, `Pragma: no-cache`, and
//!   `WWW-Authenticate: Basic realm="ostiary"` on `invalid_client` (RFC 6749 §5.2). Revocation succeeds
//!   with `200` and an empty body.
//! - **UserInfo**: `200` JSON, or the [`ostiary_core::BearerError`] status with `WWW-Authenticate: Bearer
//!   realm="ostiary"…` (RFC 6750 §3). An `access_token` in the query string or a form body is refused.
//! - **Bounds**: request bodies over [`ServerConfig::max_body_bytes`] (64 KiB) are `413`; bodies are read
//!   within [`ServerConfig::body_timeout`] (`408` after it); headers within
//!   [`ServerConfig::header_read_timeout`]; parameters are bounded by [`ostiary_core::Params`]. Client input
//!   never causes a `500` or a panic.
//!
//! # Security headers
//!
//! Every HTML page carries `Content-Security-Policy: default-src 'none'; style-src 'self'; img-src https:
//! data:; base-uri 'none'; frame-ancestors 'none'`, `X-Frame-Options: DENY`, `Cache-Control: no-store`,
//! `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. There is no `form-action`
//! directive on purpose: Chrome applies it to the redirect that follows the form post, which goes to the
//! client. JSON responses are `Cache-Control: no-store` and `nosniff`; the discovery documents and the JWKS
//! add `Access-Control-Allow-Origin: *`. On an `https` issuer every response carries
//! `Strict-Transport-Security: max-age=31536000` (RFC 6797).
//!
//! # Cookies
//!
//! | Cookie | https issuer | http loopback issuer |
//! |---|---|---|
//! | session | `__Host-ostiary_session`; `Path=/; HttpOnly; SameSite=Lax; Max-Age=…; Secure` | `ostiary_session`, same without `Secure` |
//! | CSRF | `__Host-ostiary_csrf`; `Path=/; HttpOnly; SameSite=Strict; Secure` (browser session) | `ostiary_csrf`, same without `Secure` |
//!
//! The session cookie is `Lax` so that it comes along when a client sends the browser to
//! `/oauth/authorize` (single sign-on), but not on cross-site posts. Every form carries a CSRF token
//! equal to the CSRF cookie (double-submit), compared in constant time; a submission without a matching
//! token is refused with a `403` page and nothing is done. A sign-in rotates the CSRF token. The `Cookie` header is read strictly and
//! boundedly (8 KiB, 64 pairs); when a name repeats, the first occurrence counts.
//!
//! # Logs
//!
//! One `tracing` event per request at `info`: method, route path (never the query string; unknown paths as
//! `(unknown)`), status and latency. Never headers, cookies, bodies or tokens.
//!
//! # Example
//!
//! Embedding the server (this binds a port, so it is not run as a test):
//!
//! ```no_run
//! use std::sync::Arc;
//! use ostiary_core::{CoreConfig, Issuer, Provider, SystemClock};
//! use ostiary_server::{ServerConfig, serve};
//! use ostiary_store::memory::MemoryStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let config = CoreConfig::new(Issuer::parse("http://127.0.0.1:8080")?);
//! let (provider, _startup) = Provider::open(MemoryStore::new(), config, Arc::new(SystemClock)).await?;
//! let shutdown = async {
//!     let _ = tokio::signal::ctrl_c().await;
//! };
//! serve(listener, provider, ServerConfig::default(), shutdown).await?;
//! # Ok(()) }
//! ```
//!
//! Handling a request in-process, without a socket:
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Empty};
//! use ostiary_core::{CoreConfig, Issuer, Provider, SystemClock};
//! use ostiary_server::{OstiaryService, ServerConfig};
//! use ostiary_store::memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let config = CoreConfig::new(Issuer::parse("https://id.example")?);
//! let (provider, _) = Provider::open(MemoryStore::new(), config, Arc::new(SystemClock)).await?;
//! let service = OstiaryService::new(provider, ServerConfig::default());
//!
//! let request = http::Request::get("/.well-known/openid-configuration").body(Empty::<Bytes>::new())?;
//! let response = service.handle(request).await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["cache-control"], "no-store");
//! let body = response.into_body().collect().await?.to_bytes();
//! assert!(std::str::from_utf8(&body)?.contains(r#""issuer":"https://id.example""#));
//!
//! // A token request that is not a form post is refused before anything else.
//! let request = http::Request::post("/oauth/token").body(Empty::<Bytes>::new())?;
//! let response = service.handle(request).await;
//! assert_eq!(response.status(), 400);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod config;
mod cookies;
mod csrf;
mod handlers;
mod pages;
mod response;
mod routes;
mod serve;
mod service;
mod tasks;

pub use config::ServerConfig;
pub use routes::{CONSENT_PATH, HEALTHZ_PATH, LOGIN_PATH, STYLESHEET_PATH};
pub use serve::{RunningServer, serve};
pub use service::{OstiaryService, ResponseFuture};
pub use tasks::BackgroundTasks;
