//! The connections of a SQLite store: one writer and a few read-only readers, each behind a
//! `std::sync::Mutex` that is held only while a statement or a transaction runs on the calling thread
//! (never across an `.await`), and the write transactions.
//!
//! A connection is used by one thread at a time (its mutex), so SQLite's own per-connection mutex is
//! off (`SQLITE_OPEN_NO_MUTEX`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use ostiary_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};

use super::Synchronous;
use crate::error::sqlite_error;

/// Prepared statements kept per connection: more than the store has, so none is ever re-prepared.
const STATEMENT_CACHE: usize = 256;

/// Bytes of WAL kept on disk after a checkpoint resets it: a bound on the `-wal` file between bursts.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// One connection, or none once the store is closed.
pub(super) type Slot = Mutex<Option<Connection>>;

/// Operations on a store whose connections were closed fail with this.
#[derive(Debug, thiserror::Error)]
#[error("the SQLite store is closed")]
pub(super) struct Closed;

/// Locks a slot. A panic while it was held (poisoning) is not a reason to refuse later work: the
/// connection stays usable, and a transaction the panic left open is rolled back here.
pub(super) fn lock(slot: &Slot) -> MutexGuard<'_, Option<Connection>> {
    let guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
    recover(guard)
}

/// Locks a slot if no other thread has it.
pub(super) fn try_lock(slot: &Slot) -> Option<MutexGuard<'_, Option<Connection>>> {
    match slot.try_lock() {
        Ok(guard) => Some(recover(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Some(recover(poisoned.into_inner())),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Rolls back a transaction left open (only a panic inside one can do that).
fn recover(guard: MutexGuard<'_, Option<Connection>>) -> MutexGuard<'_, Option<Connection>> {
    if let Some(conn) = guard.as_ref().filter(|conn| !conn.is_autocommit())
        && let Err(error) = conn.execute_batch("ROLLBACK")
    {
        tracing::warn!(%error, "could not roll back a transaction left open");
    }
    guard
}

/// Runs `f` on the connection in `guard`, or fails with [`Closed`].
fn run<T>(
    guard: &MutexGuard<'_, Option<Connection>>,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    match guard.as_ref() {
        Some(conn) => f(conn),
        None => Err(StoreError::backend(Closed)),
    }
}

/// The writer and the readers of one store.
pub(super) struct Pool {
    writer: std::sync::Arc<Slot>,
    readers: Box<[Slot]>,
    next_reader: AtomicUsize,
}

impl Pool {
    pub(super) fn new(writer: std::sync::Arc<Slot>, readers: Vec<Connection>) -> Self {
        Self {
            writer,
            readers: readers.into_iter().map(|c| Mutex::new(Some(c))).collect(),
            next_reader: AtomicUsize::new(0),
        }
    }

    /// Runs `f` for a read: on the writer if it is free, else on the first free reader, always tried
    /// in the same order, or, when every reader is busy (more threads than readers), on the next one in
    /// round-robin turn once it is free. Without readers, on the writer.
    ///
    /// The writer comes first because its page cache stays valid: in WAL mode every commit makes each
    /// *other* connection drop its whole page cache at its next read, so under writes a reader fetches
    /// every page of its B-tree paths again (measured: an access-token lookup right after a rotation
    /// took 28 µs on a reader, 12 µs on the writer). The readers take the reads that arrive while the
    /// writer is busy, so a read never waits for a write. They are tried in a fixed order, not round
    /// robin, so that the reads between two commits go to as few connections as possible and each
    /// refetches the pages a commit invalidated once, not once per connection (refresh at 32 clients:
    /// about 5 % more rotations per second).
    pub(super) fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let count = self.readers.len();
        if count == 0 {
            return self.write(f);
        }
        if let Some(guard) = try_lock(&self.writer) {
            return run(&guard, f);
        }
        if let Some(guard) = self.readers.iter().find_map(try_lock) {
            return run(&guard, f);
        }
        let next = self.next_reader.fetch_add(1, Ordering::Relaxed) % count;
        match self.readers.get(next) {
            Some(slot) => run(&lock(slot), f),
            None => self.write(f),
        }
    }

    /// Runs `f` on the writer, waiting for it if another thread has it.
    pub(super) fn write<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        run(&lock(&self.writer), f)
    }

    /// Closes every connection, waiting for the statements running on them. Readers close first, so
    /// the writer is the last connection of this store and its close checkpoints the WAL.
    pub(super) fn close(&self) {
        for slot in &*self.readers {
            close_slot(slot);
        }
        close_slot(&self.writer);
    }

    pub(super) fn readers(&self) -> usize {
        self.readers.len()
    }

    pub(super) fn is_closed(&self) -> bool {
        lock(&self.writer).is_none()
    }
}

fn close_slot(slot: &Slot) {
    if let Some(conn) = lock(slot).take()
        && let Err((_, error)) = conn.close()
    {
        tracing::warn!(%error, "closing a SQLite connection failed");
    }
}

/// Runs `f` in a write transaction. `BEGIN IMMEDIATE` takes the write lock at once, so another process
/// writing the same file makes it wait (busy timeout) instead of failing mid-way, and nothing can change
/// between the transaction's reads and its writes. Commits when `f` succeeds, rolls back when it fails.
///
/// Inside a transaction already open, which is only ever a group commit's batch (see
/// [`super::writer`]), `f` simply runs. A guarded operation runs in a savepoint of its own, rolled back
/// when the operation fails, which undoes exactly what `f` did; an unguarded one that fails after a
/// change takes its batch's transaction down with it. Every caller hands `f`'s error straight back as
/// its operation's, so a nested savepoint would only add two statements to every write (without them:
/// ~10 % more rotations/s in `benches/examples/rotation_churn.rs`). An operation that went on after a
/// failed `transaction` would keep `f`'s partial changes: none does.
pub(super) fn transaction<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    if !conn.is_autocommit() {
        return f(conn);
    }
    simple(conn, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => match simple(conn, "COMMIT") {
            Ok(()) => Ok(value),
            Err(error) => {
                rollback(conn);
                Err(error)
            }
        },
        Err(error) => {
            rollback(conn);
            Err(error)
        }
    }
}

