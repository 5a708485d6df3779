//! The SQLite backend: one database file in WAL mode, one writer connection driven by group commit (on
//! the caller's thread when that needs no wait, else on a writer thread), and a few read-only readers
//! used on the calling thread (see the crate docs for the execution model and its numbers).

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ostiary_store::StoreResult;
use rusqlite::Connection;

use crate::OpenError;

mod checkpoint;
mod clients;
mod codes;
mod conn;
mod keys;
mod metadata;
mod migrate;
mod orgauth;
mod purge;
mod row;
mod sessions;
mod sql;
mod tokens;
mod users;
mod writer;

use checkpoint::Checkpointer;
use conn::{Pool, Settings};
use metadata::MetadataCache;
use writer::Writer;

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
    /// cost of one `fsync` per write transaction (writes are group-committed: one transaction, and one
    /// `fsync`, for the writes that queued while the previous one ran).
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
    /// How many read-only connections serve reads. `0` sends reads to the writer connection too. More
    /// than the threads that call the store at once buys nothing: a read holds its connection for
    /// microseconds.
    pub readers: usize,
    /// How long a statement waits for a lock held by another process (the CLI, a backup) before failing.
    pub busy_timeout: Duration,
    /// Kept for compatibility and ignored: operations wait for a connection only while another thread
    /// runs a statement on it (microseconds), or for another process's lock ([`Self::busy_timeout`]).
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
/// Reads run on the calling thread, on a free connection. Writes run on the single writer connection,
/// group-committed (on the caller's thread when that needs no wait, else on the store's writer
/// thread): the writes queued while a batch ran make the next one, one `BEGIN IMMEDIATE` transaction
/// per batch, each operation in its own savepoint (the hot writes without, see `writer.rs`), and no
/// caller answered before the batch's commit. Writes are serialized and each atomic operation of the
/// store traits is one operation of the writer. WAL lets the readers proceed beside the writer, each
/// seeing the last committed state.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The group-commit writer of a file-backed store; `None` for an in-memory one (writes run on the
    /// calling thread).
    writer: Option<Writer>,
    /// `None` for an in-memory store, and once closed.
    checkpointer: Mutex<Option<Checkpointer>>,
    /// Decoded client metadata for `get_client`.
    client_metadata: MetadataCache,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("readers", &self.inner.pool.readers())
            .field("closed", &self.inner.pool.is_closed())
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, switches it to WAL, and applies pending migrations
    /// unless [`SqliteOptions::migrate`] is off.
    pub async fn open(options: SqliteOptions) -> Result<Self, OpenError> {
        let settings = Settings {
            busy_timeout: options.busy_timeout,
            synchronous: options.synchronous,
        };
        let connect = |e: rusqlite::Error| OpenError::Connect(Box::new(e));
        let writer = Arc::new(Mutex::new(Some(
            conn::open_writer(&options.path, &settings).map_err(connect)?,
        )));
        let readers = (0..options.readers)
            .map(|_| conn::open_reader(&options.path, &settings))
            .collect::<Result<Vec<_>, _>>()
            .map_err(connect)?;
        // True while the checkpoint thread holds or waits for the writer connection.
        let checkpointing = Arc::new(AtomicBool::new(false));
        let checkpointer = Checkpointer::start(
            &options.path,
            &settings,
            writer.clone(),
            checkpointing.clone(),
        )
        .map_err(|e| OpenError::Connect(Box::new(e)))?;
        let writer_thread = Writer::start(
            writer.clone(),
            checkpointing,
            settings.synchronous == Synchronous::Normal,
            settings.busy_timeout,
        )
        .map_err(|e| OpenError::Connect(Box::new(e)))?;
        let store = Self {
            inner: Arc::new(Inner {
                pool: Pool::new(writer, readers),
                writer: Some(writer_thread),
                checkpointer: Mutex::new(Some(checkpointer)),
                client_metadata: MetadataCache::default(),
            }),
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
        let conn = conn::open_memory().map_err(|e| OpenError::Connect(Box::new(e)))?;
        let store = Self {
            inner: Arc::new(Inner {
                pool: Pool::new(Arc::new(Mutex::new(Some(conn))), Vec::new()),
                writer: None,
                checkpointer: Mutex::new(None),
                client_metadata: MetadataCache::default(),
            }),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations this build embeds that the database has not seen yet, recording them in
    /// `schema_migrations`. Idempotent; refuses a database migrated by a newer build.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        let mut result = Ok(());
        let ran = self.inner.pool.write(|conn| {
            result = migrate::migrate(conn);
            Ok(())
        });
        ran.map_err(|e| OpenError::Migrate(Box::new(e)))?;
        result
    }

    /// Closes every connection, waiting for operations in flight, and stops the checkpoint thread. Later
    /// operations fail.
    pub async fn close(&self) {
        let checkpointer = self
            .inner
            .checkpointer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(checkpointer) = checkpointer {
            checkpointer.stop();
        }
        if let Some(writer) = &self.inner.writer {
            writer.stop();
        }
        self.inner.pool.close();
    }

    /// Runs `f` on a read-only connection, on the calling thread.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.inner.pool.read(f)
    }

    /// Runs `f` on the writer connection: as one operation of the next group commit (see
    /// [`writer`]), or, for an in-memory store, on the calling thread. `f` runs single statements or one
    /// [`conn::transaction`]; either way it is atomic, and its result comes back once it is committed.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_as(true, f).await
    }

    /// [`Self::write`] without a savepoint of its own in a group commit, for the hot writes: `f` must
    /// refuse only before its first change (see [`writer`]). Outside a group commit the same as
    /// [`Self::write`].
    async fn write_unguarded<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_as(false, f).await
    }

    async fn write_as<T, F>(&self, guarded: bool, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.queue(guarded, f).await,
            None => self.inner.pool.write(f),
        }
    }
}
