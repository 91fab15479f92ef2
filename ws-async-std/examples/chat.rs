//! The chat server on async-std: the page at http://127.0.0.1:8083/, the
//! WebSocket at `/ws?name=NAME&room=ROOM`, and the operator console on
//! stdin. The chat itself is `examples/shared/chat.rs`; this file holds
//! only async-std's listener, spawn, stdin and executor.
//!
//! `cargo run --release -p ws-async-std --example chat -- [--addr 127.0.0.1:8083]`

#[path = "../../examples/shared/chat.rs"]
mod shared;

use std::time::Duration;

use async_std::io::{prelude::BufReadExt, BufReader};
use async_std::net::{TcpListener, TcpStream};
use async_std::task;
use futures_util::AsyncWriteExt;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    task::block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!("{}", shared::banner("async-std", listener.local_addr()?));
        let chat = shared::Chat::new(|line| println!("{line}"));
        let stdin = BufReader::new(async_std::io::stdin()).lines();
        task::spawn(shared::console(chat.clone(), stdin));
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let mut opening = shared::Opening::new(&chat, peer);
                    task::spawn(async move {
                        let config = shared::config();
                        let found =
                            ws_async_std::accept_or_http(stream, config, |r| opening.check(r))
                                .await;
                        opening.serve(found, respond).await
                    });
                }
                Err(e) => {
                    chat.log(&format!("accept failed: {e}"));
                    task::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Writes a plain HTTP response and closes the stream.
async fn respond(mut stream: TcpStream, response: Vec<u8>) -> std::io::Result<()> {
    stream.write_all(&response).await?;
    stream.close().await
}
