//! `ostiary serve --seed FILE`: clients and users applied at start, after the keys are loaded and before
//! the server listens. A development and benchmark convenience (the file holds passwords), and the only
//! way to fill the in-memory store (`memory:`), which no other process can reach.
//!
//! The whole file is checked before anything is written: its JSON shape (unknown fields are an error),
//! every user as `ostiary user create` checks its flags, every client as a registration (the registry's
//! own validation, run against a scratch in-memory registry), logins unique within the file; then, with
//! the provider open, every password is hashed (which enforces the length rules) and every login is
//! checked to be free in the store. Only then are the clients registered and the users created.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use ostiary_core::Provider;
use ostiary_store::memory::MemoryStore;
use ostiary_store::{
    ClientRegistration, ClientRegistry, DigestKeyMaterial, DigestKeyring, PasswordHash,
    RegistryError, Store,
};
use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use zeroize::Zeroizing;

use super::user::{self, NewUser};
use crate::cli::ProfileArgs;
use crate::error::{CliError, CliResult};
use crate::output;

/// The scope of a seeded client that names none, as `ostiary client create` defaults it.
const DEFAULT_SCOPE: &str = "openid";

/// The file as written. No `Debug`: it holds passwords.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    clients: Vec<ClientRegistration>,
    #[serde(default)]
    users: Vec<SeedUser>,
}

/// A user as written: the fields of `ostiary user create` that a seed needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedUser {
    username: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
    password: String,
}

/// A checked seed file, ready to apply.
pub(crate) struct Seed {
    /// `seed file PATH`, the prefix of every later message.
    origin: String,
    clients: Vec<ClientRegistration>,
    users: Vec<(NewUser, Zeroizing<String>)>,
}

/// What is printed on standard output for each seeded client: the only time its secret is shown.
#[derive(Serialize)]
struct SeededClient<'a> {
    client_id: String,
    client_secret: &'a str,
    client_name: &'a str,
}

impl Seed {
    /// Reads and checks the file; every problem is reported at once (exit 2).
    pub(crate) async fn load(path: &Path) -> CliResult<Self> {
        let text = std::fs::read_to_string(path)
            .map(Zeroizing::new)
            .map_err(|e| {
                CliError::invalid(format!("--seed: cannot read {}: {e}", path.display()))
            })?;
        let origin = format!("seed file {}", path.display());
        let file: SeedFile = serde_json::from_str(&text)
            .map_err(|e| CliError::invalid(format!("invalid {origin}: {}", json_problem(&e))))?;
        let (seed, problems) = Self::check(file, origin).await?;
        if problems.is_empty() {
            Ok(seed)
        } else {
            Err(CliError::invalid(format!(
                "invalid {}:\n  {}",
                seed.origin,
                problems.join("\n  ")
            )))
        }
    }

    /// Checks users and clients; returns the seed with the problems found.
    async fn check(file: SeedFile, origin: String) -> CliResult<(Self, Vec<String>)> {
        let mut problems = Vec::new();
        let mut users = Vec::with_capacity(file.users.len());
        // Usernames and e-mail addresses share one namespace (either signs in).
        let mut logins = HashSet::new();
        for (i, seed) in file.users.into_iter().enumerate() {
            let password = Zeroizing::new(seed.password);
            let label = user_label(i, &seed.username);
            if seed.email_verified && seed.email.is_none() {
                problems.push(format!("{label}: email_verified needs an email"));
            }
            let profile = ProfileArgs {
                name: seed.name,
                ..ProfileArgs::default()
            };
            let new = match NewUser::check(
                &seed.username,
                seed.email.as_deref(),
                seed.email_verified,
                &profile,
            ) {
                Ok(new) => new,
                Err(e) => {
                    problems.push(format!("{label}: {}", e.to_string().replace('\n', "\n  ")));
                    continue;
                }
            };
            for login in std::iter::once(&new.username).chain(new.email.as_ref()) {
                if !logins.insert(login.clone()) {
                    problems.push(format!(
                        "{label}: its username or e-mail address is used by an earlier user of \
                         the file"
                    ));
                }
            }
            users.push((new, password));
        }
        let mut clients = file.clients;
        for client in &mut clients {
            if client.scope.trim().is_empty() {
                DEFAULT_SCOPE.clone_into(&mut client.scope);
            }
        }
        problems.extend(check_clients(&clients).await?);
        let seed = Self {
            origin,
            clients,
            users,
        };
        Ok((seed, problems))
    }

