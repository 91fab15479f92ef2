//! The chat server on tokio: the page at http://127.0.0.1:8083/, the
//! WebSocket at `/ws?name=NAME&room=ROOM`, and the operator console on
//! stdin. The chat itself is `examples/shared/chat.rs`; this file holds
//! only tokio's listener, spawn, stdin and executor.
//!
//! `cargo run --release -p ws-tokio --example chat -- [--addr 127.0.0.1:8083]`

// `pub(crate)`: the chat's tests (conformance/tests/chat.rs and
// browser.rs) build this file in and use the chat through it.
#[path = "../../examples/shared/chat.rs"]
pub(crate) mod shared;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!("{}", shared::banner("tokio", listener.local_addr()?));
        let chat = shared::Chat::new(|line| println!("{line}"));
        let stdin = Lines(BufReader::new(tokio::io::stdin()).lines());
        tokio::spawn(shared::console(chat.clone(), stdin));
        serve(listener, chat).await;
        Ok(())
    })
}

/// Accepts connections on `listener` and serves each in its own task.
pub(crate) async fn serve(listener: TcpListener, chat: Arc<shared::Chat>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let mut opening = shared::Opening::new(&chat, peer);
                tokio::spawn(async move {
                    let config = shared::config();
                    let found =
                        ws_tokio::accept_or_http(stream, config, |r| opening.check(r)).await;
                    opening.serve(found, respond).await
                });
            }
            Err(e) => {
                // Out of file descriptors, say: wait a little, go on.
                chat.log(&format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Writes a plain HTTP response and closes the stream.
async fn respond(mut stream: TcpStream, response: Vec<u8>) -> std::io::Result<()> {
    stream.write_all(&response).await?;
    stream.shutdown().await
}

/// tokio's lines of stdin as a `Stream`.
struct Lines<R>(tokio::io::Lines<R>);

impl<R: tokio::io::AsyncBufRead + Unpin> futures_util::Stream for Lines<R> {
    type Item = std::io::Result<String>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.0)
            .poll_next_line(cx)
            .map(Result::transpose)
    }
}
