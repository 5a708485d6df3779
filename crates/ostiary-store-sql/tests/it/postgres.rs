//! PostgreSQL: the conformance suite (a fresh database per case) and two store instances (two pools, as
//! two servers would have) racing on one database. Every test says SKIPPED on stderr when
//! `OSTIARY_TEST_POSTGRES_URL` is unset.

use ostiary_store::*;
use ostiary_store_sql::{OpenError, PostgresOptions, PostgresStore};

use crate::common;
use crate::support::{connect_postgres, fresh_postgres_database, postgres_url, skipped};

mod conformance {
    ostiary_store::conformance_tests!(optional: crate::support::fresh_postgres);
}

mod two_instances {
    use ostiary_store_sql::PostgresStore;

    use crate::support::{connect_postgres, fresh_postgres_database, postgres_url, skipped};

    /// Two stores with their own pools on one fresh database, like two server instances.
    async fn pair(test: &str) -> Option<(PostgresStore, PostgresStore)> {
        let Some(url) = postgres_url() else {
            skipped(test);
            return None;
        };
        let db = fresh_postgres_database(&url).await;
        Some((connect_postgres(&db).await, connect_postgres(&db).await))
    }

    crate::races::race_tests!(pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_safe_to_run_concurrently() {
    let Some(url) = postgres_url() else {
        return skipped("migrations_are_idempotent_and_safe_to_run_concurrently");
    };
    let db = fresh_postgres_database(&url).await;
    // Two instances starting together on an empty database: the advisory lock lets one migrate.
    let (a, b) = tokio::join!(connect_postgres(&db), connect_postgres(&db));
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
    let written = common::write_every_kind(&a).await;
    common::read_back(&b, &written).await;
}

#[tokio::test]
async fn conflicts_name_their_constraint() {
    let Some(url) = postgres_url() else {
        return skipped("conflicts_name_their_constraint");
    };
    let store = connect_postgres(&fresh_postgres_database(&url).await).await;
    common::conflicts_name_their_constraint(&store).await;
}

#[tokio::test]
async fn every_record_kind_round_trips() {
    let Some(url) = postgres_url() else {
        return skipped("every_record_kind_round_trips");
    };
    let db = fresh_postgres_database(&url).await;
    let store = connect_postgres(&db).await;
    let written = common::write_every_kind(&store).await;
    store.close().await;
    let store = connect_postgres(&db).await;
    common::read_back(&store, &written).await;
}

#[tokio::test]
async fn a_corrupt_row_is_reported_not_a_panic() {
    let Some(url) = postgres_url() else {
        return skipped("a_corrupt_row_is_reported_not_a_panic");
    };
    let db = fresh_postgres_database(&url).await;
    let store = connect_postgres(&db).await;
    let user = crate::fixtures::user("ada");
    store.insert_user(&user).await.unwrap();
    let pool = sqlx::PgPool::connect(&db).await.unwrap();
    sqlx::query("UPDATE users SET profile = '{\"name\": 5}'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(matches!(
        store.get_user(user.id).await,
        Err(StoreError::Corrupt("users.profile"))
    ));
}

#[tokio::test]
async fn bad_options_and_urls_are_open_errors() {
    let zero = PostgresStore::connect(
        "postgres://localhost/x",
        PostgresOptions::default().max_connections(0),
    )
    .await;
    assert!(
        matches!(zero, Err(OpenError::InvalidOptions(_))),
        "{zero:?}"
    );
    let bad =
        PostgresStore::connect("postgres://localhost:port/x", PostgresOptions::default()).await;
    assert!(matches!(bad, Err(OpenError::InvalidUrl(_))), "{bad:?}");
}
