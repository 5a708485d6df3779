//! The OAuth 2.0 and OpenID Connect protocol engine of Ostiary, independent of any HTTP stack.
//!
//! [`Provider`] takes parsed requests ([`Params`], header values, a session cookie) and returns typed
//! answers: a JSON body or an [`OAuthError`] at the token, revocation and introspection endpoints, an
//! [`authorize::AuthorizeOutcome`] (redirect, error page, sign-in or consent form) at the authorization
//! endpoint, a JSON body or a [`BearerError`] at UserInfo. `ostiary-server` turns these into hyper
//! responses; another HTTP stack can do the same in a few hundred lines. It never imports an HTTP library,
//! so it can be embedded, benchmarked and fuzzed in-process.
//!
//! # What it implements
//!
//! - Authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636 S256 only) and OpenID Connect
//!   authentication (OIDC Core §3.1): validation in the order that keeps errors from being redirected to
//!   unverified URIs (RFC 6749 §4.1.2.1), exact redirect-URI matching (RFC 9700 §4.1.3), `state`, `nonce`,
//!   `prompt` (`none`, `login`, `consent`), `max_age`, `login_hint`, and the `iss` response parameter
//!   (RFC 9207). Repeated parameters are refused (RFC 6749 §3.1).
//! - Sign-in with Argon2id passwords and remembered, scope-aware consent.
//! - The token endpoint with `client_secret_basic` only (RFC 6749 §2.3.1), the client authenticated by
//!   the grant's own store operation (wrong credentials spend, rotate or revoke nothing, and
//!   `invalid_client` comes before every other error): single-use codes bound to the
//!   client, redirect URI and PKCE challenge, whose replay revokes what they issued (RFC 6749 §4.1.2);
//!   refresh tokens rotated on every use with a retry window and family revocation on replay
//!   (RFC 9700 §4.14.2); ID tokens with `at_hash`, `nonce`, `auth_time`, `sid`, `amr` (OIDC Core §2).
//! - UserInfo (OIDC Core §5.3) with RFC 6750 errors, revocation (RFC 7009), introspection (RFC 7662).
//! - Discovery (OIDC Discovery 1.0 §3, RFC 8414 §2) advertising exactly the above.
//!
//! # What it does not do
//!
//! No implicit or hybrid flows, no `plain` PKCE, no public clients, no `client_secret_post`, no request
//! objects, no dynamic client registration over HTTP, no HTTP, cookies or HTML (see `ostiary-server`).
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use ostiary_core::{CoreConfig, Issuer, Params, Provider, SystemClock};
//! use ostiary_store::memory::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let config = CoreConfig::new(Issuer::parse("https://id.example")?);
//! let (provider, _startup) = Provider::open(MemoryStore::new(), config, Arc::new(SystemClock)).await?;
//! assert!(provider.openid_configuration_json().contains("\"code_challenge_methods_supported\":[\"S256\"]"));
//!
//! // A token request without client authentication is refused with invalid_client (401).
//! let params = Params::parse(b"grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fa.example%2Fcb")?;
//! let error = provider.token(None, &params).await.unwrap_err();
//! assert_eq!(error.code.as_str(), "invalid_client");
//! assert_eq!(error.http_status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod authorize;
mod claims;
mod clock;
mod config;
pub mod discovery;
mod error;
mod introspect;
mod json;
mod keys;
mod params;
mod password;
mod provider;
mod resource;
mod revoke;
mod session;
mod token;
mod userinfo;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ConfigError, CoreConfig, Issuer, IssuerError, Lifetimes, PasswordCost};
pub use error::{BearerError, ErrorCode, ErrorPage, OAuthError};
pub use keys::{KeyManagementError, import_first_signing_key};
pub use params::{MAX_INPUT_LEN, MAX_NAME_LEN, MAX_PARAMS, MAX_VALUE_LEN, Params, ParamsError};
pub use password::{
    MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, PasswordError, PasswordHasher, normalize_login,
};
pub use provider::{JwksDocument, Provider, SetupError, Startup};
pub use token::parse_basic as parse_basic_credentials;
pub use userinfo::bearer_token;
