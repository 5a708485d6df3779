//! Benchmarks of Ostiary.
//!
//! Two things live in this package:
//!
//! - criterion benches of the protocol crates, in process (`benches/*.rs`, `cargo bench -p
//!   ostiary-benches`);
//! - [`load`], a load generator for a *running* OpenID Provider, and its binaries:
//!   `ostiary-load` (one workload against any provider), `ostiary-hello` (the hello-world baseline
//!   server) and `ostiary-load-suite` (starts Ostiary, seeds it, runs every workload at several
//!   concurrencies and prints one table; `benches/run-load.sh` builds and runs it).
//!
//! The generator speaks only standard protocol: OpenID Connect Discovery 1.0 §4, the
//! authorization code flow with PKCE S256 (RFC 6749 §4.1, RFC 7636), `client_secret_basic`
//! (RFC 6749 §2.3.1), refresh with rotation (RFC 6749 §6), introspection (RFC 7662), UserInfo
//! (OIDC Core §5.3), the `iss` authorization response parameter (RFC 9207). It knows nothing of
//! Ostiary's internals beyond the form fields `username` and `password`. It deliberately does not
//! verify token signatures (that is the relying party's cost, not the server's), does not follow
//! redirects off the provider's origin, and talks to loopback or whatever URL it is given.
//!
//! ```
//! use ostiary_benches::load::form::parse_forms;
//!
//! let page = r#"<form method="post" action="/login">
//!   <input type="hidden" name="csrf" value="t&amp;1">
//!   <input name="username"><input type="password" name="password">
//!   <button>Sign in</button></form>"#;
//! let forms = parse_forms(page);
//! assert!(forms[0].has_password());
//! let data = forms[0].entries(None, &[("username", "ada"), ("password", "pw")]);
//! assert_eq!(data[0], ("csrf".to_owned(), "t&1".to_owned()));
//! assert_eq!(data.len(), 3);
//! ```

#![forbid(unsafe_code)]

pub mod load;
