//! [`FileConfig`] → [`Settings`]: every value checked, every problem collected.

mod database;
mod server;

use std::net::SocketAddr;

use ostiary_core::{CoreConfig, Issuer, Lifetimes, PasswordCost};
use ostiary_jose::Algorithm;

use super::file::{FileConfig, LifetimesFile, PasswordFile};
use super::{ConfigError, LogFormat, LogSettings, Problem, Settings, name_of};
use database::database;
use server::{rotation, server};

/// The default listen address.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The longest platform name.
const MAX_PLATFORM_NAME_CHARS: usize = 100;

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: &str, message: impl Into<String>) {
        self.0.push(Problem {
            setting: name_of(key),
            message: message.into(),
        });
    }

    /// Runs a check, recording its error under `key`.
    fn check<T>(&mut self, key: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(key, message);
                None
            }
        }
    }
}

/// Validates a configuration, reporting every setting at fault.
pub(crate) fn validate(file: &FileConfig) -> Result<Settings, ConfigError> {
    let mut problems = Problems::default();
    let listen = problems.check(
        "listen",
        file.listen
            .as_deref()
            .unwrap_or(DEFAULT_LISTEN)
            .parse::<SocketAddr>()
            .map_err(|_| {
                "must be an IP address and port, such as 127.0.0.1:8080 or [::]:8080".into()
            }),
    );
    let issuer = issuer(file.issuer.as_deref(), listen, &mut problems);
    let platform_name = problems.check(
        "platform_name",
        platform_name(file.platform_name.as_deref()),
    );
    let signing_alg = problems.check("signing_alg", signing_alg(file.signing_alg.as_deref()));
    let database = database(file, &mut problems);
    let lifetimes = lifetimes(&file.lifetimes, &mut problems);
    let password_cost = password_cost(&file.password, &mut problems);
    let log = log(file, &mut problems);
    let server = server(&file.server, &mut problems);
    let rotation = rotation(&file.keys, &mut problems);

    match (
        listen,
        issuer,
        platform_name,
        signing_alg,
        database,
        lifetimes,
        password_cost,
        log,
        server,
        rotation,
    ) {
        (
            Some(listen),
            Some(issuer),
            Some(platform_name),
            Some(signing_alg),
            Some(database),
            Some(lifetimes),
            Some(password_cost),
            Some(log),
            Some(server),
            Some(rotation),
        ) if problems.0.is_empty() => {
            let mut core = CoreConfig::new(issuer);
            core.lifetimes = lifetimes;
            core.signing_alg = signing_alg;
            core.password_cost = password_cost;
            core.platform_name = platform_name;
            Ok(Settings {
                core,
                listen,
                database,
                log,
                server,
                rotation,
            })
        }
        _ => Err(ConfigError {
            problems: problems.0,
        }),
    }
}

fn issuer(
    value: Option<&str>,
    listen: Option<SocketAddr>,
    problems: &mut Problems,
) -> Option<Issuer> {
    match value {
        Some(value) => problems.check("issuer", Issuer::parse(value).map_err(|e| e.to_string())),
        // Without an issuer, a loopback listener is its own issuer (development); any other listener
        // is reached under a name only the operator knows.
        None => {
            let listen = listen?;
            if !listen.ip().is_loopback() {
                problems.add(
                    "issuer",
                    "must be set when listening on a non-loopback address (the public https URL \
                     clients use to reach this server)",
                );
                return None;
            }
            problems.check(
                "issuer",
                Issuer::parse(&format!("http://{listen}")).map_err(|e| e.to_string()),
            )
        }
    }
}

