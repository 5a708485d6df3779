//! Group commit: every write of a file-backed SQLite store runs on one writer thread, which takes the
//! writes queued while it was busy and runs them in **one** transaction, each inside its own savepoint,
//! then commits once and only then answers every caller.
//!
//! Why: a commit, not the statements, is most of what a small write costs. Each commit appends every
//! page it changed to the WAL (a refresh-token rotation alone changes table and index leaves of two
//! tables and their parents: two random digest-index leaves, the rest right-most pages), and with
//! `synchronous = FULL` adds an `fsync`. Under load the writes of
//! many requests touch the same interior and right-most leaf pages, so one commit for a batch writes
//! each shared page once and syncs once.
//!
//! What each caller sees is unchanged:
//! - **Atomicity.** A *guarded* operation (`Writer::queue(true, …)`) runs inside a savepoint;
//!   when it fails, `ROLLBACK TO` undoes exactly its own changes and the batch goes on. An
//!   *unguarded* one (`Writer::queue(false, …)`) runs without: it is written so that its ordinary
//!   refusals come before its first change, and when it fails without having changed a row (SQLite's
//!   `total_changes` did not move; a failing statement is undone by SQLite itself) the batch simply
//!   goes on. If it fails after a change (a constraint it did not check first, an I/O error), only
//!   rolling back the whole transaction undoes it: it gets its own error, the operations batched
//!   before it get a "not committed" error, and those after it run in a new transaction. The
//!   savepoint is what an unguarded operation saves: SQLite copies every page an operation first
//!   changes inside a savepoint into the savepoint's journal, which was ~30 % of the writer's time in
//!   `create_family`.
//! - **Isolation.** Operations run one after the other on the one connection holding the database's
//!   write lock (`BEGIN IMMEDIATE`), so each sees the effects of those before it and nothing else.
//! - **Durability.** No caller hears of success before the `COMMIT` of its batch returned. If the
//!   commit fails, or SQLite rolls the transaction back under an operation (a full disk, an I/O error),
//!   every operation of that transaction gets the error, successful ones included, since none of them
//!   is in the database.
//!
//! A batch holds at most [`MAX_BATCH`] operations, so the first caller of a batch waits for at most
//! that many others. An idle store runs a lone write as a batch of one (one thread hand-off more than
//! running it on the caller's thread: microseconds).
//!
//! **Gathering.** When the thread wakes to more than one queued write, writes are arriving
//! concurrently, and it waits [`GATHER`] (100 µs) for more before it begins the transaction. Without
//! the wait, a batch is whatever queued during the previous commit: refresh at 32 clients averaged 4
//! rotations a commit, and each commit rewrote the same right-most table and index pages to the WAL,
//! copied them again at the next checkpoint, and dropped the page cache of every reader connection
//! (SQLite discards a connection's whole cache when another one committed). With a 300 µs wait,
//! batches averaged 6.8–9.4 rotations, and with 250 µs the server spent ~10–15 % less CPU per
//! rotation (measured beside the generator's own CPU per request, on a 2-core machine too noisy for
//! throughput alone to tell; 100, 250 and 500 µs measured the same). Since the refresh grant reads
//! its token on this thread too (`TokenStore::refresh_grant`), a batch takes longer and more writes
//! queue during it on their own: 100 and 250 µs cost the same CPU per rotation, but with 250 the
//! server left more of the cores idle (1.09–1.11 cores in use against 1.17–1.20). The price is up to
//! 100 µs more latency for the writes of a busy store; a lone write (the batch of one of an idle or
//! lightly loaded store) never waits. The thread sleeps rather than waiting on the queue, so the
//! writes that arrive meanwhile do not each wake it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use ostiary_store::{StoreError, StoreResult};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::conn::{self, Closed, Slot};
use crate::error::sqlite_error;

/// The most operations one transaction takes.
const MAX_BATCH: usize = 256;

/// How long the thread waits for more writes when it found more than one queued (see the module docs).
const GATHER: Duration = Duration::from_micros(100);

