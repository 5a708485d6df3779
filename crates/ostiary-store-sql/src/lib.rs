//! SQL storage backends for Ostiary: [`SqliteStore`] (the default: one embedded file, nothing to install)
//! and [`PostgresStore`] (for several server instances behind a load balancer). Both implement every trait
//! of [`ostiary_store`], so each is an [`ostiary_store::Store`], and both pass its conformance suite.
//!
//! # What the store guarantees, and which RFC rules rest on it
//!
//! The atomic operations of the store traits are one statement or one transaction here, correct when
//! requests race on one instance or on several sharing a database:
//! single-use authorization codes whose replay revokes what they issued (RFC 6749 §4.1.2), refresh-token
//! rotation with replay detection (RFC 9700 §4.14.2), revocation (RFC 7009), and a durable back-channel
//! logout outbox (OIDC Back-Channel Logout 1.0 §2.5–2.8) that a restart never loses. Bearer secrets are
//! stored only as their keyed digests (see [`ostiary_store::secret`]).
//!
//! # What it deliberately does not do
//!
//! No protocol rules (those live in `ostiary-core`), no caching, no encryption at rest: the signing keys
//! and digest keys are stored in recoverable form (the tables say so), so protect the SQLite file or the
//! PostgreSQL tables like a key file. It does not schedule housekeeping: call
//! [`Maintenance::purge_expired`](ostiary_store::Maintenance::purge_expired) periodically. It never logs a
//! secret, a digest in full, or the connection URL.
//!
//! # SQLite: concurrency and durability
//!
//! The database is one file in WAL mode with foreign keys on. Every write runs on a single writer
//! connection, so writes are serialized; operations of several statements run in `BEGIN IMMEDIATE`
//! transactions, which take the write lock up front, so another process writing the same file (the
//! `ostiary` CLI beside a running server) waits up to [`SqliteOptions::busy_timeout`] instead of failing
//! mid-way. Reads run on a pool of read-only connections ([`SqliteOptions::readers`]) that WAL lets
//! proceed beside the writer, each seeing the last committed state.
//!
//! [`Synchronous::Normal`] (the default) syncs the WAL at checkpoints: a crash of the process loses
//! nothing, a power loss or OS crash may lose the last transactions acknowledged before it (the database
//! stays consistent). [`Synchronous::Full`] syncs at every commit, so acknowledged writes survive power
//! loss too, at the cost of one `fsync` per write transaction.
//!
//! # PostgreSQL: locking, per atomic operation
//!
//! Transactions run at READ COMMITTED. A statement that must have a single winner is a compare-and-set
//! `UPDATE … WHERE <expected state>`: a racing writer waits for the row lock, re-checks the predicate on
//! the new row version and matches nothing. Follow-up reads are new statements, so their snapshot
//! includes the winner's commit.
//!
//! | operation | strategy |
//! |---|---|
//! | `consume_code` | `UPDATE codes SET consumed_at … WHERE consumed_at IS NULL AND expires_at > now RETURNING …`; a loser marks the replay with an `UPDATE` (taking the code's row lock) and revokes the family in a new statement, in one transaction |
//! | `create_family` | one statement: materialized CTEs read and lock what the grant depends on — the code `FOR UPDATE`, the session `FOR KEY SHARE`, the organization authorization `FOR SHARE` — and the family and token inserts run only if the code was not replayed, the session is unexpired and the authorization active; a concurrent replay, `end_session` or revocation either commits first (the family is refused) or waits for the lock and then, in a later statement, revokes the family |
//! | `reauthenticate_session` | one `UPDATE sessions … WHERE id = …`: racing calls take turns on the row lock and the last one wins whole; the unique index on the cookie digest refuses another session's cookie |
//! | `rotate_refresh` | one statement: the `UPDATE … WHERE rotated_at IS NULL` of the presented token and the two inserts as data-modifying CTEs fed by its `RETURNING`; losers read the settled state and get retry, replay (revoking the family) or invalid |
//! | `end_session` | transaction: `SELECT … FOR UPDATE` of the session (a second caller waits, then finds it gone; it also conflicts with `create_family`'s `FOR KEY SHARE`), then read its clients, delete, revoke, enqueue |
//! | `add_session_client` | `INSERT` whose foreign-key check waits for a concurrent `end_session` and then fails (`false`) |
//! | `transition_org_authorization` | `UPDATE … WHERE id = … AND state = <from> [AND pending_expires_at > now] RETURNING`; a partial unique index `WHERE state = 'active'` refuses a second active authorization of a pair (reported as `Transition::Conflict`); families revoked in the same transaction. The `UPDATE` changes no key column, so its lock is `FOR NO KEY UPDATE`: `create_family` takes `FOR SHARE` (not `FOR KEY SHARE`) to conflict with it |
//! | `claim_due_logouts` | `FOR UPDATE SKIP LOCKED` in a materialized CTE, then the lease `UPDATE` |
//! | `swap_signing_keys` | `UPDATE signing_key_set SET version = version + 1 WHERE version = <expected>`, then the keys, in one transaction |
//! | `insert_digest_key` | `LOCK TABLE digest_keys IN SHARE ROW EXCLUSIVE MODE` (serializes inserts, not reads); the primary key refuses a duplicate id |
//! | `insert_user`, `update_user` | usernames and e-mails share one `user_logins` primary key, so a taken login is a conflict even between concurrent registrations |
//! | `purge_expired` | per kind, a batch picked by a materialized CTE with `LIMIT … FOR UPDATE SKIP LOCKED`, predicate re-checked |
//!
//! # Migrations
//!
//! The schema lives in `migrations/sqlite/*.sql` and `migrations/postgres/*.sql`, embedded in the binary
//! at compile time. [`SqliteStore::open`] and [`PostgresStore::connect`] apply the pending ones (unless
//! told not to), recording them in `_sqlx_migrations`; [`SqliteStore::migrate`] and
//! [`PostgresStore::migrate`] do it on demand (`ostiary migrate`). On PostgreSQL an advisory lock makes
//! instances that start together migrate once. A database that has a migration this build does not know
//! (a newer server migrated it) is refused rather than used.
//!
//! # Schema conventions
//!
//! Ids are UUIDs (native on PostgreSQL, hyphenated text on SQLite); times are Unix seconds; digests are
//! 32-byte BLOB/BYTEA keys; scopes are the RFC 6749 §3.3 string form; client metadata is a JSON column
//! whose URIs are re-validated when read, with the fields queries filter on (`initiate_login_uri`,
//! `backchannel_logout_uri`) copied into columns. A unique violation is reported as
//! [`StoreError::Conflict`](ostiary_store::StoreError::Conflict) naming the constraint (never the value),
//! a row that does not decode as [`StoreError::Corrupt`](ostiary_store::StoreError::Corrupt) naming the
//! column.
//!
//! # Example
//!
//! ```
//! use ostiary_store::{ClientRegistration, ClientRegistry, DigestKeyMaterial, DigestKeyring};
//! use ostiary_store_sql::{SqliteOptions, SqliteStore, Synchronous};
//! use std::sync::Arc;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir()?;
//! let options = SqliteOptions::new(dir.path().join("ostiary.db")).synchronous(Synchronous::Full);
//! let store = SqliteStore::open(options.clone()).await?; // creates the file, applies migrations
//!
//! let key = DigestKeyMaterial::generate(1).map_err(|_| "the OS RNG failed")?;
//! let keyring = Arc::new(DigestKeyring::new([key], 1)?);
//! let registry = ClientRegistry::new(store.clone(), keyring.clone());
//! let registration = ClientRegistration {
//!     client_name: "Acme Books".into(),
//!     redirect_uris: vec!["https://acme.example/callback".into()],
//!     scope: "openid profile".into(),
//!     ..ClientRegistration::default()
//! };
//! let (client, secret) = registry.register(&registration, 1_700_000_000).await?;
//! store.close().await;
//!
//! // The client is still there after reopening the file.
//! let store = SqliteStore::open(options).await?;
//! let registry = ClientRegistry::new(store, keyring);
//! let authenticated = registry.authenticate(&client.id.to_string(), secret.expose_secret()).await?;
//! assert_eq!(authenticated.id, client.id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

mod columns;
mod decode;
mod encode;
mod error;
mod keys;
mod logic;
mod orgauth;
mod postgres;
mod sqlite;

pub use error::OpenError;
pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};
