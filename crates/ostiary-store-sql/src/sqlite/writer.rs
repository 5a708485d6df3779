//! Group commit: the writes of a file-backed SQLite store queued while a batch runs are run as the
//! next batch, in **one** transaction, each inside its own savepoint, committed once; only then is
//! every caller answered. A batch runs on the thread of the caller that found no batch running (the
//! *lead*), when that needs no wait, and otherwise on the store's writer thread.
//!
//! Why batches: a commit, not the statements, is most of what a small write costs. Each commit appends
//! every page it changed to the WAL (a refresh-token rotation alone changes table and index leaves of
//! two tables and their parents), and with `synchronous = FULL` adds an `fsync`. Under load the writes
//! of many requests touch the same interior and right-most leaf pages, so one commit for a batch
//! writes each shared page once and syncs once.
//!
//! What each caller sees:
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
//! that many others.
//!
//! **Who runs a batch.** One holder of the lead at a time takes writes off the queue. A caller that
//! queues its write and finds the lead free takes it and, with `synchronous = NORMAL` (a commit writes
//! the WAL without `fsync`), runs the batch on its own thread if it can do so without waiting: the
//! writer connection free within [`INLINE_TRIES`] tries (a read on it holds it for microseconds; the
//! caller stops trying as soon as the checkpoint thread, which holds it for milliseconds, wants it)
//! and `BEGIN IMMEDIATE` granted at once (busy timeout zero: another process, the CLI, may hold the
//! write lock), after yielding to the runtime once (see *Gathering on a caller's thread* below). It
//! then runs the writes that queued meanwhile
//! as further batches, up to [`INLINE_ROUNDS`] in all, and hands the lead to the writer thread if more
//! are still waiting. Whatever it cannot run at once goes to the writer thread, which waits for the
//! connection and the lock (busy timeout) and, with `synchronous = FULL`, runs every batch: a Tokio
//! worker never waits for a lock held elsewhere or for an `fsync`.
//!
//! Why callers run batches: with every write handed to the thread, 17–21 % of a 2-core machine sat
//! idle under refresh at 32 clients (16–18 % under SSO sign-ins; 9 % and 3 % on the in-memory store):
//! requests waited for the thread to wake, for its gathering sleep, and for their answers to wake
//! their tasks, with nothing else to run. Run by the callers, idle fell to 9–10 % (refresh) and
//! 11–14 % (SSO): refresh +10 % rotations/s (four alternating pairs: +1 to +24 %), p50 2.1–2.5
//! instead of 2.3–3.1 ms, SSO unchanged (−13 to +5 %), for 6–10 % more server CPU per operation
//! (smaller batches: more commits). Measured with `benches/run-load.sh`'s suite, see the README.
//!
//! **Gathering on a caller's thread.** A caller that takes the lead yields to the runtime once before
//! its first batch: the tasks already runnable on its worker run first (parsing requests, signing
//! tokens), and the writes they queue join its batch. Nothing waits idle for this: with no other task
//! runnable the caller is back at once. Running at once instead, a batch was what queued during the
//! previous one, and each commit rewrote the same right-most pages to the WAL. Refresh and SSO at 32
//! clients, three alternating pairs each: the server's CPU per operation (beside the generator's own
//! per request) 2.56–2.79 → 2.29–2.45 for a rotation and 2.53–2.68 → 2.33–2.42 for a sign-in, SQLite
//! page writes (WAL frames and checkpoint copies, `pwrite` calls per response) 4.9–5.3 → 3.0 and
//! 10.2 → 7.1, and no more idle cores (10–13 %). Yielding up to four times while the queue grew
//! measured the same as once.
//!
//! **Gathering** (the writer thread only). When the thread finds more than one queued write, writes
//! are arriving concurrently, and it waits [`GATHER`] (100 µs) for more before it begins the
//! transaction. Without the wait, a batch is whatever queued during the previous commit: refresh at
//! 32 clients averaged 4 rotations a commit, and each commit rewrote the same right-most table and
//! index pages to the WAL, copied them again at the next checkpoint, and dropped the page cache of
//! every reader connection (SQLite discards a connection's whole cache when another one committed).
//! With 250 µs the server spent ~10–15 % less CPU per rotation (measured beside the generator's own
//! CPU per request; 100, 250 and 500 µs measured the same), with 100 µs fewer cores sat idle. The
//! thread sleeps rather than waiting on the queue, so the writes that arrive meanwhile do not each
//! wake it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

