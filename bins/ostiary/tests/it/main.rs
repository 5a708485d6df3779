//! End-to-end tests of the `ostiary` binary: each test runs the real executable in its own temporary
//! directory, against an SQLite file there.
// Tests fail by panicking, and say on standard error what they skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod clients;
mod config;
mod keys;
mod postgres;
mod quickstart;
mod seed;
mod serve;
mod users;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A temporary working directory for one test, and the environment every run gets.
pub(crate) struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// What a finished run printed.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns standard output.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        &self.stdout
    }

    /// Asserts failure with `code` and an error message on standard error containing every `needle`.
    #[track_caller]
    pub(crate) fn fails(&self, code: i32, needles: &[&str]) {
        assert_eq!(self.code, Some(code), "expected exit {code}: {self:#?}");
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}: {self:#?}"
            );
        }
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
    }

    /// Standard output as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }
}

impl Workspace {
    /// A fresh directory; Argon2id at a tiny cost so tests stay fast (the binary warns about it).
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            env: vec![
                ("OSTIARY_PASSWORD_MEMORY_KIB".into(), "256".into()),
                ("OSTIARY_PASSWORD_ITERATIONS".into(), "1".into()),
            ],
        }
    }

    /// Adds an environment variable to every later run.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file in the directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The command, in the directory, with the workspace environment and no inherited `OSTIARY_*`.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ostiary"));
        command.args(args).current_dir(self.path());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("OSTIARY_") {
                command.env_remove(name);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs to completion with empty standard input.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).stdin(Stdio::null()).output().unwrap();
        Run::from(output)
    }

    /// Runs to completion with `input` on standard input.
    pub(crate) fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// Starts `ostiary serve` on a free loopback port and waits until it listens.
    pub(crate) fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    /// Like [`Workspace::serve`], with more arguments after `serve`.
    pub(crate) fn serve_with(&self, args: &[&str]) -> Server {
        let port = free_port();
        let mut command = self.command(&[&["serve"], args].concat());
        command
            .env("OSTIARY_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Server::start(command, port)
    }
}

/// A port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `ostiary serve`, stopped with SIGTERM (and killed if the test panics).
pub(crate) struct Server {
    child: Option<Child>,
    pub(crate) port: u16,
    logs: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

/// Collects every line `pipe` gives into `sink` until EOF, on a thread of its own.
fn collect_lines(pipe: impl std::io::Read + Send + 'static, sink: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
}

/// How long a server may take to start before the test gives up (a bound, not a measurement).
const START_LIMIT: Duration = Duration::from_secs(60);

impl Server {
    fn start(mut command: Command, port: u16) -> Self {
        let mut child = command.spawn().unwrap();
        let logs = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        collect_lines(child.stderr.take().unwrap(), Arc::clone(&logs));
        collect_lines(child.stdout.take().unwrap(), Arc::clone(&stdout));
        let server = Self {
            child: Some(child),
            port,
            logs,
            stdout,
        };
        server.wait_for_log("listening");
        server
    }

    /// The base URL (also the issuer).
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything logged so far.
    pub(crate) fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Everything printed on standard output so far.
    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits until the logs contain `needle`, or panics with them after [`START_LIMIT`] or on exit.
    pub(crate) fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if self.logs().contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in the logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM (with the `kill` command) and waits for the exit; returns the exit code and logs.
    pub(crate) fn terminate(self) -> (Option<i32>, String) {
        self.signal("-TERM")
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit.
    pub(crate) fn interrupt(self) -> (Option<i32>, String) {
        self.signal("-INT")
    }

    fn signal(mut self, signal: &str) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = child.wait().unwrap();
        // The log reader ends at EOF once the process is gone; give it a moment to drain.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.logs().contains("stopped") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        (status.code(), self.logs())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTP client for the server (plain HTTP on loopback; rustls needs a provider all the same).
pub(crate) fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A single-threaded runtime for the HTTP parts of a test.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

impl Workspace {
    /// Like [`Workspace::serve`], with `--config FILE`.
    pub(crate) fn serve_with_config(&self, file: &str) -> Server {
        let port = free_port();
        let mut command = self.command(&["serve", "--config", file]);
        command
            .env("OSTIARY_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Server::start(command, port)
    }
}
