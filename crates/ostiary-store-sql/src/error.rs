//! Errors: opening a store ([`OpenError`]) and the mapping of `sqlx` (PostgreSQL) and `rusqlite`
//! (SQLite) errors to [`StoreError`].

use ostiary_store::StoreError;
use rusqlite::ffi;
use sqlx::error::{DatabaseError, ErrorKind};

/// Why a store could not be opened, connected or migrated.
///
/// The sources carry the detail (file paths, server messages) for logs; the messages themselves are fixed
/// text and never contain the connection URL, which may hold a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The options are unusable (for example a PostgreSQL pool of zero connections).
    #[error("invalid store options: {0}")]
    InvalidOptions(&'static str),
    /// The connection URL could not be parsed.
    #[error("invalid database URL")]
    InvalidUrl(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database could not be opened or reached.
    #[error("could not connect to the database")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Applying the migrations failed (or the database has migrations this build does not know).
    #[error("could not apply the database migrations")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Unique and foreign-key constraints, by their PostgreSQL name and the column list SQLite reports
/// (`UNIQUE constraint failed: <columns>`). Both backends report the PostgreSQL name.
const CONSTRAINTS: &[(&str, &str)] = &[
    ("clients_pkey", "clients.id"),
    ("users_pkey", "users.id"),
    ("users_login_key", "user_logins.login"),
    ("organizations_pkey", "organizations.id"),
    (
        "memberships_pkey",
        "memberships.organization_id, memberships.user_id",
    ),
    ("memberships_organization_fkey", ""),
    ("memberships_user_fkey", ""),
    ("sessions_pkey", "sessions.id"),
    ("sessions_cookie_digest_key", "sessions.cookie_digest"),
    ("session_clients_session_fkey", ""),
    ("codes_pkey", "codes.digest"),
    ("token_families_pkey", "token_families.id"),
    ("access_tokens_pkey", "access_tokens.digest"),
    ("refresh_tokens_pkey", "refresh_tokens.digest"),
    ("consents_pkey", "consents.user_id, consents.client_id"),
    ("org_authorizations_pkey", "org_authorizations.id"),
    (
        "org_authorizations_one_active",
        "org_authorizations.organization_id, org_authorizations.client_id",
    ),
    ("logout_outbox_pkey", "logout_outbox.id"),
    ("signing_keys_pkey", "signing_keys.position"),
    ("signing_keys_kid_key", "signing_keys.kid"),
    ("digest_keys_pkey", "digest_keys.id"),
    ("digest_keys_one_current", "digest_keys.current"),
];

/// Maps a `sqlx` (PostgreSQL) error to a [`StoreError`]: unique and foreign-key violations become
/// [`StoreError::Conflict`] naming the constraint (never the value), decoding failures
/// [`StoreError::Corrupt`], anything else [`StoreError::Backend`].
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => {
                StoreError::Conflict(constraint_name(db.as_ref(), "unique"))
            }
            ErrorKind::ForeignKeyViolation => {
                StoreError::Conflict(constraint_name(db.as_ref(), "foreign key"))
            }
            _ => StoreError::backend(error),
        },
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt("row"),
        _ => StoreError::backend(error),
    }
}

/// Whether `error` is a violation of the named unique or foreign-key constraint.
pub(crate) fn is_violation(error: &sqlx::Error, constraint: &str) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            matches!(
                db.kind(),
                ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation
            ) && constraint_name(db.as_ref(), "") == constraint
        }
        _ => false,
    }
}

/// Whether `error` is a foreign-key violation (PostgreSQL).
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == ErrorKind::ForeignKeyViolation)
}

/// The [`StoreError::Conflict`] reason of a SQLite foreign-key violation: SQLite does not name the
/// constraint ("FOREIGN KEY constraint failed").
pub(crate) const SQLITE_FOREIGN_KEY: &str = "foreign key";

/// Maps a `rusqlite` (SQLite) error to a [`StoreError`], exactly as [`store_error`] maps PostgreSQL's:
/// unique and primary-key violations are [`StoreError::Conflict`] naming the constraint (read from
/// SQLite's message, which names the columns, never the value), a foreign-key violation is
/// `Conflict("foreign key")` ([`SQLITE_FOREIGN_KEY`]), a value of the wrong type
/// [`StoreError::Corrupt`], anything else [`StoreError::Backend`].
pub(crate) fn sqlite_error(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, message) => match failure.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                StoreError::Conflict(constraint_from_message(
                    message.as_deref().unwrap_or_default(),
                    "unique",
                ))
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::Conflict(SQLITE_FOREIGN_KEY),
            _ => StoreError::backend(error),
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt("row"),
        _ => StoreError::backend(error),
    }
}

fn constraint_name(db: &dyn DatabaseError, fallback: &'static str) -> &'static str {
    if let Some(name) = db.constraint() {
        return CONSTRAINTS
            .iter()
            .find(|(known, _)| *known == name)
            .map_or(fallback, |(known, _)| known);
    }
    constraint_from_message(db.message(), fallback)
}

/// SQLite names the columns, not the constraint: "UNIQUE constraint failed: users.username".
fn constraint_from_message(message: &str, fallback: &'static str) -> &'static str {
    let columns = message
        .split_once("constraint failed: ")
        .map_or("", |(_, columns)| columns);
    if columns.is_empty() {
        return fallback;
    }
    CONSTRAINTS
        .iter()
        .find(|(_, cols)| *cols == columns)
        .map_or(fallback, |(known, _)| known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sqlite_messages_map_to_constraint_names() {
        let cases = [
            (
                "UNIQUE constraint failed: user_logins.login",
                "users_login_key",
            ),
            ("UNIQUE constraint failed: codes.digest", "codes_pkey"),
            (
                "UNIQUE constraint failed: org_authorizations.organization_id, org_authorizations.client_id",
                "org_authorizations_one_active",
            ),
            ("FOREIGN KEY constraint failed", "fallback"),
            ("UNIQUE constraint failed: nowhere.nothing", "fallback"),
        ];
        for (message, name) in cases {
            assert_eq!(
                constraint_from_message(message, "fallback"),
                name,
                "{message}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_message_maps_to_a_known_name_or_the_fallback(message in "\\PC{0,120}") {
            let name = constraint_from_message(&message, "fallback");
            prop_assert!(name == "fallback" || CONSTRAINTS.iter().any(|(known, _)| *known == name));
        }
    }
}
