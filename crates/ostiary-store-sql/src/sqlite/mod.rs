//! The SQLite backend: one database file in WAL mode, one writer connection, a pool of read-only readers.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ostiary_store::StoreResult;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::OpenError;
use crate::error::store_error;

mod clients;
mod codes;
mod keys;
mod orgauth;
mod purge;
mod sessions;
mod tokens;
mod users;

/// Prepared statements kept per connection: more than the store has, so none is ever re-prepared.
const STATEMENT_CACHE: usize = 256;

/// The SQLite migrations, embedded at compile time from `migrations/sqlite`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How hard SQLite pushes each commit to stable storage (`PRAGMA synchronous`).
///
/// In WAL mode both settings keep the database consistent; they differ in what a *power loss* (or an OS
/// crash) can take away. A crash of the Ostiary process alone loses nothing under either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `NORMAL`: the WAL is synced at checkpoints, not at every commit. Survives process crashes; a power
    /// loss may roll back the last transactions acknowledged before it (the database stays intact). Several
    /// times faster for write-heavy work (code exchanges, refreshes). The default.
    #[default]
    Normal,
    /// `FULL`: the WAL is synced at every commit, so an acknowledged commit survives power loss too, at the
    /// cost of one `fsync` per write transaction.
    Full,
}

/// Options of [`SqliteStore::open`]: start from [`SqliteOptions::new`] and change what you need, with the
/// setters or with struct update syntax (`SqliteOptions { readers: 2, ..SqliteOptions::new(path) }`).
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file. Created (with its directory's permissions) if missing.
    pub path: PathBuf,
    /// Durability of commits; see [`Synchronous`].
    pub synchronous: Synchronous,
    /// How many read-only connections serve reads. `0` sends reads to the writer connection too.
    pub readers: usize,
    /// How long a statement waits for a lock held by another process (the CLI, a backup) before failing.
    pub busy_timeout: Duration,
    /// How long an operation waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// Whether [`SqliteStore::open`] applies pending migrations (the default). When `false`, call
    /// [`SqliteStore::migrate`] yourself.
    pub migrate: bool,
}

impl SqliteOptions {
    /// Options for the file at `path`: `synchronous = NORMAL`, 4 readers, 5 s busy timeout, 30 s acquire
    /// timeout, migrations on.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            synchronous: Synchronous::Normal,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            migrate: true,
        }
    }

    /// Sets [`Self::synchronous`].
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// Sets [`Self::readers`].
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }

    /// Sets [`Self::busy_timeout`].
    pub fn busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }

    /// Sets [`Self::acquire_timeout`].
    pub fn acquire_timeout(mut self, acquire_timeout: Duration) -> Self {
        self.acquire_timeout = acquire_timeout;
        self
    }

    /// Sets [`Self::migrate`].
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }
}

/// The SQLite store. Cheap to clone: clones share the connections.
///
/// Every write runs on the single writer connection (single statements, or `BEGIN IMMEDIATE`
/// transactions), so writes are serialized and each atomic operation of the store traits is one
/// transaction; reads run on read-only connections that WAL lets proceed beside the writer.
#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("readers", &self.reader.size())
            .field("closed", &self.writer.is_closed())
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, switches it to WAL, and applies pending migrations
    /// unless [`SqliteOptions::migrate`] is off.
    pub async fn open(options: SqliteOptions) -> Result<Self, OpenError> {
        let base = SqliteConnectOptions::new()
            .filename(&options.path)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout)
            .statement_cache_capacity(STATEMENT_CACHE);
        let writer_options = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match options.synchronous {
                Synchronous::Normal => SqliteSynchronous::Normal,
                Synchronous::Full => SqliteSynchronous::Full,
            });
        let writer = pinned_pool(1, options.acquire_timeout)
            .connect_with(writer_options)
            .await
            .map_err(OpenError::Connect)?;
        let store = if options.readers == 0 {
            Self {
                reader: writer.clone(),
                writer,
            }
        } else {
            let readers = u32::try_from(options.readers).unwrap_or(u32::MAX);
            let reader = SqlitePoolOptions::new()
                .max_connections(readers)
                .acquire_timeout(options.acquire_timeout)
                .connect_lazy_with(base.read_only(true));
            Self { writer, reader }
        };
        if options.migrate {
            store.migrate().await?;
        }
        tracing::info!(path = %options.path.display(), readers = options.readers, "opened SQLite store");
        Ok(store)
    }

    /// A private in-memory database on one connection (reads and writes alike), for tests and examples.
    /// Migrations are applied. Everything is lost when the store (every clone) is dropped.
    pub async fn open_in_memory() -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(OpenError::InvalidUrl)?
            .foreign_keys(true);
        let writer = pinned_pool(1, Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(OpenError::Connect)?;
        let store = Self {
            reader: writer.clone(),
            writer,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations this build embeds that the database has not seen yet. Idempotent.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        MIGRATOR.run(&self.writer).await.map_err(OpenError::Migrate)
    }

    /// Closes every connection, waiting for operations in flight. Later operations fail.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// A write transaction on the writer connection. `BEGIN IMMEDIATE` takes the write lock at once, so
    /// another process writing the same file makes it wait (busy timeout) instead of failing mid-way.
    async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)
    }
}

/// A pool of `size` connections that are never closed for idleness or age (the writer must stay one
/// connection, and an in-memory database lives only as long as its connection).
fn pinned_pool(size: u32, acquire_timeout: Duration) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(size)
        .min_connections(size)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(acquire_timeout)
}

/// A listing query: `$1` is the `LIMIT`, and `$2`, bound only when present, the key it filters on.
fn paged(
    sql: &'static str,
    limit: usize,
    key: Option<uuid::fmt::Hyphenated>,
) -> sqlx::query::Query<'static, Sqlite, <Sqlite as sqlx::Database>::Arguments> {
    let query = sqlx::query(sql).bind(crate::encode::limit(limit));
    match key {
        Some(key) => query.bind(key),
        None => query,
    }
}
