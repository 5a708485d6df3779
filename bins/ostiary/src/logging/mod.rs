//! Logs: `tracing` to standard error, as text or JSON lines, filtered by `log.filter` / `OSTIARY_LOG`.

mod batch;
mod text;

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

pub(crate) use batch::BatchGuard;

/// Installs the global subscriber. `default_filter` applies when no filter is configured. Fails only if
/// a subscriber is already installed (never in the binary).
///
/// Lines are written in batches by a background thread (see [`batch`]), so a request never waits for a
/// write to standard error; when too much is waiting, logging waits rather than dropping lines. Keep
/// the returned guard alive until exit: dropping it writes what is left. `None` when the thread could
/// not be started: logs then go to standard error directly.
#[must_use = "dropping the guard stops and flushes the log writer"]
pub(crate) fn init(settings: &LogSettings, default_filter: &str) -> Option<BatchGuard> {
    // The configured filter was checked during validation; fall back to the default if it somehow fails.
    let filter = settings
        .filter
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours only for a person at a terminal, never in files or pipes.
        .with_ansi(std::io::stderr().is_terminal());
    let (result, guard) = match batch::start(std::io::stderr(), "ostiary-log") {
        Ok((writer, guard)) => (
            install(builder.with_writer(writer), settings.format),
            Some(guard),
        ),
        Err(e) => {
            eprintln!("warning: could not start the log thread ({e}): logging directly");
            (
                install(builder.with_writer(std::io::stderr), settings.format),
                None,
            )
        }
    };
    // A second initialization is a programming error in tests; logs still go to the first subscriber.
    drop(result);
    guard
}

/// Installs `builder` as the global subscriber, in `format`.
fn install<W>(
    builder: tracing_subscriber::fmt::SubscriberBuilder<
        tracing_subscriber::fmt::format::DefaultFields,
        tracing_subscriber::fmt::format::Format,
        EnvFilter,
        W,
    >,
    format: LogFormat,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => builder.event_format(text::TextFormat::default()).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    }
}
