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

/// The pool hands out a connection used moments ago without a ping (one round trip per read, not
/// two), but one that sat idle is pinged first: a connection the server closed meanwhile (a restart,
/// a failover, a proxy's idle timeout) is replaced instead of failing the request that draws it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_the_server_closed_is_replaced_before_a_read_uses_it() {
    let Some(url) = postgres_url() else {
        return skipped("a_pooled_connection_the_server_closed_is_replaced_before_a_read_uses_it");
    };
    let db = fresh_postgres_database(&url).await;
    let options = PostgresOptions {
        max_connections: 1,
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect(&db, options).await.unwrap();
    // A read that needs the connection: an unknown client is found absent, not an error.
    let read = async || store.get_client(ClientId::new_random()).await;
    assert!(read().await.unwrap().is_none());

    // Another session ends the pool's only connection, as a server restart would.
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&db)
        .await
        .unwrap();
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'ostiary') t WHERE ended",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(ended, 1, "the store's one pooled connection");

    // Past the idle threshold (1 s), the next acquire pings, finds it dead and opens another.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(read().await.unwrap().is_none());
    assert!(read().await.unwrap().is_none());
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
