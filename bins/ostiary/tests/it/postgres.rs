//! The same binary on PostgreSQL, when `OSTIARY_TEST_POSTGRES_URL` names a server.

use crate::Workspace;

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

#[test]
fn migrate_clients_keys_and_serve_on_postgres() {
    let Some(url) = postgres_url() else {
        return;
    };
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
