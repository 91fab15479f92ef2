//! The chat server on smol: the page at http://127.0.0.1:8083/, the
//! WebSocket at `/ws?name=NAME&room=ROOM`, and the operator console on
//! stdin. The chat itself is `examples/shared/chat.rs`; this file holds
//! only smol's listener, spawn, stdin and executor.
//!
//! `cargo run --release -p ws-smol --example chat -- [--addr 127.0.0.1:8083]`

#[path = "../../examples/shared/chat.rs"]
mod shared;

use std::time::Duration;

use smol::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use smol::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    smol::block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!("{}", shared::banner("smol", listener.local_addr()?));
        let chat = shared::Chat::new(|line| println!("{line}"));
        let stdin = BufReader::new(smol::Unblock::new(std::io::stdin())).lines();
        smol::spawn(shared::console(chat.clone(), stdin)).detach();
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let mut opening = shared::Opening::new(&chat, peer);
                    smol::spawn(async move {
                        let config = shared::config();
                        let found =
                            ws_smol::accept_or_http(stream, config, |r| opening.check(r)).await;
                        opening.serve(found, respond).await
                    })
                    .detach();
                }
                Err(e) => {
                    chat.log(&format!("accept failed: {e}"));
                    smol::Timer::after(Duration::from_millis(100)).await;
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
