//! The configuration as written: every setting optional, unknown keys refused.
//!
//! This is the shape of the TOML file; environment overrides ([`super::env`]) write into the same
//! structure, and [`super::validate()`] turns it into checked [`super::Settings`].

use serde::Deserialize;

/// The whole configuration file. Every key is optional: a missing key keeps its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FileConfig {
    /// `issuer`
    pub(crate) issuer: Option<String>,
    /// `listen`
    pub(crate) listen: Option<String>,
    /// `platform_name`
    pub(crate) platform_name: Option<String>,
    /// `signing_alg`
    pub(crate) signing_alg: Option<String>,
    /// `[database]`
    pub(crate) database: DatabaseFile,
    /// `[lifetimes]`
    pub(crate) lifetimes: LifetimesFile,
    /// `[password]`
    pub(crate) password: PasswordFile,
    /// `[log]`
    pub(crate) log: LogFile,
    /// `[server]`
    pub(crate) server: ServerFile,
    /// `[keys]`
    pub(crate) keys: KeysFile,
}

/// `[database]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DatabaseFile {
    /// `url`: `sqlite://PATH` or `postgres://…`.
    pub(crate) url: Option<String>,
    /// `sqlite_synchronous`: `normal` or `full`.
    pub(crate) sqlite_synchronous: Option<String>,
    /// `postgres_max_connections`
    pub(crate) postgres_max_connections: Option<u32>,
}

/// `[lifetimes]`, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LifetimesFile {
    pub(crate) authorization_code: Option<i64>,
    pub(crate) access_token: Option<i64>,
    pub(crate) id_token: Option<i64>,
    pub(crate) refresh_token: Option<i64>,
    pub(crate) grant: Option<i64>,
    pub(crate) session: Option<i64>,
    pub(crate) refresh_retry_window: Option<i64>,
    pub(crate) code_tombstone: Option<i64>,
}

/// `[password]`: Argon2id cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PasswordFile {
    pub(crate) memory_kib: Option<u32>,
    pub(crate) iterations: Option<u32>,
    pub(crate) parallelism: Option<u32>,
}

/// `[log]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LogFile {
    /// `format`: `text` or `json`.
    pub(crate) format: Option<String>,
    /// `filter`: a `tracing-subscriber` `EnvFilter` directive.
    pub(crate) filter: Option<String>,
}

/// `[server]`: the HTTP layer. Durations in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ServerFile {
    pub(crate) max_body_bytes: Option<u64>,
    pub(crate) body_timeout: Option<u64>,
    pub(crate) header_read_timeout: Option<u64>,
    pub(crate) max_connections: Option<u64>,
    pub(crate) shutdown_grace: Option<u64>,
    pub(crate) key_reload_interval: Option<u64>,
    pub(crate) purge_interval: Option<u64>,
    pub(crate) purge_batch: Option<u64>,
    pub(crate) purge_max_batches: Option<u64>,
}

/// `[keys]`: signing-key rotation. Durations in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct KeysFile {
    pub(crate) rotation_check_interval: Option<u64>,
    pub(crate) active_lifetime: Option<u64>,
    pub(crate) next_publish_lead: Option<u64>,
}

impl FileConfig {
    /// Parses the TOML text of a configuration file. The error is `toml`'s, which names the key and
    /// the line at fault (unknown keys included).
    pub(crate) fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}
