//! The store backends every case runs on: in memory, SQLite in a temporary file, PostgreSQL in a fresh
//! database per case (dropped afterwards, also when the case panics).

use std::future::Future;

use ostiary_store::Store;
use ostiary_store::memory::MemoryStore;
use ostiary_store_sql::{PostgresOptions, PostgresStore, SqliteOptions, SqliteStore};

use crate::client::{install_crypto_provider, random_token};

/// A store backend the suite runs on.
pub trait Backend: Store + Sized {
    /// The backend's name, for messages.
    const NAME: &'static str;
    /// `Err(reason)` when this backend cannot run here.
    fn available() -> Result<(), &'static str> {
        Ok(())
    }
    /// A fresh, empty store, with what must be cleaned up after the case.
    fn create() -> impl Future<Output = (Self, Cleanup)> + Send;
}

/// What a store leaves behind.
pub enum Cleanup {
    Nothing,
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Database { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Database { admin_url, name } = self {
            // Dropped from synchronous code (also when a case panics): a thread with its own runtime.
            let (admin_url, database) = (admin_url.clone(), name.clone());
            let dropped = std::thread::spawn(move || {
                let name = database;
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    use sqlx::Connection;
                    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                });
            })
            .join();
            if dropped.is_err() {
                eprintln!("could not drop the test database {name}");
            }
        }
    }
}

impl Backend for MemoryStore {
    const NAME: &'static str = "memory";
    async fn create() -> (Self, Cleanup) {
        (MemoryStore::new(), Cleanup::Nothing)
    }
}

impl Backend for SqliteStore {
    const NAME: &'static str = "sqlite";
    async fn create() -> (Self, Cleanup) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(SqliteOptions::new(dir.path().join("ostiary.db")).readers(2))
            .await
            .unwrap();
        (store, Cleanup::Directory(dir))
    }
}

const POSTGRES_URL: &str = "OSTIARY_TEST_POSTGRES_URL";

impl Backend for PostgresStore {
    const NAME: &'static str = "postgres";
    fn available() -> Result<(), &'static str> {
        match std::env::var(POSTGRES_URL) {
            Ok(url) if !url.is_empty() => Ok(()),
            _ => Err("OSTIARY_TEST_POSTGRES_URL is not set"),
        }
    }
    async fn create() -> (Self, Cleanup) {
        use sqlx::Connection;
        let admin_url = std::env::var(POSTGRES_URL).unwrap();
        let name = format!(
            "ostiary_it_{}",
            random_token(12).to_ascii_lowercase().replace('-', "_")
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        // The name is ours: a fixed prefix and base64url characters.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let cleanup = Cleanup::Database {
            admin_url: admin_url.clone(),
            name: name.clone(),
        };
        let mut url = openidconnect::url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let store =
            PostgresStore::connect(url.as_str(), PostgresOptions::default().max_connections(12))
                .await
                .unwrap();
        (store, cleanup)
    }
}

/// Runs one case on backend `S`, or says loudly that it was skipped.
pub async fn run<S: Backend, F, Fut>(name: &str, case: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    if let Err(reason) = S::available() {
        // Straight to the process's stderr: libtest captures `eprintln!` of passing tests, and a skip
        // must never pass unnoticed.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: {reason} ({}::{name} did not run)",
            S::NAME
        );
        return;
    }
    install_crypto_provider();
    case().await;
}
