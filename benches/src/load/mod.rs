//! The load generator: drives any OpenID Provider through the endpoints its discovery document
//! names, with one HTTP client and cookie jar per virtual user, and measures rates, latencies and
//! failures beside a hello-world baseline measured in the same run.
//!
//! - [`workload`]: the workloads and the virtual user; [`flow`]: the browser flow and the code
//!   exchange; [`form`]: the tolerant HTML form parser; [`cookies`]: the per-user jar;
//!   [`oidc`]: discovery, client credentials, PKCE; [`pick`]: the borrowing JSON member reader.
//! - [`runner`]: bounded setup, warm-up and measurement phases; [`histogram`]: latency recording.
//! - [`baseline`]: the hello-world server; [`argon`]: the Argon2id hash rate; [`machine`]: CPU,
//!   kernel, commit and process memory; [`report`]: the table and JSON; [`suite`]: the full run
//!   against a freshly started `ostiary` binary.

pub mod argon;
pub mod baseline;
pub mod cli;
pub mod cookies;
pub mod error;
pub mod flow;
pub mod form;
pub mod histogram;
pub mod machine;
pub mod oidc;
pub mod pick;
pub mod report;
pub mod runner;
pub mod suite;
pub mod workload;

#[cfg(test)]
mod tests;

pub use error::{Failure, Kind, Step, Tally};
pub use runner::{RunResult, RunSpec, RunSummary, run};
pub use workload::{Job, Target, UserCredentials, Workload};

/// Installs ring as rustls's process-wide crypto provider (reqwest is built with
/// `rustls-no-provider`). Idempotent: a provider already installed is kept.
pub fn install_crypto_provider() {
    // `Err` means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
