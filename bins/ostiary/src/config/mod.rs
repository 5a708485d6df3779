//! Configuration: a TOML file (`--config PATH` or `OSTIARY_CONFIG`), overridden by `OSTIARY_*`
//! environment variables, validated as a whole at start.
//!
//! Precedence, lowest first: built-in defaults, the file, the environment. Every problem is reported at
//! once, each naming the setting (file key and environment variable).

mod env;
mod file;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ostiary_core::CoreConfig;
use ostiary_store_sql::Synchronous;
use zeroize::Zeroizing;

pub(crate) use env::{CONFIG_ENV, EnvValue, SETTINGS, Setting};
pub(crate) use file::FileConfig;
pub(crate) use validate::{below_owasp_minimum, validate};

/// The checked configuration.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The protocol engine's configuration (issuer, lifetimes, signing algorithm, password cost, name).
    pub(crate) core: CoreConfig,
    /// The address to listen on.
    pub(crate) listen: SocketAddr,
    /// The database.
    pub(crate) database: Database,
    /// Logging.
    pub(crate) log: LogSettings,
    /// The HTTP layer.
    pub(crate) server: ostiary_server::ServerConfig,
    /// Signing-key rotation.
    pub(crate) rotation: Rotation,
}

/// Signing-key rotation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rotation {
    /// How often `serve` checks whether a rotation is due; `None` turns automatic rotation off.
    pub(crate) check_interval: Option<std::time::Duration>,
    /// Seconds a key signs before the next one replaces it.
    pub(crate) active_lifetime: i64,
    /// Seconds the next key is published before it may sign.
    pub(crate) next_publish_lead: i64,
}

/// Which database, and how to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Database {
    /// An SQLite file.
    Sqlite {
        /// The file.
        path: PathBuf,
        /// `PRAGMA synchronous`.
        synchronous: Synchronous,
    },
    /// A PostgreSQL server.
    Postgres {
        /// The connection URL (may hold a password).
        url: DatabaseUrl,
        /// The pool size.
        max_connections: u32,
    },
    /// `memory:`: the in-memory store of this `serve` process (development and benchmarks). Everything
    /// is lost at exit, and no other process can reach it.
    Memory,
}

/// A PostgreSQL connection URL. It may carry a password, so `Debug` shows only the host and database
/// ([`DatabaseUrl::redacted`]) and the full text is available only through [`DatabaseUrl::expose_secret`].
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DatabaseUrl {
    full: Zeroizing<String>,
    redacted: String,
}

impl DatabaseUrl {
    /// Wraps a URL already checked to parse.
    fn new(full: String, parsed: &url::Url) -> Self {
        let mut redacted = format!("{}://", parsed.scheme());
        if !parsed.username().is_empty() {
            redacted.push_str(parsed.username());
            redacted.push('@');
        }
        redacted.push_str(parsed.host_str().unwrap_or(""));
        if let Some(port) = parsed.port() {
            redacted.push_str(&format!(":{port}"));
        }
        redacted.push_str(parsed.path());
        Self {
            full: Zeroizing::new(full),
            redacted,
        }
    }

    /// The URL with password and query removed: `postgres://user@host:5432/db`. Safe to log.
    pub(crate) fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The full URL, to connect with. Never log it.
    pub(crate) fn expose_secret(&self) -> &str {
        &self.full
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted)
    }
}

impl Database {
    /// A description safe to log: `SQLite file ./ostiary.db`, `PostgreSQL postgres://user@host/db` or
    /// `the in-memory store (memory:)`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Database::Sqlite { path, .. } => format!("SQLite file {}", path.display()),
            Database::Postgres { url, .. } => format!("PostgreSQL {}", url.redacted()),
            Database::Memory => "the in-memory store (memory:)".to_owned(),
        }
    }

    /// Whether this is the in-memory store, which only `serve` can use.
    pub(crate) fn is_memory(&self) -> bool {
        matches!(self, Database::Memory)
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogSettings {
    /// The format.
    pub(crate) format: LogFormat,
    /// The `EnvFilter` directive, or `None` for the command's default.
    pub(crate) filter: Option<String>,
}

/// Where the configuration came from, for the first log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Provenance {
    /// The file read, if any.
    pub(crate) file: Option<PathBuf>,
    /// The environment variables that overrode a setting.
    pub(crate) env_overrides: Vec<&'static str>,
    /// `OSTIARY_*` variables that name no setting.
    pub(crate) unknown_env: Vec<String>,
}

/// One problem with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The setting: `issuer (OSTIARY_ISSUER)`, or the file for syntax errors.
    pub(crate) setting: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// Everything wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) struct ConfigError {
    /// The problems, in settings order.
    pub(crate) problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration:")?;
        for problem in &self.problems {
            write!(f, "\n  {}: {}", problem.setting, problem.message)?;
        }
        Ok(())
    }
}

impl ConfigError {
    fn one(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                setting: setting.into(),
                message: message.into(),
            }],
        }
    }
}

/// Reads the file (if any), applies the process environment and validates.
pub(crate) fn load(path: Option<&Path>) -> Result<(Settings, Provenance), ConfigError> {
    let file = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::one(
                    format!("configuration file {}", path.display()),
                    format!("cannot be read: {e}"),
                )
            })?;
            FileConfig::parse(&text).map_err(|e| {
                ConfigError::one(
                    format!("configuration file {}", path.display()),
                    e.to_string().trim_end().to_owned(),
                )
            })?
        }
        None => FileConfig::default(),
    };
    resolve(
        file,
        path.map(Path::to_path_buf),
        env::process_lookup,
        env::process_names(),
    )
}

/// Applies the environment found by `lookup` to `file` and validates.
pub(crate) fn resolve(
    mut file: FileConfig,
    path: Option<PathBuf>,
    lookup: impl Fn(&str) -> Option<EnvValue>,
    names: impl IntoIterator<Item = String>,
) -> Result<(Settings, Provenance), ConfigError> {
    let outcome = env::apply(&mut file, lookup, names);
    let mut problems: Vec<Problem> = outcome
        .problems
        .iter()
        .map(|p| Problem {
            setting: p.env.to_owned(),
            message: p.message.to_owned(),
        })
        .collect();
    match validate(&file) {
        Ok(settings) if problems.is_empty() => Ok((
            settings,
            Provenance {
                file: path,
                env_overrides: outcome.applied,
                unknown_env: outcome.unknown,
            },
        )),
        Ok(_) => Err(ConfigError { problems }),
        Err(more) => {
            problems.extend(more.problems);
            Err(ConfigError { problems })
        }
    }
}

/// `key (ENV)` for a setting's file key.
pub(crate) fn name_of(key: &str) -> String {
    match env::setting(key) {
        Some(setting) => format!("{} ({})", setting.key, setting.env),
        None => key.to_owned(),
    }
}

/// The settings reference as plain text, for `--help`.
pub(crate) fn reference_text() -> String {
    let mut text = String::from(
        "Configuration: defaults, then the TOML file (--config PATH or OSTIARY_CONFIG; unknown keys are \
         an error), then environment variables (an empty value counts as unset).\n\n\
         Settings (file key, environment variable, default):\n",
    );
    for Setting {
        key,
        env,
        default,
        meaning,
        ..
    } in SETTINGS
    {
        text.push_str(&format!(
            "\n  {key}  {env}  [default: {default}]\n      {meaning}\n"
        ));
    }
    text.push_str(
        "\nExit codes: 0 success, 1 failed operation (database, I/O, unknown record), 2 invalid input.",
    );
    text
}
