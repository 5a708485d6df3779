//! The hello-world baseline server: binds a loopback port (ephemeral unless `--listen ADDR`),
//! prints `LISTENING <addr>` on its first stdout line, and serves until killed.

use std::io::Write as _;

use ostiary_benches::load::baseline;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let listen = match (args.next().as_deref(), args.next()) {
        (None, _) => "127.0.0.1:0".to_owned(),
        (Some("--listen"), Some(addr)) => addr,
        _ => {
            let _ = writeln!(std::io::stderr(), "usage: ostiary-hello [--listen ADDR]");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "ostiary-hello: cannot listen on {listen}: {e}"
            );
            return std::process::ExitCode::from(1);
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ostiary-hello: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}{addr}", baseline::READY_PREFIX);
        let _ = out.flush();
    }
    baseline::serve(listener).await;
    std::process::ExitCode::SUCCESS
}
