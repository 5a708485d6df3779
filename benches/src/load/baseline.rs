//! The hello-world baseline: the smallest hyper 1 server (auto HTTP/1 + HTTP/2 connection builder,
//! one fixed 13-byte body), served on a loopback port. Every report divides its rate by this
//! server's rate measured in the same run with the same generator, so the targets are ratios that
//! survive a change of machine.
//!
//! [`serve`] runs it on the caller's runtime (tests); [`spawn_process`] starts the `ostiary-hello`
//! binary as a child process, which is how the harness measures it: in its own process with its
//! own runtime, like the server under test.

use std::convert::Infallible;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;

/// The body every request gets.
pub const BODY: &[u8] = b"Hello, world!";

/// The line `ostiary-hello` prints first: `LISTENING <addr>`.
pub const READY_PREFIX: &str = "LISTENING ";

async fn hello(
    _request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}

/// Serves hello-world on `listener` until the task is dropped or aborted. Accept errors (for
/// example running out of file descriptors) are skipped, as a real server would.
pub async fn serve(listener: TcpListener) {
    let builder = Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let builder = builder.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(hello);
            // A connection error (client went away) ends only that connection.
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Errors starting the baseline process.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The executable could not be started.
    #[error("cannot start the baseline server {0}: {1}")]
    Spawn(PathBuf, std::io::Error),
    /// It did not print its address.
    #[error("the baseline server did not report its address")]
    NoAddress,
}

/// A running `ostiary-hello` child process; killed on drop.
#[derive(Debug)]
pub struct BaselineProcess {
    child: Child,
    addr: SocketAddr,
}

impl BaselineProcess {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id (for RSS sampling).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for BaselineProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `ostiary-hello` executable next to the running one (cargo puts every binary of a package
/// in the same directory).
pub fn sibling_executable(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.join(name);
    path.is_file().then_some(path)
}

/// Starts `ostiary-hello` at `path` on an ephemeral loopback port and waits for its address.
pub fn spawn_process(path: &Path) -> Result<BaselineProcess, BaselineError> {
    let mut child = Command::new(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| BaselineError::Spawn(path.to_owned(), e))?;
    let addr = child.stdout.take().and_then(|out| {
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line).ok()?;
        line.trim().strip_prefix(READY_PREFIX)?.parse().ok()
    });
    match addr {
        Some(addr) => Ok(BaselineProcess { child, addr }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(BaselineError::NoAddress)
        }
    }
}