enum Signal {
    /// The thread now holds the lead (see [`Shared::leading`]): it runs what is queued.
    Lead,
    /// The store is closing: run what is queued, then end.
    Stop,
}

/// The queue and the lead, shared by the callers and the thread.
struct Shared {
    /// Writes waiting for a batch; `None` once the writer stopped.
    queue: std::sync::Mutex<Option<Vec<Box<dyn Job>>>>,
    /// Whether someone holds the lead: runs (or is about to run) a batch and, when done, either
    /// takes the lead again for what queued meanwhile or lets it go. Only the holder takes writes
    /// off the queue, so a write queued while the lead is held is run by its holder.
    leading: AtomicBool,
    slot: Arc<Slot>,
    /// True while the checkpoint thread holds or waits for the connection (for milliseconds).
    checkpointing: Arc<AtomicBool>,
    /// Whether a caller may run a batch on its own thread (see the module docs).
    inline: bool,
    /// The connection's busy timeout, restored after an inline `BEGIN IMMEDIATE` that waits for nothing.
    busy_timeout: Duration,
    commits: AtomicU64,
}

/// Batches one caller runs on its own thread, its own write's and up to this many minus one more for
/// the writes that queued meanwhile, before the thread takes over. Refresh at 32 clients, two
/// alternating rounds: with 1 (the thread takes over at once) 8.9k and 11.6k rotations/s and 17–21 %
/// of the cores idle, as with the thread alone; with 8, 12.7k and 13.3k at 10 % idle; with 64, 13.3k
/// and 10.4k. The bound keeps one request from answering for others for long.
const INLINE_ROUNDS: usize = 8;

/// How often a caller tries the writer connection, yielding between tries, before it leaves the batch
/// to the thread. A read holds the connection for microseconds (reads take it when it is free, see
/// the crate docs); the checkpoint thread for milliseconds, and a caller stops trying as soon as it
/// sees that. With 3 tries instead of 200, SSO sign-ins (whose authorization-endpoint reads take the
/// connection between writes) left most batches to the thread: five alternating pairs gave +1 to
/// +29 % flows/s with 200.
const INLINE_TRIES: usize = 200;

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<Box<dyn Job>>>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn try_lead(&self) -> bool {
        self.leading
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    fn queued(&self) -> bool {
        self.lock().as_ref().is_some_and(|queue| !queue.is_empty())
    }

    /// Lets the lead go; takes it again if writes queued meanwhile and nobody else took it. A write
    /// queued after the `queued` check finds the lead free and takes it itself.
    fn release(&self) -> bool {
        self.leading.store(false, Ordering::SeqCst);
        self.queued() && self.try_lead()
    }

    /// Up to [`MAX_BATCH`] queued writes, oldest first.
    fn take(&self, batch: &mut Vec<Box<dyn Job>>) {
        if let Some(queue) = self.lock().as_mut() {
            let n = queue.len().min(MAX_BATCH - batch.len().min(MAX_BATCH));
            batch.extend(queue.drain(..n));
        }
    }

    /// Hands the lead (held) to the thread. If the thread is gone (the store closed), fails what is
    /// queued and lets the lead go.
    fn hand_to_thread(&self, signals: &mpsc::Sender<Signal>) {
        if signals.send(Signal::Lead).is_ok() {
            return;
        }
        let mut batch = Vec::new();
        loop {
            self.take(&mut batch);
            fail_closed(&mut batch);
            if !self.release() {
                return;
            }
        }
    }

    /// Runs one batch on the caller's thread, holding the lead, if that needs no wait: the connection
    /// free within a few tries (a read holds it for microseconds; a `RESTART` checkpoint for
    /// milliseconds) and its write lock free at once (another process may hold it). `false` if the
    /// batch was left to the thread, which then holds the lead.
    fn run_inline(
        &self,
        signals: &mpsc::Sender<Signal>,
        batch: &mut Vec<Box<dyn Job>>,
        kept: &mut Vec<Box<dyn Job>>,
    ) -> bool {
        let mut guard = None;
        for try_ in 0..INLINE_TRIES {
            if try_ > 0 {
                if self.checkpointing.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::yield_now();
            }
            guard = conn::try_lock(&self.slot);
            if guard.is_some() {
                break;
            }
        }
        let Some(conn) = guard.as_ref().and_then(|guard| guard.as_ref()) else {
            drop(guard);
            self.hand_to_thread(signals);
            return false;
        };
        if !begin_at_once(conn, self.busy_timeout) {
            drop(guard);
            self.hand_to_thread(signals);
            return false;
        }
        self.take(batch);
        run_batch(conn, batch, kept, &self.commits, true);
        true
    }

    /// The thread's batches while it holds the lead: with the busy timeout, waiting for the connection,
    /// and gathering (see [`GATHER`]).
    fn run_on_thread(&self, batch: &mut Vec<Box<dyn Job>>, kept: &mut Vec<Box<dyn Job>>) {
        loop {
            self.take(batch);
            // More than one write was waiting: writes are arriving concurrently, and more are on their
            // way. A moment's wait lets them join this transaction.
            if batch.len() >= 2 && batch.len() < MAX_BATCH {
                std::thread::sleep(GATHER);
                self.take(batch);
            }
            self.run_waiting(batch, kept);
            if !self.release() {
                return;
            }
        }
    }

    /// Runs `batch` on the writer connection, waiting for it and for the write lock (busy timeout);
    /// fails it as closed if the connection is gone.
    fn run_waiting(&self, batch: &mut Vec<Box<dyn Job>>, kept: &mut Vec<Box<dyn Job>>) {
        if batch.is_empty() {
            return;
        }
        let guard = conn::lock(&self.slot);
        match guard.as_ref() {
            Some(conn) => run_batch(conn, batch, kept, &self.commits, false),
            None => fail_closed(batch),
        }
    }
}