    /// Applies the seed: hashes every password and checks every login against the store first, then
    /// registers the clients (printing each one's credentials as a JSON line on standard output) and
    /// creates the users.
    pub(crate) async fn apply<S: Store>(self, provider: &Provider<S>) -> CliResult {
        let origin = self.origin;
        let mut users = Vec::with_capacity(self.users.len());
        for (i, (new, password)) in self.users.into_iter().enumerate() {
            let label = format!("{origin}: {}", user_label(i, &new.username));
            let hash: PasswordHash = user::hash_password(provider, password)
                .await
                .map_err(|e| within(&label, e))?;
            user::ensure_free(provider, &new)
                .await
                .map_err(|e| within(&label, e))?;
            users.push((label, new, hash));
        }
        for (i, registration) in self.clients.iter().enumerate() {
            let (client, secret) = provider
                .registry()
                .register(registration, provider.now())
                .await
                .map_err(|e| {
                    CliError::failed(format!("{origin}: could not register clients[{i}]"), e)
                })?;
            let line = serde_json::to_string(&SeededClient {
                client_id: client.id.to_string(),
                client_secret: secret.expose_secret(),
                client_name: &client.metadata.client_name,
            })
            .map_err(|e| CliError::failed("could not encode a seeded client", e))?;
            output::line(&line)?;
            tracing::info!(
                client_id = %client.id,
                client_name = %client.metadata.client_name,
                "seeded a client; its client_id and client_secret are on standard output"
            );
        }
        for (label, new, hash) in users {
            let created = user::insert(provider, new, hash)
                .await
                .map_err(|e| within(&label, e))?;
            tracing::info!(user_id = %created.id, username = %created.username, "seeded a user");
        }
        Ok(())
    }
}

/// `users[2] ("bob")`: the username as written, quoted and escaped.
fn user_label(index: usize, username: &str) -> String {
    format!("users[{index}] ({username:?})")
}

/// Validates every registration with the registry's own rules, against a scratch in-memory registry
/// that is dropped at once, so that nothing reaches the real store unless every client is valid.
async fn check_clients(clients: &[ClientRegistration]) -> CliResult<Vec<String>> {
    const FAILED: &str = "could not check the seeded clients";
    let key = DigestKeyMaterial::generate(1)
        .map_err(|_| CliError::failed(FAILED, RegistryError::Random))?;
    let keyring = DigestKeyring::new([key], 1).map_err(|e| CliError::failed(FAILED, e))?;
    let scratch = ClientRegistry::new(MemoryStore::new(), Arc::new(keyring));
    let mut problems = Vec::new();
    for (i, registration) in clients.iter().enumerate() {
        match scratch.register(registration, 0).await {
            Ok(_) => {}
            Err(RegistryError::Invalid(invalid)) => {
                let label = format!("clients[{i}] ({:?})", registration.client_name);
                for error in invalid.errors {
                    problems.push(format!("{label}: {}: {}", error.field, error.reason));
                }
            }
            Err(e) => return Err(CliError::failed(FAILED, e)),
        }
    }
    Ok(problems)
}

/// A JSON error as a message that never repeats a value from the file (it could be a password): syntax
/// errors and unknown, missing or duplicate fields say what they are; a value of the wrong type or form
/// is only located.
fn json_problem(error: &serde_json::Error) -> String {
    const NAMES_A_FIELD: [&str; 3] = ["unknown field", "missing field", "duplicate field"];
    let text = error.to_string();
    match error.classify() {
        Category::Data if !NAMES_A_FIELD.iter().any(|p| text.starts_with(p)) => format!(
            "a value has the wrong type or form at line {} column {} (the value is not repeated \
             here: it could be a password)",
            error.line(),
            error.column()
        ),
        _ => text,
    }
}

/// Prefixes an error's message with where in the seed file it comes from.
fn within(label: &str, error: CliError) -> CliError {
    match error {
        CliError::Invalid(message) => CliError::Invalid(format!("{label}: {message}")),
        CliError::NotFound(message) => CliError::NotFound(format!("{label}: {message}")),
        CliError::Failed { context, source } => CliError::Failed {
            context: format!("{label}: {context}"),
            source,
        },
        other @ CliError::Config(_) => other,
    }
}

#[cfg(test)]
mod tests;