/// One queued write: runs once on the writer connection, then is told how its transaction ended.
trait Job: Send {
    /// Whether the operation runs inside a savepoint of its own.
    fn guarded(&self) -> bool;
    /// Runs the operation (inside the savepoint the thread opened, if guarded); `true` if it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: its own result if the transaction committed, else `failure`.
    fn finish(self: Box<Self>, failure: Option<&BatchFailure>);
}

/// Why a transaction did not commit, given to every operation in it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the write was not committed: {0}")]
pub(super) struct BatchFailure(String);

impl BatchFailure {
    fn new(what: &str, error: &StoreError) -> Self {
        let mut message = format!("{what}: {error}");
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self(message)
    }
}

struct Pending<T, F> {
    guarded: bool,
    op: Option<F>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    fn guarded(&self) -> bool {
        self.guarded
    }

    fn run(&mut self, conn: &Connection) -> bool {
        let Some(op) = self.op.take() else {
            return false;
        };
        // A panic in an operation fails that operation alone; the thread and the batch go on.
        let result = catch_unwind(AssertUnwindSafe(|| op(conn))).unwrap_or_else(|_| {
            tracing::error!("a SQLite write operation panicked; its savepoint is rolled back");
            Err(StoreError::backend(BatchFailure(
                "the operation panicked".to_owned(),
            )))
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, failure: Option<&BatchFailure>) {
        let answer = match (failure, self.result) {
            (Some(failure), _) => Err(StoreError::backend(failure.clone())),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::backend(Closed)),
        };
        // The caller may have gone away (its request was cancelled): nothing to tell then.
        let _ = self.reply.send(answer);
    }
}

enum Message {
    Job(Box<dyn Job>),
    Stop,
}

/// The writer thread of one store. Stops when told to or when the store (the sender) is dropped.
pub(super) struct Writer {
    queue: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Transactions committed so far.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests of batching"))]
    commits: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the thread that owns the use of `slot` for writes.
    pub(super) fn start(slot: Arc<Slot>) -> std::io::Result<Self> {
        let (queue, inbox) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        // Linux keeps 15 bytes of a thread's name: short enough to tell the two store threads apart in
        // `top -H` and `perf`.
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(&slot, &inbox, &counter))?;
        Ok(Self {
            queue,
            thread: std::sync::Mutex::new(Some(thread)),
            commits,
        })
    }

    /// `queue(true, op)`: the tests' guarded write.
    #[cfg(test)]
    pub(super) async fn write<T, F>(&self, op: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.queue(true, op).await
    }

    /// Queues `op`, guarded by a savepoint of its own or not, and waits for the commit of the
    /// transaction it ran in. An unguarded `op` must refuse (return `Err`) only before its first
    /// change: failing after one rolls back every operation batched before it (see the module docs).
    pub(super) async fn queue<T, F>(&self, guarded: bool, op: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            guarded,
            op: Some(op),
            result: None,
            reply,
        });
        if self.queue.send(Message::Job(job)).is_err() {
            return Err(StoreError::backend(Closed));
        }
        // A dropped sender: the thread stopped (the store was closed) before running the operation.
        answer.await.unwrap_or(Err(StoreError::backend(Closed)))
    }

    /// Transactions committed so far (a batch of writes is one).
    #[cfg(test)]
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Stops the thread after the batch it may be running; writes queued after that fail as closed.
    pub(super) fn stop(&self) {
        let _ = self.queue.send(Message::Stop);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::warn!("the SQLite writer thread panicked");
        }
    }
}

