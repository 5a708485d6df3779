//! `ostiary`: the Ostiary OAuth 2.0 and OpenID Connect authorization server, and its administration CLI.
//!
//! - `ostiary serve` runs the server ([`ostiary_server::serve`]) over the configured database
//!   (SQLite by default, PostgreSQL for several instances, or `memory:` for development and
//!   benchmarks), creating the signing and digest keys on first start, until SIGINT or SIGTERM.
//!   `--seed FILE` registers clients and creates users at start (printing the client secrets on
//!   standard output), the only way to fill the in-memory store.
//! - `ostiary migrate` applies database migrations.
//! - `ostiary client …` registers and manages OAuth clients (RFC 7591 metadata names), printing a new
//!   client secret exactly once.
//! - `ostiary user …` creates users and sets their passwords (Argon2id), read without echo or from
//!   standard input, never from an argument.
//! - `ostiary keys …` lists, rotates and imports signing keys.
//!
//! Configuration comes from a TOML file (`--config` or `OSTIARY_CONFIG`) and `OSTIARY_*` environment
//! variables, validated as a whole before anything starts; see `ostiary --help`.
//!
//! What it deliberately does not do: TLS (run it behind a TLS-terminating proxy), daemonizing, writing
//! secrets to logs, or accepting passwords as arguments.
//!
//! Exit codes: 0 success; 1 a failed operation (database, I/O, unknown client or user); 2 invalid input
//! (arguments, configuration, metadata, passwords).
#![forbid(unsafe_code)]
// A command-line program prints: results on standard output, notes and errors on standard error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod account;
// The doc comments of the command-line types are `--help` text for people (clap reads them verbatim),
// so they contain bare URLs and brackets that rustdoc would take for links.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]
mod cli;
mod commands;
mod config;
mod db;
mod error;
mod logging;
mod output;
mod password;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{CliError, EXIT_FAILED};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (settings, provenance) = match config::load(cli.config_path().as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return CliError::from(e).exit_code();
        }
    };
    let serve = matches!(cli.command, Command::Serve(_));
    let _log_guard = logging::init(&settings.log, if serve { "info,sqlx=warn" } else { "warn" });
    if !provenance.unknown_env.is_empty() {
        tracing::warn!(
            variables = %provenance.unknown_env.join(","),
            "ignoring OSTIARY_* environment variables that name no setting (a typo?)"
        );
    }
    let runtime = if serve {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match runtime.block_on(commands::run(cli.command, settings, provenance)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if serve {
                tracing::error!(error = %e.report(), "ostiary serve failed");
            }
            eprintln!("error: {}", e.report());
            e.exit_code()
        }
    }
}
