//! The same binary on PostgreSQL, when `OSTIARY_TEST_POSTGRES_URL` names a server.

use sqlx::Connection as _;

use crate::{Workspace, block_on};

/// The test server's URL, or a loud skip.
fn postgres_url() -> Option<String> {
    match std::env::var("OSTIARY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "SKIPPED: OSTIARY_TEST_POSTGRES_URL is not set; the PostgreSQL tests of the ostiary \
                 binary did not run"
            );
            None
        }
    }
}

/// A database created for this test on the test server, dropped when done.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    fn create(admin_url: String) -> Self {
        let name = format!("ostiary_bin_{}", uuid_like());
        block_on(async {
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            // The name is ours: a fixed prefix and hex digits.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.unwrap();
        });
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Self {
            admin_url,
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        block_on(async move {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await;
                let _ = admin.close().await;
            }
        });
    }
}

/// 16 hex digits from the clock and the process id: unique enough for concurrent test runs.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{:08x}{:08x}", std::process::id(), nanos)
}

#[test]
fn migrate_clients_keys_and_serve_on_postgres() {
    let Some(admin_url) = postgres_url() else {
        return;
    };
    let database = Database::create(admin_url);
    let url = database.url.clone();
    let ws = Workspace::new().env("OSTIARY_DATABASE_URL", &url);
    assert!(ws.run(&["migrate"]).ok().contains("PostgreSQL"));
    // Idempotent, and safe beside other instances (an advisory lock serializes migrations).
    ws.run(&["migrate"]).ok();

    let created = ws
        .run(&[
            "client",
            "create",
            "--name",
            "PG test",
            "--redirect-uri",
            "https://pg.example/cb",
            "--json",
        ])
        .json();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let listed = ws.run(&["client", "list", "--json"]).json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == id.as_str())
    );
    assert!(
        !ws.run(&["keys", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );

    let server = ws.serve();
    let logs = server.logs();
    assert!(logs.contains("database=PostgreSQL postgres://"), "{logs}");
    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0), "{logs}");

    ws.run(&["client", "delete", &id, "--yes"]).ok();
    assert!(
        !ws.file("ostiary.db").exists(),
        "no SQLite file on PostgreSQL"
    );
}
