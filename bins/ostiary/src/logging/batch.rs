//! The log sink: formatted lines gathered in memory and written by one background thread in batches.
//!
//! `tracing-appender`'s non-blocking writer, used before, hands every line to its thread through a
//! channel, and the thread parks whenever the channel runs dry: under load nearly every line (one access
//! log line per request) woke it, a `futex` call and a context switch for each, and each line was a
//! `write` system call of its own. The refresh workload measured ~10 µs of server CPU per request on
//! that path (89 instead of ~100 µs per refresh with `OSTIARY_LOG=warn`). Here the first line of a batch
//! wakes the thread, which then waits [`GATHER`] for more lines before it writes them all at once: under
//! load a few hundred wake-ups and writes per second instead of one per line.
//!
//! Nothing is dropped. A request never waits for the write itself, only for the mutex that appends its
//! line; when [`LIMIT`] bytes are waiting (the output is slower than the logging), writers wait until the
//! thread has taken them, as `tracing-appender` did with `lossy(false)`. Dropping the [`BatchGuard`]
//! writes what is left and stops the thread (lines logged after that are dropped, as before). Lines
//! reach the output in the order they were appended, at most [`GATHER`] plus one write after they
//! were logged.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the thread lets lines gather after the first one of a batch.
const GATHER: Duration = Duration::from_millis(2);

/// Bytes waiting past which the thread writes without gathering.
const EAGER: usize = 64 * 1024;

/// Bytes waiting past which writers wait for the thread.
const LIMIT: usize = 1024 * 1024;

/// What the writers and the thread share.
struct Shared {
    state: Mutex<State>,
    /// The thread waits here for the first line of a batch (or for the stop).
    wake: Condvar,
    /// Writers wait here while [`LIMIT`] bytes are waiting.
    room: Condvar,
}

