//! The settings reference: every setting's file key, environment variable, default and meaning, and
//! how an environment value overrides the file.
//!
//! [`SETTINGS`] is the single list the overrides, the `--help` text and the README table come from.

use std::str::FromStr;

use super::file::FileConfig;

/// The environment variable naming the configuration file.
pub(crate) const CONFIG_ENV: &str = "OSTIARY_CONFIG";

/// One setting.
pub(crate) struct Setting {
    /// The key in the TOML file (`lifetimes.access_token`).
    pub(crate) key: &'static str,
    /// The environment variable that overrides it.
    pub(crate) env: &'static str,
    /// The default, as written in the file.
    pub(crate) default: &'static str,
    /// What it means.
    pub(crate) meaning: &'static str,
    /// Writes an environment value into the configuration; the error is fixed text.
    apply: fn(&mut FileConfig, String) -> Result<(), &'static str>,
}

fn number<T: FromStr>(value: &str) -> Result<T, &'static str> {
    value
        .trim()
        .parse()
        .map_err(|_| "must be a whole number in range")
}

/// Every setting, in the order of the reference table.
pub(crate) static SETTINGS: &[Setting] = &[
    Setting {
        key: "issuer",
        env: "OSTIARY_ISSUER",
        default: "http://<listen>",
        meaning: "The issuer identifier: https://host[:port] (http:// only on localhost, 127.0.0.1, \
                  [::1]), no path. Every token's `iss`, byte for byte. Defaults to http://<listen> when \
                  listening on a loopback address; required otherwise.",
        apply: |c, v| {
            c.issuer = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "listen",
        env: "OSTIARY_LISTEN",
        default: "127.0.0.1:8080",
        meaning: "The socket address to listen on (IP:port). Use 0.0.0.0:8080 or [::]:8080 behind a \
                  TLS-terminating proxy, with an https issuer.",
        apply: |c, v| {
            c.listen = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "platform_name",
        env: "OSTIARY_PLATFORM_NAME",
        default: "Ostiary",
        meaning: "The platform's display name on the sign-in and consent pages.",
        apply: |c, v| {
            c.platform_name = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "signing_alg",
        env: "OSTIARY_SIGNING_ALG",
        default: "ES256",
        meaning: "The algorithm of new signing keys: ES256, EdDSA or RS256. RS256 keys cannot be \
                  generated: import one with `ostiary keys import` before the first start.",
        apply: |c, v| {
            c.signing_alg = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "database.url",
        env: "OSTIARY_DATABASE_URL",
        default: "sqlite://ostiary.db",
        meaning: "sqlite://PATH (relative to the working directory; sqlite:///abs/path for an absolute \
                  one; created if missing), postgres://user:password@host:port/db, or memory: (an \
                  in-memory store for development and benchmarks: everything is lost when `serve` \
                  stops, and only `serve` can use it; seed it with `serve --seed FILE`).",
        apply: |c, v| {
            c.database.url = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "database.sqlite_synchronous",
        env: "OSTIARY_SQLITE_SYNCHRONOUS",
        default: "normal",
        meaning: "SQLite durability: normal (survives process crashes; a power loss may lose the last \
                  commits) or full (fsync at every commit). Ignored for PostgreSQL.",
        apply: |c, v| {
            c.database.sqlite_synchronous = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "database.postgres_max_connections",
        env: "OSTIARY_POSTGRES_MAX_CONNECTIONS",
        default: "10",
        meaning: "PostgreSQL pool size of this instance (1..=1000). Ignored for SQLite.",
        apply: |c, v| {
            c.database.postgres_max_connections = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.authorization_code",
        env: "OSTIARY_LIFETIME_AUTHORIZATION_CODE",
        default: "60",
        meaning: "Authorization code lifetime, seconds (1..=60).",
        apply: |c, v| {
            c.lifetimes.authorization_code = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.access_token",
        env: "OSTIARY_LIFETIME_ACCESS_TOKEN",
        default: "900",
        meaning: "Access token lifetime, seconds (60..=86400).",
        apply: |c, v| {
            c.lifetimes.access_token = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.id_token",
        env: "OSTIARY_LIFETIME_ID_TOKEN",
        default: "900",
        meaning: "ID token lifetime, seconds (60..=86400).",
        apply: |c, v| {
            c.lifetimes.id_token = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.refresh_token",
        env: "OSTIARY_LIFETIME_REFRESH_TOKEN",
        default: "2592000",
        meaning: "Lifetime of each refresh token (renewed at every rotation), seconds (>= 60, <= grant).",
        apply: |c, v| {
            c.lifetimes.refresh_token = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.grant",
        env: "OSTIARY_LIFETIME_GRANT",
        default: "7776000",
        meaning: "Lifetime of a whole grant (token family), seconds: the user signs in again after it.",
        apply: |c, v| {
            c.lifetimes.grant = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.session",
        env: "OSTIARY_LIFETIME_SESSION",
        default: "43200",
        meaning: "Browser session lifetime at the platform, seconds (>= 60).",
        apply: |c, v| {
            c.lifetimes.session = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.refresh_retry_window",
        env: "OSTIARY_LIFETIME_REFRESH_RETRY_WINDOW",
        default: "10",
        meaning: "Seconds during which a rotated-out refresh token gets the same answer again \
                  (0..=60); after it, its reuse revokes the whole grant.",
        apply: |c, v| {
            c.lifetimes.refresh_retry_window = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "lifetimes.code_tombstone",
        env: "OSTIARY_LIFETIME_CODE_TOMBSTONE",
        default: "86400",
        meaning: "How long a spent code is remembered so its replay still revokes its tokens, seconds \
                  (>= the code lifetime).",
        apply: |c, v| {
            c.lifetimes.code_tombstone = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "password.memory_kib",
        env: "OSTIARY_PASSWORD_MEMORY_KIB",
        default: "19456",
        meaning: "Argon2id memory cost in KiB (8 x parallelism ..= 4194304). Below 19456 with 2 \
                  iterations is under the OWASP minimum: a warning is logged.",
        apply: |c, v| {
            c.password.memory_kib = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "password.iterations",
        env: "OSTIARY_PASSWORD_ITERATIONS",
        default: "2",
        meaning: "Argon2id iterations (1..=100).",
        apply: |c, v| {
            c.password.iterations = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "password.parallelism",
        env: "OSTIARY_PASSWORD_PARALLELISM",
        default: "1",
        meaning: "Argon2id lanes (1..=64).",
        apply: |c, v| {
            c.password.parallelism = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.max_body_bytes",
        env: "OSTIARY_SERVER_MAX_BODY_BYTES",
        default: "65536",
        meaning: "The largest request body read, bytes (1024..=16777216); larger ones get 413.",
        apply: |c, v| {
            c.server.max_body_bytes = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.body_timeout",
        env: "OSTIARY_SERVER_BODY_TIMEOUT",
        default: "10",
        meaning: "Seconds a client may take to send a request body (1..=300); 408 after it.",
        apply: |c, v| {
            c.server.body_timeout = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.header_read_timeout",
        env: "OSTIARY_SERVER_HEADER_READ_TIMEOUT",
        default: "10",
        meaning: "Seconds a client may take to send the request headers (1..=300).",
        apply: |c, v| {
            c.server.header_read_timeout = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.max_connections",
        env: "OSTIARY_SERVER_MAX_CONNECTIONS",
        default: "10000",
        meaning: "The most connections served at once (1..=1000000); more wait in the backlog.",
        apply: |c, v| {
            c.server.max_connections = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.shutdown_grace",
        env: "OSTIARY_SERVER_SHUTDOWN_GRACE",
        default: "10",
        meaning: "At SIGINT/SIGTERM, seconds open connections get to finish (0..=300).",
        apply: |c, v| {
            c.server.shutdown_grace = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.key_reload_interval",
        env: "OSTIARY_SERVER_KEY_RELOAD_INTERVAL",
        default: "60",
        meaning: "Seconds between re-reads of the signing keys, so instances sharing a database (and `ostiary keys rotate`) are picked up; 0 turns it off.",
        apply: |c, v| {
            c.server.key_reload_interval = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.purge_interval",
        env: "OSTIARY_SERVER_PURGE_INTERVAL",
        default: "300",
        meaning: "Seconds between purges of expired codes, tokens and sessions; 0 turns it off.",
        apply: |c, v| {
            c.server.purge_interval = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.purge_batch",
        env: "OSTIARY_SERVER_PURGE_BATCH",
        default: "1000",
        meaning: "Rows per kind removed by one purge batch (1..=100000).",
        apply: |c, v| {
            c.server.purge_batch = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "server.purge_max_batches",
        env: "OSTIARY_SERVER_PURGE_MAX_BATCHES",
        default: "100",
        meaning: "The most purge batches in one purge round (1..=10000).",
        apply: |c, v| {
            c.server.purge_max_batches = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "keys.rotation_check_interval",
        env: "OSTIARY_KEYS_ROTATION_CHECK_INTERVAL",
        default: "3600",
        meaning: "Seconds between checks whether a signing-key rotation is due (as `ostiary keys rotate`); 0 turns automatic rotation off. Off for RS256, whose keys cannot be generated.",
        apply: |c, v| {
            c.keys.rotation_check_interval = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "keys.active_lifetime",
        env: "OSTIARY_KEYS_ACTIVE_LIFETIME",
        default: "2592000",
        meaning: "How long a key signs before the next one replaces it, seconds (3600..=31536000).",
        apply: |c, v| {
            c.keys.active_lifetime = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "keys.next_publish_lead",
        env: "OSTIARY_KEYS_NEXT_PUBLISH_LEAD",
        default: "86400",
        meaning: "How long the next key is published in the JWKS before it may sign, seconds (0..=2592000): cover your relying parties' JWKS cache lifetime.",
        apply: |c, v| {
            c.keys.next_publish_lead = Some(number(&v)?);
            Ok(())
        },
    },
    Setting {
        key: "log.format",
        env: "OSTIARY_LOG_FORMAT",
        default: "text",
        meaning: "Log format on standard error: text or json (one object per line).",
        apply: |c, v| {
            c.log.format = Some(v);
            Ok(())
        },
    },
    Setting {
        key: "log.filter",
        env: "OSTIARY_LOG",
        default: "info,sqlx=warn (serve), warn (other commands)",
        meaning: "A tracing-subscriber EnvFilter: a level (debug) or per-target directives \
                  (info,ostiary_server=debug).",
        apply: |c, v| {
            c.log.filter = Some(v);
            Ok(())
        },
    },
];

/// An environment value that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvProblem {
    /// The variable.
    pub(crate) env: &'static str,
    /// What is wrong, fixed text.
    pub(crate) message: &'static str,
}

/// What [`apply`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct EnvOutcome {
    /// The variables that overrode a setting, in table order.
    pub(crate) applied: Vec<&'static str>,
    /// The values that could not be applied.
    pub(crate) problems: Vec<EnvProblem>,
    /// `OSTIARY_*` variables that name no setting (likely typos), sorted.
    pub(crate) unknown: Vec<String>,
}

/// What an environment lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvValue {
    /// A UTF-8 value.
    Text(String),
    /// A value that is not valid UTF-8.
    NotUnicode,
}

/// Applies every set, non-empty variable of [`SETTINGS`] found by `lookup` to `config`. An empty value
/// counts as unset, so `OSTIARY_X=` in a compose file keeps the file's value. `names` lists the
/// variables present, to find unknown `OSTIARY_*` names (`OSTIARY_TEST_*` belongs to the test suites).
pub(crate) fn apply(
    config: &mut FileConfig,
    lookup: impl Fn(&str) -> Option<EnvValue>,
    names: impl IntoIterator<Item = String>,
) -> EnvOutcome {
    let mut outcome = EnvOutcome::default();
    for setting in SETTINGS {
        match lookup(setting.env) {
            None => {}
            Some(EnvValue::NotUnicode) => outcome.problems.push(EnvProblem {
                env: setting.env,
                message: "is not valid UTF-8",
            }),
            Some(EnvValue::Text(value)) if value.is_empty() => {}
            Some(EnvValue::Text(value)) => match (setting.apply)(config, value) {
                Ok(()) => outcome.applied.push(setting.env),
                Err(message) => outcome.problems.push(EnvProblem {
                    env: setting.env,
                    message,
                }),
            },
        }
    }
    let mut unknown: Vec<String> = names
        .into_iter()
        .filter(|name| {
            name.starts_with("OSTIARY_")
                && !name.starts_with("OSTIARY_TEST_")
                && name != CONFIG_ENV
                && !SETTINGS.iter().any(|s| s.env == name)
        })
        .collect();
    unknown.sort();
    outcome.unknown = unknown;
    outcome
}

/// Looks a variable up in the process environment.
pub(crate) fn process_lookup(name: &str) -> Option<EnvValue> {
    std::env::var_os(name).map(|value| match value.into_string() {
        Ok(text) => EnvValue::Text(text),
        Err(_) => EnvValue::NotUnicode,
    })
}

/// The names of the process's environment variables.
pub(crate) fn process_names() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect()
}

/// The setting with file key `key` (for naming it in messages).
pub(crate) fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}
