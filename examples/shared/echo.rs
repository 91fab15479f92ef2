//! What the `echo-server` examples of every runtime share: flags, the
//! configuration, TLS and the echo loops. Each example adds only its
//! runtime's listener, spawn, acceptor and executor.

use std::env;
use std::future::Future;

use super::ws::{self, Accept, Config, Reject, Request, WebSocket};

#[path = "echo_loop.rs"]
mod echo_loop;
// The server half of it: the flags and the acceptor.
#[allow(dead_code)]
#[path = "tls.rs"]
pub(crate) mod tls;

// `echo`: for a server that accepts the socket itself (the axum example).
#[allow(unused_imports)]
pub(crate) use echo_loop::{echo, Spawn};

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:9001),
/// `--threads N` (default 1: a current-thread runtime), `--split` (echo
/// through the socket's split halves: a reader task hands messages to a
/// writer task), and `--tls-cert PEM --tls-key PEM` (serve `wss://` with
/// that certificate chain and key; plain `ws://` without them).
pub(crate) struct Args {
    pub(crate) addr: String,
    pub(crate) threads: usize,
    pub(crate) split: bool,
    pub(crate) tls: Option<tls::ServerTls>,
}

impl Args {
    pub(crate) fn parse() -> Args {
        let mut args = Args {
            addr: "127.0.0.1:9001".to_owned(),
            threads: 1,
            split: false,
            tls: None,
        };
        let mut tls = tls::ServerFlags::default();
        let mut argv = env::args().skip(1);
        while let Some(flag) = argv.next() {
            if flag == "--split" {
                args.split = true;
                continue;
            }
            let value = argv.next();
            match (flag.as_str(), value) {
                ("--addr", Some(addr)) => args.addr = addr,
                ("--threads", Some(n)) => match n.parse() {
                    Ok(n) if n > 0 => args.threads = n,
                    _ => usage(),
                },
                (flag, Some(value)) if tls.take(flag, &value) => {}
                _ => usage(),
            }
        }
        match tls.finish() {
            Ok(tls) => args.tls = tls,
            Err(e) => {
                eprintln!("echo-server: {e}");
                usage()
            }
        }
        args
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: echo-server [--addr 127.0.0.1:9001] [--threads N] [--split] \
         [--tls-cert CERT.pem --tls-key KEY.pem]"
    );
    std::process::exit(2)
}

/// The handshake callback: every valid upgrade request is accepted.
// Not used by the axum example, whose extractor accepts.
#[allow(dead_code)]
pub(crate) fn accept_all(_: &Request) -> Result<Accept, Reject> {
    Ok(Accept::new())
}

/// Serves one connection: waits for `accepting` (the adapter's
/// `accept_with` or `accept_tls_with`), then echoes (see [`echo_loop`]);
/// a failed handshake is logged.
// Not used by the axum example, whose extractor accepts.
#[allow(dead_code)]
pub(crate) async fn serve<S, I>(
    accepting: impl Future<Output = Result<WebSocket<S, I>, ws::Error>>,
    split: bool,
    spawn: &Spawn,
) where
    S: 'static,
    I: ws::Transport + Send + 'static,
{
    match accepting.await {
        Ok(ws) => echo_loop::echo(ws, split, spawn).await,
        Err(e) => eprintln!("handshake failed: {e}"),
    }
}

/// Messages and frames up to 64 MiB: the Autobahn testsuite and the
/// benchmarks send up to 16 MiB in one frame.
pub(crate) fn config() -> Config {
    Config::default()
        .with_max_message_size(64 << 20)
        .with_max_frame_size(64 << 20)
}
