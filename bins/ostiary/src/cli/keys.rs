//! `ostiary keys …`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::OutputArgs;

/// `ostiary keys`
#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    /// The keys command.
    #[command(subcommand)]
    pub(crate) command: KeysCommand,
}

/// The keys commands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// List the signing keys: kid, alg, state (next, active, retired) and their times.
    ///
    /// The active key signs; the next key is already published in the JWKS so that relying parties'
    /// caches know it before it signs; retired keys stay published until every token they signed has
    /// expired.
    List {
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Rotate the signing keys if a rotation is due (safe to run from cron).
    ///
    /// With the default policy, the active key signs for 30 days; the next key, published at least one
    /// day earlier, then becomes active, the old key is retired and a new next key is created. Retired
    /// keys leave the JWKS a day after retirement (the longest token lifetime) plus leeway. `serve` runs
    /// the same check every keys.rotation_check_interval (an hour by default), and a running server
    /// picks up keys rotated here within server.key_reload_interval (a minute by default).
    Rotate {
        /// Promote the next key now, whatever its age. Relying parties that cached the JWKS before the
        /// next key was published will not know the new signing key until their cache expires, and will
        /// reject new tokens until then. The default policy avoids this by publishing the next key at
        /// least a day before it signs: prefer it, and use --force only when the active key must go now
        /// (for example when it leaked).
        #[arg(long)]
        force: bool,
        /// A private key (PEM) to enter as the next key if the rotation needs a new one. Required with
        /// RS256, whose keys cannot be generated here (e.g. `openssl genpkey -algorithm RSA -pkeyopt
        /// rsa_keygen_bits:2048`); optional otherwise. Same formats as `keys import`.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Import a private key (PEM) as the first signing key of an empty database.
    ///
    /// Needed for RS256, whose keys cannot be generated here: run it before the first `serve`, with
    /// signing_alg = "RS256". Accepts PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`),
    /// unencrypted; RSA 2048 to 4096 bits, P-256 or Ed25519.
    Import {
        /// The PEM file.
        #[arg(long, value_name = "FILE")]
        pem: PathBuf,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
}
