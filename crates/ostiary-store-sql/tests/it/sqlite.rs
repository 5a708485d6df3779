//! SQLite: the conformance suite (a fresh file per case), durability across a reopen, migrations, and two
//! store instances racing on one file.

use ostiary_store::*;
use ostiary_store_sql::{OpenError, SqliteOptions, SqliteStore, Synchronous};
use rusqlite::Connection;

use crate::support::{temp_db_path, temp_dir};
use crate::{common, fixtures};

mod conformance {
    ostiary_store::conformance_tests!(crate::support::fresh_sqlite);
}

mod two_instances {
    use ostiary_store_sql::{SqliteOptions, SqliteStore};

    /// Two stores (two writers, two reader pools) on one file, like two processes.
    async fn pair(_test: &str) -> Option<(SqliteStore, SqliteStore)> {
        let path = crate::support::temp_db_path();
        let a = SqliteStore::open(SqliteOptions::new(&path)).await.unwrap();
        let b = SqliteStore::open(SqliteOptions::new(&path)).await.unwrap();
        Some((a, b))
    }

    crate::races::race_tests!(pair);
}

/// The same races with `synchronous = FULL`, where writes run on Tokio's blocking threads.
mod two_instances_full {
    use ostiary_store_sql::{SqliteOptions, SqliteStore, Synchronous};

    async fn pair(_test: &str) -> Option<(SqliteStore, SqliteStore)> {
        let path = crate::support::temp_db_path();
        let options = SqliteOptions::new(&path).synchronous(Synchronous::Full);
        let a = SqliteStore::open(options.clone()).await.unwrap();
        let b = SqliteStore::open(options).await.unwrap();
        Some((a, b))
    }

    crate::races::race_tests!(pair);
}

async fn reopen_round_trip(synchronous: Synchronous) {
    let dir = temp_dir();
    let path = dir.path().join("ostiary.db");
    let options = SqliteOptions::new(&path).synchronous(synchronous);
    let store = SqliteStore::open(options.clone()).await.unwrap();
    let written = common::write_every_kind(&store).await;
    store.close().await;
    drop(store);
    let store = SqliteStore::open(options).await.unwrap();
    common::read_back(&store, &written).await;
    store.close().await;
}

#[tokio::test]
async fn every_record_kind_survives_close_and_reopen() {
    reopen_round_trip(Synchronous::Normal).await;
}

#[tokio::test]
async fn every_record_kind_survives_close_and_reopen_with_synchronous_full() {
    reopen_round_trip(Synchronous::Full).await;
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let path = temp_db_path();
    let first = SqliteStore::open(SqliteOptions::new(&path)).await.unwrap();
    first.migrate().await.unwrap();
    first.close().await;
    let second = SqliteStore::open(SqliteOptions::new(&path)).await.unwrap();
    second.migrate().await.unwrap();
    second.close().await;
    let conn = Connection::open(&path).unwrap();
    let applied: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(
        applied,
        i64::try_from(files).unwrap(),
        "each migration applied once"
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn opening_without_migrations_leaves_the_file_empty() {
    let path = temp_db_path();
    let store = SqliteStore::open(SqliteOptions::new(&path).migrate(false))
        .await
        .unwrap();
    assert!(
        store.get_user(UserId::new_random()).await.is_err(),
        "no schema until migrate() runs"
    );
    store.migrate().await.unwrap();
    assert!(
        store
            .get_user(UserId::new_random())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_unopenable_path_is_an_open_error() {
    let dir = temp_dir();
    let path = dir.path().join("missing-directory").join("ostiary.db");
    let result = SqliteStore::open(SqliteOptions::new(path)).await;
    assert!(matches!(result, Err(OpenError::Connect(_))), "{result:?}");
}

#[tokio::test]
async fn readers_zero_and_in_memory_stores_work() {
    let store = SqliteStore::open(SqliteOptions::new(temp_db_path()).readers(0))
        .await
        .unwrap();
    common::conflicts_name_their_constraint(&store).await;
    let memory = SqliteStore::open_in_memory().await.unwrap();
    let written = common::write_every_kind(&memory).await;
    common::read_back(&memory, &written).await;
}

#[tokio::test]
async fn conflicts_name_their_constraint() {
    let store = crate::support::fresh_sqlite().await;
    common::conflicts_name_their_constraint(&store).await;
}

#[tokio::test]
async fn a_corrupt_row_is_reported_not_a_panic() {
    let path = temp_db_path();
    let store = SqliteStore::open(SqliteOptions::new(&path)).await.unwrap();
    let user = fixtures::user("ada");
    store.insert_user(&user).await.unwrap();
    let client = fixtures::client();
    store.insert_client(&client).await.unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE users SET profile = 'not json'", [])
        .unwrap();
    conn.execute("UPDATE clients SET metadata = replace(metadata, 'https://acme.example/callback', 'javascript:alert(1)')", [])
        .unwrap();
    assert!(matches!(
        store.get_user(user.id).await,
        Err(StoreError::Corrupt("users.profile"))
    ));
    // Stored redirect URIs are re-validated on the way out.
    assert!(matches!(
        store.get_client(client.id).await,
        Err(StoreError::Corrupt("clients.metadata"))
    ));
}

#[tokio::test]
async fn close_checkpoints_and_removes_the_wal_then_refuses_work() {
    let path = temp_db_path();
    let store = SqliteStore::open(SqliteOptions::new(&path)).await.unwrap();
    common::write_every_kind(&store).await;
    let wal = path.with_file_name("ostiary.db-wal");
    assert!(wal.exists(), "a WAL while the store is open");
    store.close().await;
    assert!(
        !wal.exists(),
        "the last connection's close checkpoints and removes the WAL"
    );
    assert!(matches!(
        store.get_user(UserId::new_random()).await,
        Err(StoreError::Backend(_))
    ));
    assert!(matches!(
        store.insert_user(&fixtures::user("late")).await,
        Err(StoreError::Backend(_))
    ));
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_build_is_refused() {
    let path = temp_db_path();
    SqliteStore::open(SqliteOptions::new(&path))
        .await
        .unwrap()
        .close()
        .await;
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (9999, x'00', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let result = SqliteStore::open(SqliteOptions::new(&path)).await;
    assert!(matches!(result, Err(OpenError::Migrate(_))), "{result:?}");
}
