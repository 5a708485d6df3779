//! Fresh stores for every test: a SQLite file in its own temporary directory, or a PostgreSQL database
//! created for the test on the server named by `OSTIARY_TEST_POSTGRES_URL`.
//!
//! The conformance suite's factory returns only the store, so what must outlive it (the temporary
//! directory, the database) is handed to a guard kept in a thread-local of the test's thread and cleaned
//! up when that thread ends.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

use ostiary_store_sql::{PostgresOptions, PostgresStore, SqliteOptions, SqliteStore};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The environment variable naming the PostgreSQL server the tests may create databases on.
pub const POSTGRES_URL_VAR: &str = "OSTIARY_TEST_POSTGRES_URL";

/// Connections per test store: many tests run in parallel under the server's `max_connections`.
const TEST_POOL_SIZE: u32 = 5;

thread_local! {
    static CLEANUP: RefCell<Vec<Cleanup>> = const { RefCell::new(Vec::new()) };
}

/// Something a test leaves behind, removed when the test's thread ends.
enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Database { url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Database { url, name } = self {
            let (url, db) = (url.clone(), name.clone());
            // Drop runs outside any runtime: use a short-lived one on a helper thread.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut conn = PgConnection::connect(&url).await.ok()?;
                    let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await
                        .ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(_))) {
                // Straight to stderr, past libtest's capture, like the skip notices.
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "note: could not drop test database {name}"
                );
            }
        }
    }
}

fn keep_until_thread_ends(cleanup: Cleanup) {
    CLEANUP.with(|list| list.borrow_mut().push(cleanup));
}

/// A fresh temporary directory under the target directory.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ostiary-store-sql-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("create a temporary directory")
}

/// A database path in a fresh temporary directory that lives as long as the test's thread.
pub fn temp_db_path() -> PathBuf {
    let dir = temp_dir();
    let path = dir.path().join("ostiary.db");
    keep_until_thread_ends(Cleanup::Dir(dir));
    path
}

/// A fresh SQLite store in its own temporary file.
pub async fn fresh_sqlite() -> SqliteStore {
    let options = SqliteOptions {
        readers: 2,
        ..SqliteOptions::new(temp_db_path())
    };
    SqliteStore::open(options)
        .await
        .expect("open a fresh SQLite store")
}

/// The PostgreSQL server URL, or `None` (with a loud note) when the tests cannot use one.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Prints the skip notice of a PostgreSQL test. Written to the process's stderr directly: libtest
/// captures `eprintln!` of passing tests, and a skip must never pass unnoticed.
pub fn skipped(test: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "SKIPPED: {POSTGRES_URL_VAR} is not set: PostgreSQL test `{test}` did not run"
    );
}

/// Creates an empty database for one test and returns its URL. Dropped when the test's thread ends.
pub async fn fresh_postgres_database(url: &str) -> String {
    let name = format!("ostiary_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(url)
        .await
        .expect("connect to the PostgreSQL maintenance database");
    let sql = format!("CREATE DATABASE {name}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    conn.close().await.ok();
    keep_until_thread_ends(Cleanup::Database {
        url: url.to_owned(),
        name: name.clone(),
    });
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}dbname={name}")
}

/// A store on a fresh database, or `None` (said on stderr) when `OSTIARY_TEST_POSTGRES_URL` is unset.
pub async fn fresh_postgres() -> Option<PostgresStore> {
    let Some(url) = postgres_url() else {
        // libtest names the thread after the test.
        skipped(
            std::thread::current()
                .name()
                .unwrap_or("a conformance case"),
        );
        return None;
    };
    let db_url = fresh_postgres_database(&url).await;
    Some(connect_postgres(&db_url).await)
}

/// Another instance on an existing database.
pub async fn connect_postgres(db_url: &str) -> PostgresStore {
    let options = PostgresOptions {
        max_connections: TEST_POOL_SIZE,
        ..PostgresOptions::default()
    };
    PostgresStore::connect(db_url, options)
        .await
        .expect("connect a PostgreSQL store")
}
