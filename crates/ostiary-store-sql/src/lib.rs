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
//! # SQLite: execution model, concurrency and durability
//!
//! The database is one file in WAL mode with foreign keys on, driven in-process through `rusqlite`
//! (SQLite bundled). A **read** runs on the thread of the task that called the store: an indexed point
//! read takes microseconds, less than handing it to another thread would. A **write** is queued and
//! group-committed, on the caller's thread when that needs no wait, else on the store's writer thread.
//!
//! - **One writer connection** (see `sqlite/writer.rs`). Callers queue their write and await its
//!   answer; whoever runs the next batch (the caller that found none running, if it can start a
//!   transaction at once under `synchronous = NORMAL`, else the store's writer thread) takes everything
//!   queued meanwhile (at most 256 operations; the caller first yields to the runtime once, so that the
//!   writes of the tasks runnable beside it join), runs it in **one** `BEGIN IMMEDIATE` transaction,
//!   commits once, and only then answers every caller. Each operation runs inside its own `SAVEPOINT` (a failing operation is rolled back
//!   to its savepoint and fails alone; a panicking one likewise), except the hot writes (code insert,
//!   code exchange and consume, `create_family`, rotation), which refuse only before their first
//!   change and so need none; one that fails after a change anyway rolls back its whole batch (the
//!   operations before it fail as not committed). Each atomic operation of the store traits is still
//!   one statement or one operation run on the one connection holding the
//!   database's write lock, so nothing of this process can interleave with it, and no caller hears of
//!   success before its batch's `COMMIT` returned. If the commit fails (or SQLite rolls the transaction
//!   back, on a full disk or an I/O error), every operation of that batch gets the error. An idle store
//!   runs a lone write as a batch of one, on the caller's thread. A store opened on `:memory:` has no
//!   writer thread: its writes run on the calling thread, one statement or transaction at a time.
//! - **Read-only readers** ([`SqliteOptions::readers`], `query_only`). A read takes the writer
//!   connection if it is free — its page cache is the only one that no commit invalidates (in WAL mode
//!   every commit makes each other connection drop its whole cache at its next read) — or else the first
//!   free reader by a non-blocking try-lock in round-robin order, so a read never waits for a write; it
//!   waits only when every connection is busy (more threads than connections), for microseconds. Each
//!   read sees the last committed state.
//! - Every statement is prepared once per connection and kept (`prepare_cached`).
//! - **Another process** writing the same file (the `ostiary` CLI beside a running server) is
//!   serialized by SQLite's file locks: `BEGIN IMMEDIATE` takes the write lock up front and waits up to
//!   [`SqliteOptions::busy_timeout`] for it instead of failing mid-way. That wait blocks the writer
//!   thread, never a Tokio worker: a caller's `BEGIN IMMEDIATE` does not wait (busy timeout zero) and
//!   leaves a refused batch to the thread. The CLI's transactions are short.
//!
//! Why not sqlx for SQLite (it still drives PostgreSQL): its SQLite driver runs each connection on a
//! worker thread of its own and hands every query over a channel, so each query costs two thread
//! handoffs plus per-statement overhead, and context switches dominated the server's profile. Measured
//! on the same shared 2-core machine (`cargo bench -p ostiary-benches --bench store`, mean per call,
//! sqlx → this backend; ±20 % between runs): `get_access_token` 93 → 6.4–9.3 µs, `get_refresh_token`
//! 102 → 6.5 µs, `get_client` 106 → 5.4 µs (decoded metadata is reused while the row's JSON is
//! unchanged), `get_user` 92 → 4.6 µs, `get_session_by_cookie` 79 → 4.2 µs, `consume_code`
//! 231 → 23 µs, `rotate_refresh` 483 → 133 µs, `create_family` 514 → 153 µs. Through the server
//! (`benches/run-load.sh`, 32 clients, SQLite): introspection 7.1k → 21–26k requests/s, refresh
//! 1.3k → 3.4–4.2k, SSO flows 0.67k → 1.4–2.4k (those figures are from before group commit).
//!
//! What bounds a write is SQLite's WAL itself: a commit writes every page it changed as a WAL frame,
//! and a family with its tokens changes about 17 pages (the three token tables carry 13 indexes, most
//! on random keys). Group commit writes a page shared by the operations of a batch (interior and
//! right-most leaf pages) once per batch and syncs once per batch; the statements themselves (B-tree
//! inserts into those indexes) remain, roughly 100–150 µs of the writer thread per rotation on the
//! machine measured, and they bound the write rate of one SQLite file (about 3.5k refresh rotations per
//! second there). A deployment that needs more writes per second runs PostgreSQL.
//!
//! ## Durability
//!
//! [`Synchronous::Normal`] (the default) syncs the WAL at checkpoints, not at commits: a crash of the
//! process loses nothing, a power loss or OS crash may lose the transactions acknowledged shortly
//! before it (the database stays consistent). [`Synchronous::Full`] syncs the WAL at every commit, so
//! acknowledged writes survive power loss too. Since a commit covers a whole batch, `Full` costs one
//! `fsync` per batch, not per operation (≈ 0.3 ms on the disk measured): a lone write waits for it, and
//! under load the operations that queued meanwhile share the next one, so the write rate is not bounded
//! by the disk's `fsync` rate. Under `Full` every batch runs on the writer thread, so the `fsync`
//! happens there; a Tokio worker never waits for an `fsync` in either mode (under `Normal` a commit
//! writes the WAL into the page cache, and the checkpoints' `fsync`s run on their own thread).
//!
//! ## Checkpoints
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, stalling that
//! request for the copy and its `fsync`s, so the writer has it off (`wal_autocheckpoint = 0`) and a
//! background thread of the store does them on a connection of its own: a `PASSIVE` checkpoint every
//! 200 ms (it takes no lock that readers or the writer need; the next write starts the WAL over once
//! all of it is copied); a `RESTART` checkpoint, on the writer under its mutex, when sustained writes
//! have let the WAL grow past 8192 frames (32 MiB), so this store's writes wait for it for a few
//! milliseconds instead of the WAL growing without end (`RESTART` keeps the file's blocks; a truncated
//! WAL made every following write allocate them again, measurably slower); and a `TRUNCATE`
//! checkpoint once the store is idle, giving the disk space back. [`SqliteStore::close`] stops the
//! thread and closes the writer last, so its close checkpoints and removes the WAL.
//!
//! | operation | SQLite: connection and statements (reads on the calling thread; writes in a group commit on the caller's or the writer thread, each in its own savepoint except the hot writes) |
//! |---|---|
//! | `get_access_token`, `get_refresh_token` | read: one indexed join of the token and its family |
//! | `get_client`, `get_user`, `get_family`, `get_consent`, … | read: one primary-key lookup |
//! | `get_session_by_cookie`, `get_session` | read: the session left-joined with its clients, one statement |
//! | `consume_code` | writer: the code read `WHERE consumed_at IS NULL AND expires_at > now`, then `UPDATE … SET consumed_at … WHERE consumed_at IS NULL` for the winner (no `RETURNING`: SQLite builds a temporary table for one); a loser marks the replay and revokes the family in one transaction |
//! | `create_family` | writer, one transaction: the live-grant checks (code not replayed, session unexpired, authorization active) in one `SELECT`, then the family, its tokens and the session's client (`INSERT … ON CONFLICT DO NOTHING`) |
//! | `exchange_code` | writer, one operation (one commit): the client read and the credentials checked (a mismatch ends it before any change), the consume's read and `UPDATE`, the caller's check, then `create_family`'s checks and inserts, then the code's user (the reads on the writer's warm cache); every refusal after the consume comes before a change of its own, so the consume stays |
//! | `rotate_refresh` | writer, one transaction: the compare-and-set `UPDATE` of the presented token, then its successor and the access token; a loser reads the settled state (retry, replay revoking the family, or invalid) |
//! | `refresh_grant` | writer, one operation: the token, its family, its user and the family's client (one statement) read on the writer's connection, the caller's check, then `rotate_refresh`'s transaction; a refusal writes nothing |
//! | `end_session`, `delete_client`, `transition_org_authorization`, `claim_due_logouts`, `swap_signing_keys`, `insert_user`, `update_user` | writer, one transaction each |
//! | other writes | writer, one statement |
//! | checkpoints | the store's checkpoint thread (`RESTART`/`TRUNCATE` on the writer, under its mutex) |
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
//! | `create_family` | one statement: materialized CTEs read and lock what the grant depends on — the code `FOR UPDATE`, the session `FOR KEY SHARE`, the organization authorization `FOR SHARE` — and the family and token inserts (and the session's client, `ON CONFLICT DO NOTHING`) run only if the code was not replayed, the session is unexpired and the authorization active; a concurrent replay, `end_session` or revocation either commits first (the family is refused) or waits for the lock and then, in a later statement, revokes the family |
//! | `exchange_code` | the client read and the credentials checked first (a query of its own; a mismatch ends it), then one transaction: the consume's `UPDATE … RETURNING` (its row lock), the caller's check, then the `create_family` statement, which refuses a dead grant or a taken id or digest without an error, so the consume commits either way; a code not consumed takes `consume_code`'s loser path; the code's user is read after the commit |
//! | `reauthenticate_session` | one `UPDATE sessions … WHERE id = …`: racing calls take turns on the row lock and the last one wins whole; the unique index on the cookie digest refuses another session's cookie |
//! | `rotate_refresh` | one statement: the `UPDATE … WHERE rotated_at IS NULL` of the presented token and the two inserts as data-modifying CTEs fed by its `RETURNING`; losers read the settled state and get retry, replay (revoking the family) or invalid |
//! | `refresh_grant` | the trait's default: `get_refresh_token_with_user`, `get_client`, the caller's check, then `rotate_refresh` (whose own atomicity makes the sequence correct) |
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
//! told not to); [`SqliteStore::migrate`] and [`PostgresStore::migrate`] do it on demand (`ostiary
//! migrate`). A database that has a migration this build does not know (a newer server migrated it),
//! or whose applied migration differs from this build's file, is refused rather than used.
//!
//! - PostgreSQL: sqlx's migrator, recording them in `_sqlx_migrations`; an advisory lock makes
//!   instances that start together migrate once.
//! - SQLite: a small migrator of this crate, recording them in `schema_migrations(version, checksum,
//!   applied_at)` with each file's SHA-256, all in one `BEGIN IMMEDIATE` transaction (two processes
//!   migrating at once take turns; a failing migration leaves nothing behind). It does not read sqlx's
//!   `_sqlx_migrations` table of earlier builds: no SQLite database of those was ever deployed.
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
