//! `ostiary client …` end to end, including what the running server makes of a rotated secret.

use std::sync::Arc;

use ostiary_store::{ClientRegistry, DigestKeyring, KeyStore};
use ostiary_store_sql::{SqliteOptions, SqliteStore};

use crate::{Workspace, block_on, http};

const CREATE: &[&str] = &[
    "client",
    "create",
    "--name",
    "Acme Books",
    "--redirect-uri",
    "https://acme.example/callback",
    "--redirect-uri",
    "http://127.0.0.1/native",
    "--scope",
    "openid profile email",
    "--contact",
    "dev@acme.example",
    "--contact",
    "ops@acme.example",
    "--logo-uri",
    "https://acme.example/logo.png",
    "--initiate-login-uri",
    "https://acme.example/connect",
    "--backchannel-logout-uri",
    "https://acme.example/logout",
    "--backchannel-logout-session-required",
    "--access-token-format",
    "jwt",
    "--json",
];

/// Whether `secret` authenticates `client_id`, checked directly against the database file.
fn authenticates(ws: &Workspace, client_id: &str, secret: &str) -> bool {
    block_on(async {
        let store = SqliteStore::open(SqliteOptions::new(ws.file("ostiary.db")).migrate(false))
            .await
            .unwrap();
        let records = store.load_digest_keys().await.unwrap();
        let current = records.iter().find(|r| r.current).unwrap().material.id;
        let keyring = DigestKeyring::new(records.into_iter().map(|r| r.material), current).unwrap();
        let registry = ClientRegistry::new(store.clone(), Arc::new(keyring));
        let ok = registry.authenticate(client_id, secret).await.is_ok();
        store.close().await;
        ok
    })
}

/// The token endpoint's answer to a bogus code with these credentials: 401 means the client failed to
/// authenticate, 400 means it authenticated and the code was refused.
fn token_status(base: &str, client_id: &str, secret: &str) -> (u16, serde_json::Value) {
    block_on(async {
        let response = http()
            .post(format!("{base}/oauth/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", "not-a-real-code"),
                ("redirect_uri", "https://acme.example/callback"),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    })
}

#[test]
fn client_lifecycle_create_list_show_update_rotate_delete() {
    let ws = Workspace::new();

    // create: every metadata flag lands; the secret is printed once, with a warning.
    let create = ws.run(CREATE);
    let created = create.json();
    assert!(
        create.stderr.contains("will not be shown again"),
        "{create:#?}"
    );
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() > 40);
    assert_eq!(created["client_secret_expires_at"], 0);
    assert_eq!(created["client_name"], "Acme Books");
    assert_eq!(
        created["redirect_uris"],
        serde_json::json!(["https://acme.example/callback", "http://127.0.0.1/native"])
    );
    assert_eq!(
        created["contacts"],
        serde_json::json!(["dev@acme.example", "ops@acme.example"])
    );
    // The scope is a set, kept in canonical (sorted) order.
    let mut scope: Vec<&str> = created["scope"].as_str().unwrap().split(' ').collect();
    scope.sort_unstable();
    assert_eq!(scope, ["email", "openid", "profile"]);
    assert_eq!(created["pkce_required"], true);
    assert_eq!(created["backchannel_logout_session_required"], true);
    assert_eq!(created["access_token_format"], "jwt");
    assert_eq!(created["subject_type"], "user");
    assert!(authenticates(&ws, &id, &secret));

    // list: text and JSON, never a secret.
    let list = ws.run(&["client", "list"]);
    assert!(list.ok().contains(&id) && list.stdout.contains("Acme Books"));
    assert!(!list.stdout.contains(&secret));
    let listed = ws.run(&["client", "list", "--json"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("client_secret").is_none());
    let catalogue = ws.run(&["client", "list", "--catalogue", "--json"]).json();
    assert_eq!(
        catalogue.as_array().unwrap().len(),
        1,
        "it has an initiate_login_uri"
    );

    // show: everything but the secret.
    let show = ws.run(&["client", "show", &id]);
    for needle in [
        "Acme Books",
        "https://acme.example/callback",
        "ops@acme.example",
        "jwt",
    ] {
        assert!(show.ok().contains(needle), "{show:#?}");
    }
    assert!(!show.stdout.contains(&secret) && !show.stderr.contains(&secret));
    assert!(!show.stdout.contains("client_secret:"));

    // update: only the given fields change; "" clears a field or a list.
    let updated = ws
        .run(&[
            "client",
            "update",
            &id,
            "--name",
            "Acme Library",
            "--logo-uri",
            "",
            "--contact",
            "",
            "--no-pkce",
            "--json",
        ])
        .json();
    assert_eq!(updated["client_name"], "Acme Library");
    assert!(updated["logo_uri"].is_null());
    assert_eq!(updated["contacts"], serde_json::json!([]));
    assert_eq!(updated["pkce_required"], false);
    assert_eq!(updated["redirect_uris"], created["redirect_uris"]);
    assert_eq!(updated["scope"], created["scope"]);
    assert_eq!(updated["initiate_login_uri"], created["initiate_login_uri"]);
    assert_eq!(updated["access_token_format"], "jwt");
    assert!(updated.get("client_secret").is_none());
    let updated = ws
        .run(&["client", "update", &id, "--require-pkce", "--json"])
        .json();
    assert_eq!(updated["pkce_required"], true);
    assert_eq!(updated["client_name"], "Acme Library");

    // rotate-secret: the new secret works, the old one stops at once.
    let rotate = ws.run(&["client", "rotate-secret", &id, "--json"]);
    let new_secret = rotate.json()["client_secret"].as_str().unwrap().to_owned();
    assert!(rotate.stderr.contains("will not be shown again"));
    assert_ne!(new_secret, secret);
    assert!(authenticates(&ws, &id, &new_secret));
    assert!(!authenticates(&ws, &id, &secret));

    // delete: refused without --yes, then done; the client is gone.
    ws.run(&["client", "delete", &id])
        .fails(2, &["pass --yes", "revokes every token"]);
    assert!(authenticates(&ws, &id, &new_secret));
    let deleted = ws.run(&["client", "delete", &id, "--yes"]);
    assert!(deleted.ok().contains("deleted client"));
    ws.run(&["client", "show", &id])
        .fails(1, &["no client with this client_id"]);
    ws.run(&["client", "delete", &id, "--yes"])
        .fails(1, &["no client"]);
    assert!(!authenticates(&ws, &id, &new_secret));
}

#[test]
fn the_running_server_refuses_a_rotated_out_secret() {
    let ws = Workspace::new();
    let created = ws.run(CREATE).json();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let old = created["client_secret"].as_str().unwrap().to_owned();
    let server = ws.serve();

    // Authenticated: the made-up code is what is refused.
    let (status, body) = token_status(&server.url(), &id, &old);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );

    // Rotated by the CLI while the server runs on the same SQLite file.
    let new = ws.run(&["client", "rotate-secret", &id, "--json"]).json()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = token_status(&server.url(), &id, &old);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    let (status, _) = token_status(&server.url(), &id, &new);
    assert_eq!(status, 400);

    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0));
    assert!(
        !logs.contains(&old) && !logs.contains(&new),
        "secrets in the logs"
    );
}