fn fail_closed(batch: &mut Vec<Box<dyn Job>>) {
    for job in batch.drain(..) {
        job.finish(Some(&closed()));
    }
}

/// `BEGIN IMMEDIATE` that fails at once instead of waiting when another process holds the write lock.
fn begin_at_once(conn: &Connection, busy_timeout: Duration) -> bool {
    if conn.busy_timeout(Duration::ZERO).is_err() {
        return false;
    }
    let began = statement(conn, "BEGIN IMMEDIATE").is_ok();
    if conn.busy_timeout(busy_timeout).is_err() {
        if began {
            rollback(conn);
        }
        return false;
    }
    began
}

fn closed() -> BatchFailure {
    BatchFailure("the SQLite store is closed".to_owned())
}

/// Lets the lead go if its holder panics outside an operation (an operation's own panic is caught),
/// handing what is queued to the thread, so that no write waits for a lead nobody holds.
struct Unwinding<'a>(&'a Shared, &'a mpsc::Sender<Signal>);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() && self.0.release() {
            self.0.hand_to_thread(self.1);
        }
    }
}

/// Holds the lead while its holder yields before its first batch. If the holder's future is dropped
/// there (its request was cancelled), the lead and what is queued go to the thread, so that no write
/// waits for a lead nobody holds.
struct Yielding<'a>(Option<(&'a Shared, &'a mpsc::Sender<Signal>)>);

impl Yielding<'_> {
    /// The holder is back: it runs the batches itself.
    fn done(mut self) {
        self.0 = None;
    }
}

impl Drop for Yielding<'_> {
    fn drop(&mut self) {
        if let Some((shared, signals)) = self.0.take() {
            shared.hand_to_thread(signals);
        }
    }
}

