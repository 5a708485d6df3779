//! OAuth 2.0 redirect URIs: the rules a redirect URI must pass to be registered, exact matching of a
//! requested redirect URI against the registered ones, and building the redirects sent back to the client.
//!
//! Part of [Ostiary](https://github.com/ostiary/ostiary), usable on its own: it knows nothing of storage,
//! HTTP or clients. It deliberately does **not**:
//! - parse or normalize the `redirect_uri` of a request: it is compared as a string;
//! - resolve host names or check that a URI is reachable;
//! - support wildcards, patterns, prefix matching or "same origin" matching of any kind;
//! - decide *whether* an error may be redirected: it only makes that decision checkable, because a
//!   [`VerifiedRedirect`] exists only after a successful match.
//!
//! # Usage
//!
//! ```
//! use ostiary_redirect::{MatchMode, RegisteredRedirectUri, match_redirect_uri};
//!
//! // At client registration: refuse anything that breaks the rules.
//! let registered = vec![RegisteredRedirectUri::parse("https://client.example/callback?tenant=7")?];
//!
//! // At the authorization endpoint: the requested URI must be one of them, byte for byte.
//! let redirect = match_redirect_uri(&registered, "https://client.example/callback?tenant=7", MatchMode::Exact)?;
//! assert_eq!(
//!     redirect.authorization_success("SplxlOBeZQQYbYS6WxSbIA", Some("xyz"), "https://server.example"),
//!     "https://client.example/callback?tenant=7&code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fserver.example",
//! );
//!
//! // Anything else is refused: show an error page, never redirect.
//! assert!(match_redirect_uri(&registered, "https://client.example/callback", MatchMode::Exact).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Registration rules
//!
//! [`RegisteredRedirectUri::parse`] accepts a URI only when all of these hold, checked in this order; each
//! failure has its own [`RegistrationError`] variant, and the first failing rule is reported. (The URL
//! parser reports an empty host as it parses, before the scheme rule; the canonical-form rule reports
//! [`TooLong`](RegistrationError::TooLong) or [`Wildcard`](RegistrationError::Wildcard) when the
//! canonical form is too long or shows a wildcard, e.g. `＊` in a host mapped to `*`.)
//!
//! 1. At most [`MAX_REDIRECT_URI_LEN`] (2,000) bytes — [`TooLong`](RegistrationError::TooLong).
//! 2. No ASCII control character and no ASCII whitespace —
//!    [`ControlOrWhitespace`](RegistrationError::ControlOrWhitespace).
//! 3. No `*` anywhere (host, user-info, port, path, query), also not percent-encoded at any depth (`%2A`,
//!    `%252A`) nor produced by mapping an international host name to ASCII (`＊`) —
//!    [`Wildcard`](RegistrationError::Wildcard). RFC 9700 §4.1.3 requires exact matching, so a pattern
//!    could only be a mistake or an attack.
//! 4. No fragment, not even an empty `#` (RFC 6749 §3.1.2) — [`Fragment`](RegistrationError::Fragment).
//! 5. Every `%` starts a valid `%XX` escape (RFC 3986 §2.1) —
//!    [`InvalidPercentEncoding`](RegistrationError::InvalidPercentEncoding).
//! 6. An absolute URI (RFC 6749 §3.1.2) — [`NotAbsolute`](RegistrationError::NotAbsolute), or
//!    [`Malformed`](RegistrationError::Malformed) when the WHATWG URL parser refuses it.
//! 7. Scheme `https` or `http`; custom schemes, `javascript:`, `data:`, `file:` … are refused —
//!    [`UnsupportedScheme`](RegistrationError::UnsupportedScheme).
//! 8. No user-info, not even an empty `@` — [`UserInfo`](RegistrationError::UserInfo).
//! 9. A non-empty host — [`EmptyHost`](RegistrationError::EmptyHost); a domain name without empty labels
//!    or a trailing dot — [`InvalidHost`](RegistrationError::InvalidHost).
//! 10. `http` only when the host is exactly `localhost`, `127.0.0.1` or `[::1]` (RFC 6749 §3.1.2.1, RFC
//!     8252 §7.3). `x.localhost`, `localhost.example`, `127.0.0.2`, `0.0.0.0` and `[::ffff:127.0.0.1]` are
//!     not loopback for this rule — [`HttpNotLoopback`](RegistrationError::HttpNotLoopback).
//! 11. Written in canonical form — [`NotCanonical`](RegistrationError::NotCanonical), see below.
//!
//! ## Canonical form: rejected, never rewritten
//!
//! A URI has many spellings (`HTTPS://Client.Example:443/a/../callback`), and a server that normalizes
//! before comparing must normalize exactly like every client and browser, which is where redirect-URI
//! bypasses come from. Ostiary does the opposite: **registration refuses every URI that is not already in
//! canonical form**, and stores the accepted string unchanged. The canonical form is what the WHATWG URL
//! parser (the [`url`] crate, like browsers and the `oauth2`/`openidconnect` client crates) serializes the
//! URI to. So a registered URI has:
//!
//! - a lower-case scheme and host; IPv4 in dotted decimal (`127.0.0.1`, not `127.1`, `0x7f.0.0.1` or
//!   `2130706433`); IPv6 compressed and lower-case (`[::1]`, not `[0:0::1]`); international domain names
//!   in their `xn--` form; no percent-escapes in the host;
//! - no default port written out (`:443` for https, `:80` for http), no empty port, no leading zeros;
//! - a path, at least `/`: `https://client.example` is refused and `https://client.example/` suggested;
//! - no dot segments (`/a/../b`, `/./`, `/%2E%2E/`), no backslashes, exactly `//` after the scheme;
//! - every character the parser percent-encodes (non-ASCII, `"`, `<`, `>`, `` ` ``, `{`, `}`, `'` in the
//!   query…) already encoded.
//!
//! Escapes the parser keeps as they are stay distinct: `%7e` and `~`, or `%2f` and `%2F`, are different
//! registrable URIs, as they are different strings to every client. An empty query
//! (`https://client.example/cb?`) is canonical and kept.
//!
//! The error carries the canonical form ([`RegistrationError::canonical_form`]) so an admin interface can
//! say "register this instead"; the error *message* never contains it, or any other input.
//!
//! Because the stored string is exactly what a compliant client sends, matching is a plain string
//! comparison with no ambiguity.
//!
//! # Matching
//!
//! [`match_redirect_uri`] implements RFC 6749 §3.1.2.3 as tightened by RFC 9700 §4.1.3 (the OAuth 2.0
//! Security Best Current Practice): "simple string comparison". In [`MatchMode::Exact`] (the default) a
//! requested URI matches only a registered URI that is byte-for-byte equal; it is not parsed, only its
//! length is bounded.
//!
//! [`MatchMode::LoopbackAnyPort`], opt-in per client, adds RFC 8252 §7.3 for native apps: a registered
//! `http` URI on `127.0.0.1` or `[::1]` also matches a requested URI with any port, or none, when the
//! scheme, host, path and query are byte-for-byte equal. It is textual: the requested URI must be exactly
//! `http://` + the registered host + an optional `:port` (1–65535, no leading zeros) + the registered path
//! and query. `localhost` is excluded (RFC 8252 §8.3), as is every non-loopback URI.
//!
//! When the request has no `redirect_uri`, [`default_redirect_uri`] returns the client's only registered
//! URI, or an error when it has several (RFC 6749 §3.1.2.3).
//!
//! # Building the redirect
//!
//! [`VerifiedRedirect`] appends the response parameters, `application/x-www-form-urlencoded`, to the query
//! of the matched URI, keeping any query it already has first (RFC 6749 §3.1.2):
//!
//! - [`authorization_success`](VerifiedRedirect::authorization_success): `code`, `state` (when sent), `iss`
//!   (RFC 6749 §4.1.2, RFC 9207 §2);
//! - [`authorization_error`](VerifiedRedirect::authorization_error): `error`, `error_description` (when
//!   given), `state` (when sent), `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2);
//! - [`post_logout`](VerifiedRedirect::post_logout): `state` (when sent) only (OpenID Connect RP-Initiated
//!   Logout 1.0 §3).
//!
//! Registered URIs never have a fragment (RFC 6749 §3.1.2), so there is never one to strip or to place
//! the parameters before.
//!
//! # Post-logout redirect URIs
//!
//! OpenID Connect RP-Initiated Logout 1.0 `post_logout_redirect_uris` (§2.1 registration, §3 matching
//! "exactly") follow the same rules: register them as [`RegisteredRedirectUri`], match the requested
//! `post_logout_redirect_uri` with [`match_redirect_uri`], and redirect with
//! [`VerifiedRedirect::post_logout`].
//!
//! # Standards
//!
//! - RFC 6749 §3.1.2 (absolute URI, no fragment, query kept), §3.1.2.2 (registration required: only
//!   registered URIs are ever matched), §3.1.2.3 (dynamic configuration: compare with the registered URIs),
//!   §4.1.2 and §4.1.2.1 (the response parameters);
//! - RFC 9700 §4.1.3 (exact string matching, no patterns);
//! - RFC 8252 §7.3 (loopback redirects with any port), §8.3 (not `localhost`);
//! - RFC 9207 (`iss` in the authorization response);
//! - OpenID Connect RP-Initiated Logout 1.0 §2.1, §3.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod matching;
mod registration;
mod response;
mod syntax;

pub use error::{MatchError, RegistrationError};
pub use matching::{MatchMode, default_redirect_uri, match_redirect_uri};
pub use registration::{MAX_REDIRECT_URI_LEN, RegisteredRedirectUri};
pub use response::VerifiedRedirect;
