//! The PostgreSQL backend: a connection pool, safe for several server instances sharing one database.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ostiary_store::StoreResult;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::OpenError;
use crate::error::store_error;

mod clients;
mod codes;
mod keys;
mod orgauth;
mod purge;
mod sessions;
mod tokens;
mod users;

/// Prepared statements kept per connection: more than the store has, so none is ever re-prepared.
const STATEMENT_CACHE: usize = 256;

/// A pooled connection idle for longer than this is pinged before it is handed out.
///
/// sqlx pings every connection on every acquire by default: a second round trip for each
/// single-statement read (a token lookup measured 92–105 µs over loopback with it). A connection
/// used moments ago is alive; one that sat idle may have been closed by a database restart, a
/// failover or a proxy's idle timeout, and the ping finds that out before a request does (sqlx then
/// drops it and hands out another).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The PostgreSQL migrations, embedded at compile time from `migrations/postgres`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Options of [`PostgresStore::connect`]: start from the default and change what you need, with the
/// setters or with struct update syntax (`PostgresOptions { max_connections: 20, ..Default::default() }`).
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// The most connections this instance opens. Size it so that every instance's pool together stays
    /// under the server's `max_connections`.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long an operation waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// Whether [`PostgresStore::connect`] applies pending migrations (the default). Migrations take a
    /// PostgreSQL advisory lock, so instances starting together apply them once.
    pub migrate: bool,
}

impl Default for PostgresOptions {
    /// 10 connections, none kept idle, 10 s acquire timeout, migrations on.
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
            migrate: true,
        }
    }
}

impl PostgresOptions {
    /// Sets [`Self::max_connections`].
    pub fn max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Sets [`Self::min_connections`].
    pub fn min_connections(mut self, min_connections: u32) -> Self {
        self.min_connections = min_connections;
        self
    }

    /// Sets [`Self::acquire_timeout`].
    pub fn acquire_timeout(mut self, acquire_timeout: Duration) -> Self {
        self.acquire_timeout = acquire_timeout;
        self
    }

    /// Sets [`Self::migrate`].
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }
}

/// The PostgreSQL store. Cheap to clone: clones share the pool.
///
/// Every atomic operation of the store traits is one statement or one transaction under READ COMMITTED,
/// with row locks or compare-and-set `UPDATE`s where requests may race, on one instance or several.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl fmt::Debug for PostgresStore {
    /// Pool statistics only: never the connection options, which may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.size())
            .field("idle", &self.pool.num_idle())
            .field("closed", &self.pool.is_closed())
            .finish()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database?sslmode=…`) and
    /// applies pending migrations unless [`PostgresOptions::migrate`] is off. The pool connects lazily
    /// beyond the first connection, which is opened here to fail fast on a wrong URL or password.
    /// A pooled connection idle for a second or more is pinged before use and replaced if the server
    /// closed it; one used more recently is handed out as it is (see `PING_IF_IDLE_FOR`).
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self, OpenError> {
        if options.max_connections == 0 {
            return Err(OpenError::InvalidOptions(
                "max_connections must be at least 1",
            ));
        }
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| OpenError::InvalidUrl(Box::new(e)))?
            .application_name("ostiary")
            .statement_cache_capacity(STATEMENT_CACHE);
        let pool = PgPoolOptions::new()
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .max_connections(options.max_connections)
            .min_connections(options.min_connections.min(options.max_connections))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| OpenError::Connect(Box::new(e)))?;
        let store = Self { pool };
        if options.migrate {
            store.migrate().await?;
        }
        tracing::info!(
            max_connections = options.max_connections,
            "connected PostgreSQL store"
        );
        Ok(store)
    }

    /// Applies the migrations this build embeds that the database has not seen yet. Idempotent and safe
    /// to run from several instances at once (an advisory lock serializes them). This is what
    /// `ostiary migrate` runs.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| OpenError::Migrate(Box::new(e)))
    }

    /// Closes every connection, waiting for operations in flight. Later operations fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A READ COMMITTED transaction.
    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(store_error)
    }
}

/// A listing query: `$1` is the `LIMIT`, and `$2`, bound only when present, the key it filters on.
fn paged(
    sql: &'static str,
    limit: usize,
    key: Option<uuid::Uuid>,
) -> sqlx::query::Query<'static, Postgres, <Postgres as sqlx::Database>::Arguments> {
    let query = sqlx::query(sql).bind(crate::encode::limit(limit));
    match key {
        Some(key) => query.bind(key),
        None => query,
    }
}
