//! The full run: baseline, Argon2id rate, then for each store a fresh `ostiary serve`, seeded at
//! start (`--seed`), driven through every workload at every concurrency, with the server's memory
//! sampled after each cell.

mod server;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use server::{Environment, Server, Store};

use super::argon::{self, HashRate};
use super::baseline;
use super::machine::{self, MachineInfo};
use super::oidc::{self, ClientCredentials};
use super::report::{PairedBaseline, Report, Row};
use super::runner::{self, RunSpec, RunSummary};
use super::workload::{Job, Target, UserCredentials, Workload};

/// Errors that stop a suite (failures of the server under load are counted, not raised).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// A local I/O operation failed.
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    /// An `ostiary` command failed; its standard error follows.
    #[error("`ostiary {0}` failed: {1}")]
    Command(String, String),
    /// The server exited during start-up.
    #[error("ostiary serve exited ({0}); log tail:\n{1}")]
    ServerExited(String, String),
    /// Discovery did not answer in time.
    #[error("ostiary serve did not answer discovery in time; log tail:\n{0}")]
    ServerNotReady(String),
    /// The baseline server could not be started.
    #[error(transparent)]
    Baseline(#[from] baseline::BaselineError),
    /// Discovery against the started server failed.
    #[error("discovery failed: {0}")]
    Discovery(String),
    /// The Argon2id measurement failed.
    #[error(transparent)]
    Argon(#[from] argon::ArgonError),
}

/// What to run.
#[derive(Clone, Debug)]
pub struct SuiteConfig {
    /// The `ostiary` executable.
    pub ostiary: PathBuf,
    /// The `ostiary-hello` executable.
    pub hello: PathBuf,
    /// The stores, in order.
    pub stores: Vec<Store>,
    /// The workloads, in order.
    pub workloads: Vec<Workload>,
    /// The concurrencies, in order.
    pub concurrencies: Vec<usize>,
    /// Warm-up and measurement of each cell.
    pub warmup: Duration,
    /// Measurement window of each cell.
    pub duration: Duration,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// How many users to create.
    pub users: usize,
    /// The repository (for the commit).
    pub repo: PathBuf,
    /// Seconds of Argon2id hashing per measurement.
    pub argon_seconds: f64,
    /// How many times to run the whole workload matrix against the same server (memory growth
    /// across repeated runs shows in the RSS of later rounds).
    pub rounds: usize,
    /// Measurement window of the hello-world baseline run right before and right after each cell,
    /// at the cell's concurrency (a quarter of it as warm-up); `None`: each ratio uses the baselines
    /// of the whole run instead.
    pub paired_baseline: Option<Duration>,
}

/// The scope of every authorization request (refresh tokens need `offline_access` on some
/// providers; Ostiary issues them with the code grant).
pub const SCOPE: &str = "openid profile email";
/// The client's redirect URI: loopback, never contacted (the generator stops at the 302).
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

fn spec(config: &SuiteConfig, concurrency: usize) -> RunSpec {
    RunSpec {
        concurrency,
        warmup: config.warmup,
        duration: config.duration,
        request_timeout: config.request_timeout,
        setup_timeout: Duration::from_secs(120),
    }
}

/// Measures Argon2id on one thread, then on every core.
async fn measure_argon(config: &SuiteConfig, cores: usize) -> Result<Vec<HashRate>, SuiteError> {
    let time = Duration::from_secs_f64(config.argon_seconds);
    let mut rates = Vec::new();
    for threads in [1, cores.max(1)] {
        let rate = tokio::task::spawn_blocking(move || argon::measure(time, threads));
        rates.push(rate.await.map_err(|_| argon::ArgonError)??);
    }
    Ok(rates)
}

/// One measured cell before its ratio is known.
struct Cell {
    label: String,
    summary: RunSummary,
    memory: Option<machine::Memory>,
    /// The mean rate of the hello-world runs right before and after it, if paired.
    paired: Option<f64>,
    /// The server's CPU time over the cell ÷ the generator's.
    cpu_ratio: Option<f64>,
}

/// The CPU time (clock ticks) of the server process and of this one, the generator, now.
fn cpu_now(server: u32) -> Option<(u64, u64)> {
    machine::cpu_ticks(server).zip(machine::cpu_ticks(std::process::id()))
}

/// The hello-world server kept running through the suite for paired baselines.
struct Paired {
    _process: baseline::BaselineProcess,
    url: Url,
    window: Duration,
    /// Paired runs with errors (their rate is not used).
    errors: u64,
}

impl Paired {
    /// The hello-world rate at `concurrency` now, or `None` if that run had errors.
    async fn measure(&mut self, config: &SuiteConfig, concurrency: usize) -> Option<f64> {
        let spec = RunSpec {
            warmup: self.window / 4,
            duration: self.window,
            ..spec(config, concurrency)
        };
        let summary = runner::run(&Job::Baseline(self.url.clone()), &spec)
            .await
            .summary();
        self.errors += summary.errors;
        (summary.errors == 0 && summary.ops_per_s > 0.0).then_some(summary.ops_per_s)
    }
}

/// Runs the whole suite, writing progress lines to `progress`.
///
/// Order: baseline, then per store a fresh server driven through `rounds` × workloads ×
/// concurrencies (Argon2id is measured right before the first password cell, so it sees the same
/// machine load), then the baseline again. With [`SuiteConfig::paired_baseline`], every cell is
/// also framed by two short hello-world runs at its concurrency, and its ratio uses their mean: on a
/// shared machine whose speed drifts within minutes, that is the baseline of the same conditions;
/// the ratio against the mean of the two whole-run baseline rates is reported beside it, and a
/// target counts as met only if both ratios meet it (short framing runs are noisy too). Otherwise
/// (and for a cell whose paired runs had errors) ratios use the whole-run mean alone.
pub async fn run(config: &SuiteConfig, progress: &mut dyn Write) -> Result<Report, SuiteError> {
    let machine = MachineInfo::collect(&config.repo);
    let _ = writeln!(progress, "measuring the hello-world baseline…");
    let before = measure_baseline(config, progress).await?;
    let mut paired = match config.paired_baseline {
        Some(window) => {
            let process = baseline::spawn_process(&config.hello)?;
            let url = Url::parse(&format!("http://{}/", process.addr()))
                .map_err(|_| SuiteError::Discovery("baseline address".to_owned()))?;
            Some(Paired {
                _process: process,
                url,
                window,
                errors: 0,
            })
        }
        None => None,
    };
    let mut argon2id = Vec::new();
    let mut cells = Vec::new();
    let mut final_memory = Vec::new();
    for store in &config.stores {
        let _ = writeln!(progress, "store {}: starting ostiary…", store.name());
        let dir = tempfile::tempdir().map_err(|e| SuiteError::Io("temp dir", e))?;
        let env = Environment::new(&config.ostiary, store, dir.path())?;
        let (target, mut server) = start_and_seed(config, &env).await?;
        for round in 1..=config.rounds.max(1) {
            let label = super::report::round_label(store.name(), round);
            for &workload in &config.workloads {
                if workload == Workload::Password && argon2id.is_empty() {
                    let _ = writeln!(progress, "measuring the Argon2id hash rate…");
                    argon2id = measure_argon(config, machine.cores).await?;
                }
                for &concurrency in &config.concurrencies {
                    let pre = match paired.as_mut() {
                        Some(p) => p.measure(config, concurrency).await,
                        None => None,
                    };
                    let job = Job::Provider(workload, Arc::clone(&target));
                    let cpu_before = cpu_now(server.pid());
                    let summary = runner::run(&job, &spec(config, concurrency))
                        .await
                        .summary();
                    let cpu_ratio = cpu_before.zip(cpu_now(server.pid())).and_then(
                        |((server0, generator0), (server1, generator1))| {
                            let generator = generator1.saturating_sub(generator0);
                            #[allow(clippy::cast_precision_loss)]
                            (generator > 0)
                                .then(|| server1.saturating_sub(server0) as f64 / generator as f64)
                        },
                    );
                    let memory = machine::memory(server.pid());
                    let post = match paired.as_mut() {
                        Some(p) => p.measure(config, concurrency).await,
                        None => None,
                    };
                    let cell_paired = pre.zip(post).map(|(a, b)| f64::midpoint(a, b));
                    let rate = cell_paired.or_else(|| {
                        before
                            .iter()
                            .find(|b| b.concurrency == concurrency)
                            .map(|b| b.ops_per_s)
                    });
                    let row =
                        Row::new(&label, summary.clone(), rate, memory).with_cpu_ratio(cpu_ratio);
                    let table = super::report::render_rows(std::slice::from_ref(&row));
                    if let Some(line) = table.lines().nth(1) {
                        let _ = writeln!(progress, "{line}");
                    }
                    cells.push(Cell {
                        label: label.clone(),
                        summary,
                        memory,
                        paired: cell_paired,
                        cpu_ratio,
                    });
                    if !server.is_running() {
                        return Err(SuiteError::ServerExited(
                            "during the load".to_owned(),
                            server.log_tail(),
                        ));
                    }
                }
            }
            final_memory.push((label, machine::memory(server.pid())));
        }
        drop(server);
    }
    if argon2id.is_empty() {
        argon2id = measure_argon(config, machine.cores).await?;
    }
    let _ = writeln!(progress, "measuring the hello-world baseline again…");
    let after = measure_baseline(config, progress).await?;
    let mean_rate = |c: usize| {
        let rates: Vec<f64> = before
            .iter()
            .chain(&after)
            .filter(|b| b.concurrency == c && b.errors == 0)
            .map(|b| b.ops_per_s)
            .collect();
        #[allow(clippy::cast_precision_loss)]
        let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
        (!rates.is_empty()).then_some(mean)
    };
    let rows: Vec<Row> = cells
        .into_iter()
        .map(|c| {
            let whole_run = mean_rate(c.summary.concurrency);
            let row = match c.paired {
                Some(rate) => Row::paired(&c.label, c.summary, Some(rate), whole_run, c.memory),
                None => Row::new(&c.label, c.summary, whole_run, c.memory),
            };
            row.with_cpu_ratio(c.cpu_ratio)
        })
        .collect();
    let paired_baseline = paired.map(|p| PairedBaseline {
        window_s: p.window.as_secs_f64(),
        errors: p.errors,
    });
    let round_medians = super::report::round_medians(&rows);
    Ok(Report {
        machine,
        baseline: before,
        baseline_after: after,
        argon2id,
        rows,
        round_medians,
        final_memory,
        paired_baseline,
    })
}

async fn measure_baseline(
    config: &SuiteConfig,
    progress: &mut dyn Write,
) -> Result<Vec<RunSummary>, SuiteError> {
    let process = baseline::spawn_process(&config.hello)?;
    let url = Url::parse(&format!("http://{}/", process.addr()))
        .map_err(|_| SuiteError::Discovery("baseline address".to_owned()))?;
    let mut out = Vec::new();
    for &concurrency in &config.concurrencies {
        let result = runner::run(&Job::Baseline(url.clone()), &spec(config, concurrency)).await;
        let summary = result.summary();
        let _ = writeln!(
            progress,
            "baseline c={concurrency}: {:.0} req/s, errors {}",
            summary.ops_per_s, summary.errors
        );
        out.push(summary);
    }
    Ok(out)
}

/// Starts the server seeded with the client and the users, reads the client's credentials, discovers
/// it.
async fn start_and_seed(
    config: &SuiteConfig,
    env: &Environment,
) -> Result<(Arc<Target>, Server), SuiteError> {
    let users: Vec<UserCredentials> = (1..=config.users.max(1))
        .map(|i| UserCredentials::new(format!("load-user-{i}"), format!("load-test-password-{i}")))
        .collect();
    let seed = env.write_seed(REDIRECT_URI, SCOPE, &users)?;
    let server = env.serve(&seed, Duration::from_secs(60)).await?;
    let (client_id, client_secret) = server.seeded_client()?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| SuiteError::Discovery(e.to_string()))?;
    let meta = oidc::discover(&http, &env.issuer)
        .await
        .map_err(|f| SuiteError::Discovery(format!("{} ({})", f.key(), f.detail)))?;
    let redirect_uri =
        Url::parse(REDIRECT_URI).map_err(|_| SuiteError::Discovery("redirect URI".to_owned()))?;
    let target = Arc::new(Target::new(
        meta,
        ClientCredentials::new(&client_id, &client_secret),
        redirect_uri,
        SCOPE.to_owned(),
        users,
    ));
    Ok((target, server))
}
