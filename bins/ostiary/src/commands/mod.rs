//! The commands, each generic over the store so one code path serves SQLite and PostgreSQL.

mod client;
mod keys;
mod seed;
mod serve;
mod user;

use ostiary_core::Clock as _;
use ostiary_core::SystemClock;

use crate::cli::{Command, KeysCommand};
use crate::config::{Provenance, Settings, name_of};
use crate::db::{self, Close as _, with_store};
use crate::error::{CliError, CliResult};
use crate::output;

/// Runs `command` with the checked settings.
pub(crate) async fn run(command: Command, settings: Settings, provenance: Provenance) -> CliResult {
    if settings.database.is_memory() {
        refuse_memory(&command)?;
    }
    match command {
        Command::Serve(args) => serve::run(&settings, &provenance, args).await,
        Command::Migrate => {
            let opened = db::open(&settings.database, true).await?;
            with_store!(opened.store, store => store.close().await);
            output::line(&format!(
                "migrations applied: {} is up to date{}",
                settings.database.describe(),
                if opened.created { " (created)" } else { "" }
            ))
        }
        Command::Client(args) => {
            let opened = db::open(&settings.database, true).await?;
            with_store!(opened.store, store => {
                let result = async {
                    let (provider, _) = db::provider(store.clone(), &settings).await?;
                    client::run(&provider, args.command).await
                }
                .await;
                store.close().await;
                result
            })
        }
        Command::User(args) => {
            let opened = db::open(&settings.database, true).await?;
            with_store!(opened.store, store => {
                let result = async {
                    let (provider, _) = db::provider(store.clone(), &settings).await?;
                    user::run(&provider, args.command).await
                }
                .await;
                store.close().await;
                result
            })
        }
        Command::Keys(args) => {
            let opened = db::open(&settings.database, true).await?;
            with_store!(opened.store, store => {
                let result = keys_command(&store, &settings, args.command).await;
                store.close().await;
                result
            })
        }
    }
}

/// The in-memory store lives inside one `ostiary serve` process: every other command would work on an
/// empty store of its own and lose its work at exit.
fn refuse_memory(command: &Command) -> CliResult {
    let name = match command {
        Command::Serve(_) => return Ok(()),
        Command::Migrate => "migrate",
        Command::Client(_) => "client",
        Command::User(_) => "user",
        Command::Keys(_) => "keys",
    };
    Err(CliError::invalid(format!(
        "{}: memory: is an in-memory store that lives only inside a running `ostiary serve`, so \
         `ostiary {name}` cannot reach it. Register clients and create users at start with \
         `ostiary serve --seed FILE` (see `ostiary serve --help`), or use an sqlite:// or postgres:// \
         database.",
        name_of("database.url")
    )))
}

async fn keys_command<S: ostiary_store::Store>(
    store: &S,
    settings: &Settings,
    command: KeysCommand,
) -> CliResult {
    match command {
        KeysCommand::List { output } => {
            let (provider, _) = db::provider(store.clone(), settings).await?;
            keys::list(&provider, output.json)
        }
        KeysCommand::Rotate { force, key, output } => {
            let (provider, _) = db::provider(store.clone(), settings).await?;
            keys::rotate(&provider, settings, force, key.as_deref(), output.json).await
        }
        KeysCommand::Import { pem, output } => {
            keys::import(store, settings, &pem, SystemClock.now(), output.json).await
        }
    }
}
