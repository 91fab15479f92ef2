//! What the `client` examples of every runtime share: the arguments, the
//! connector (TLS roots included) and the session (stdin lines out,
//! messages in). Each example adds only its runtime's executor and stdin.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;

use futures_util::future::{select, Either};
use futures_util::{Stream, StreamExt};

use super::ws::{self, CloseCode, Connector, Message, WebSocket};

// The client half of it: `--ca` and the connector.
#[allow(dead_code)]
#[path = "tls.rs"]
mod tls;

/// The command line: `[URL] [--ca PEM]`: the `ws://` or `wss://` URL to
/// connect to (default the echo server's, `ws://127.0.0.1:9001/`), and
/// the certificates to trust for `wss://` instead of the built-in roots
/// (a test server's self-signed certificate).
pub(crate) struct Args {
    pub(crate) url: String,
    ca: Option<PathBuf>,
}

impl Args {
    pub(crate) fn parse() -> Args {
        let mut url = None;
        let mut ca = None;
        let mut argv = std::env::args().skip(1);
        while let Some(arg) = argv.next() {
            match (arg.as_str(), url.is_none()) {
                ("--ca", _) => match argv.next().map(|v| tls::ca_flag(&v)) {
                    Some(Ok(path)) => ca = Some(path),
                    Some(Err(e)) => usage(&e),
                    None => usage("--ca needs a file"),
                },
                (flag, _) if flag.starts_with("--") => usage(&format!("unknown flag {flag}")),
                (_, true) => url = Some(arg),
                (_, false) => usage("one URL only"),
            }
        }
        Args {
            url: url.unwrap_or_else(|| "ws://127.0.0.1:9001/".to_owned()),
            ca,
        }
    }

    /// The connector to connect with: with `--ca`, trusting those
    /// certificates for `wss://`.
    pub(crate) fn connector(&self) -> Connector {
        tls::connector(self.ca.as_deref())
    }
}

fn usage(why: &str) -> ! {
    eprintln!("client: {why}\nusage: client [ws://HOST:PORT/PATH | wss://...] [--ca CA.pem]");
    std::process::exit(2)
}

/// Sends each line of `lines` as a text message and prints every message
/// that comes back, until stdin ends (then closes with 1000 and waits for
/// the server's Close) or the server closes.
pub(crate) async fn session<S, I, L, E>(ws: WebSocket<S, I>, lines: L)
where
    I: ws::Transport,
    L: Stream<Item = Result<String, E>>,
{
    let (mut reader, mut writer) = ws.into_split();
    let print = pin!(async move {
        while let Some(message) = reader.recv().await {
            match message {
                Ok(Message::Text(text)) => println!("< {text}"),
                Ok(Message::Binary(data)) => println!("< {} bytes of binary", data.len()),
                Ok(Message::Close(frame)) => {
                    println!("closed: {} {}", frame.code(), frame.reason())
                }
                Ok(_) => {}
                Err(e) => eprintln!("error: {e}"),
            }
        }
    });
    let send = pin!(async move {
        let mut lines = pin!(lines);
        while let Some(Ok(line)) = lines.next().await {
            if let Err(e) = writer.send(Message::text(line)).await {
                eprintln!("send failed: {e}");
                return;
            }
        }
        let _ = writer.close_with(CloseCode::NORMAL, "bye").await;
    });
    if let Either::Right(((), print)) = select(print, send).await {
        print.await;
    }
}

/// Runs `connect` and reports a failure to connect.
pub(crate) async fn connect_or_exit<T, E: std::fmt::Display>(
    connect: impl Future<Output = Result<T, E>>,
) -> T {
    match connect.await {
        Ok(connected) => connected,
        Err(e) => {
            eprintln!("could not connect: {e}");
            std::process::exit(1)
        }
    }
}
