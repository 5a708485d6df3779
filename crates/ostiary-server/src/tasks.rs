//! Background tasks: re-reading signing keys (for instances sharing a store) and purging expired records.

use std::time::Duration;

use ostiary_core::Provider;
use ostiary_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::config::ServerConfig;

/// The background tasks of a server: key reloading and expiry purging, per [`ServerConfig`].
/// [`crate::serve`] runs them itself; embedders that serve [`crate::OstiaryService`] on their own
/// connections spawn them with [`BackgroundTasks::spawn`] and stop them with
/// [`BackgroundTasks::shutdown`].
#[derive(Debug)]
pub struct BackgroundTasks {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl BackgroundTasks {
    /// Spawns the enabled tasks on the current tokio runtime. Each first runs one interval after start.
    pub fn spawn<S: Store>(provider: &Provider<S>, config: &ServerConfig) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut handles = Vec::new();
        if let Some(period) = config.key_reload_interval {
            let provider = provider.clone();
            handles.push(tokio::spawn(every(period, stopped.clone(), move || {
                let provider = provider.clone();
                async move { reload_keys(&provider).await }
            })));
        }
        if let Some(period) = config.purge_interval {
            let provider = provider.clone();
            let (batch, rounds) = (config.purge_batch.max(1), config.purge_max_batches.max(1));
            handles.push(tokio::spawn(every(period, stopped, move || {
                let provider = provider.clone();
                async move { purge(&provider, batch, rounds).await }
            })));
        }
        Self { stop, handles }
    }

    /// Stops the tasks and waits for them (a task in the middle of its work finishes that round first).
    pub async fn shutdown(self) {
        // Receivers may already be gone if a task ended; nothing to do then.
        let _ = self.stop.send(true);
        for handle in self.handles {
            if let Err(e) = handle.await {
                tracing::error!(error = %e, "a background task ended abnormally");
            }
        }
    }
}

/// Runs `work` every `period` until told to stop.
async fn every<F, Fut>(period: Duration, mut stopped: watch::Receiver<bool>, work: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let period = period.max(Duration::from_millis(10));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => work().await,
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    return;
                }
            }
        }
    }
}

async fn reload_keys<S: Store>(provider: &Provider<S>) {
    if let Err(e) = provider.reload_keys().await {
        tracing::error!(error = %e, "reloading the signing keys failed; keeping the current ones");
    }
}

/// Purges in batches until a batch comes back short, at most `rounds` batches.
async fn purge<S: Store>(provider: &Provider<S>, batch: usize, rounds: usize) {
    let tombstone = provider.config().lifetimes.code_tombstone;
    let batch_size = u64::try_from(batch).unwrap_or(u64::MAX);
    let mut total = 0u64;
    for _ in 0..rounds {
        match provider
            .store()
            .purge_expired(provider.now(), tombstone, batch)
            .await
        {
            Ok(report) => {
                total = total.saturating_add(report.total());
                if report.total() < batch_size {
                    break;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "purging expired records failed");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(records = total, "purged expired records");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn every_runs_periodically_and_stops() {
        let count = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        let counter = Arc::clone(&count);
        let task = tokio::spawn(every(Duration::from_secs(5), stopped, move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }));
        tokio::time::sleep(Duration::from_secs(16)).await;
        assert_eq!(count.load(Ordering::SeqCst), 3);
        stop.send(true).unwrap();
        task.await.unwrap();
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(count.load(Ordering::SeqCst), 3, "no run after stopping");
    }
}
