//! The README's five-minute quick start, command for command: register a client, create a user, build
//! the authorize URL with an S256 challenge made by the same `openssl` one-liners, sign in (the form a
//! browser would fill), and exchange the code at the token endpoint with HTTP Basic credentials.

use std::process::Command;

use crate::{Workspace, block_on};

const REDIRECT_URI: &str = "http://127.0.0.1:9999/callback";

/// Runs a shell one-liner from the README and returns its output.
fn sh(script: &str, verifier: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", script])
        .env("VERIFIER", verifier)
        .output()
        .expect("sh and openssl are needed for the quick start");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The hidden inputs of the first form in `html`, unescaped.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest
                .split_once("value=\"")
                .unwrap()
                .1
                .split_once('"')
                .unwrap()
                .0;
            (name.to_owned(), unescape(value))
        })
        .collect()
}

#[test]
fn the_quick_start_signs_in_and_exchanges_the_code() {
    let ws = Workspace::new();
    let server = ws.serve();
    let base = server.url();

    let client = ws
        .run(&[
            "client",
            "create",
            "--name",
            "My App",
            "--redirect-uri",
            REDIRECT_URI,
            "--scope",
            "openid profile email",
            "--json",
        ])
        .json();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let client_secret = client["client_secret"].as_str().unwrap().to_owned();
    ws.run_with_input(
        &[
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.com",
            "--email-verified",
            "--name",
            "Alice Example",
            "--password-stdin",
        ],
        "correct horse battery staple\n",
    )
    .ok();

    // The README's PKCE one-liners.
    let verifier = sh("openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\\n'", "");
    assert!((43..=128).contains(&verifier.len()), "{verifier}");
    let challenge = sh(
        "printf '%s' \"$VERIFIER\" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '='",
        &verifier,
    );
    let authorize = format!(
        "{base}/oauth/authorize?response_type=code&client_id={client_id}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback&scope=openid%20profile%20email\
         &state=xyz&nonce=n-0S6&code_challenge={challenge}&code_challenge_method=S256"
    );

    let (location, token, userinfo) = block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // The sign-in page, then the consent page, as a browser submits them.
        let login = browser
            .get(&authorize)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = hidden_fields(&login);
        form.push(("username".into(), "alice".into()));
        form.push(("password".into(), "correct horse battery staple".into()));
        let consent = browser
            .post(format!("{base}/oauth/authorize/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = hidden_fields(&consent);
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
            .unwrap()
            .1
            .into_owned();

        // curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=authorization_code -d code=… …
        let token: serde_json::Value = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .basic_auth(&client_id, Some(&client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let userinfo: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}/userinfo"))
            .bearer_auth(token["access_token"].as_str().unwrap_or_default())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (location, token, userinfo)
    });
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert!(location.contains("state=xyz"), "{location}");
    assert_eq!(token["token_type"], "Bearer", "{token}");
    assert!(
        token["id_token"].is_string() && token["refresh_token"].is_string(),
        "{token}"
    );
    assert_eq!(userinfo["preferred_username"], "alice", "{userinfo}");
    assert_eq!(userinfo["email"], "alice@example.com");

    let (code, logs) = server.terminate();
    assert_eq!(code, Some(0));
    assert!(
        !logs.contains("correct horse"),
        "a password reached the logs"
    );
    assert!(
        !logs.contains(&client_secret),
        "a client secret reached the logs"
    );
}
