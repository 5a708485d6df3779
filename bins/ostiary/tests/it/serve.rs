//! `ostiary serve` and `ostiary migrate`.

use crate::{Workspace, block_on, free_port, http};

/// The `kid="…"` value of the first log line containing `marker`.
fn logged_kid(logs: &str, marker: &str) -> String {
    let line = logs
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} line in:\n{logs}"));
    let start = line.find("kid=\"").expect("kid field") + 5;
    let end = start + line[start..].find('"').unwrap();
    line[start..end].to_owned()
}

#[test]
fn serve_with_no_configuration_creates_everything_answers_discovery_and_stops_on_sigterm() {
    let ws = Workspace::new();
    let server = ws.serve();
    let url = server.url();

    let (status, discovery, jwks) = block_on(async {
        let client = http();
        let response = client
            .get(format!("{url}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let discovery: serde_json::Value = response.json().await.unwrap();
        let jwks: serde_json::Value = client
            .get(discovery["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (status, discovery, jwks)
    });
    assert_eq!(status, 200);
    // The issuer follows the loopback listen address when none is configured.
    assert_eq!(discovery["issuer"], url.as_str());
    assert_eq!(discovery["token_endpoint"], format!("{url}/oauth/token"));

    let db = ws.file("ostiary.db");
    assert!(
        db.is_file(),
        "ostiary.db was not created in the working directory"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the database holds private keys: owner-only, got {mode:o}"
        );
    }

    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0), "{logs}");
    for expected in [
        "config=none (built-in defaults)",
        &format!("issuer={url}"),
        &format!("listen=127.0.0.1:{}", url.rsplit(':').next().unwrap()),
        "created the database; migrations applied",
        "database=SQLite file ostiary.db",
        "created the signing keys",
        "alg=ES256",
        "created the digest key",
        "listening",
        "signal=\"SIGTERM\"",
        "stopped",
    ] {
        assert!(logs.contains(expected), "logs lack {expected:?}:\n{logs}");
    }
    // The key the logs name is the one the JWKS publishes.
    let kid = logged_kid(&logs, "created the signing keys");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&kid.as_str()), "{kid} not in {kids:?}");

    // A second start loads what the first created, and SIGINT stops it as well.
    let server = ws.serve();
    let logs = server.logs();
    assert!(logs.contains("opened the database"), "{logs}");
    assert!(logs.contains("loaded the signing keys"), "{logs}");
    assert!(logs.contains("loaded the digest key"), "{logs}");
    assert_eq!(logged_kid(&logs, "loaded the signing keys"), kid);
    let (code, logs) = server.interrupt();
    assert_eq!(code, Some(0), "{logs}");
    assert!(logs.contains("signal=\"SIGINT\""), "{logs}");
}

#[test]
fn serve_logs_json_lines_when_asked() {
    let ws = Workspace::new().env("OSTIARY_LOG_FORMAT", "json");
    let server = ws.serve();
    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0));
    let mut saw_keys = false;
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if event["message"]
            .as_str()
            .is_some_and(|m| m.contains("created the signing keys"))
        {
            assert_eq!(event["alg"], "ES256");
            assert!(event["kid"].as_str().is_some_and(|k| !k.is_empty()));
            saw_keys = true;
        }
    }
    assert!(saw_keys, "{logs}");
}

#[test]
fn serve_reads_a_configuration_file_and_names_it() {
    let ws = Workspace::new();
    let port = free_port();
    std::fs::create_dir(ws.file("data")).unwrap();
    std::fs::write(
        ws.file("ostiary.toml"),
        format!(
            "listen = \"127.0.0.1:{port}\"\nplatform_name = \"Example\"\n[database]\nurl = \"sqlite://data/id.db\"\n"
        ),
    )
    .unwrap();
    // The file sets the listen address; `serve()` overrides it again by environment, which wins.
    let server = ws.serve_with_config("ostiary.toml");
    let logs = server.logs();
    assert!(logs.contains("config=file ostiary.toml"), "{logs}");
    assert!(logs.contains("database=SQLite file data/id.db"), "{logs}");
    assert!(ws.file("data/id.db").is_file());
    assert!(!ws.file("ostiary.db").exists());
    let (code, _) = server.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn serve_fails_clearly_when_the_port_is_taken() {
    let ws = Workspace::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let run = ws
        .command(&["serve"])
        .env("OSTIARY_LISTEN", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    let run = crate::Run {
        code: run.status.code(),
        stdout: String::from_utf8_lossy(&run.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
    };
    run.fails(
        1,
        &["could not listen on 127.0.0.1:", "listen (OSTIARY_LISTEN)"],
    );
}

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let ws = Workspace::new();
    let first = ws.run(&["migrate"]);
    assert!(first.ok().contains("migrations applied"), "{first:#?}");
    assert!(first.stdout.contains("(created)"));
    assert!(ws.file("ostiary.db").is_file());
    let second = ws.run(&["migrate"]);
    assert!(second.ok().contains("up to date"));
    assert!(!second.stdout.contains("(created)"));
    // Migration alone creates no keys: the first serve or admin command does.
    let keys = ws.run(&["keys", "list", "--json"]).json();
    assert_eq!(keys.as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_database_directory_is_named() {
    let ws = Workspace::new().env("OSTIARY_DATABASE_URL", "sqlite://nowhere/o.db");
    ws.run(&["migrate"]).fails(
        2,
        &[
            "database.url (OSTIARY_DATABASE_URL)",
            "nowhere",
            "does not exist",
        ],
    );
}
