//! `ostiary-load`: one workload against any OpenID Provider, beside the hello-world baseline
//! measured in the same run at the same concurrency.
//!
//! Exit status: 0 when the run had no errors (or `--allow-errors`), 1 when it had errors,
//! 2 when it could not start (bad flags, discovery failed, baseline missing).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use ostiary_benches::load::{
    self, Job, RunSpec, Target, UserCredentials, Workload, baseline, oidc, report,
};
use url::Url;

use ostiary_benches::load::cli::parse_duration;

/// Load generator for OpenID Providers: drives only standard endpoints found by discovery.
#[derive(Debug, Parser)]
#[command(name = "ostiary-load", version)]
struct Args {
    /// The issuer; endpoints come from its /.well-known/openid-configuration.
    #[arg(long)]
    issuer: Option<String>,
    /// A confidential client's id (client_secret_basic).
    #[arg(long)]
    client_id: Option<String>,
    /// Its secret (prefer the environment variable: arguments are visible in the process list).
    #[arg(long, env = "OSTIARY_LOAD_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The client's registered redirect URI (never contacted).
    #[arg(long, default_value = "http://127.0.0.1:9/callback")]
    redirect_uri: Url,
    /// The scope of authorization requests.
    #[arg(long, default_value = "openid profile email")]
    scope: String,
    /// A username (repeatable); virtual user i signs in as user i mod n.
    #[arg(long = "user")]
    users: Vec<String>,
    /// A file of users, one per line: `username` or `username:password`.
    #[arg(long)]
    users_file: Option<PathBuf>,
    /// The password of users given without one.
    #[arg(long, env = "OSTIARY_LOAD_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// discovery, introspection, userinfo, refresh, sso, password, or baseline.
    #[arg(long, default_value = "discovery")]
    workload: Workload,
    /// Concurrent virtual users.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: u16,
    /// Measurement window (seconds, or 500ms).
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    duration: Duration,
    /// Unrecorded warm-up before it.
    #[arg(long, default_value = "2", value_parser = parse_duration)]
    warmup: Duration,
    /// Per-request timeout.
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Skip the baseline (the report then has no ratio).
    #[arg(long)]
    no_baseline: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Exit 0 even when the run had errors (they are still reported).
    #[arg(long)]
    allow_errors: bool,
}

fn users(args: &Args) -> Result<Vec<UserCredentials>, String> {
    let mut lines: Vec<String> = args.users.clone();
    if let Some(path) = &args.users_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--users-file: {e}"))?;
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    lines
        .into_iter()
        .map(|line| match line.split_once(':') {
            Some((name, password)) => Ok(UserCredentials::new(name, password)),
            None => args
                .password
                .as_deref()
                .map(|p| UserCredentials::new(line.clone(), p))
                .ok_or_else(|| "--password is required for users given without one".to_owned()),
        })
        .collect()
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "ostiary-load: {message}");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    load::install_crypto_provider();
    let args = Args::parse();
    let spec = RunSpec {
        concurrency: usize::from(args.concurrency),
        warmup: args.warmup,
        duration: args.duration,
        request_timeout: args.request_timeout,
        setup_timeout: Duration::from_secs(120),
    };

    let mut baseline_summary = None;
    if !args.no_baseline || args.workload == Workload::Baseline {
        let Some(path) = baseline::sibling_executable("ostiary-hello") else {
            return fail(
                "ostiary-hello not found next to this executable (build the package's binaries, or pass --no-baseline)",
            );
        };
        let process = match baseline::spawn_process(&path) {
            Ok(p) => p,
            Err(e) => return fail(&e.to_string()),
        };
        let Ok(url) = Url::parse(&format!("http://{}/", process.addr())) else {
            return fail("baseline address");
        };
        baseline_summary = Some(load::run(&Job::Baseline(url), &spec).await.summary());
    }

    let run = if args.workload == Workload::Baseline {
        baseline_summary.clone()
    } else {
        match provider_run(&args, &spec).await {
            Ok(summary) => Some(summary),
            Err(message) => return fail(&message),
        }
    };
    let Some(run) = run else {
        return fail("nothing was run");
    };
    let row = report::Row::new(
        "provider",
        run,
        baseline_summary.as_ref().map(|b| b.ops_per_s),
        None,
    );
    let errors = row.run.errors + baseline_summary.as_ref().map_or(0, |b| b.errors);

    let mut out = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({ "baseline": baseline_summary, "result": row });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        if let Some(b) = &baseline_summary {
            let _ = writeln!(
                out,
                "baseline (hello world) c={}: {:.0} req/s, errors {}",
                b.concurrency, b.ops_per_s, b.errors
            );
        }
        let _ = write!(out, "{}", report::render_rows(std::slice::from_ref(&row)));
        for line in &row.run.error_kinds {
            let _ = writeln!(
                out,
                "  ERROR {} ×{}  e.g. {}",
                line.kind, line.count, line.example
            );
        }
        if errors > 0 {
            let _ = writeln!(out, "the run had {errors} error(s)");
        }
    }
    if errors > 0 && !args.allow_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn provider_run(args: &Args, spec: &RunSpec) -> Result<load::RunSummary, String> {
    let issuer = args.issuer.as_deref().ok_or("--issuer is required")?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(args.request_timeout)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let meta = oidc::discover(&http, issuer)
        .await
        .map_err(|f| format!("discovery failed: {} {}", f.key(), f.detail))?;
    let needs_client = args.workload != Workload::Discovery;
    let client = match (&args.client_id, &args.client_secret) {
        (Some(id), Some(secret)) => oidc::ClientCredentials::new(id, secret),
        _ if needs_client => {
            return Err(
                "--client-id and --client-secret are required for this workload".to_owned(),
            );
        }
        _ => oidc::ClientCredentials::new("", ""),
    };
    let users = users(args)?;
    if needs_client && users.is_empty() {
        return Err("--user (or --users-file) is required for this workload".to_owned());
    }
    let target = Arc::new(Target::new(
        meta,
        client,
        args.redirect_uri.clone(),
        args.scope.clone(),
        users,
    ));
    Ok(load::run(&Job::Provider(args.workload, target), spec)
        .await
        .summary())
}
