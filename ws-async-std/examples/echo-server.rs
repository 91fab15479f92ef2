//! An echo server on async-std, for benchmarks and the Autobahn testsuite.
//!
//! `cargo run --release -p ws-async-std --example echo-server -- --addr 127.0.0.1:9001 [--threads N] [--split]`

#[path = "../../examples/shared/echo.rs"]
mod shared;

use std::sync::Arc;

use async_std::net::TcpListener;
use async_std::task;
use ws_async_std::Accept;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    // async-std sizes its global executor from this variable, read once
    // when the first task is spawned.
    std::env::set_var("ASYNC_STD_THREAD_COUNT", args.threads.to_string());
    let spawn: shared::Spawn = Arc::new(|task| drop(task::spawn(task)));
    let split = args.split;
    task::block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!("echo-server (async-std) on ws://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let spawn = spawn.clone();
            task::spawn(async move {
                match ws_async_std::accept_with(stream, shared::config(), |_| Ok(Accept::new()))
                    .await
                {
                    Ok(ws) => shared::echo(ws, split, &spawn).await,
                    Err(e) => eprintln!("handshake failed: {e}"),
                }
            });
        }
    })
}
