//! Runs virtual users for a bounded time and collects their latencies, rates and failures.
//!
//! Phases: setup (each virtual user signs in if its workload needs a session; bounded by
//! `setup_timeout`), warm-up (the workload runs, nothing is recorded but failures), measurement
//! (an iteration counts when it starts and ends inside the window). Failures are counted in every
//! phase. A virtual user still busy `request_timeout` + 5 s after the window is aborted and
//! reported, so every run ends in bounded time.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use super::error::{Failure, Kind, Step, Tally, TallyLine};
use super::histogram::Histogram;
use super::workload::{Job, VirtualUser};

/// How long and how hard to run.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Concurrent virtual users.
    pub concurrency: usize,
    /// Unrecorded time before the measurement.
    pub warmup: Duration,
    /// The measurement window.
    pub duration: Duration,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Bound on the setup phase (all virtual users together).
    pub setup_timeout: Duration,
}

/// What one virtual user measured.
struct Outcome {
    histogram: Histogram,
    errors: Tally,
    ops: u64,
    requests: u64,
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The workload's name.
    pub workload: String,
    /// Virtual users requested.
    pub concurrency: usize,
    /// Virtual users whose setup succeeded.
    pub ready: usize,
    /// The measurement window.
    pub duration: Duration,
    /// Successful iterations in the window.
    pub ops: u64,
    /// HTTP requests of those iterations.
    pub requests: u64,
    /// Latency of each successful iteration in the window.
    pub histogram: Histogram,
    /// Failures in every phase.
    pub errors: Tally,
}

/// A serializable summary of a [`RunResult`].
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// The workload's name.
    pub workload: String,
    /// Virtual users requested.
    pub concurrency: usize,
    /// Virtual users whose setup succeeded.
    pub ready: usize,
    /// The measurement window, seconds.
    pub duration_s: f64,
    /// Successful iterations (requests, flows) in the window.
    pub ops: u64,
    /// Iterations per second.
    pub ops_per_s: f64,
    /// HTTP requests per second.
    pub requests_per_s: f64,
    /// Latency quantiles and extremes, milliseconds (`None` when nothing succeeded).
    pub p50_ms: Option<f64>,
    /// 90th percentile.
    pub p90_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// Maximum.
    pub max_ms: Option<f64>,
    /// Mean.
    pub mean_ms: Option<f64>,
    /// Total failures.
    pub errors: u64,
    /// Failures by kind.
    pub error_kinds: Vec<TallyLine>,
}

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() * 1_000.0)
}

impl RunResult {
    /// Successful iterations per second of the measurement window.
    pub fn ops_per_s(&self) -> f64 {
        per_second(self.ops, self.duration)
    }

    /// The serializable summary.
    pub fn summary(&self) -> RunSummary {
        RunSummary {
            workload: self.workload.clone(),
            concurrency: self.concurrency,
            ready: self.ready,
            duration_s: self.duration.as_secs_f64(),
            ops: self.ops,
            ops_per_s: self.ops_per_s(),
            requests_per_s: per_second(self.requests, self.duration),
            p50_ms: ms(self.histogram.quantile(0.50)),
            p90_ms: ms(self.histogram.quantile(0.90)),
            p99_ms: ms(self.histogram.quantile(0.99)),
            max_ms: ms(self.histogram.max()),
            mean_ms: ms(self.histogram.mean()),
            errors: self.errors.total(),
            error_kinds: self.errors.lines(),
        }
    }
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn per_second(count: u64, window: Duration) -> f64 {
    let seconds = window.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// Runs `job` with `spec.concurrency` virtual users.
pub async fn run(job: &Job, spec: &RunSpec) -> RunResult {
    let mut errors = Tally::default();
    let mut users = Vec::with_capacity(spec.concurrency);
    for index in 0..spec.concurrency {
        match VirtualUser::new(job.clone(), index, spec.request_timeout) {
            Ok(vu) => users.push(vu),
            Err(e) => errors.add(&Failure::transport(Step::Setup, &e)),
        }
    }
    let users = setup(users, spec.setup_timeout, &mut errors).await;
    let ready = users.len();

    let start = Instant::now();
    let measure_start = start + spec.warmup;
    let end = measure_start + spec.duration;
    let mut tasks = JoinSet::new();
    for vu in users {
        tasks.spawn(drive(vu, measure_start, end));
    }
    let mut histogram = Histogram::new();
    let (mut ops, mut requests) = (0, 0);
    let hard_stop = end + spec.request_timeout + Duration::from_secs(5);
    loop {
        let joined = tokio::time::timeout_at(hard_stop.into(), tasks.join_next()).await;
        match joined {
            Ok(Some(Ok(outcome))) => {
                histogram.merge(&outcome.histogram);
                errors.merge(&outcome.errors);
                ops += outcome.ops;
                requests += outcome.requests;
            }
            Ok(Some(Err(join_error))) => errors.add(&Failure::new(
                Step::Runner,
                Kind::Page("virtual user task failed"),
                join_error.to_string(),
            )),
            Ok(None) => break,
            Err(_) => {
                for _ in 0..tasks.len() {
                    errors.add(&Failure::new(
                        Step::Runner,
                        Kind::Transport("timeout"),
                        "virtual user did not stop in time",
                    ));
                }
                tasks.abort_all();
                break;
            }
        }
    }
    RunResult {
        workload: job.workload().as_str().to_owned(),
        concurrency: spec.concurrency,
        ready,
        duration: spec.duration,
        ops,
        requests,
        histogram,
        errors,
    }
}

/// Sets every virtual user up concurrently; keeps those that succeeded.
async fn setup(users: Vec<VirtualUser>, limit: Duration, errors: &mut Tally) -> Vec<VirtualUser> {
    let mut tasks = JoinSet::new();
    for mut vu in users {
        tasks.spawn(async move {
            let result = vu.setup().await;
            (vu, result)
        });
    }
    let deadline = tokio::time::Instant::now() + limit;
    let mut ready = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok((vu, Ok(()))))) => ready.push(vu),
            Ok(Some(Ok((_, Err(failure))))) => errors.add(&failure),
            Ok(Some(Err(join_error))) => errors.add(&Failure::new(
                Step::Setup,
                Kind::Page("setup task failed"),
                join_error.to_string(),
            )),
            Ok(None) => break,
            Err(_) => {
                for _ in 0..tasks.len() {
                    errors.add(&Failure::new(
                        Step::Setup,
                        Kind::Transport("timeout"),
                        "setup",
                    ));
                }
                tasks.abort_all();
                break;
            }
        }
    }
    ready
}

/// One virtual user's loop.
async fn drive(mut vu: VirtualUser, measure_start: Instant, end: Instant) -> Outcome {
    let mut outcome = Outcome {
        histogram: Histogram::new(),
        errors: Tally::default(),
        ops: 0,
        requests: 0,
    };
    loop {
        let started = Instant::now();
        if started >= end {
            break;
        }
        let result = vu.iterate().await;
        let finished = Instant::now();
        let measured = started >= measure_start && finished <= end;
        match result {
            Ok(requests) if measured => {
                outcome.histogram.record(finished - started);
                outcome.ops += 1;
                outcome.requests += u64::from(requests);
            }
            Ok(_) => {}
            Err(failure) => {
                outcome.errors.add(&failure);
                if matches!(failure.kind, Kind::Transport(_)) {
                    // Do not spin on a refused connection: failures stay countable, not millions.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    outcome
}