fn run(slot: &Slot, inbox: &mpsc::Receiver<Message>, commits: &AtomicU64) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    let mut in_transaction: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(message) = inbox.recv() {
        let mut stop = false;
        match message {
            Message::Job(job) => batch.push(job),
            Message::Stop => stop = true,
        }
        take_queued(inbox, &mut batch, &mut stop);
        // More than one write was waiting: the store is under concurrent writes, and more are on
        // their way. A moment's wait lets them join this transaction (see [`GATHER`]).
        if !stop && batch.len() >= 2 && batch.len() < MAX_BATCH {
            std::thread::sleep(GATHER);
            take_queued(inbox, &mut batch, &mut stop);
        }
        if !batch.is_empty() {
            let guard = conn::lock(slot);
            match guard.as_ref() {
                Some(conn) => run_batch(conn, &mut batch, &mut in_transaction, commits),
                None => {
                    for job in batch.drain(..) {
                        job.finish(Some(&BatchFailure("the SQLite store is closed".to_owned())));
                    }
                }
            }
        }
        if stop {
            return;
        }
    }
}

/// Moves the writes queued now into `batch` (up to [`MAX_BATCH`]), noting a stop.
fn take_queued(inbox: &mpsc::Receiver<Message>, batch: &mut Vec<Box<dyn Job>>, stop: &mut bool) {
    while !*stop && batch.len() < MAX_BATCH {
        match inbox.try_recv() {
            Ok(Message::Job(job)) => batch.push(job),
            Ok(Message::Stop) => *stop = true,
            Err(_) => break,
        }
    }
}

/// Runs `batch` in as few transactions as possible (one, unless SQLite rolls one back under an
/// operation), committing each and then answering its operations.
fn run_batch(
    conn: &Connection,
    batch: &mut Vec<Box<dyn Job>>,
    in_transaction: &mut Vec<Box<dyn Job>>,
    commits: &AtomicU64,
) {
    for mut job in batch.drain(..) {
        if in_transaction.is_empty()
            && let Err(error) = statement(conn, "BEGIN IMMEDIATE")
        {
            job.finish(Some(&BatchFailure::new("BEGIN IMMEDIATE failed", &error)));
            continue;
        }
        let ran = if job.guarded() {
            in_savepoint(conn, &mut *job)
        } else {
            unguarded(conn, &mut *job)
        };
        match ran {
            Ok(Ran::Kept) => in_transaction.push(job),
            Ok(Ran::RolledBack(failure)) => {
                // The operation failed after changing rows: the rollback undid them, and the
                // operations before it with them. Its own error stands; the others were not committed.
                job.finish(None);
                for job in in_transaction.drain(..) {
                    job.finish(Some(&failure));
                }
            }
            Err(failure) => {
                // The transaction is gone (SQLite rolled it back, or a savepoint could not be managed):
                // everything in it is lost, and every operation in it hears so.
                rollback(conn);
                job.finish(Some(&failure));
                for job in in_transaction.drain(..) {
                    job.finish(Some(&failure));
                }
            }
        }
    }
    if in_transaction.is_empty() {
        return;
    }
    let failure = match statement(conn, "COMMIT") {
        Ok(()) => {
            commits.fetch_add(1, Ordering::Relaxed);
            None
        }
        Err(error) => {
            rollback(conn);
            Some(BatchFailure::new("COMMIT failed", &error))
        }
    };
    for job in in_transaction.drain(..) {
        job.finish(failure.as_ref());
    }
}

/// What became of an operation that ran.
enum Ran {
    /// Its result stands and the transaction goes on: it succeeded, or it failed with nothing of it
    /// left in the transaction.
    Kept,
    /// It failed after changing rows, so the transaction was rolled back; the operations that ran
    /// before it in that transaction get this.
    RolledBack(BatchFailure),
}

/// Runs one unguarded operation. `Err` means the enclosing transaction cannot go on.
fn unguarded(conn: &Connection, job: &mut dyn Job) -> Result<Ran, BatchFailure> {
    let before = conn.total_changes();
    let ok = job.run(conn);
    if conn.is_autocommit() {
        return Err(rolled_back_by_sqlite());
    }
    if ok || conn.total_changes() == before {
        return Ok(Ran::Kept);
    }
    rollback(conn);
    Ok(Ran::RolledBack(BatchFailure(
        "an operation in the same transaction failed after writing, and the transaction was rolled back"
            .to_owned(),
    )))
}

