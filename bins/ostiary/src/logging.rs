//! Logs: `tracing` to standard error, as text or JSON lines, filtered by `log.filter` / `OSTIARY_LOG`.

use std::io::IsTerminal as _;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber. `default_filter` applies when no filter is configured. Fails only if
/// a subscriber is already installed (never in the binary).
///
/// Lines are written by a background thread (`tracing-appender`), so a request never waits for a write
/// to standard error; when its buffer is full, logging waits rather than dropping lines. Keep the
/// returned guard alive until exit: dropping it flushes what is buffered.
#[must_use = "dropping the guard stops and flushes the log writer"]
pub(crate) fn init(settings: &LogSettings, default_filter: &str) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("ostiary-log")
        .finish(std::io::stderr());
    // The configured filter was checked during validation; fall back to the default if it somehow fails.
    let filter = settings
        .filter
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colours only for a person at a terminal, never in files or pipes.
        .with_ansi(std::io::stderr().is_terminal());
    let result = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second initialization is a programming error in tests; logs still go to the first subscriber.
    drop(result);
    guard
}