fn platform_name(value: Option<&str>) -> Result<String, String> {
    let name = value.unwrap_or("Ostiary").trim();
    if name.is_empty() || name.chars().count() > MAX_PLATFORM_NAME_CHARS {
        return Err(format!(
            "must have 1 to {MAX_PLATFORM_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_owned())
}

fn signing_alg(value: Option<&str>) -> Result<Algorithm, String> {
    match value {
        None => Ok(Algorithm::Es256),
        Some(name) => Algorithm::from_name(name.trim())
            .ok_or_else(|| "must be ES256, EdDSA or RS256 (exact spelling)".into()),
    }
}

fn lifetimes(file: &LifetimesFile, problems: &mut Problems) -> Option<Lifetimes> {
    let defaults = Lifetimes::default();
    let lifetimes = Lifetimes {
        authorization_code: file
            .authorization_code
            .unwrap_or(defaults.authorization_code),
        access_token: file.access_token.unwrap_or(defaults.access_token),
        id_token: file.id_token.unwrap_or(defaults.id_token),
        refresh_token: file.refresh_token.unwrap_or(defaults.refresh_token),
        grant: file.grant.unwrap_or(defaults.grant),
        session: file.session.unwrap_or(defaults.session),
        refresh_retry_window: file
            .refresh_retry_window
            .unwrap_or(defaults.refresh_retry_window),
        code_tombstone: file.code_tombstone.unwrap_or(defaults.code_tombstone),
    };
    // Each field on its own first, so every field at fault is named; the core's checks are the single
    // source of the bounds. The base makes the relations between fields (grant >= refresh_token,
    // code_tombstone >= authorization_code) hold whatever the field under test is.
    let base = Lifetimes {
        authorization_code: 1,
        refresh_token: 60,
        grant: i64::MAX,
        code_tombstone: i64::MAX,
        ..defaults
    };
    type Field = (&'static str, fn(&mut Lifetimes, i64), i64);
    let fields: [Field; 8] = [
        (
            "lifetimes.authorization_code",
            |l, v| l.authorization_code = v,
            lifetimes.authorization_code,
        ),
        (
            "lifetimes.access_token",
            |l, v| l.access_token = v,
            lifetimes.access_token,
        ),
        (
            "lifetimes.id_token",
            |l, v| l.id_token = v,
            lifetimes.id_token,
        ),
        (
            "lifetimes.refresh_token",
            |l, v| l.refresh_token = v,
            lifetimes.refresh_token,
        ),
        ("lifetimes.grant", |l, v| l.grant = v, lifetimes.grant),
        ("lifetimes.session", |l, v| l.session = v, lifetimes.session),
        (
            "lifetimes.refresh_retry_window",
            |l, v| l.refresh_retry_window = v,
            lifetimes.refresh_retry_window,
        ),
        (
            "lifetimes.code_tombstone",
            |l, v| l.code_tombstone = v,
            lifetimes.code_tombstone,
        ),
    ];
    let mut ok = true;
    for (key, set, value) in fields {
        let mut alone = base;
        set(&mut alone, value);
        if let Err(e) = alone.validate() {
            problems.add(key, e.to_string());
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    // Then the relations between fields (grant >= refresh_token, code_tombstone >= code).
    match lifetimes.validate() {
        Ok(()) => Some(lifetimes),
        Err(e) => {
            problems.add("lifetimes", e.to_string());
            None
        }
    }
}

/// The most Argon2id memory accepted: 4 GiB per hash would take the machine down under load.
const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;

fn password_cost(file: &PasswordFile, problems: &mut Problems) -> Option<PasswordCost> {
    let defaults = PasswordCost::default();
    let parallelism = problems.check(
        "password.parallelism",
        match file.parallelism.unwrap_or(defaults.parallelism) {
            n @ 1..=64 => Ok(n),
            _ => Err("must be 1..=64".into()),
        },
    );
    let iterations = problems.check(
        "password.iterations",
        match file.iterations.unwrap_or(defaults.iterations) {
            n @ 1..=100 => Ok(n),
            _ => Err("must be 1..=100".into()),
        },
    );
    let memory = file.memory_kib.unwrap_or(defaults.memory_kib);
    // Argon2 needs at least 8 KiB per lane (RFC 9106 §3.1).
    let min_memory = parallelism.unwrap_or(1).saturating_mul(8);
    let memory_kib = problems.check(
        "password.memory_kib",
        if (min_memory..=MAX_MEMORY_KIB).contains(&memory) {
            Ok(memory)
        } else {
            Err(format!(
                "must be {min_memory}..={MAX_MEMORY_KIB} (at least 8 KiB per lane of parallelism)"
            ))
        },
    );
    Some(PasswordCost {
        memory_kib: memory_kib?,
        iterations: iterations?,
        parallelism: parallelism?,
    })
}

fn log(file: &FileConfig, problems: &mut Problems) -> Option<LogSettings> {
    let format = problems.check(
        "log.format",
        match file.log.format.as_deref().map(str::trim) {
            None | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(_) => Err("must be text or json".into()),
        },
    );
    let filter = match file.log.filter.as_deref().map(str::trim) {
        None => None,
        Some(directive) => problems.check(
            "log.filter",
            tracing_subscriber::EnvFilter::try_new(directive)
                .map(|_| directive.to_owned())
                .map_err(|e| format!("is not a valid filter: {e}")),
        ),
    };
    if file.log.filter.is_some() && filter.is_none() {
        return None;
    }
    Some(LogSettings {
        format: format?,
        filter,
    })
}

/// Whether `cost` is below the OWASP minimum for Argon2id (19 MiB, 2 iterations, 1 lane).
pub(crate) fn below_owasp_minimum(cost: &PasswordCost) -> bool {
    let minimum = PasswordCost::default();
    cost.memory_kib < minimum.memory_kib || cost.iterations < minimum.iterations
}