fn rolled_back_by_sqlite() -> BatchFailure {
    BatchFailure("SQLite rolled the transaction back (an I/O error or a full disk)".to_owned())
}

/// Runs one operation inside `SAVEPOINT op`, undoing its changes when it fails. `Err` means the
/// enclosing transaction cannot go on.
fn in_savepoint(conn: &Connection, job: &mut dyn Job) -> Result<Ran, BatchFailure> {
    let fail = |what: &str, error: &StoreError| BatchFailure::new(what, error);
    statement(conn, "SAVEPOINT op").map_err(|e| fail("SAVEPOINT failed", &e))?;
    let ok = job.run(conn);
    if conn.is_autocommit() {
        return Err(rolled_back_by_sqlite());
    }
    if !ok {
        statement(conn, "ROLLBACK TO op").map_err(|e| fail("ROLLBACK TO failed", &e))?;
    }
    statement(conn, "RELEASE op").map_err(|e| fail("RELEASE failed", &e))?;
    Ok(Ran::Kept)
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(error) = statement(conn, "ROLLBACK")
    {
        tracing::warn!(%error, "rolling back a SQLite transaction failed");
    }
}

fn statement(conn: &Connection, sql: &'static str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(|_| ())
        .map_err(sqlite_error)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    fn open(path: &std::path::Path, busy: Duration) -> (Arc<Slot>, Writer) {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(busy).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY);",
        )
        .unwrap();
        let slot = Arc::new(Mutex::new(Some(conn)));
        let writer = Writer::start(slot.clone()).unwrap();
        (slot, writer)
    }

    fn insert(k: i64) -> impl FnOnce(&Connection) -> StoreResult<()> + Send + 'static {
        move |conn| {
            conn.execute("INSERT INTO t (k) VALUES (?1)", [k])
                .map(|_| ())
                .map_err(sqlite_error)
        }
    }

    fn count(path: &std::path::Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    /// Writes queued while the thread is busy commit together, and a failing one (a duplicate key) is
    /// undone alone: the others of its batch commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_share_one_commit_and_a_failure_stays_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(5));
        let writer = Arc::new(writer);

        // The first write holds the thread until ten more are queued behind it.
        let ops = [1, 2, 3, 4, 5, 3, 6, 7, 8, 9]
            .map(|k| (true, vec![k]))
            .to_vec();
        let results = one_batch(&writer, vec![0], ops, || assert_eq!(writer.commits(), 0)).await;
        let mut failed = 0;
        for result in results {
            match result {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => failed += 1,
                Err(other) => panic!("unexpected {other}"),
            }
        }
        assert_eq!(failed, 1, "the duplicate key fails alone");
        assert_eq!(count(&path), 10);
        assert_eq!(
            writer.commits(),
            2,
            "one commit for the first write, one for the ten queued"
        );
        writer.stop();
    }

    /// Queues `ops` behind a write (inserting `first`) that holds the thread, so that they all run in
    /// one batch, calls `before_release` once they are queued, and returns their results in order.
    /// Each op is `(guarded, keys)`: it inserts the keys in order.
    async fn one_batch(
        writer: &Arc<Writer>,
        first: Vec<i64>,
        ops: Vec<(bool, Vec<i64>)>,
        before_release: impl FnOnce(),
    ) -> Vec<StoreResult<()>> {
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |conn| {
                        started_tx.send(()).unwrap();
                        go_rx.recv().unwrap();
                        first.iter().try_for_each(|&k| insert(k)(conn))
                    })
                    .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        let mut queued = Vec::new();
        for (guarded, keys) in ops {
            let writer = writer.clone();
            let (sent_tx, sent_rx) = tokio::sync::oneshot::channel();
            queued.push(tokio::spawn(async move {
                let op = move |conn: &Connection| keys.iter().try_for_each(|&k| insert(k)(conn));
                let write = writer.queue(guarded, op);
                tokio::pin!(write);
                // Poll once so the operation is queued, then say so.
                tokio::select! {
                    biased;
                    result = &mut write => { let _ = sent_tx.send(()); return result; }
                    () = std::future::ready(()) => {}
                }
                let _ = sent_tx.send(());
                write.await
            }));
            sent_rx.await.unwrap();
        }
        before_release();
        go_tx.send(()).unwrap();
        first.await.unwrap().unwrap();
        let mut results = Vec::new();
        for task in queued {
            results.push(task.await.unwrap());
        }
        results
    }

    fn keys(path: &std::path::Path) -> Vec<i64> {
        let conn = Connection::open(path).unwrap();
        let mut statement = conn.prepare("SELECT k FROM t ORDER BY k").unwrap();
        statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// An unguarded operation that fails before changing anything (its one statement hits a taken key)
    /// fails alone; one that fails after a change rolls back the operations batched before it, gets
    /// its own error, and those after it commit. A guarded one undoes only itself.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unguarded_failure_after_a_change_rolls_back_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(5));
        let writer = Arc::new(writer);
        writer.write(insert(100)).await.unwrap();

        let results = one_batch(
            &writer,
            vec![],
            vec![
                (false, vec![1]),
                (false, vec![100]),   // fails before any change
                (true, vec![2, 100]), // guarded: its savepoint undoes the 2
                (false, vec![3]),
            ],
            || {},
        )
        .await;
        assert!(results[0].is_ok() && results[3].is_ok(), "{results:?}");
        assert!(
            matches!(results[1], Err(StoreError::Conflict(_))),
            "{results:?}"
        );
        assert!(
            matches!(results[2], Err(StoreError::Conflict(_))),
            "{results:?}"
        );
        assert_eq!(keys(&path), vec![1, 3, 100]);

        let results = one_batch(
            &writer,
            vec![],
            vec![
                (false, vec![4]),
                (true, vec![5]),
                (false, vec![6, 100]), // fails after inserting 6
                (false, vec![7]),
            ],
            || {},
        )
        .await;
        for before in &results[..2] {
            let Err(StoreError::Backend(error)) = before else {
                panic!("the operations before the failure must fail: {results:?}");
            };
            assert!(error.to_string().contains("not committed"), "{error}");
        }
        assert!(
            matches!(results[2], Err(StoreError::Conflict(_))),
            "the failing operation gets its own error: {results:?}"
        );
        assert!(results[3].is_ok(), "{results:?}");
        assert_eq!(
            keys(&path),
            vec![1, 3, 7, 100],
            "nothing of the rolled-back transaction is written"
        );
        writer.stop();
    }

    /// A panicking operation fails alone; the thread goes on.
    #[tokio::test]
    async fn a_panic_fails_one_operation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(5));
        let result: StoreResult<()> = writer
            .write(|conn| {
                insert(1)(conn)?;
                panic!("boom")
            })
            .await;
        assert!(matches!(result, Err(StoreError::Backend(_))));
        writer.write(insert(2)).await.unwrap();
        assert_eq!(
            count(&path),
            1,
            "the panicking operation's insert was rolled back"
        );
        writer.stop();
    }

    /// When the transaction cannot start (another process holds the write lock past the busy
    /// timeout), the caller gets an error, and the next write works once the lock is free.
    #[tokio::test]
    async fn a_transaction_that_cannot_start_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_millis(50));
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let result = writer.write(insert(1)).await;
        let Err(StoreError::Backend(error)) = result else {
            panic!("expected a backend error, got {result:?}");
        };
        assert!(error.to_string().contains("not committed"), "{error}");
        other.execute_batch("ROLLBACK").unwrap();
        writer.write(insert(1)).await.unwrap();
        assert_eq!(count(&path), 1);
        writer.stop();
    }

    /// After stop, writes fail as closed instead of hanging.
    #[tokio::test]
    async fn writes_after_stop_fail() {
        let dir = tempfile::tempdir().unwrap();
        let (_slot, writer) = open(&dir.path().join("w.db"), Duration::from_secs(5));
        writer.stop();
        let result = writer.write(insert(1)).await;
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    }
}
