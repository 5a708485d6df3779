//! Invalid configuration and arguments: a clear message naming the setting, exit code 2, nothing started.

use crate::Workspace;

#[test]
fn an_unknown_key_in_the_file_is_an_error() {
    let ws = Workspace::new();
    std::fs::write(
        ws.file("ostiary.toml"),
        "issuer = \"https://id.example\"\n[lifetimes]\naccess_tokn = 600\n",
    )
    .unwrap();
    let run = ws.run(&["--config", "ostiary.toml", "serve"]);
    run.fails(2, &["configuration file ostiary.toml", "access_tokn"]);
    assert!(
        !ws.file("ostiary.db").exists(),
        "nothing may start on a bad configuration"
    );

    // The same through OSTIARY_CONFIG, and for every command.
    let ws = ws.env("OSTIARY_CONFIG", "ostiary.toml");
    ws.run(&["client", "list"]).fails(2, &["access_tokn"]);
}

#[test]
fn a_missing_configuration_file_is_named() {
    let ws = Workspace::new();
    ws.run(&["serve", "--config", "absent.toml"])
        .fails(2, &["configuration file absent.toml", "cannot be read"]);
}

#[test]
fn bad_settings_are_all_reported_by_name() {
    let ws = Workspace::new()
        .env("OSTIARY_ISSUER", "https://id.example/tenant")
        .env("OSTIARY_LIFETIME_AUTHORIZATION_CODE", "600")
        .env("OSTIARY_SIGNING_ALG", "HS256")
        .env("OSTIARY_LOG_FORMAT", "xml")
        .env("OSTIARY_POSTGRES_MAX_CONNECTIONS", "lots");
    let run = ws.run(&["serve"]);
    run.fails(
        2,
        &[
            "invalid configuration:",
            "issuer (OSTIARY_ISSUER): the issuer must be https://host[:port]",
            "lifetimes.authorization_code (OSTIARY_LIFETIME_AUTHORIZATION_CODE): authorization_code lifetime must be 1..=60 seconds",
            "signing_alg (OSTIARY_SIGNING_ALG): must be ES256, EdDSA or RS256",
            "log.format (OSTIARY_LOG_FORMAT): must be text or json",
            "OSTIARY_POSTGRES_MAX_CONNECTIONS: must be a whole number",
        ],
    );
    assert!(!ws.file("ostiary.db").exists());
}

#[test]
fn a_non_loopback_listener_needs_an_issuer() {
    let ws = Workspace::new().env("OSTIARY_LISTEN", "0.0.0.0:8080");
    ws.run(&["serve"]).fails(
        2,
        &["issuer (OSTIARY_ISSUER): must be set when listening on a non-loopback address"],
    );
}

#[test]
fn an_http_issuer_off_loopback_is_refused() {
    let ws = Workspace::new().env("OSTIARY_ISSUER", "http://id.example");
    ws.run(&["migrate"]).fails(2, &["issuer (OSTIARY_ISSUER)"]);
}

#[test]
fn a_postgres_url_with_a_password_is_never_echoed() {
    let ws = Workspace::new()
        .env(
            "OSTIARY_DATABASE_URL",
            "postgres://ostiary:hunter2secret@127.0.0.1:1/ostiary",
        )
        .env("OSTIARY_LOG", "debug");
    // Nothing listens on port 1: the connection fails, and neither the message nor the logs show
    // the password.
    let run = ws.run(&["migrate"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("postgres://ostiary@127.0.0.1:1/ostiary"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("hunter2secret"), "{run:#?}");
}

#[test]
fn unknown_commands_and_flags_are_usage_errors() {
    let ws = Workspace::new();
    ws.run(&["serv"]).fails(2, &["unrecognized subcommand"]);
    ws.run(&["client", "list", "--jsn"])
        .fails(2, &["unexpected argument"]);
}

#[test]
fn help_documents_every_setting_and_the_password_rule() {
    let ws = Workspace::new();
    let help = ws.run(&["--help"]);
    for needle in [
        "OSTIARY_ISSUER",
        "OSTIARY_LISTEN",
        "OSTIARY_DATABASE_URL",
        "OSTIARY_LOG",
        "OSTIARY_SQLITE_SYNCHRONOUS",
        "OSTIARY_LIFETIME_REFRESH_RETRY_WINDOW",
        "Exit codes",
    ] {
        assert!(help.ok().contains(needle), "--help lacks {needle}");
    }
    let help = ws.run(&["user", "create", "--help"]);
    assert!(help.ok().contains("never a command-line argument"));
    assert!(help.stdout.contains("shell history"));
    let help = ws.run(&["keys", "rotate", "--help"]);
    assert!(help.ok().contains("JWKS"));
    let help = ws.run(&["client", "create", "--help"]);
    assert!(help.ok().contains("--no-pkce"));
}

#[test]
fn unknown_ostiary_variables_are_warned_about() {
    let ws = Workspace::new().env("OSTIARY_ISUER", "https://id.example");
    let run = ws.run(&["client", "list"]);
    run.ok();
    assert!(run.stderr.contains("OSTIARY_ISUER"), "{run:#?}");
}

#[test]
fn an_empty_ostiary_config_counts_as_unset() {
    let ws = Workspace::new().env("OSTIARY_CONFIG", "");
    assert!(ws.run(&["migrate"]).ok().contains("SQLite file ostiary.db"));
}
