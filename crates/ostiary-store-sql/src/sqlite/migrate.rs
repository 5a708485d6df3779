//! The SQLite schema migrator: the files of `migrations/sqlite`, embedded at compile time, applied in
//! order and recorded in `schema_migrations(version, checksum, applied_at)`.
//!
//! Everything runs in one `BEGIN IMMEDIATE` transaction (SQLite's DDL is transactional), so two
//! processes migrating the same file at once take turns and the second finds nothing left to do, and a
//! failing migration leaves the database as it was. A recorded migration whose SHA-256 differs from the
//! embedded file's, or a recorded version this build does not have (a newer Ostiary migrated the file),
//! is refused: the schema is not what this build's statements expect.

use std::time::{SystemTime, UNIX_EPOCH};

use ring::digest::{SHA256, digest};
use rusqlite::Connection;

use crate::OpenError;

/// One migration file.
struct Migration {
    version: i64,
    sql: &'static str,
}

/// Every migration, in version order; the version is the number the file name starts with.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/sqlite/0002_tokens_without_family_index.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version INTEGER PRIMARY KEY NOT NULL, checksum BLOB NOT NULL, applied_at INTEGER NOT NULL) STRICT";

/// Why the migrations could not be applied (the source of [`OpenError::Migrate`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(super) enum MigrateError {
    /// The database records a migration this build does not have.
    #[error(
        "the database has schema version {0}, which this build does not know (a newer version migrated it)"
    )]
    UnknownVersion(i64),
    /// An applied migration differs from this build's file of the same version.
    #[error("schema migration {0} differs from the one applied to the database")]
    ChecksumMismatch(i64),
    /// SQLite refused a statement.
    #[error("a migration statement failed")]
    Sql(#[source] rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(error: rusqlite::Error) -> Self {
        MigrateError::Sql(error)
    }
}

/// Applies the migrations the database has not seen, after checking the ones it has.
pub(super) fn migrate(conn: &Connection) -> Result<(), OpenError> {
    let fail = |error: MigrateError| OpenError::Migrate(Box::new(error));
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| fail(e.into()))?;
    let applied = apply(conn).and_then(|count| {
        conn.execute_batch("COMMIT")?;
        Ok(count)
    });
    match applied {
        Ok(count) => {
            if count > 0 {
                tracing::info!(count, "applied SQLite schema migrations");
            }
            Ok(())
        }
        Err(error) => {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            Err(fail(error))
        }
    }
}

/// Checks the recorded migrations and applies the missing ones; how many it applied.
fn apply(conn: &Connection) -> Result<usize, MigrateError> {
    conn.execute_batch(CREATE_TABLE)?;
    let mut statement =
        conn.prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")?;
    let recorded = statement
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (version, checksum) in &recorded {
        let migration = MIGRATIONS
            .iter()
            .find(|m| m.version == *version)
            .ok_or(MigrateError::UnknownVersion(*version))?;
        // Not a secret: a plain comparison is fine.
        if checksum.as_slice() != digest(&SHA256, migration.sql.as_bytes()).as_ref() {
            return Err(MigrateError::ChecksumMismatch(*version));
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut count = 0;
    for migration in MIGRATIONS {
        if recorded
            .iter()
            .any(|(version, _)| *version == migration.version)
        {
            continue;
        }
        conn.execute_batch(migration.sql)?;
        conn.execute(
            "INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                migration.version,
                digest(&SHA256, migration.sql.as_bytes()).as_ref(),
                now
            ],
        )?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut versions: Vec<i64> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let name = entry.unwrap().file_name().into_string().unwrap();
                name.split('_').next().unwrap().parse().unwrap()
            })
            .collect();
        versions.sort_unstable();
        let embedded: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(embedded, versions);
    }

    fn memory() -> Connection {
        super::super::conn::open_memory().unwrap()
    }

    #[test]
    fn migrating_twice_applies_each_migration_once() {
        let conn = memory();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, i64::try_from(MIGRATIONS.len()).unwrap());
    }

    /// Migration 2 rebuilds the token tables: every row and column survives, the family indexes and
    /// foreign keys are gone, the other indexes are back.
    #[test]
    fn migration_2_keeps_every_token_and_drops_the_family_index_and_key() {
        let conn = memory();
        let first = MIGRATIONS.first().unwrap();
        conn.execute_batch(first.sql).unwrap();
        conn.execute_batch(CREATE_TABLE).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (1, ?1, 0)",
            [digest(&SHA256, first.sql.as_bytes()).as_ref()],
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO token_families (id, client_id, subject_type, subject_id, scope, amr, \
               created_at, expires_at) VALUES ('f', 'c', 'user', 'u', 'openid', '[]', 1, 9);
             INSERT INTO access_tokens VALUES (x'01', 'f', 'openid', 1, 5, 3);
             INSERT INTO refresh_tokens VALUES (x'02', 'f', 1, 7, 2, x'03', 4, x'0405');
             INSERT INTO refresh_tokens VALUES (x'03', 'f', 2, 8, NULL, NULL, NULL, NULL);",
        )
        .unwrap();
        let rows = |sql: &str| -> Vec<String> {
            let mut statement = conn.prepare(sql).unwrap();
            statement
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let tokens = "SELECT quote(digest) || family_id || scope || issued_at || expires_at || \
               quote(revoked_at) FROM access_tokens \
             UNION ALL SELECT quote(digest) || family_id || issued_at || expires_at || \
               quote(rotated_at) || quote(successor) || quote(retry_until) || quote(sealed_retry) \
               FROM refresh_tokens ORDER BY 1";
        let before = rows(tokens);
        assert_eq!(before.len(), 3);

        migrate(&conn).unwrap();

        assert_eq!(rows(tokens), before, "every token and column kept");
        let indexes = rows(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ('access_tokens', 'refresh_tokens') ORDER BY name",
        );
        assert_eq!(
            indexes,
            [
                "access_tokens_expiry",
                "refresh_tokens_expiry",
                "refresh_tokens_sealed"
            ]
        );
        let keys = rows(
            "SELECT \"table\" FROM pragma_foreign_key_list('access_tokens') \
             UNION ALL SELECT \"table\" FROM pragma_foreign_key_list('refresh_tokens')",
        );
        assert!(keys.is_empty(), "{keys:?}");
        // The family goes; its tokens stay (the purge takes them by their own expiry).
        conn.execute("DELETE FROM token_families", []).unwrap();
        assert_eq!(rows(tokens).len(), 3);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let conn = memory();
        migrate(&conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (9999, x'00', 0)",
            [],
        )
        .unwrap();
        let error = migrate(&conn).unwrap_err();
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("9999"), "{source}");
    }

    #[test]
    fn a_changed_migration_is_refused() {
        let conn = memory();
        migrate(&conn).unwrap();
        conn.execute(
            "UPDATE schema_migrations SET checksum = x'00' WHERE version = 1",
            [],
        )
        .unwrap();
        let error = migrate(&conn).unwrap_err();
        assert!(matches!(error, OpenError::Migrate(_)), "{error:?}");
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("differs"), "{source}");
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let conn = memory();
        // A table of the schema already there: the first migration fails part-way and is rolled back.
        conn.execute_batch("CREATE TABLE codes (x INTEGER)")
            .unwrap();
        assert!(migrate(&conn).is_err());
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' \
                 AND name IN ('clients', 'schema_migrations')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            tables, 0,
            "the migration's earlier statements were rolled back"
        );
        assert!(conn.is_autocommit(), "no transaction is left open");
    }
}
