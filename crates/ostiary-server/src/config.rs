//! [`ServerConfig`]: the HTTP layer's own settings (the protocol's are in `ostiary_core::CoreConfig`).

use std::time::Duration;

/// Settings of the HTTP layer: request bounds, timeouts, connection limits and background tasks.
///
/// Cookie names and attributes are not configured here: they follow from the issuer (`https` issuers get
/// `Secure` cookies with the `__Host-` prefix). Start from [`ServerConfig::default`] and change fields:
///
/// ```
/// use std::time::Duration;
/// let mut config = ostiary_server::ServerConfig::default();
/// config.key_reload_interval = Some(Duration::from_secs(30));
/// assert_eq!(config.max_body_bytes, 64 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The largest request body read, in bytes; a larger one is answered 413 without being read.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request body (408 after it).
    pub body_timeout: Duration,
    /// How long a client may take to send the request line and headers (HTTP/1; the connection is
    /// closed after it).
    pub header_read_timeout: Duration,
    /// The most connections served at once; further connections wait in the listen backlog.
    pub max_connections: usize,
    /// The most sign-in form submissions processed at once; others wait their turn. Each verifies an
    /// Argon2id hash that holds `PasswordCost::memory_kib` of memory (19 MiB by default), so this bounds
    /// the memory a flood of sign-in attempts can take. Defaults to twice the available parallelism.
    pub max_concurrent_sign_ins: usize,
    /// At shutdown, how long open connections get to finish their requests before they are dropped.
    pub shutdown_grace: Duration,
    /// How often the signing keys are re-read from the store, so that instances sharing a store pick up
    /// each other's key rotations. `None` disables the task (a single instance that rotates its own keys).
    pub key_reload_interval: Option<Duration>,
    /// How often expired codes, tokens and sessions are purged from the store. `None` disables the task.
    pub purge_interval: Option<Duration>,
    /// Rows per kind removed by one purge batch.
    pub purge_batch: usize,
    /// The most purge batches run in one purge round, so a huge backlog never monopolises the store.
    pub purge_max_batches: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            body_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_concurrent_sign_ins: std::thread::available_parallelism()
                .map_or(2, |n| n.get().saturating_mul(2)),
            shutdown_grace: Duration::from_secs(10),
            key_reload_interval: Some(Duration::from_secs(60)),
            purge_interval: Some(Duration::from_secs(300)),
            purge_batch: 1_000,
            purge_max_batches: 100,
        }
    }
}
