//! `ostiary keys …` end to end, including RS256 with an imported key.

use std::process::Command;

use crate::{Workspace, block_on, http};

/// A private key in PEM made by `openssl genpkey` with `args`, written to `name` in the workspace.
fn openssl_key(ws: &Workspace, name: &str, args: &[&str]) -> String {
    let path = ws.file(name);
    let status = Command::new("openssl")
        .arg("genpkey")
        .args(args)
        .arg("-out")
        .arg(&path)
        .status()
        .expect("the openssl command is needed to make test keys");
    assert!(status.success());
    name.to_owned()
}

fn key_states(ws: &Workspace) -> Vec<(String, String, String)> {
    ws.run(&["keys", "list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["alg"].as_str().unwrap().to_owned(),
                k["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn kid_in(keys: &[(String, String, String)], state: &str) -> String {
    keys.iter()
        .find(|k| k.2 == state)
        .map(|k| k.0.clone())
        .unwrap()
}

#[test]
fn list_rotate_and_force() {
    let ws = Workspace::new();
    let keys = key_states(&ws);
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.1 == "ES256"));
    let active = kid_in(&keys, "active");
    let next = kid_in(&keys, "next");

    let text = ws.run(&["keys", "list"]);
    for needle in [
        "KID",
        "STATE",
        "PUBLISHED",
        &active,
        &next,
        "active",
        "next",
    ] {
        assert!(text.ok().contains(needle), "{text:#?}");
    }

    // Nothing is due with a fresh set.
    let rotate = ws.run(&["keys", "rotate"]);
    assert!(rotate.ok().contains("no rotation due"));
    assert_eq!(key_states(&ws), keys);

    // --force promotes the published next key, retires the active one and publishes a new next key.
    let forced = ws.run(&["keys", "rotate", "--force", "--json"]).json();
    assert_eq!(forced["promoted"], next.as_str());
    assert_eq!(forced["retired"], active.as_str());
    let created = forced["created"].as_str().unwrap().to_owned();
    let after = key_states(&ws);
    assert_eq!(kid_in(&after, "active"), next);
    assert_eq!(kid_in(&after, "retired"), active);
    assert_eq!(kid_in(&after, "next"), created);
}

#[test]
fn eddsa_is_used_for_new_keys_when_configured() {
    let ws = Workspace::new().env("OSTIARY_SIGNING_ALG", "EdDSA");
    assert!(key_states(&ws).iter().all(|k| k.1 == "EdDSA"));
}

#[test]
fn rs256_needs_an_imported_key() {
    let ws = Workspace::new().env("OSTIARY_SIGNING_ALG", "RS256");
    ws.run(&["serve"]).fails(
        2,
        &[
            "signing_alg (OSTIARY_SIGNING_ALG): RS256 keys cannot be generated",
            "ostiary keys import --pem",
        ],
    );
    ws.run(&["client", "list"]).fails(2, &["keys import"]);

    // A P-256 key does not fit an RS256 configuration.
    let ec = openssl_key(
        &ws,
        "ec.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    ws.run(&["keys", "import", "--pem", &ec]).fails(
        2,
        &["the key is for ES256 but signing_alg (OSTIARY_SIGNING_ALG) is RS256"],
    );

    let rsa = openssl_key(
        &ws,
        "rsa.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let imported = ws.run(&["keys", "import", "--pem", &rsa, "--json"]).json();
    assert_eq!(imported["alg"], "RS256");
    assert_eq!(imported["state"], "active");
    let kid = imported["kid"].as_str().unwrap().to_owned();
    ws.run(&["keys", "import", "--pem", &rsa])
        .fails(2, &["already has signing keys"]);

    // The server starts on the imported key and publishes it.
    let server = ws.serve();
    let logs = server.logs();
    assert!(
        logs.contains("loaded the signing keys") && logs.contains(&kid),
        "{logs}"
    );
    assert!(logs.contains("automatic key rotation is off"), "{logs}");
    let url = server.url();
    let (discovery, jwks) = block_on(async {
        let client = http();
        let discovery: serde_json::Value = client
            .get(format!("{url}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let jwks: serde_json::Value = client
            .get(format!("{url}/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (discovery, jwks)
    });
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "EdDSA", "RS256"])
    );
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0), "{logs}");

    // Rotation cannot make the next RSA key itself: it takes one with --key.
    ws.run(&["keys", "rotate"])
        .fails(2, &["RS256 keys cannot be generated", "--key"]);
    let next = openssl_key(
        &ws,
        "rsa-next.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let report = ws.run(&["keys", "rotate", "--key", &next, "--json"]).json();
    let next_kid = report["created"].as_str().unwrap().to_owned();
    // Promoting it needs a fresh next key: the same file again is refused, a new one works.
    ws.run(&["keys", "rotate", "--force", "--key", &next])
        .fails(1, &["two keys share a kid"]);
    let third = openssl_key(
        &ws,
        "rsa-third.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let report = ws
        .run(&["keys", "rotate", "--force", "--key", &third, "--json"])
        .json();
    assert_eq!(report["promoted"].as_str(), Some(next_kid.as_str()));
    assert_eq!(report["retired"].as_str(), Some(kid.as_str()));
    assert!(report["created"].is_string());
}

#[test]
fn import_refuses_bad_files() {
    let ws = Workspace::new();
    std::fs::write(
        ws.file("junk.pem"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    ws.run(&["keys", "import", "--pem", "junk.pem"])
        .fails(2, &["junk.pem"]);
    ws.run(&["keys", "import", "--pem", "absent.pem"])
        .fails(1, &["could not read absent.pem"]);
    // An ES256 key imports into an empty database under the default configuration.
    let ec = openssl_key(
        &ws,
        "ec.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let imported = ws.run(&["keys", "import", "--pem", &ec, "--json"]).json();
    assert_eq!(imported["alg"], "ES256");
    let keys = key_states(&ws);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].0, imported["kid"].as_str().unwrap());
}
