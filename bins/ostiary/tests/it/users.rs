//! `ostiary user …` end to end.

use ostiary_core::{PasswordCost, PasswordHasher};
use ostiary_store::UserStore;
use ostiary_store_sql::{SqliteOptions, SqliteStore};
use zeroize::Zeroizing;

use crate::{Workspace, block_on};

const PASSWORD: &str = "correct horse battery staple";

/// Whether `password` verifies for `login`, checked against the database file.
fn password_matches(ws: &Workspace, login: &str, password: &str) -> bool {
    block_on(async {
        let store = SqliteStore::open(SqliteOptions::new(ws.file("ostiary.db")).migrate(false))
            .await
            .unwrap();
        let user = store.find_user_by_login(login).await.unwrap().unwrap();
        store.close().await;
        let hasher = PasswordHasher::new(
            PasswordCost {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
            1,
        )
        .unwrap();
        hasher
            .verify(
                Zeroizing::new(password.to_owned()),
                Some(user.password_hash),
            )
            .await
    })
}

#[test]
fn create_list_and_set_password() {
    let ws = Workspace::new();
    let create = ws.run_with_input(
        &[
            "user",
            "create",
            "Ada.Lovelace",
            "--email",
            "Ada@Example.COM",
            "--email-verified",
            "--name",
            "Ada Lovelace",
            "--given-name",
            "Ada",
            "--family-name",
            "Lovelace",
            "--locale",
            "en-GB",
            "--birthdate",
            "1815-12-10",
            "--password-stdin",
            "--json",
        ],
        &format!("{PASSWORD}\n"),
    );
    let user = create.json();
    assert_eq!(
        user["username"], "ada.lovelace",
        "usernames are lower-cased"
    );
    assert_eq!(user["email"], "ada@example.com", "e-mails are lower-cased");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["disabled"], false);
    assert_eq!(user["profile"]["given_name"], "Ada");
    assert_eq!(user["profile"]["locale"], "en-GB");
    assert!(user.get("password_hash").is_none());
    assert!(!create.stdout.contains(PASSWORD) && !create.stderr.contains(PASSWORD));
    assert!(!create.stdout.contains("argon2"));
    assert!(password_matches(&ws, "ada.lovelace", PASSWORD));

    // A second user, without e-mail; the CRLF line ending is not part of the password.
    ws.run_with_input(
        &["user", "create", "bob", "--password-stdin"],
        "bob's long password\r\n",
    )
    .ok();
    assert!(password_matches(&ws, "bob", "bob's long password"));

    let list = ws.run(&["user", "list"]);
    let text = list.ok();
    assert!(text.starts_with("ID"), "{text}");
    for needle in [
        "ada.lovelace",
        "ada@example.com",
        "bob",
        "VERIFIED",
        "DISABLED",
    ] {
        assert!(text.contains(needle), "{text}");
    }
    let listed = ws.run(&["user", "list", "--json"]).json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let bob = listed.iter().find(|u| u["username"] == "bob").unwrap();
    assert!(bob["email"].is_null());
    assert_eq!(bob["email_verified"], false);

    // set-password by e-mail (any case); the old password stops working.
    let set = ws.run_with_input(
        &[
            "user",
            "set-password",
            "ADA@example.com",
            "--password-stdin",
        ],
        "an entirely new passphrase\n",
    );
    assert!(set.ok().contains("password set for user ada.lovelace"));
    assert!(password_matches(
        &ws,
        "ada.lovelace",
        "an entirely new passphrase"
    ));
    assert!(!password_matches(&ws, "ada.lovelace", PASSWORD));
}

#[test]
fn invalid_users_are_refused_with_clear_messages() {
    let ws = Workspace::new();
    let pipe = format!("{PASSWORD}\n");
    ws.run_with_input(
        &["user", "create", "ada lovelace", "--password-stdin"],
        &pipe,
    )
    .fails(2, &["USERNAME must be 1 to 64 characters from a-z, 0-9"]);
    ws.run_with_input(
        &["user", "create", &"a".repeat(65), "--password-stdin"],
        &pipe,
    )
    .fails(2, &["USERNAME must be 1 to 64"]);
    ws.run_with_input(
        &[
            "user",
            "create",
            "ada",
            "--email",
            "ada-at-example",
            "--password-stdin",
        ],
        &pipe,
    )
    .fails(2, &["--email must be an e-mail address"]);
    ws.run_with_input(
        &[
            "user",
            "create",
            "ada",
            "--website",
            "ftp://x",
            "--birthdate",
            "10/12/1815",
            "--password-stdin",
        ],
        &pipe,
    )
    .fails(
        2,
        &[
            "--website: must be an absolute http:// or https:// URL",
            "--birthdate: must be YYYY-MM-DD",
        ],
    );
    ws.run(&["user", "create", "ada", "--email-verified"])
        .fails(2, &["--email"]);

    // Passwords: too short, empty, no terminal to prompt on.
    ws.run_with_input(&["user", "create", "ada", "--password-stdin"], "short\n")
        .fails(2, &["at least 10 characters"]);
    ws.run_with_input(&["user", "create", "ada", "--password-stdin"], "\n")
        .fails(2, &["held no password"]);
    ws.run(&["user", "create", "ada"])
        .fails(2, &["not a terminal", "--password-stdin"]);
    // There is no way to pass the password as an argument.
    ws.run(&["user", "create", "ada", "--password", PASSWORD])
        .fails(2, &["unexpected argument '--password'"]);
    assert_eq!(
        ws.run(&["user", "list", "--json"]).json(),
        serde_json::json!([])
    );

    // Taken names, in any case; unknown users.
    ws.run_with_input(
        &[
            "user",
            "create",
            "ada",
            "--email",
            "ada@example.com",
            "--password-stdin",
        ],
        &pipe,
    )
    .ok();
    ws.run_with_input(&["user", "create", "ADA", "--password-stdin"], &pipe)
        .fails(2, &["the username is already taken"]);
    ws.run_with_input(
        &[
            "user",
            "create",
            "ada2",
            "--email",
            "Ada@Example.com",
            "--password-stdin",
        ],
        &pipe,
    )
    .fails(2, &["e-mail address is already used"]);
    ws.run_with_input(
        &["user", "set-password", "nobody", "--password-stdin"],
        &pipe,
    )
    .fails(1, &["no user with this username or e-mail address"]);
}