struct State {
    /// Whole lines, in the order they were appended.
    pending: Vec<u8>,
    /// Set by the guard: write what is left and stop.
    stopping: bool,
    /// Set by the thread as it stops: nothing appended after this would ever be written.
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked while holding the lock left whole lines behind: keep logging.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writer handed to `tracing-subscriber`: cheap to clone, one per log line.
#[derive(Clone)]
pub(crate) struct BatchWriter {
    shared: Arc<Shared>,
}

/// Stops the thread when dropped, after it wrote every line appended before.
#[must_use = "dropping the guard stops the log thread"]
pub(crate) struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the thread (named `name`) that writes to `output`.
pub(crate) fn start<W: Write + Send + 'static>(
    output: W,
    name: &str,
) -> io::Result<(BatchWriter, BatchGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            pending: Vec::new(),
            stopping: false,
            closed: false,
        }),
        wake: Condvar::new(),
        room: Condvar::new(),
    });
    let thread = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(&shared, output))?
    };
    Ok((
        BatchWriter {
            shared: Arc::clone(&shared),
        },
        BatchGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

/// The thread: waits for a first line, lets more gather, swaps the batch out and writes it.
fn run(shared: &Shared, mut output: impl Write) {
    let mut batch = Vec::new();
    loop {
        let mut state = shared.lock();
        while state.pending.is_empty() && !state.stopping {
            state = shared
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.pending.is_empty() {
            // Stopping, and everything was written.
            state.closed = true;
            return;
        }
        if !state.stopping && state.pending.len() < EAGER {
            drop(state);
            std::thread::sleep(GATHER);
            state = shared.lock();
        }
        std::mem::swap(&mut state.pending, &mut batch);
        drop(state);
        shared.room.notify_all();
        // Nowhere to report a failed write to: the log is where it would go. Keep going, as
        // `tracing-appender` did.
        let _ = output.write_all(&batch).and_then(|()| output.flush());
        batch.clear();
        // A burst must not keep its buffer's size for the life of the process.
        if batch.capacity() > LIMIT {
            batch = Vec::new();
        }
    }
}

impl BatchWriter {
    /// Appends one whole line (or several), waking the thread for the first of a batch. Once the thread
    /// has stopped, lines are dropped: nothing would write them, and keeping them would only grow.
    fn append(&self, line: &[u8]) {
        let mut state = self.shared.lock();
        if state.closed {
            return;
        }
        while state.pending.len() >= LIMIT && !state.stopping {
            state = self
                .shared
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let first = state.pending.is_empty();
        state.pending.extend_from_slice(line);
        let eager = state.pending.len() >= EAGER;
        drop(state);
        if first || eager {
            self.shared.wake.notify_one();
        }
    }
}

impl Write for BatchWriter {
    /// `tracing-subscriber` formats a whole event first and writes it with one `write_all`, so one call
    /// is one line and lines from different threads never interleave.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.append(buf);
        Ok(())
    }

    /// The thread writes on its own schedule; a flush here would be a wait for it.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = BatchWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that records every `write` call, so tests see both the bytes and how they were cut.
    #[derive(Clone, Default)]
    struct Recorder {
        writes: Arc<Mutex<Vec<Vec<u8>>>>,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Recorder {
        fn text(&self) -> String {
            String::from_utf8(self.writes.lock().unwrap().concat()).unwrap()
        }

        fn write_calls(&self) -> usize {
            self.writes.lock().unwrap().len()
        }
    }

    #[test]
    fn every_line_arrives_in_order_from_many_threads() {
        let output = Recorder::default();
        let (writer, guard) = start(output.clone(), "log-test").unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        writer
                            .write_all(format!("thread {t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = output.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8000);
        for t in 0..4 {
            let prefix = format!("thread {t} line ");
            let numbers: Vec<usize> = lines
                .iter()
                .filter_map(|l| l.strip_prefix(&prefix))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(numbers, (0..2000).collect::<Vec<_>>(), "thread {t}");
        }
        // Batched: far fewer writes than lines (each batch gathers for 2 ms; the lines above come much
        // faster than one per 2 ms on any machine this runs on, and even one write per line would
        // leave the assertions above true — this one checks the batching itself).
        assert!(output.write_calls() < 8000, "{}", output.write_calls());
    }

    #[test]
    fn a_lone_line_is_written_without_a_stop_and_everything_on_drop() {
        let output = Recorder::default();
        let (mut writer, guard) = start(output.clone(), "log-test").unwrap();
        writer.write_all(b"first\n").unwrap();
        // Written by the thread on its own, not only when the guard is dropped.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while output.text().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(output.text(), "first\n");
        writer.write_all(b"second\n").unwrap();
        drop(guard);
        assert_eq!(output.text(), "first\nsecond\n");
        // After the stop, appending neither blocks nor panics, and keeps nothing.
        writer.write_all(b"late\n").unwrap();
        assert!(writer.shared.lock().pending.is_empty());
    }

    #[test]
    fn writers_wait_for_room_instead_of_dropping_lines() {
        /// An output that blocks until released: the pending bytes pile up past the limit.
        #[derive(Clone)]
        struct Gate {
            open: Arc<(Mutex<bool>, Condvar)>,
            inner: Recorder,
        }
        impl Write for Gate {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let (lock, opened) = &*self.open;
                let mut open = lock.lock().unwrap();
                while !*open {
                    open = opened.wait(open).unwrap();
                }
                self.inner.write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let gate = Gate {
            open: Arc::new((Mutex::new(false), Condvar::new())),
            inner: Recorder::default(),
        };
        let (writer, guard) = start(gate.clone(), "log-test").unwrap();
        let line = [b'x'; 1023];
        let producer = {
            let mut writer = writer.clone();
            std::thread::spawn(move || {
                for _ in 0..4096 {
                    writer.write_all(&line).unwrap();
                    writer.write_all(b"\n").unwrap();
                }
            })
        };
        // The producer fills the pending buffer to the limit and waits; at most two batches are out
        // of it (one blocked in the gate, one pending).
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while writer.shared.lock().pending.len() < LIMIT {
            assert!(std::time::Instant::now() < deadline, "never filled");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!producer.is_finished());
        assert!(writer.shared.lock().pending.len() < LIMIT + 1024);
        let (lock, opened) = &*gate.open;
        *lock.lock().unwrap() = true;
        opened.notify_all();
        producer.join().unwrap();
        drop(guard);
        assert_eq!(gate.inner.text().len(), 4096 * 1024);
    }
}
