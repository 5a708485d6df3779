//! The command line: `ostiary serve | migrate | client … | user … | keys …`.

mod client;
mod keys;
mod user;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub(crate) use client::{ClientArgs, ClientCommand, MetadataArgs};
pub(crate) use keys::{KeysArgs, KeysCommand};
pub(crate) use user::{ProfileArgs, UserArgs, UserCommand};

impl Cli {
    /// The configuration file: `--config`, else a non-empty `OSTIARY_CONFIG`.
    pub(crate) fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            std::env::var_os(crate::config::CONFIG_ENV)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        })
    }
}

/// Ostiary: an OAuth 2.0 and OpenID Connect authorization server.
#[derive(Debug, Parser)]
#[command(
    name = "ostiary",
    version,
    about = "Ostiary: an OAuth 2.0 and OpenID Connect authorization server",
    long_about = "Ostiary: an OAuth 2.0 and OpenID Connect authorization server.\n\n\
        With no configuration at all, `ostiary serve` serves http://127.0.0.1:8080 from an SQLite file \
        ./ostiary.db that it creates, with a signing key it creates on first start. The other commands \
        administer the same database: register clients, create users, rotate keys.",
    after_long_help = crate::config::reference_text(),
    propagate_version = true
)]
pub(crate) struct Cli {
    /// The TOML configuration file; OSTIARY_CONFIG names it too (an empty value counts as unset).
    /// Without it, the defaults apply. OSTIARY_* environment variables override either (listed at the
    /// end of `ostiary --help`).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,

    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the authorization server until SIGINT or SIGTERM.
    ///
    /// Applies pending database migrations, creates the signing and digest keys on first start, and
    /// serves the OAuth 2.0 / OpenID Connect endpoints. The first log lines say where the configuration
    /// came from, the issuer, the listen address, the database and whether it was created, and whether
    /// keys were created or loaded (kid and alg). On SIGINT or SIGTERM it stops accepting connections,
    /// finishes the requests in flight and exits 0.
    Serve,
    /// Apply pending database migrations and exit.
    ///
    /// `serve` and the other commands migrate on their own; run this first when several instances share
    /// one PostgreSQL database and you deploy a new version.
    Migrate,
    /// Register and manage OAuth clients (the partners' applications).
    Client(ClientArgs),
    /// Create users and set their passwords.
    User(UserArgs),
    /// List, rotate and import the token signing keys.
    Keys(KeysArgs),
}

/// `--json`, shared by the administration commands.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct OutputArgs {
    /// Print JSON on standard output instead of text, for scripts. Messages for people still go to
    /// standard error.
    #[arg(long)]
    pub(crate) json: bool,
}
