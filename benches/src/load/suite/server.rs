//! Starting, seeding and stopping an `ostiary` server process for one store.

use std::fs::File;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::SuiteError;
use crate::load::UserCredentials;

/// Where a server keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Store {
    /// A fresh SQLite file in a temporary directory (the default store).
    Sqlite,
    /// A PostgreSQL database, by URL (the harness's script starts a throwaway cluster).
    Postgres(String),
    /// The in-memory store, if the binary supports one.
    Memory,
}

impl Store {
    /// The name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Store::Sqlite => "sqlite",
            Store::Postgres(_) => "postgres",
            Store::Memory => "memory",
        }
    }
}

/// A running `ostiary serve`; killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// The issuer (`http://127.0.0.1:PORT`).
    pub issuer: String,
    log: PathBuf,
}

/// The environment of every `ostiary` command for this store.
#[derive(Clone, Debug)]
pub struct Environment {
    binary: PathBuf,
    vars: Vec<(String, String)>,
    dir: PathBuf,
    /// The issuer the server will have.
    pub issuer: String,
}

/// A free loopback port (bound, read, released: a small race with other processes is accepted).
fn free_port() -> Result<u16, SuiteError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| SuiteError::Io("bind", e))?;
    Ok(listener
        .local_addr()
        .map_err(|e| SuiteError::Io("bind", e))?
        .port())
}

impl Environment {
    /// The configuration of a server on a free port, with its data in `dir`.
    pub fn new(binary: &Path, store: &Store, dir: &Path) -> Result<Self, SuiteError> {
        let port = free_port()?;
        let issuer = format!("http://127.0.0.1:{port}");
        let database = match store {
            Store::Sqlite => format!("sqlite://{}", dir.join("ostiary.db").display()),
            Store::Postgres(url) => url.clone(),
            Store::Memory => return Err(SuiteError::MemoryStoreUnsupported),
        };
        let vars = vec![
            ("OSTIARY_ISSUER".to_owned(), issuer.clone()),
            ("OSTIARY_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            ("OSTIARY_DATABASE_URL".to_owned(), database),
        ];
        // Commands run in `dir`: a relative path to the binary must not be resolved from there.
        let binary = binary
            .canonicalize()
            .map_err(|e| SuiteError::Io("find the ostiary executable", e))?;
        Ok(Self {
            binary,
            vars,
            dir: dir.to_owned(),
            issuer,
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.current_dir(&self.dir).env_remove("OSTIARY_CONFIG");
        for (key, value) in &self.vars {
            command.env(key, value);
        }
        command
    }

    /// Runs `ostiary ARGS`, feeding `stdin`; returns its standard output.
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String, SuiteError> {
        let what = args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
        let mut child = self
            .command()
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SuiteError::Io("spawn ostiary", e))?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes())
                .map_err(|e| SuiteError::Io("write stdin", e))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| SuiteError::Io("wait ostiary", e))?;
        if !output.status.success() {
            return Err(SuiteError::Command(
                what,
                String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Registers the load-test client; returns `(client_id, client_secret)`.
    pub fn create_client(
        &self,
        redirect_uri: &str,
        scope: &str,
    ) -> Result<(String, String), SuiteError> {
        let out = self.run(
            &[
                "client",
                "create",
                "--name",
                "Load test",
                "--redirect-uri",
                redirect_uri,
                "--scope",
                scope,
                "--json",
            ],
            None,
        )?;
        let json: Value = serde_json::from_str(out.trim()).map_err(|_| {
            SuiteError::Command("client create".to_owned(), "output is not JSON".to_owned())
        })?;
        let field = |name: &str| {
            json.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    SuiteError::Command(
                        "client create".to_owned(),
                        format!("no {name} in its JSON"),
                    )
                })
        };
        Ok((field("client_id")?, field("client_secret")?))
    }

    /// Creates a user with a password (through standard input, never the command line).
    pub fn create_user(&self, user: &UserCredentials) -> Result<(), SuiteError> {
        let email = format!("{}@load.test", user.username);
        self.run(
            &[
                "user",
                "create",
                &user.username,
                "--email",
                &email,
                "--password-stdin",
            ],
            Some(&format!("{}\n", user.password())),
        )
        .map(drop)
    }

    /// Starts `ostiary serve` and waits until discovery answers 200 (at most `limit`).
    pub async fn serve(&self, limit: Duration) -> Result<Server, SuiteError> {
        let log = self.dir.join("ostiary.log");
        let file = File::create(&log).map_err(|e| SuiteError::Io("create log", e))?;
        let err = file
            .try_clone()
            .map_err(|e| SuiteError::Io("create log", e))?;
        let child = self
            .command()
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| SuiteError::Io("spawn ostiary serve", e))?;
        let mut server = Server {
            child,
            issuer: self.issuer.clone(),
            log,
        };
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| SuiteError::Command("http client".to_owned(), e.to_string()))?;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(SuiteError::ServerExited(
                    status.to_string(),
                    server.log_tail(),
                ));
            }
            if let Ok(response) = http.get(&url).send().await
                && response.status() == 200
            {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                return Err(SuiteError::ServerNotReady(server.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Server {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines
            .get(lines.len().saturating_sub(20)..)
            .unwrap_or(&[])
            .join("\n")
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