/// The group-commit writer of one store: its queue, and the thread that runs batches no caller can
/// run without waiting. Stops when told to, or when the writer is dropped (the thread holds no
/// sender of its signals).
pub(super) struct Writer {
    shared: Arc<Shared>,
    signals: mpsc::Sender<Signal>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer of `slot`. With `inline`, a caller runs batches on its own thread when that
    /// needs no wait (only with `synchronous = NORMAL`: a commit then does not `fsync`).
    pub(super) fn start(
        slot: Arc<Slot>,
        checkpointing: Arc<AtomicBool>,
        inline: bool,
        busy_timeout: Duration,
    ) -> std::io::Result<Self> {
        let (signals, inbox) = mpsc::channel();
        let shared = Arc::new(Shared {
            queue: std::sync::Mutex::new(Some(Vec::with_capacity(MAX_BATCH))),
            leading: AtomicBool::new(false),
            slot,
            checkpointing,
            inline,
            busy_timeout,
            commits: AtomicU64::new(0),
        });
        let thread_shared = shared.clone();
        // Linux keeps 15 bytes of a thread's name: short enough to tell the two store threads apart in
        // `top -H` and `perf`.
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run(&thread_shared, &inbox))?;
        Ok(Self {
            shared,
            signals,
            thread: std::sync::Mutex::new(Some(thread)),
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
    /// If no batch is running, the caller runs this one itself (see the module docs): it yields to the
    /// runtime once, and the future's next poll may run writes for up to [`INLINE_ROUNDS`] batches; it
    /// never waits for a lock there.
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
        {
            let mut queue = self.shared.lock();
            let Some(queue) = queue.as_mut() else {
                return Err(StoreError::backend(Closed));
            };
            queue.push(job);
        }
        let shared = &*self.shared;
        if shared.try_lead() {
            let signals = &self.signals;
            let _unwinding = Unwinding(shared, signals);
            if shared.inline {
                // Gathering on a caller's thread (see the module docs): the tasks already runnable
                // here run first, and the writes they queue join this batch.
                let yielding = Yielding(Some((shared, signals)));
                tokio::task::yield_now().await;
                yielding.done();
                let mut batch = Vec::new();
                let mut kept = Vec::new();
                let mut rounds = 0;
                loop {
                    if !shared.run_inline(signals, &mut batch, &mut kept) {
                        break;
                    }
                    rounds += 1;
                    if !shared.release() {
                        break;
                    }
                    if rounds == INLINE_ROUNDS {
                        shared.hand_to_thread(signals);
                        break;
                    }
                }
            } else {
                shared.hand_to_thread(signals);
            }
        }
        // A dropped sender: the store was closed before the operation ran.
        answer.await.unwrap_or(Err(StoreError::backend(Closed)))
    }

    /// Transactions committed so far (a batch of writes is one).
    #[cfg(test)]
    pub(super) fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    /// Runs what is queued, then stops the thread; writes queued after that fail as closed.
    pub(super) fn stop(&self) {
        let _ = self.signals.send(Signal::Stop);
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

fn run(shared: &Shared, inbox: &mpsc::Receiver<Signal>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    let mut kept: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(signal) = inbox.recv() {
        match signal {
            Signal::Lead => shared.run_on_thread(&mut batch, &mut kept),
            Signal::Stop => {
                // No write queues from now on; the ones queued run, whoever holds the lead.
                let rest = shared.lock().take().unwrap_or_default();
                // Wait for the lead: a caller running a batch lets it go when done (nothing is queued
                // any more), or hands it here with a `Lead` sent after this `Stop`.
                loop {
                    if shared.try_lead() || matches!(inbox.try_recv(), Ok(Signal::Lead)) {
                        break;
                    }
                    std::thread::yield_now();
                }
                batch.extend(rest);
                shared.run_waiting(&mut batch, &mut kept);
                shared.leading.store(false, Ordering::SeqCst);
                return;
            }
        }
    }
}

/// Runs `batch` in as few transactions as possible (one, unless SQLite rolls one back under an
/// operation), committing each and then answering its operations. With `begun`, the first transaction
/// is already open.
fn run_batch(
    conn: &Connection,
    batch: &mut Vec<Box<dyn Job>>,
    in_transaction: &mut Vec<Box<dyn Job>>,
    commits: &AtomicU64,
    begun: bool,
) {
    let mut open = begun;
    for mut job in batch.drain(..) {
        if !open {
            if let Err(error) = statement(conn, "BEGIN IMMEDIATE") {
                job.finish(Some(&BatchFailure::new("BEGIN IMMEDIATE failed", &error)));
                continue;
            }
            open = true;
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
                open = false;
                job.finish(None);
                for job in in_transaction.drain(..) {
                    job.finish(Some(&failure));
                }
            }
            Err(failure) => {
                // The transaction is gone (SQLite rolled it back, or a savepoint could not be managed):
                // everything in it is lost, and every operation in it hears so.
                open = false;
                rollback(conn);
                job.finish(Some(&failure));
                for job in in_transaction.drain(..) {
                    job.finish(Some(&failure));
                }
            }
        }
    }
    if in_transaction.is_empty() {
        if open {
            rollback(conn);
        }
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
        open_as(path, busy, true)
    }

    /// A writer whose callers run batches themselves (`inline`) or leave every batch to the thread.
    fn open_as(path: &std::path::Path, busy: Duration, inline: bool) -> (Arc<Slot>, Writer) {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(busy).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY);",
        )
        .unwrap();
        let slot = Arc::new(Mutex::new(Some(conn)));
        let checkpointing = Arc::new(AtomicBool::new(false));
        let writer = Writer::start(slot.clone(), checkpointing, inline, busy).unwrap();
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

    /// Writes queued while a batch runs commit together, and a failing one (a duplicate key) is
    /// undone alone: the others of its batch commit. Whether the batch runs on a caller's thread or on
    /// the writer thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_share_one_commit_and_a_failure_stays_its_own() {
        for inline in [true, false] {
            queued_writes_share_one_commit(inline).await;
        }
    }

