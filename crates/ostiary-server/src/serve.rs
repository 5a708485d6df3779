//! Serving: the accept loop with HTTP/1.1 and HTTP/2, connection limits, graceful shutdown, and a handle
//! for running a server in-process (tests, embedding).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use ostiary_core::Provider;
use ostiary_store::Store;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::service::OstiaryService;
use crate::tasks::BackgroundTasks;

/// Serves Ostiary on `listener` until `shutdown` completes, then stops accepting, lets open connections
/// finish their requests for up to [`ServerConfig::shutdown_grace`], and stops the background tasks.
///
/// Speaks HTTP/1.1 and HTTP/2 (prior knowledge) in clear text: put TLS in front (a reverse proxy or a
/// load balancer) for an `https` issuer. Accept errors (for example running out of file descriptors) are
/// logged and retried after a short pause; the function returns only at shutdown.
pub async fn serve<S: Store>(
    listener: TcpListener,
    provider: Provider<S>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let tasks = BackgroundTasks::spawn(&provider, &config);
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let grace = config.shutdown_grace;
    let service = OstiaryService::new(provider, config);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let connection = builder
            .serve_connection(TokioIo::new(stream), service.clone())
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Client resets, timeouts and protocol errors: routine, and not the server's fault.
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over: dropping the remaining connections");
    }
    tasks.shutdown().await;
    Ok(())
}

/// A server running in-process on a task of the current runtime: for tests and for embedding.
///
/// ```no_run
/// # async fn example(provider: ostiary_core::Provider<ostiary_store::memory::MemoryStore>) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let server = ostiary_server::RunningServer::start(listener, provider, Default::default())?;
/// println!("listening on {}", server.local_addr());
/// server.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl RunningServer {
    /// Starts [`serve`] on `listener` in a new task. Bind the listener first (for example on
    /// `127.0.0.1:0`) so the issuer, which names the port, can be configured before the provider opens.
    pub fn start<S: Store>(
        listener: TcpListener,
        provider: Provider<S>,
        config: ServerConfig,
    ) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, provider, config, async move {
            // A dropped handle stops the server too.
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server gracefully and waits for it.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(e)),
        }
    }
}
