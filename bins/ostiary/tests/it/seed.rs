//! `ostiary serve --seed FILE` and the in-memory store (`database.url = "memory:"`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::quickstart::hidden_fields;
use crate::{Run, START_LIMIT, Workspace, block_on, free_port, http};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const PASSWORD: &str = "correct horse battery staple";

fn memory() -> Workspace {
    Workspace::new().env("OSTIARY_DATABASE_URL", "memory:")
}

/// A client without PKCE (so the test needs no SHA-256) and a user.
fn seed() -> Value {
    json!({
        "clients": [{
            "client_name": "Seeded App",
            "redirect_uris": [REDIRECT_URI],
            "scope": "openid profile email",
            "pkce_required": false
        }],
        "users": [{
            "username": "Alice",
            "email": "alice@example.com",
            "email_verified": true,
            "name": "Alice Example",
            "password": PASSWORD
        }]
    })
}

fn write_seed(ws: &Workspace, seed: &Value) -> String {
    std::fs::write(ws.file("seed.json"), seed.to_string()).unwrap();
    "seed.json".to_owned()
}

/// Runs `ostiary serve ARGS` on a free port until it exits; a server that starts listening instead is
/// killed and the test fails.
fn serve_until_exit(ws: &Workspace, args: &[&str]) -> Run {
    let mut child = ws
        .command(&[&["serve"], args].concat())
        .env("OSTIARY_LISTEN", format!("127.0.0.1:{}", free_port()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + START_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "ostiary serve {args:?} kept running: {:?}",
                child.wait_with_output()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// The seeded clients printed on standard output.
fn printed_clients(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect()
}

#[test]
fn the_memory_store_seeded_at_start_serves_a_full_sign_in() {
    let ws = memory();
    let file = write_seed(&ws, &seed());
    let server = ws.serve_with(&["--seed", &file]);
    let base = server.url();

    let clients = printed_clients(&server.stdout());
    assert_eq!(clients.len(), 1, "{clients:?}");
    let client = clients[0].as_object().unwrap();
    let mut keys: Vec<&str> = client.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["client_id", "client_name", "client_secret"]);
    assert_eq!(client["client_name"], "Seeded App");
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();

    let (discovery, bad_code, wrong_secret, userinfo) = block_on(async {
        let discovery = http()
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .status();
        let token = |secret: String, code: &'static str| {
            http()
                .post(format!("{base}/oauth/token"))
                .basic_auth(&client_id, Some(secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", REDIRECT_URI),
                ])
                .send()
        };
        // The printed secret authenticates: an unknown code is the grant's error, not the client's.
        let bad_code = token(secret.clone(), "not-a-code").await.unwrap();
        let bad_code = (bad_code.status(), bad_code.json::<Value>().await.unwrap());
        let wrong_secret = token("wrong".into(), "not-a-code").await.unwrap().status();
        let userinfo = sign_in(&base, &client_id, &secret).await;
        (discovery, bad_code, wrong_secret, userinfo)
    });
    assert_eq!(discovery, 200);
    assert_eq!(bad_code.0, 400, "{bad_code:?}");
    assert_eq!(bad_code.1["error"], "invalid_grant", "{bad_code:?}");
    assert_eq!(wrong_secret, 401);
    // The seeded user (username lowered, as `user create` does) signed in with the seeded password.
    assert_eq!(userinfo["preferred_username"], "alice", "{userinfo}");
    assert_eq!(userinfo["email"], "alice@example.com");
    assert_eq!(userinfo["name"], "Alice Example");

    assert!(
        !ws.file("ostiary.db").exists(),
        "the memory store wrote a database file"
    );
    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0), "{logs}");
    let warning = logs.find("LOST when it stops").expect("the memory warning");
    assert!(
        warning < logs.find("listening").unwrap(),
        "the warning comes first:\n{logs}"
    );
    for expected in [
        "using the in-memory store",
        "seeded a client",
        "client_name=Seeded App",
        "seeded a user",
        "username=alice",
    ] {
        assert!(logs.contains(expected), "logs lack {expected:?}:\n{logs}");
    }
    assert!(!logs.contains(&secret), "a client secret reached the logs");
    assert!(!logs.contains(PASSWORD), "a password reached the logs");
}

