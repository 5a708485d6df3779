//! `database.*`: the URL (SQLite path or PostgreSQL URL) and the backend options.

use std::path::PathBuf;

use ostiary_store_sql::Synchronous;

use super::Problems;
use crate::config::file::FileConfig;
use crate::config::{Database, DatabaseUrl};

/// The default database.
pub(crate) const DEFAULT_DATABASE_URL: &str = "sqlite://ostiary.db";
/// The default PostgreSQL pool size.
const DEFAULT_POSTGRES_MAX_CONNECTIONS: u32 = 10;

pub(super) fn database(file: &FileConfig, problems: &mut Problems) -> Option<Database> {
    let synchronous = problems.check(
        "database.sqlite_synchronous",
        match file.database.sqlite_synchronous.as_deref().map(str::trim) {
            None | Some("normal") => Ok(Synchronous::Normal),
            Some("full") => Ok(Synchronous::Full),
            Some(_) => Err("must be normal or full".into()),
        },
    );
    let max_connections = problems.check(
        "database.postgres_max_connections",
        match file
            .database
            .postgres_max_connections
            .unwrap_or(DEFAULT_POSTGRES_MAX_CONNECTIONS)
        {
            n @ 1..=1000 => Ok(n),
            _ => Err("must be 1..=1000".into()),
        },
    );
    let url = file
        .database
        .url
        .as_deref()
        .unwrap_or(DEFAULT_DATABASE_URL)
        .trim();
    let database = problems.check("database.url", database_url(url));
    match database? {
        Target::Sqlite(path) => Some(Database::Sqlite {
            path,
            synchronous: synchronous?,
        }),
        Target::Postgres(url) => Some(Database::Postgres {
            url,
            max_connections: max_connections?,
        }),
        Target::Memory => Some(Database::Memory),
    }
}

enum Target {
    Sqlite(PathBuf),
    Postgres(DatabaseUrl),
    Memory,
}

/// `sqlite://PATH` (relative), `sqlite:///PATH` (absolute), `postgres://`, `postgresql://`, or exactly
/// `memory:`.
fn database_url(url: &str) -> Result<Target, String> {
    if url == "memory:" {
        return Ok(Target::Memory);
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() || path.contains('?') || path.starts_with(":memory:") {
            return Err(
                "sqlite:// must be followed by a file path (an in-memory database would lose \
                 everything at exit; query options are not supported)"
                    .into(),
            );
        }
        return Ok(Target::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The parse error is fixed text: the URL may hold a password.
        let parsed =
            url::Url::parse(url).map_err(|_| "is not a valid postgres:// URL".to_owned())?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err("postgres:// URL must name a host".into());
        }
        return Ok(Target::Postgres(DatabaseUrl::new(url.to_owned(), &parsed)));
    }
    Err("must start with sqlite:// or postgres://, or be memory:".into())
}
