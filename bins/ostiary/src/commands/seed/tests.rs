use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> Result<SeedFile, String> {
    serde_json::from_str(text).map_err(|e| json_problem(&e))
}

async fn check(text: &str) -> (Seed, Vec<String>) {
    let file = parse(text).unwrap();
    Seed::check(file, "seed file test.json".into())
        .await
        .unwrap()
}

#[test]
fn field_names_are_reported_but_values_are_not() {
    let unknown = parse(r#"{"users": [{"username": "a", "password": "x", "pasword": "y"}]}"#)
        .err()
        .unwrap();
    assert!(unknown.starts_with("unknown field `pasword`"), "{unknown}");
    let missing = parse(r#"{"users": [{"username": "a"}]}"#).err().unwrap();
    assert!(missing.starts_with("missing field `password`"), "{missing}");
    let unknown_top = parse(r#"{"client": []}"#).err().unwrap();
    assert!(
        unknown_top.contains("unknown field `client`"),
        "{unknown_top}"
    );
    // A password in the wrong place, or of the wrong type, is located, never repeated.
    for text in [
        r#"{"users": [{"username": "a", "password": 1234567890123}]}"#,
        r#"{"users": [{"username": "a", "password": "x", "email_verified": "1234567890123"}]}"#,
        r#"{"clients": [{"client_name": "a", "pkce_required": "1234567890123"}]}"#,
    ] {
        let problem = parse(text).err().unwrap();
        assert!(!problem.contains("1234567890123"), "{problem}");
        assert!(problem.contains("line 1 column"), "{problem}");
    }
    let syntax = parse(r#"{"users": [}"#).err().unwrap();
    assert!(syntax.contains("line 1"), "{syntax}");
}

#[tokio::test]
async fn a_valid_file_is_checked_and_normalized() {
    let (seed, problems) = check(
        r#"{
            "clients": [{"client_name": "App", "redirect_uris": ["http://127.0.0.1:9/cb"]}],
            "users": [{"username": " Alice ", "email": "Alice@Example.com", "email_verified": true,
                       "name": "Alice", "password": "correct horse"}]
        }"#,
    )
    .await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        seed.clients[0].scope, DEFAULT_SCOPE,
        "the CLI's default scope"
    );
    let (user, password) = &seed.users[0];
    assert_eq!(user.username, "alice");
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    assert_eq!(password.as_str(), "correct horse");
    let (empty, problems) = check("{}").await;
    assert!(problems.is_empty() && empty.clients.is_empty() && empty.users.is_empty());
}

#[tokio::test]
async fn every_problem_is_reported_at_once() {
    let (_, problems) = check(
        r#"{
            "clients": [
                {"client_name": "Good", "redirect_uris": ["https://good.example/cb"]},
                {"client_name": "Bad", "redirect_uris": ["http://evil.example/cb"]}
            ],
            "users": [
                {"username": "bob", "password": "0123456789"},
                {"username": "not ok!", "password": "0123456789"},
                {"username": "carol", "email_verified": true, "password": "0123456789"},
                {"username": "BOB", "password": "0123456789"}
            ]
        }"#,
    )
    .await;
    let text = problems.join("\n");
    assert!(
        text.contains(r#"clients[1] ("Bad"): redirect_uris[0]:"#),
        "{text}"
    );
    assert!(!text.contains("clients[0]"), "{text}");
    assert!(
        text.contains(r#"users[1] ("not ok!"): invalid user"#),
        "{text}"
    );
    assert!(
        text.contains(r#"users[2] ("carol"): email_verified needs an email"#),
        "{text}"
    );
    assert!(
        text.contains(r#"users[3] ("BOB"): its username or e-mail address is used by an earlier"#),
        "{text}"
    );
    assert!(!text.contains("users[0]"), "{text}");
    assert!(
        !text.contains("0123456789"),
        "a password reached a message: {text}"
    );
}

#[tokio::test]
async fn load_reports_the_file_and_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(
        &path,
        r#"{"users": [{"username": "", "password": "0123456789"}], "clients": [{"client_name": ""}]}"#,
    )
    .unwrap();
    let Err(CliError::Invalid(message)) = Seed::load(&path).await else {
        panic!("expected an invalid-input error");
    };
    assert!(message.starts_with("invalid seed file "), "{message}");
    assert!(
        message.contains("users[0]") && message.contains("clients[0]"),
        "{message}"
    );
    let missing = Seed::load(&dir.path().join("absent.json")).await;
    assert!(matches!(missing, Err(CliError::Invalid(m)) if m.starts_with("--seed: cannot read")));
}

#[test]
fn within_prefixes_every_kind() {
    let label = "seed file s.json: users[0] (\"a\")";
    let invalid = within(label, CliError::invalid("the username is already taken"));
    assert_eq!(
        invalid.to_string(),
        "seed file s.json: users[0] (\"a\"): the username is already taken"
    );
    assert_eq!(invalid.exit_code(), std::process::ExitCode::from(2));
    let failed = within(
        label,
        CliError::failed("could not hash", std::io::Error::other("x")),
    );
    assert!(failed.report().starts_with(label) && failed.report().ends_with(": x"));
}

proptest! {
    /// Whatever string sits in a field of the wrong type, the message never repeats it.
    #[test]
    fn wrongly_typed_values_are_never_echoed(secret in "[a-zA-Z0-9 !#-~]{8,40}") {
        let quoted = serde_json::to_string(&secret).unwrap();
        for text in [
            format!(r#"{{"users": [{{"username": "a", "password": "x", "email_verified": {quoted}}}]}}"#),
            format!(r#"{{"users": [{{"username": "a", "password": [{quoted}]}}]}}"#),
            format!(r#"{{"clients": [{{"client_name": "a", "redirect_uris": {quoted}}}]}}"#),
            format!(r#"{{"users": {quoted}}}"#),
        ] {
            let problem = parse(&text).err().unwrap();
            prop_assert!(!problem.contains(&secret), "{}", problem);
        }
    }
}
