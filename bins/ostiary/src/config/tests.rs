use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use ostiary_core::Lifetimes;
use ostiary_jose::Algorithm;
use proptest::prelude::*;

use super::*;

/// Resolves `toml` with the environment `env`.
fn resolve_with(toml: &str, env: &[(&str, &str)]) -> Result<(Settings, Provenance), ConfigError> {
    let file = FileConfig::parse(toml).expect("test TOML parses");
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let names: Vec<String> = map.keys().cloned().collect();
    resolve(
        file,
        None,
        |name| map.get(name).cloned().map(EnvValue::Text),
        names,
    )
}

fn settings(toml: &str, env: &[(&str, &str)]) -> Settings {
    resolve_with(toml, env).unwrap().0
}

fn problems(toml: &str, env: &[(&str, &str)]) -> Vec<Problem> {
    resolve_with(toml, env).unwrap_err().problems
}

#[test]
fn no_configuration_serves_loopback_8080_on_sqlite() {
    let s = settings("", &[]);
    assert_eq!(s.core.issuer.as_str(), "http://127.0.0.1:8080");
    assert_eq!(s.listen, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
    assert_eq!(
        s.database,
        Database::Sqlite {
            path: "ostiary.db".into(),
            synchronous: Synchronous::Normal
        }
    );
    assert_eq!(s.core.signing_alg, Algorithm::Es256);
    assert_eq!(s.core.lifetimes, Lifetimes::default());
    assert_eq!(s.core.platform_name, "Ostiary");
    assert_eq!(
        s.log,
        LogSettings {
            format: LogFormat::Text,
            filter: None
        }
    );
    assert_eq!(s.server, ostiary_server::ServerConfig::default());
    assert_eq!(s.rotation.check_interval, Some(Duration::from_secs(3600)));
}

#[test]
fn every_setting_can_be_written_in_the_file() {
    let toml = r#"
        issuer = "https://id.example.com"
        listen = "0.0.0.0:9000"
        platform_name = "Example"
        signing_alg = "EdDSA"
        [database]
        url = "postgres://ostiary:s3cret@db.internal:5432/ostiary?sslmode=require"
        sqlite_synchronous = "full"
        postgres_max_connections = 20
        [lifetimes]
        authorization_code = 30
        access_token = 600
        id_token = 300
        refresh_token = 86400
        grant = 864000
        session = 3600
        refresh_retry_window = 5
        code_tombstone = 600
        [password]
        memory_kib = 65536
        iterations = 3
        parallelism = 2
        [log]
        format = "json"
        filter = "info,ostiary_server=debug"
        [server]
        max_body_bytes = 32768
        body_timeout = 5
        header_read_timeout = 6
        max_connections = 100
        shutdown_grace = 3
        key_reload_interval = 0
        purge_interval = 60
        purge_batch = 10
        purge_max_batches = 2
        [keys]
        rotation_check_interval = 0
        active_lifetime = 604800
        next_publish_lead = 3600
    "#;
    let s = settings(toml, &[]);
    assert_eq!(s.core.issuer.as_str(), "https://id.example.com");
    assert_eq!(s.listen.port(), 9000);
    assert_eq!(s.core.platform_name, "Example");
    assert_eq!(s.core.signing_alg, Algorithm::EdDsa);
    let Database::Postgres {
        url,
        max_connections,
    } = &s.database
    else {
        panic!("expected PostgreSQL");
    };
    assert_eq!(*max_connections, 20);
    assert_eq!(
        url.redacted(),
        "postgres://ostiary@db.internal:5432/ostiary"
    );
    assert!(url.expose_secret().contains("s3cret"));
    assert!(
        !format!("{s:?}").contains("s3cret"),
        "Debug must not show the password"
    );
    assert_eq!(
        s.core.lifetimes,
        Lifetimes {
            authorization_code: 30,
            access_token: 600,
            id_token: 300,
            refresh_token: 86400,
            grant: 864000,
            session: 3600,
            refresh_retry_window: 5,
            code_tombstone: 600,
        }
    );
    assert_eq!(
        (
            s.core.password_cost.memory_kib,
            s.core.password_cost.iterations,
            s.core.password_cost.parallelism
        ),
        (65536, 3, 2)
    );
    assert_eq!(s.log.format, LogFormat::Json);
    assert_eq!(s.log.filter.as_deref(), Some("info,ostiary_server=debug"));
    assert_eq!(s.server.max_body_bytes, 32768);
    assert_eq!(s.server.body_timeout, Duration::from_secs(5));
    assert_eq!(s.server.header_read_timeout, Duration::from_secs(6));
    assert_eq!(s.server.max_connections, 100);
    assert_eq!(s.server.shutdown_grace, Duration::from_secs(3));
    assert_eq!(s.server.key_reload_interval, None);
    assert_eq!(s.server.purge_interval, Some(Duration::from_secs(60)));
    assert_eq!((s.server.purge_batch, s.server.purge_max_batches), (10, 2));
    assert_eq!(s.rotation.check_interval, None);
    assert_eq!(
        (s.rotation.active_lifetime, s.rotation.next_publish_lead),
        (604800, 3600)
    );
}

#[test]
fn environment_overrides_the_file_and_is_reported() {
    let toml = "issuer = \"https://file.example\"\n[lifetimes]\naccess_token = 600\n";
    let (s, provenance) = resolve_with(
        toml,
        &[
            ("OSTIARY_ISSUER", "https://env.example"),
            ("OSTIARY_LIFETIME_ACCESS_TOKEN", "1200"),
            (
                "OSTIARY_DATABASE_URL",
                "sqlite:///var/lib/ostiary/db.sqlite",
            ),
            ("OSTIARY_LOG", "debug"),
            ("OSTIARY_PLATFORM_NAME", ""),
            ("OSTIARY_TEST_POSTGRES_URL", "postgres://x"),
            ("OSTIARY_ISUER", "typo"),
        ],
    )
    .unwrap();
    assert_eq!(s.core.issuer.as_str(), "https://env.example");
    assert_eq!(s.core.lifetimes.access_token, 1200);
    assert_eq!(
        s.database,
        Database::Sqlite {
            path: "/var/lib/ostiary/db.sqlite".into(),
            synchronous: Synchronous::Normal
        }
    );
    assert_eq!(s.log.filter.as_deref(), Some("debug"));
    // An empty value counts as unset.
    assert_eq!(s.core.platform_name, "Ostiary");
    assert_eq!(
        provenance.env_overrides,
        [
            "OSTIARY_ISSUER",
            "OSTIARY_DATABASE_URL",
            "OSTIARY_LIFETIME_ACCESS_TOKEN",
            "OSTIARY_LOG"
        ]
    );
    assert_eq!(provenance.unknown_env, ["OSTIARY_ISUER"]);
}

#[test]
fn the_issuer_follows_a_loopback_listen_address_and_is_required_otherwise() {
    let s = settings("", &[("OSTIARY_LISTEN", "127.0.0.1:9999")]);
    assert_eq!(s.core.issuer.as_str(), "http://127.0.0.1:9999");
    let s = settings("listen = \"[::1]:8443\"", &[]);
    assert_eq!(s.core.issuer.as_str(), "http://[::1]:8443");
    let p = problems("listen = \"0.0.0.0:8080\"", &[]);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].setting, "issuer (OSTIARY_ISSUER)");
    assert!(p[0].message.contains("must be set"));
}

