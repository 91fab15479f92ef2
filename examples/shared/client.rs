//! What the `client` examples of every runtime share: the URL argument and
//! the session (stdin lines out, messages in). Each example adds only its
//! runtime's executor and stdin.

use std::future::Future;
use std::pin::pin;

use futures_util::future::{select, Either};
use futures_util::{Stream, StreamExt};
use ws_driver::{Runtime, WebSocket};
use ws_proto::{CloseCode, Message};

/// The URL to connect to: the first argument, or the echo server's.
pub(crate) fn url() -> String {
    std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001/".to_owned())
}

/// Sends each line of `lines` as a text message and prints every message
/// that comes back, until stdin ends (then closes with 1000 and waits for
/// the server's Close) or the server closes.
pub(crate) async fn session<S, R, L, E>(ws: WebSocket<S, R>, lines: L)
where
    S: ws_driver::Transport,
    R: Runtime,
    L: Stream<Item = Result<String, E>>,
{
    let (mut reader, mut writer) = ws.split();
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
        let _ = writer.close(CloseCode::NORMAL, "bye").await;
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