fn rollback(conn: &Connection) {
    // SQLite may already have rolled back (after a full disk, for example): nothing left to undo.
    if !conn.is_autocommit()
        && let Err(error) = simple(conn, "ROLLBACK")
    {
        tracing::warn!(%error, "rolling back a SQLite transaction failed");
    }
}

/// A statement without parameters or rows, from the statement cache.
fn simple(conn: &Connection, sql: &'static str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(|_| ())
        .map_err(sqlite_error)
}

/// Settings every connection of a store shares.
pub(super) struct Settings {
    pub(super) busy_timeout: Duration,
    pub(super) synchronous: Synchronous,
}

/// Opens the writer: creates the file if needed, switches it to WAL, turns automatic checkpoints off
/// (the store's checkpoint thread does them, so no request ever runs one), foreign keys on and
/// temporary files (savepoint journals) into memory.
pub(super) fn open_writer(path: &Path, settings: &Settings) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, settings)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some("the database could not be switched to WAL mode".to_owned()),
        ));
    }
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // The savepoint of each operation in a group commit (see `super::writer`) keeps the pages it changes
    // in a sub-journal, which SQLite spills to a temporary file past 64 KiB: a batch of a few dozen
    // writes did, and every transaction then created, wrote and deleted a file. In memory instead (at
    // most a few MiB for the largest batch): an SSO sign-in flow went from ~94 to ~60 KiB written
    // through the kernel and ~8 % less server CPU.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Opens a read-only connection to the file the writer created (`query_only`: it cannot write even if
/// asked to).
pub(super) fn open_reader(path: &Path, settings: &Settings) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, settings)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// A private in-memory database, for tests and examples.
pub(super) fn open_memory() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

fn configure(conn: &Connection, settings: &Settings) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(settings.busy_timeout)?;
    let synchronous = match settings.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", synchronous)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| {
            row.get::<_, rusqlite::types::Value>(0)
        })
        .map(|value| match value {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
    }

    /// The writer's settings that the store's design rests on (WAL, checkpoints on their own thread,
    /// foreign keys, savepoint journals in memory); a reader refuses writes.
    #[test]
    fn connections_are_configured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let settings = Settings {
            busy_timeout: Duration::from_secs(1),
            synchronous: Synchronous::Normal,
        };
        let writer = open_writer(&path, &settings).unwrap();
        assert_eq!(pragma(&writer, "journal_mode"), "wal");
        assert_eq!(pragma(&writer, "wal_autocheckpoint"), "0");
        assert_eq!(pragma(&writer, "foreign_keys"), "1");
        assert_eq!(pragma(&writer, "temp_store"), "2", "2 is MEMORY");
        assert_eq!(pragma(&writer, "synchronous"), "1", "1 is NORMAL");
        writer.execute_batch("CREATE TABLE t (k INTEGER)").unwrap();
        let reader = open_reader(&path, &settings).unwrap();
        assert!(reader.execute_batch("INSERT INTO t VALUES (1)").is_err());
    }
}