#[test]
fn every_bad_setting_is_reported_at_once_by_name() {
    let toml = r#"
        issuer = "https://id.example/path"
        listen = "localhost"
        signing_alg = "HS256"
        platform_name = ""
        [database]
        url = "mysql://db"
        [lifetimes]
        authorization_code = 600
        access_token = 10
        [password]
        iterations = 0
        [log]
        format = "xml"
        filter = "[[["
        [server]
        max_body_bytes = 1
        [keys]
        active_lifetime = 1
    "#;
    let names: Vec<String> = problems(toml, &[("OSTIARY_POSTGRES_MAX_CONNECTIONS", "many")])
        .into_iter()
        .map(|p| p.setting)
        .collect();
    for expected in [
        "OSTIARY_POSTGRES_MAX_CONNECTIONS",
        "listen (OSTIARY_LISTEN)",
        "platform_name (OSTIARY_PLATFORM_NAME)",
        "signing_alg (OSTIARY_SIGNING_ALG)",
        "database.url (OSTIARY_DATABASE_URL)",
        "lifetimes.authorization_code (OSTIARY_LIFETIME_AUTHORIZATION_CODE)",
        "lifetimes.access_token (OSTIARY_LIFETIME_ACCESS_TOKEN)",
        "password.iterations (OSTIARY_PASSWORD_ITERATIONS)",
        "log.format (OSTIARY_LOG_FORMAT)",
        "log.filter (OSTIARY_LOG)",
        "server.max_body_bytes (OSTIARY_SERVER_MAX_BODY_BYTES)",
        "keys.active_lifetime (OSTIARY_KEYS_ACTIVE_LIFETIME)",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    // The issuer is checked even though the listen address is broken.
    assert!(
        names.iter().any(|n| n == "issuer (OSTIARY_ISSUER)"),
        "{names:?}"
    );
}

#[test]
fn lifetime_relations_are_checked_after_each_field() {
    // Each alone is fine; together the grant is shorter than a refresh token.
    let p = problems("[lifetimes]\nrefresh_token = 1000\ngrant = 500\n", &[]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].setting, "lifetimes");
    assert!(p[0].message.contains("grant"));
    // A refresh token longer than the default grant is fine when the grant is raised too.
    let s = settings(
        "[lifetimes]\nrefresh_token = 10000000\ngrant = 20000000\n",
        &[],
    );
    assert_eq!(s.core.lifetimes.refresh_token, 10_000_000);
}

