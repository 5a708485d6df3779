//! `ostiary serve`: open everything, say what was done, serve until SIGINT or SIGTERM.

use std::time::Duration;

use ostiary_core::{Provider, Startup};
use ostiary_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::keys;
use super::seed::Seed;
use crate::cli::ServeArgs;
use crate::config::{self, Provenance, Settings, name_of};
use crate::db::{self, Close as _, with_store};
use crate::error::{CliError, CliResult};

/// Runs the server until a shutdown signal.
pub(crate) async fn run(
    settings: &Settings,
    provenance: &Provenance,
    args: ServeArgs,
) -> CliResult {
    // Handlers first, so a signal that arrives while starting up is not lost.
    let shutdown = ShutdownSignal::install()?;
    log_configuration(settings, provenance);
    // A bad seed file stops the start before the database is even opened.
    let seed = match &args.seed {
        Some(path) => Some(Seed::load(path).await?),
        None => None,
    };
    let opened = db::open(&settings.database, true).await?;
    if settings.database.is_memory() {
        tracing::info!(
            database = %settings.database.describe(),
            "using the in-memory store: nothing is written anywhere"
        );
    } else {
        tracing::info!(
            database = %settings.database.describe(),
            created = opened.created,
            "{} the database; migrations applied, schema up to date",
            if opened.created { "created" } else { "opened" }
        );
    }
    with_store!(opened.store, store => {
        let result = serve_on(store.clone(), settings, shutdown, seed).await;
        store.close().await;
        result
    })?;
    tracing::info!("stopped");
    Ok(())
}

async fn serve_on<S: Store>(
    store: S,
    settings: &Settings,
    shutdown: ShutdownSignal,
    seed: Option<Seed>,
) -> CliResult {
    let (provider, startup) = db::provider(store, settings).await?;
    log_keys(&provider, startup);
    if let Some(seed) = seed {
        seed.apply(&provider).await?;
    }
    let listener = TcpListener::bind(settings.listen).await.map_err(|e| {
        CliError::failed(
            format!(
                "could not listen on {} ({})",
                settings.listen,
                name_of("listen")
            ),
            e,
        )
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::failed("could not read the listening address", e))?;
    let (stop_rotation, rotation) = spawn_rotation(&provider, settings);
    tracing::info!(
        %address,
        issuer = %settings.core.issuer,
        "listening; discovery at {}",
        settings.core.issuer.endpoint("/.well-known/openid-configuration")
    );
    let served =
        ostiary_server::serve(listener, provider, settings.server.clone(), shutdown.wait()).await;
    let _ = stop_rotation.send(true);
    if let Some(task) = rotation {
        let _ = task.await;
    }
    served.map_err(|e| CliError::failed("the server failed", e))
}

fn log_configuration(settings: &Settings, provenance: &Provenance) {
    let source = provenance.file.as_ref().map_or_else(
        || "none (built-in defaults)".to_owned(),
        |f| format!("file {}", f.display()),
    );
    let overrides = if provenance.env_overrides.is_empty() {
        "none".to_owned()
    } else {
        provenance.env_overrides.join(",")
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %source,
        env_overrides = %overrides,
        issuer = %settings.core.issuer,
        listen = %settings.listen,
        signing_alg = %settings.core.signing_alg,
        "starting ostiary"
    );
    if settings.database.is_memory() {
        tracing::warn!(
            "database.url is memory: every client, user, session, token and signing key lives in \
             this process only and is LOST when it stops, and no other `ostiary` command can reach \
             it (fill it with `serve --seed FILE`): for development and benchmarks only"
        );
    }
    if !settings.core.issuer.is_https() {
        tracing::warn!(
            issuer = %settings.core.issuer,
            "the issuer is http:// on a loopback address: for development only, use an https issuer in production"
        );
    }
    if config::below_owasp_minimum(&settings.core.password_cost) {
        tracing::warn!(
            memory_kib = settings.core.password_cost.memory_kib,
            iterations = settings.core.password_cost.iterations,
            "the password hashing cost is below the OWASP minimum for Argon2id (19456 KiB, 2 iterations)"
        );
    }
}

fn log_keys<S: Store>(provider: &Provider<S>, startup: Startup) {
    let set = provider.key_set();
    let active = set.active();
    let next = set.next().map_or("none", |k| k.kid());
    tracing::info!(
        kid = active.kid(),
        alg = %active.key.alg(),
        next_kid = next,
        "{} the signing keys",
        if startup.created_signing_keys { "created" } else { "loaded" }
    );
    tracing::info!(
        "{} the digest key for stored secrets",
        if startup.created_digest_key {
            "created"
        } else {
            "loaded"
        }
    );
}

/// Checks on a schedule whether a key rotation is due (as `ostiary keys rotate`), unless turned off or
/// impossible (RS256).
fn spawn_rotation<S: Store>(
    provider: &Provider<S>,
    settings: &Settings,
) -> (watch::Sender<bool>, Option<tokio::task::JoinHandle<()>>) {
    let (stop, mut stopped) = watch::channel(false);
    let Some(period) = settings.rotation.check_interval else {
        return (stop, None);
    };
    if !settings.core.signing_alg.can_generate() {
        tracing::info!("automatic key rotation is off: RS256 keys cannot be generated");
        return (stop, None);
    }
    let provider = provider.clone();
    let policy = keys::policy(settings, false);
    let task = tokio::spawn(async move {
        let period = period.max(Duration::from_secs(1));
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => match provider.rotate_keys(&policy).await {
                    Ok(report) if report.changed() => tracing::info!(
                        created = ?report.created,
                        promoted = ?report.promoted,
                        retired = ?report.retired,
                        removed = ?report.removed,
                        "rotated the signing keys"
                    ),
                    Ok(_) => tracing::debug!("no key rotation due"),
                    Err(e) => tracing::warn!(error = %e, "checking the key rotation failed; will retry"),
                },
                changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { return },
            }
        }
    });
    (stop, Some(task))
}

/// SIGINT and SIGTERM, registered at start.
struct ShutdownSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    #[cfg(unix)]
    fn install() -> CliResult<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let register = |kind| {
            signal(kind).map_err(|e| CliError::failed("could not install the signal handlers", e))
        };
        Ok(Self {
            interrupt: register(SignalKind::interrupt())?,
            terminate: register(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> CliResult<Self> {
        Ok(Self {})
    }

    /// Completes at the first signal, saying which.
    async fn wait(mut self) {
        #[cfg(unix)]
        let name = tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        };
        #[cfg(not(unix))]
        let name = {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        };
        tracing::info!(
            signal = name,
            "shutting down: finishing the requests in flight"
        );
    }
}
