//! WAL checkpoints on a background thread, so that no request ever runs one.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, stalling that
//! request for the copy and its `fsync`s; the writer has it turned off. Instead this thread, on a
//! connection of its own, runs `PASSIVE` checkpoints: it copies what it can without taking any lock
//! that readers or the writer need, and the next write starts the WAL over from its beginning once
//! everything in it was copied. While the WAL grows the passes run [`BUSY_INTERVAL`] apart; once a
//! pass finds nothing new, every [`INTERVAL`].
//!
//! Under sustained writes a passive checkpoint never quite catches up (new frames arrive while it
//! copies), so the WAL would grow without end. When it holds more than [`RESTART_FRAMES`] frames, the
//! thread runs a `RESTART` checkpoint on the writer connection, under its lock: this store's writers wait
//! for it (the frames written since the last passive pass, and the `fsync`s), and the next write reuses
//! the file from its start. Running the passive passes back to back under load keeps that wait short:
//! with a pass every 200 ms, a `RESTART` had to copy up to 200 ms of writes (refresh at 32 clients
//! wrote ~350 MB/s of WAL) and was the p99 of the refresh and SSO workloads (18–26 ms); with passes
//! 2 ms apart the refresh p99 measured 8–17 ms (SSO's 13–26 ms, not clearly lower). Passes 2 ms apart
//! cost their own: each pass `fsync`s the WAL and the database file, and copies again every page the
//! commits since the last pass rewrote (the right-most pages of the token tables, in nearly every
//! commit). Passes 20 ms apart halved this thread's CPU under refresh at 32 clients (0.10–0.13 →
//! 0.05–0.06 cores, with and without the writer's gathering, see [`super::writer`]), the refresh p99
//! staying at 6–7.5 ms. `RESTART` rather than `TRUNCATE` keeps the file's blocks allocated: a
//! truncated WAL makes every following write allocate them again, which measured slower.
//! Once the store is idle (no frame written since the last pass, all of them copied), a `TRUNCATE`
//! checkpoint gives the disk space back.
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::conn::{self, Settings, Slot};

/// Time between passive checkpoints while nothing is written.
const INTERVAL: Duration = Duration::from_millis(200);

/// Time between passive checkpoints while the WAL grows.
const BUSY_INTERVAL: Duration = Duration::from_millis(20);

/// WAL frames (pages, 4 KiB by default) past which a passive checkpoint is followed by a restarting one.
const RESTART_FRAMES: i64 = 8192;

/// The checkpoint thread of one store. Stops when told to or when the store (the sender) is dropped.
pub(super) struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    /// Opens the thread's connection and starts the thread, which sets `checkpointing` while it holds,
    /// or waits for, the writer connection.
    pub(super) fn start(
        path: &Path,
        settings: &Settings,
        writer: Arc<Slot>,
        checkpointing: Arc<AtomicBool>,
    ) -> std::io::Result<Self> {
        let conn = conn::open_reader(path, settings).map_err(std::io::Error::other)?;
        // A checkpoint is not a write: `query_only` does not forbid it, and it keeps this connection
        // from ever writing a page itself.
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-wal-ckpt".to_owned())
            .spawn(move || run(&conn, &writer, &checkpointing, &stopped))?;
        Ok(Self { stop, thread })
    }

    /// Stops the thread and waits for the checkpoint it may be running.
    pub(super) fn stop(self) {
        let _ = self.stop.send(());
        if self.thread.join().is_err() {
            tracing::warn!("the SQLite checkpoint thread panicked");
        }
    }
}

fn run(conn: &Connection, writer: &Slot, checkpointing: &AtomicBool, stopped: &mpsc::Receiver<()>) {
    let mut last = Frames::default();
    let mut wait = INTERVAL;
    loop {
        match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let frames = match checkpoint(conn, PASSIVE) {
            Ok(frames) => frames,
            Err(error) => {
                tracing::warn!(%error, "passive WAL checkpoint failed");
                continue;
            }
        };
        if frames.log >= RESTART_FRAMES {
            on_writer(writer, checkpointing, RESTART);
        } else if frames.log > 0 && frames.log == frames.copied && frames == last {
            on_writer(writer, checkpointing, TRUNCATE);
        }
        wait = if frames.log > 0 && frames != last {
            BUSY_INTERVAL
        } else {
            INTERVAL
        };
        last = frames;
    }
}

/// Runs a checkpoint that needs the write lock on the writer connection, holding it, so that this
/// store's writes wait on the mutex rather than in SQLite's busy handler. `checkpointing` says so
/// meanwhile: a caller about to run a batch itself leaves it to the writer thread instead of waiting
/// (see [`super::writer`]).
fn on_writer(writer: &Slot, checkpointing: &AtomicBool, sql: &'static str) {
    checkpointing.store(true, Ordering::SeqCst);
    {
        let guard = conn::lock(writer);
        if let Some(conn) = guard.as_ref()
            && let Err(error) = checkpoint(conn, sql)
        {
            tracing::warn!(%error, sql, "WAL checkpoint failed");
        }
    }
    checkpointing.store(false, Ordering::SeqCst);
}

const PASSIVE: &str = "PRAGMA wal_checkpoint(PASSIVE)";
const RESTART: &str = "PRAGMA wal_checkpoint(RESTART)";
const TRUNCATE: &str = "PRAGMA wal_checkpoint(TRUNCATE)";

/// What a checkpoint found: the frames in the WAL and how many of them are copied to the database.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Frames {
    log: i64,
    copied: i64,
}

/// Runs one checkpoint statement.
fn checkpoint(conn: &Connection, sql: &'static str) -> rusqlite::Result<Frames> {
    // The row: (1 if a lock kept it from finishing, frames in the WAL, frames copied).
    conn.query_row(sql, [], |row| {
        Ok(Frames {
            log: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}