#[test]
fn unknown_keys_and_wrong_types_are_refused() {
    for toml in [
        "isuer = \"https://a.example\"",
        "[lifetimes]\naccess = 5",
        "[database]\nurl = 5",
        "[nope]",
    ] {
        assert!(FileConfig::parse(toml).is_err(), "{toml}");
    }
    let error = FileConfig::parse("[lifetimes]\naccess = 5")
        .unwrap_err()
        .to_string();
    assert!(error.contains("access"), "{error}");
}

#[test]
fn database_urls() {
    let sqlite = |url: &str| settings("", &[("OSTIARY_DATABASE_URL", url)]).database;
    assert!(
        matches!(sqlite("sqlite://data/o.db"), Database::Sqlite { path, .. } if path == std::path::Path::new("data/o.db"))
    );
    assert!(matches!(
        sqlite("postgresql://u@h/db"),
        Database::Postgres { .. }
    ));
    assert_eq!(sqlite("memory:"), Database::Memory);
    assert_eq!(sqlite(" memory: "), Database::Memory);
    for bad in [
        "memory",
        "memory://",
        "memory:x",
        "MEMORY:",
        "sqlite://",
        "sqlite://:memory:",
        "sqlite://a.db?mode=ro",
        "postgres://",
        "file.db",
        "postgres:///db",
    ] {
        let p = problems("", &[("OSTIARY_DATABASE_URL", bad)]);
        assert_eq!(p[0].setting, "database.url (OSTIARY_DATABASE_URL)", "{bad}");
    }
    // The URL may hold a password: messages never repeat it.
    for bad in ["postgres://user:hunter2@", "postgres://user:hunter2@[::1"] {
        let p = problems("", &[("OSTIARY_DATABASE_URL", bad)]);
        assert!(!p[0].message.contains("hunter2"), "{p:?}");
    }
}

#[test]
fn the_reference_covers_every_setting_with_its_true_default() {
    // Each documented default, applied through the environment, must give the built-in defaults.
    let defaults = settings("", &[]);
    for setting in SETTINGS {
        if setting.default.contains('<') || setting.default.contains('(') {
            continue; // derived defaults, checked above
        }
        let with_default = settings("", &[(setting.env, setting.default)]);
        assert_eq!(
            format!("{with_default:?}"),
            format!("{defaults:?}"),
            "{}",
            setting.key
        );
    }
    let text = reference_text();
    for setting in SETTINGS {
        assert!(text.contains(setting.env));
    }
    let envs: std::collections::HashSet<_> = SETTINGS.iter().map(|s| s.env).collect();
    assert_eq!(
        envs.len(),
        SETTINGS.len(),
        "environment variables are unique"
    );
}

#[test]
fn bad_environment_numbers_name_the_variable() {
    let p = problems(
        "",
        &[
            ("OSTIARY_LIFETIME_SESSION", "12h"),
            ("OSTIARY_PASSWORD_MEMORY_KIB", "-1"),
        ],
    );
    let names: Vec<&str> = p.iter().map(|p| p.setting.as_str()).collect();
    assert_eq!(
        names,
        ["OSTIARY_LIFETIME_SESSION", "OSTIARY_PASSWORD_MEMORY_KIB"]
    );
}

proptest! {
    /// Arbitrary environment values never panic and either resolve or name the variable at fault.
    #[test]
    fn arbitrary_environment_values(index in 0..SETTINGS.len(), value in "\\PC{0,40}") {
        let setting = &SETTINGS[index];
        match resolve_with("", &[(setting.env, &value)]) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.problems.iter().any(|p| p.setting.contains(setting.env) || p.setting == "lifetimes")),
        }
    }

    /// Arbitrary TOML text never panics the parser.
    #[test]
    fn arbitrary_files(text in "\\PC{0,200}") {
        let _ = FileConfig::parse(&text);
    }
}