#[test]
fn invalid_metadata_lists_every_field_by_its_flag() {
    let ws = Workspace::new();
    let run = ws.run(&[
        "client",
        "create",
        "--redirect-uri",
        "http://partner.example/cb",
        "--redirect-uri",
        "https://partner.example/cb#frag",
        "--contact",
        "not-an-address",
        "--scope",
        "openid",
        "--logo-uri",
        "javascript:alert(1)",
    ]);
    run.fails(
        2,
        &[
            "invalid client metadata:",
            "--name (client_name): required",
            "--redirect-uri #1 (redirect_uris[0])",
            "--redirect-uri #2 (redirect_uris[1])",
            "--contact #1 (contacts[0]): must be an e-mail address",
            "--logo-uri (logo_uri)",
        ],
    );
    assert!(
        !run.stderr.contains("javascript:alert"),
        "values are never echoed: {run:#?}"
    );
    assert_eq!(
        ws.run(&["client", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn organization_clients_need_an_initiate_login_uri() {
    let ws = Workspace::new();
    ws.run(&[
        "client",
        "create",
        "--name",
        "Partner",
        "--subject-type",
        "organization",
    ])
    .fails(
        2,
        &["--initiate-login-uri (initiate_login_uri): required for organization clients"],
    );
    let created = ws
        .run(&[
            "client",
            "create",
            "--name",
            "Partner",
            "--subject-type",
            "organization",
            "--initiate-login-uri",
            "https://partner.example/connect",
            "--json",
        ])
        .json();
    assert_eq!(created["subject_type"], "organization");
}

#[test]
fn loopback_any_port_needs_an_http_loopback_redirect() {
    let ws = Workspace::new();
    ws.run(&[
        "client",
        "create",
        "--name",
        "Native",
        "--redirect-uri",
        "https://a.example/cb",
        "--loopback-any-port",
    ])
    .fails(2, &["--loopback-any-port (loopback_any_port)"]);
    let created = ws
        .run(&[
            "client",
            "create",
            "--name",
            "Native",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--loopback-any-port",
            "--json",
        ])
        .json();
    assert_eq!(created["loopback_any_port"], true);
}

#[test]
fn bad_arguments_are_refused_with_clear_messages() {
    let ws = Workspace::new();
    ws.run(&["client", "create", "--name", "X", "--subject-type", "robot"])
        .fails(2, &["invalid value 'robot'", "user", "organization"]);
    ws.run(&[
        "client",
        "create",
        "--name",
        "X",
        "--access-token-format",
        "paseto",
    ])
    .fails(2, &["invalid value 'paseto'"]);
    ws.run(&[
        "client",
        "create",
        "--name",
        "X",
        "--no-pkce",
        "--require-pkce",
    ])
    .fails(2, &["cannot be used with"]);
    ws.run(&["client", "show", "not-a-uuid"])
        .fails(2, &["CLIENT_ID must be a client_id"]);
    ws.run(&[
        "client",
        "rotate-secret",
        "6f1c1f4e-8d5b-4b8e-9f5e-2f7c1b0d9a11",
    ])
    .fails(1, &["no client with this client_id"]);
    ws.run(&[
        "client",
        "update",
        "6f1c1f4e-8d5b-4b8e-9f5e-2f7c1b0d9a11",
        "--name",
        "Y",
    ])
    .fails(1, &["no client with this client_id"]);
    ws.run(&[
        "client",
        "create",
        "--name",
        "X",
        "--redirect-uri",
        "https://x.example/cb",
        "--scope",
        "",
    ])
    .fails(2, &["--scope (scope)"]);
}