    async fn queued_writes_share_one_commit(inline: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open_as(&path, Duration::from_secs(5), inline);
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

    /// Starts a write inserting `keys` that holds its batch (and the lead) until the returned sender
    /// sends, and returns once it runs.
    async fn holding_write(
        writer: &Arc<Writer>,
        keys: Vec<i64>,
    ) -> (
        tokio::task::JoinHandle<StoreResult<()>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let write = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |conn| {
                        started_tx.send(()).unwrap();
                        go_rx.recv().unwrap();
                        keys.iter().try_for_each(|&k| insert(k)(conn))
                    })
                    .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        (write, go_tx)
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
        let (first, go_tx) = holding_write(writer, first).await;
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

    /// The inline `BEGIN IMMEDIATE` refuses at once while another connection holds the write lock, and
    /// the connection keeps its busy timeout. (The watchdog's 30 s stand for "never returned": the
    /// configured timeout is an hour, and the call returns in microseconds.)
    #[test]
    fn an_inline_begin_never_waits_for_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (slot, writer) = open(&path, Duration::from_secs(3600));
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let slot_for_thread = slot.clone();
        std::thread::spawn(move || {
            let guard = conn::lock(&slot_for_thread);
            let conn = guard.as_ref().unwrap();
            let began = begin_at_once(conn, Duration::from_secs(3600));
            let timeout: i64 = conn
                .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
                .unwrap();
            done_tx.send((began, timeout)).unwrap();
        });
        let (began, timeout) = done_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("begin_at_once waited for the write lock");
        assert!(!began);
        assert_eq!(timeout, 3_600_000, "the busy timeout is restored");
        other.execute_batch("ROLLBACK").unwrap();
        let guard = conn::lock(&slot);
        let conn = guard.as_ref().unwrap();
        assert!(begin_at_once(conn, Duration::from_secs(3600)));
        statement(conn, "ROLLBACK").unwrap();
        drop(guard);
        writer.stop();
    }