/// The browser part of the code flow for the seeded user, then the exchange and userinfo.
async fn sign_in(base: &str, client_id: &str, secret: &str) -> Value {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!(
        "{base}/oauth/authorize?response_type=code&client_id={client_id}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid%20profile%20email&state=s1"
    );
    let login = browser.get(&authorize).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let mut form = hidden_fields(&login.text().await.unwrap());
    form.push(("username".into(), "alice@example.com".into()));
    form.push(("password".into(), PASSWORD.into()));
    let consent = browser
        .post(format!("{base}/oauth/authorize/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200, "the sign-in was refused");
    let mut form = hidden_fields(&consent.text().await.unwrap());
    form.push(("decision".into(), "allow".into()));
    let redirect = browser
        .post(format!("{base}/oauth/authorize/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap_or_else(|| panic!("no code in {location}"))
        .1
        .into_owned();
    let token: Value = http()
        .post(format!("{base}/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    http()
        .get(format!("{base}/userinfo"))
        .bearer_auth(token["access_token"].as_str().unwrap_or_default())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[test]
fn the_other_commands_refuse_the_memory_store() {
    let ws = memory();
    for args in [
        &["migrate"][..],
        &["client", "list"],
        &[
            "client",
            "create",
            "--name",
            "A",
            "--redirect-uri",
            REDIRECT_URI,
        ],
        &["user", "list"],
        &["keys", "list"],
    ] {
        ws.run(args).fails(
            2,
            &[
                "database.url (OSTIARY_DATABASE_URL): memory:",
                &format!("`ostiary {}` cannot reach it", args[0]),
                "ostiary serve --seed FILE",
            ],
        );
    }
}

#[test]
fn bad_seed_files_stop_the_start_with_exit_2() {
    let ws = memory();
    let user = |password: &str| json!({"username": "bob", "password": password});
    let cases = [
        (
            json!({"users": [user("a long enough one"), {"username": "eve", "password": "x", "admin": true}]}),
            vec!["invalid seed file seed.json", "unknown field `admin`"],
        ),
        (
            json!({"clients": [{"client_name": "App", "redirect_uris": ["http://partner.example/cb"]}]}),
            vec![
                "invalid seed file seed.json",
                "clients[0] (\"App\"): redirect_uris[0]:",
            ],
        ),
        (
            json!({"users": [user("tiny-pw1")]}),
            vec![
                "seed file seed.json: users[0] (\"bob\"): the password must have at least 10 \
                 characters",
            ],
        ),
        (
            json!({"users": [user("a long enough one"), {"username": "BOB", "password": "another long one"}]}),
            vec!["users[1] (\"BOB\"): its username or e-mail address is used by an earlier user"],
        ),
        (
            json!({"users": [{"username": "bob", "password": 1234567890123_u64}]}),
            vec!["a value has the wrong type or form at line 1"],
        ),
    ];
    for (seed, needles) in cases {
        let file = write_seed(&ws, &seed);
        let run = serve_until_exit(&ws, &["--seed", &file]);
        run.fails(2, &needles);
        assert!(run.stdout.is_empty(), "{run:#?}");
        assert!(!run.stderr.contains("listening"), "{run:#?}");
        for secret in ["tiny-pw1", "1234567890123"] {
            assert!(
                !run.stderr.contains(secret),
                "a password was echoed: {run:#?}"
            );
        }
    }
    serve_until_exit(&ws, &["--seed", "absent.json"])
        .fails(2, &["--seed: cannot read absent.json"]);
    std::fs::write(ws.file("seed.json"), "{\"users\": [").unwrap();
    serve_until_exit(&ws, &["--seed", "seed.json"])
        .fails(2, &["invalid seed file seed.json: EOF while parsing"]);
}

#[test]
fn a_bad_seed_file_is_refused_before_the_database_is_created() {
    let ws = Workspace::new();
    let file = write_seed(&ws, &json!({"clients": [{"client_name": "A", "scope": 5}]}));
    serve_until_exit(&ws, &["--seed", &file]).fails(2, &["invalid seed file"]);
    assert!(!ws.file("ostiary.db").exists());
}

#[test]
fn seeding_sqlite_again_refuses_the_existing_user_and_writes_nothing() {
    let ws = Workspace::new();
    let file = write_seed(&ws, &seed());
    let server = ws.serve_with(&["--seed", &file]);
    assert_eq!(printed_clients(&server.stdout()).len(), 1);
    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0), "{logs}");

    let again = serve_until_exit(&ws, &["--seed", &file]);
    again.fails(
        2,
        &["seed file seed.json: users[0] (\"alice\"): the username is already taken"],
    );
    assert!(again.stdout.is_empty(), "{again:#?}");
    let clients = ws.run(&["client", "list", "--json"]).json();
    assert_eq!(
        clients.as_array().unwrap().len(),
        1,
        "the refused start registered a client: {clients}"
    );
}
