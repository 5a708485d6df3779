//! `ostiary-load-suite`: the full load run against freshly started `ostiary` servers.
//!
//! Measures the Argon2id hash rate and the hello-world baseline, then for each store starts
//! `ostiary serve --seed` on a free loopback port (SQLite in a temporary directory, the PostgreSQL
//! URL given, or the in-memory store), which registers a client and creates users at start, runs
//! every workload at every concurrency, samples the server's RSS after each, and prints one table.
//! `benches/run-load.sh` builds the release binaries and runs this.
//!
//! Exit status: 0 without errors (or with `--allow-errors`), 1 when any cell had errors, 2 when the
//! suite could not run.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ostiary_benches::load::cli::{parse_concurrencies, parse_duration};
use ostiary_benches::load::suite::{self, Store, SuiteConfig};
use ostiary_benches::load::{self, Workload, baseline, report};

/// Runs every workload against a freshly started Ostiary and prints one table.
#[derive(Debug, Parser)]
#[command(name = "ostiary-load-suite", version)]
struct Args {
    /// The `ostiary` executable (default: next to this one).
    #[arg(long)]
    ostiary: Option<PathBuf>,
    /// Run on a fresh SQLite file (the default when no store is chosen).
    #[arg(long)]
    sqlite: bool,
    /// Also run on this PostgreSQL database (a throwaway one: the suite writes to it).
    #[arg(long, env = "OSTIARY_LOAD_POSTGRES_URL", hide_env_values = true)]
    postgres: Option<String>,
    /// Also run on the in-memory store (`memory:`).
    #[arg(long)]
    memory: bool,
    /// Workloads, comma-separated (default: all six).
    #[arg(long, value_delimiter = ',')]
    workload: Vec<Workload>,
    /// Concurrencies, comma-separated.
    #[arg(long, default_value = "1,8,32", value_parser = parse_concurrencies)]
    concurrency: std::vec::Vec<usize>,
    /// Measurement window of each cell (seconds).
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    duration: Duration,
    /// Warm-up of each cell.
    #[arg(long, default_value = "2", value_parser = parse_duration)]
    warmup: Duration,
    /// Per-request timeout.
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Users to create (each costs one Argon2id hash to seed).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    users: u16,
    /// Seconds of Argon2id hashing per measurement (one thread, then every core).
    #[arg(long, default_value = "2", value_parser = parse_duration)]
    argon_time: Duration,
    /// Run the whole workload matrix this many times against the same server (RSS growth across
    /// repeated runs shows in later rounds, labelled `sqlite#2`, …); with more than one, a second
    /// table gives each cell's medians over the rounds and their verdict.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=20))]
    rounds: u16,
    /// Seconds of hello-world baseline measured right before and right after every cell, at its
    /// concurrency; each ratio uses their mean (the machine's speed at that time). 0: ratios use the
    /// baselines measured before and after the whole run.
    #[arg(long, default_value = "1", value_parser = parse_duration)]
    paired_baseline: Duration,
    /// Also write the full report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Exit 0 even when cells had errors (they are still printed).
    #[arg(long)]
    allow_errors: bool,
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "ostiary-load-suite: {message}");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    load::install_crypto_provider();
    let args = Args::parse();
    let Some(ostiary) = args
        .ostiary
        .clone()
        .or_else(|| baseline::sibling_executable("ostiary"))
    else {
        return fail("the ostiary executable was not found next to this one; pass --ostiary PATH");
    };
    let Some(hello) = baseline::sibling_executable("ostiary-hello") else {
        return fail("ostiary-hello was not found next to this executable");
    };
    let mut stores = Vec::new();
    if args.sqlite || (args.postgres.is_none() && !args.memory) {
        stores.push(Store::Sqlite);
    }
    if let Some(url) = &args.postgres {
        stores.push(Store::Postgres(url.clone()));
    }
    if args.memory {
        stores.push(Store::Memory);
    }
    let workloads = if args.workload.is_empty() {
        Workload::PROVIDER.to_vec()
    } else {
        args.workload.clone()
    };
    let config = SuiteConfig {
        ostiary,
        hello,
        stores,
        workloads,
        concurrencies: args.concurrency.clone(),
        warmup: args.warmup,
        duration: args.duration,
        request_timeout: args.request_timeout,
        users: usize::from(args.users),
        repo: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        argon_seconds: args.argon_time.as_secs_f64(),
        rounds: usize::from(args.rounds),
        paired_baseline: (!args.paired_baseline.is_zero()).then_some(args.paired_baseline),
    };
    let mut progress = std::io::stderr();
    let report = match suite::run(&config, &mut progress).await {
        Ok(report) => report,
        Err(e) => return fail(&e.to_string()),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out);
    let _ = write!(out, "{}", report::render(&report));
    if let Some(path) = &args.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|text| std::fs::write(path, text));
        if let Err(e) = written {
            return fail(&format!("cannot write {}: {e}", path.display()));
        }
    }
    if report.total_errors() > 0 && !args.allow_errors {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