    /// A write that finds another process holding the write lock leaves its batch to the writer
    /// thread, which waits for the lock (the busy timeout), and is committed once the lock is free;
    /// the caller's runtime, here one thread, goes on meanwhile (it is what releases the lock).
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_waiting_for_another_process_leaves_the_runtime_free() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(3));
        let writer = Arc::new(writer);
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let write = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(insert(1)).await }
        });
        // Until the write took the lead (and, finding the lock taken, handed it to the thread).
        while !(writer.shared.leading.load(Ordering::SeqCst) || write.is_finished()) {
            tokio::task::yield_now().await;
        }
        other
            .execute_batch("INSERT INTO t (k) VALUES (2); COMMIT")
            .unwrap();
        write.await.unwrap().unwrap();
        assert_eq!(keys(&path), vec![1, 2]);
        writer.stop();
    }

    /// Many concurrent writers, each write answered once and committed: no write is left in the queue
    /// without a batch to run it, whether callers run batches or the thread does.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_concurrent_write_is_answered_and_committed() {
        for inline in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("w.db");
            let (_slot, writer) = open_as(&path, Duration::from_secs(5), inline);
            let writer = Arc::new(writer);
            let tasks: Vec<_> = (0..32)
                .map(|task| {
                    let writer = writer.clone();
                    tokio::spawn(async move {
                        for i in 0..50 {
                            writer.write(insert(task * 1000 + i)).await.unwrap();
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(count(&path), 32 * 50, "inline: {inline}");
            // Every commit carried at least one write, and the counter saw them: a counter that is
            // never bumped, or a commit per empty round, fails this.
            let commits = writer.commits();
            assert!(
                (1..=32 * 50).contains(&commits),
                "inline: {inline}, commits: {commits}"
            );
            writer.stop();
        }
    }

    /// Writes queued when the store closes still run; after stop, writes fail as closed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stop_runs_what_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(5));
        let writer = Arc::new(writer);
        let (first, go_tx) = holding_write(&writer, vec![1]).await;
        let second = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(insert(2)).await }
        });
        while writer.shared.lock().as_ref().is_some_and(Vec::is_empty) {
            tokio::task::yield_now().await;
        }
        let stopping = tokio::task::spawn_blocking({
            let writer = writer.clone();
            move || writer.stop()
        });
        go_tx.send(()).unwrap();
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        stopping.await.unwrap();
        assert_eq!(keys(&path), vec![1, 2]);
        let result = writer.write(insert(3)).await;
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    }

    /// Dropping a writer that was never stopped ends its thread (a store dropped without `close`).
    /// (The watchdog's 30 s stand for "never ended".)
    #[test]
    fn dropping_the_writer_ends_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let (_slot, writer) = open(&dir.path().join("w.db"), Duration::from_secs(5));
        let thread = writer.thread.lock().unwrap().take().unwrap();
        drop(writer);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || done_tx.send(thread.join().is_ok()).unwrap());
        let joined = done_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the writer thread did not end");
        assert!(joined);
    }

    /// After stop, writes fail as closed instead of hanging.
    /// A caller that takes the lead yields before its batch, so the writes of tasks runnable beside it
    /// join that batch: on one thread, all of them (one write at a time would be eight commits).
    #[tokio::test(flavor = "current_thread")]
    async fn writes_runnable_together_share_the_leaders_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(5));
        let writer = Arc::new(writer);
        let writes: Vec<_> = (0..8)
            .map(|k| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(insert(k)).await })
            })
            .collect();
        for write in writes {
            write.await.unwrap().unwrap();
        }
        assert_eq!(count(&path), 8);
        assert_eq!(writer.commits(), 1);
        writer.stop();
    }

    /// A caller dropped while it yields with the lead (its request cancelled) leaves the batch to the
    /// thread: the write queued behind it completes, and so does its own.
    #[tokio::test(flavor = "current_thread")]
    async fn a_leader_cancelled_while_yielding_leaves_its_batch_to_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let (_slot, writer) = open(&path, Duration::from_secs(5));
        let writer = Arc::new(writer);
        let mut first = Box::pin(writer.write(insert(1)));
        // One poll: the write is queued, and its caller holds the lead and yields.
        tokio::select! {
            biased;
            _ = &mut first => panic!("the lead yields before its batch"),
            () = std::future::ready(()) => {}
        }
        let second = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(insert(2)).await }
        });
        // The second write queues behind the lead.
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        drop(first);
        tokio::time::timeout(Duration::from_secs(30), second)
            .await
            .expect("the thread ran the batch")
            .unwrap()
            .unwrap();
        assert_eq!(count(&path), 2);
        writer.stop();
    }

    #[tokio::test]
    async fn writes_after_stop_fail() {
        let dir = tempfile::tempdir().unwrap();
        let (_slot, writer) = open(&dir.path().join("w.db"), Duration::from_secs(5));
        writer.stop();
        let result = writer.write(insert(1)).await;
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    }
}
