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
    Serve(ServeArgs),
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

/// `ostiary serve`
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Register clients and create users from this JSON file at start, before listening: a
    /// development and benchmark convenience (it holds passwords in a file: keep it out of version
    /// control and production). The only way to fill the in-memory store (database.url = "memory:").
    ///
    /// The file: {"clients": [REGISTRATION…], "users": [USER…]}. A REGISTRATION has the RFC 7591
    /// metadata names that `ostiary client create --json` prints (client_name, redirect_uris, scope,
    /// post_logout_redirect_uris, backchannel_logout_uri, pkce_required, subject_type, …; scope
    /// defaults to "openid"). A USER is {"username", "email"?, "email_verified"?, "name"?,
    /// "password"}, checked like `ostiary user create`. Unknown fields are an error. The whole file is
    /// checked before anything is written; a user that already exists is an error.
    ///
    /// Each client is registered anew at every start: the new client_id and client_secret are printed
    /// on standard output, one JSON line per client ({"client_id", "client_secret", "client_name"}),
    /// which `serve` uses for nothing else (logs go to standard error).
    #[arg(long, value_name = "FILE")]
    pub(crate) seed: Option<PathBuf>,
}

/// `--json`, shared by the administration commands.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct OutputArgs {
    /// Print JSON on standard output instead of text, for scripts. Messages for people still go to
    /// standard error.
    #[arg(long)]
    pub(crate) json: bool,
}
