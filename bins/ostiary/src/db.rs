//! Opening the configured database and the protocol engine over it.

use std::path::Path;
use std::sync::Arc;

use ostiary_core::{Provider, SetupError, Startup, SystemClock};
use ostiary_store::Store;
use ostiary_store::memory::MemoryStore;
use ostiary_store_sql::{PostgresOptions, PostgresStore, SqliteOptions, SqliteStore};

use crate::config::{Database, Settings, name_of};
use crate::error::{CliError, CliResult};

/// The configured backend.
#[derive(Debug, Clone)]
pub(crate) enum AnyStore {
    /// SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PostgresStore),
    /// The in-memory store (`serve` only).
    Memory(MemoryStore),
}

/// Closing a store at exit. [`SqliteStore`] and [`PostgresStore`] close their connection pools with their
/// own (inherent) `close`, which method calls prefer; the in-memory store has nothing to close, and this
/// trait gives it the same method so that [`with_store!`] bodies compile for every backend.
pub(crate) trait Close {
    /// Releases the store's resources.
    fn close(&self) -> impl Future<Output = ()> + Send;
}

impl Close for MemoryStore {
    async fn close(&self) {}
}

/// Runs `$body` with `$s` bound to the concrete store, whichever backend it is.
macro_rules! with_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            $crate::db::AnyStore::Sqlite($s) => $body,
            $crate::db::AnyStore::Postgres($s) => $body,
            $crate::db::AnyStore::Memory($s) => $body,
        }
    };
}
pub(crate) use with_store;

/// An opened database.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The store.
    pub(crate) store: AnyStore,
    /// Whether the SQLite file did not exist before (always `false` for PostgreSQL, `true` for memory).
    pub(crate) created: bool,
}

/// Opens the database and, when `migrate`, applies pending migrations.
pub(crate) async fn open(database: &Database, migrate: bool) -> CliResult<Opened> {
    match database {
        Database::Sqlite { path, synchronous } => {
            let created = !path.exists();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && !dir.is_dir()
            {
                return Err(CliError::invalid(format!(
                    "{}: the directory {} does not exist",
                    name_of("database.url"),
                    dir.display()
                )));
            }
            if created {
                create_private(path)?;
            } else {
                warn_if_readable_by_others(path);
            }
            let options = SqliteOptions::new(path.clone())
                .synchronous(*synchronous)
                .migrate(false);
            let store = SqliteStore::open(options).await.map_err(|e| {
                CliError::failed(format!("could not open {}", database.describe()), e)
            })?;
            if migrate {
                store.migrate().await.map_err(|e| {
                    CliError::failed(format!("could not migrate {}", database.describe()), e)
                })?;
            }
            Ok(Opened {
                store: AnyStore::Sqlite(store),
                created,
            })
        }
        Database::Postgres {
            url,
            max_connections,
        } => {
            let options = PostgresOptions::default()
                .max_connections(*max_connections)
                .migrate(false);
            let store = PostgresStore::connect(url.expose_secret(), options)
                .await
                .map_err(|e| {
                    CliError::failed(format!("could not connect to {}", database.describe()), e)
                })?;
            if migrate {
                store.migrate().await.map_err(|e| {
                    CliError::failed(format!("could not migrate {}", database.describe()), e)
                })?;
            }
            Ok(Opened {
                store: AnyStore::Postgres(store),
                created: false,
            })
        }
        // Nothing to open or migrate: the maps start empty.
        Database::Memory => Ok(Opened {
            store: AnyStore::Memory(MemoryStore::new()),
            created: true,
        }),
    }
}

/// Creates an empty database file readable by its owner only: it will hold the signing keys and the
/// digest key in recoverable form. SQLite gives its `-wal` and `-shm` files the same permissions.
fn create_private(path: &Path) -> CliResult {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Created meanwhile by another process: open it as it is.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(CliError::failed(
            format!("could not create the database file {}", path.display()),
            e,
        )),
    }
}

/// Warns when the database file (which holds private keys) is readable by group or others.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the database file is accessible to other users, but holds the signing keys: \
                 chmod 600 it (and its -wal and -shm files)"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Starts the protocol engine over `store`: loads the keys, creating them on first start.
///
/// RS256 keys cannot be generated, so with `signing_alg = "RS256"` an empty key store is an error that
/// says how to import one.
pub(crate) async fn provider<S: Store>(
    store: S,
    settings: &Settings,
) -> CliResult<(Provider<S>, Startup)> {
    if !settings.core.signing_alg.can_generate() {
        let (_, keys) = store
            .load_signing_keys()
            .await
            .map_err(|e| CliError::failed("could not read the signing keys", e))?;
        if keys.is_empty() {
            return Err(CliError::invalid(format!(
                "{}: RS256 keys cannot be generated; import an RSA private key first with \
                 `ostiary keys import --pem FILE` (or choose ES256 or EdDSA)",
                name_of("signing_alg")
            )));
        }
    }
    Provider::open(store, settings.core.clone(), Arc::new(SystemClock))
        .await
        .map_err(|e| match e {
            SetupError::Config(e) => CliError::invalid(e.to_string()),
            other => CliError::failed("could not start the protocol engine", other),
        })
}
