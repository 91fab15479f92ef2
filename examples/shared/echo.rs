//! What the `echo-server` examples of every runtime share: flags, the
//! configuration and the echo loop. Each example adds only its runtime's
//! listener, spawn and executor.

use std::env;

use ws_driver::{Runtime, WebSocket};
use ws_proto::Config;

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:9001) and
/// `--threads N` (default 1: a current-thread runtime).
pub(crate) struct Args {
    pub(crate) addr: String,
    pub(crate) threads: usize,
}

impl Args {
    pub(crate) fn parse() -> Args {
        let mut args = Args {
            addr: "127.0.0.1:9001".to_owned(),
            threads: 1,
        };
        let mut argv = env::args().skip(1);
        while let Some(flag) = argv.next() {
            let value = argv.next();
            match (flag.as_str(), value) {
                ("--addr", Some(addr)) => args.addr = addr,
                ("--threads", Some(n)) => match n.parse() {
                    Ok(n) if n > 0 => args.threads = n,
                    _ => usage(),
                },
                _ => usage(),
            }
        }
        args
    }
}

fn usage() -> ! {
    eprintln!("usage: echo-server [--addr 127.0.0.1:9001] [--threads N]");
    std::process::exit(2)
}

/// Messages and frames up to 64 MiB: the Autobahn testsuite and the
/// benchmarks send up to 16 MiB in one frame.
pub(crate) fn config() -> Config {
    Config::default()
        .with_max_message_size(64 << 20)
        .and_then(|c| c.with_max_frame_size(64 << 20))
        .expect("valid limits")
}

/// Echoes every text and binary message unchanged until the peer closes.
/// Replies are fed, not flushed one by one: `recv` flushes them in one
/// write before it waits for more input.
pub(crate) async fn echo<S, R>(mut ws: WebSocket<S, R>)
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
    R: Runtime,
{
    while let Some(message) = ws.recv().await {
        match message {
            Ok(message) if message.is_data() => {
                if ws.feed(message).await.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}
