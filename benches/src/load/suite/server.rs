//! Starting, seeding and stopping an `ostiary` server process for one store. Every store is seeded the
//! same way, by `ostiary serve --seed FILE` (one process, which also is the only way to fill the
//! in-memory store); the seeded client's credentials come back on the server's standard output.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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
    /// The in-memory store (`memory:`): nothing persisted, no database work.
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
    /// Standard error: the logs.
    log: PathBuf,
    /// Standard output: the seeded clients, one JSON line each.
    stdout: PathBuf,
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
            Store::Memory => "memory:".to_owned(),
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

    /// Writes the seed file of `ostiary serve --seed`: the load-test client and the users (with
    /// `USERNAME@load.test` addresses). It holds the users' passwords: it lives in the run's
    /// temporary directory.
    pub fn write_seed(
        &self,
        redirect_uri: &str,
        scope: &str,
        users: &[UserCredentials],
    ) -> Result<PathBuf, SuiteError> {
        let users: Vec<Value> = users
            .iter()
            .map(|user| {
                json!({
                    "username": user.username,
                    "email": format!("{}@load.test", user.username),
                    "password": user.password(),
                })
            })
            .collect();
        let seed = json!({
            "clients": [{
                "client_name": "Load test",
                "redirect_uris": [redirect_uri],
                "scope": scope,
            }],
            "users": users,
        });
        let path = self.dir.join("seed.json");
        std::fs::write(&path, seed.to_string()).map_err(|e| SuiteError::Io("write the seed", e))?;
        Ok(path)
    }

    /// Starts `ostiary serve --seed SEED` and waits until discovery answers 200 (at most `limit`).
    /// The seeded client's credentials are then on the server's standard output
    /// ([`Server::seeded_client`]): it prints them before it listens.
    pub async fn serve(&self, seed: &Path, limit: Duration) -> Result<Server, SuiteError> {
        let log = self.dir.join("ostiary.log");
        let stdout = self.dir.join("ostiary.out");
        let create = |path: &Path| File::create(path).map_err(|e| SuiteError::Io("create log", e));
        let child = self
            .command()
            .arg("serve")
            .arg("--seed")
            .arg(seed)
            .stdin(Stdio::null())
            .stdout(create(&stdout)?)
            .stderr(create(&log)?)
            .spawn()
            .map_err(|e| SuiteError::Io("spawn ostiary serve", e))?;
        let mut server = Server {
            child,
            issuer: self.issuer.clone(),
            log,
            stdout,
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

    /// The first client `ostiary serve --seed` printed: `(client_id, client_secret)`.
    pub fn seeded_client(&self) -> Result<(String, String), SuiteError> {
        let text = std::fs::read_to_string(&self.stdout)
            .map_err(|e| SuiteError::Io("read the server's standard output", e))?;
        first_client(&text)
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

/// The first client line of `ostiary serve --seed`'s standard output:
/// `{"client_id": …, "client_secret": …, "client_name": …}`.
fn first_client(stdout: &str) -> Result<(String, String), SuiteError> {
    let missing = |what: &str| SuiteError::Command("serve --seed".to_owned(), what.to_owned());
    let line = stdout
        .lines()
        .next()
        .ok_or_else(|| missing("it printed no client"))?;
    let json: Value =
        serde_json::from_str(line).map_err(|_| missing("its client line is not JSON"))?;
    let field = |name: &str| {
        json.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| missing(&format!("no {name} in its client line")))
    };
    Ok((field("client_id")?, field("client_secret")?))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_holds_the_client_and_every_user() {
        let dir = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let env = Environment::new(&exe, &Store::Memory, dir.path()).unwrap();
        assert!(
            env.vars
                .contains(&("OSTIARY_DATABASE_URL".to_owned(), "memory:".to_owned()))
        );
        let users = [
            UserCredentials::new("load-user-1", "load-test-password-1"),
            UserCredentials::new("load-user-2", "load-test-password-2"),
        ];
        let path = env
            .write_seed("http://127.0.0.1:9/callback", "openid email", &users)
            .unwrap();
        let seed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(
            seed["clients"],
            json!([{
                "client_name": "Load test",
                "redirect_uris": ["http://127.0.0.1:9/callback"],
                "scope": "openid email",
            }])
        );
        assert_eq!(
            seed["users"][1],
            json!({
                "username": "load-user-2",
                "email": "load-user-2@load.test",
                "password": "load-test-password-2",
            })
        );
        assert_eq!(seed["users"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn the_first_printed_client_is_read() {
        let out = "{\"client_id\":\"a\",\"client_secret\":\"s\",\"client_name\":\"n\"}\n\
                   {\"client_id\":\"b\",\"client_secret\":\"t\",\"client_name\":\"m\"}\n";
        let (id, secret) = first_client(out).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("a", "s"));
        for bad in ["", "not json\n", "{\"client_id\":\"a\"}\n"] {
            assert!(
                matches!(first_client(bad), Err(SuiteError::Command(..))),
                "{bad:?}"
            );
        }
    }
}
