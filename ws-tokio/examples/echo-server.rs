//! An echo server on tokio, for benchmarks and the Autobahn testsuite.
//!
//! `cargo run --release -p ws-tokio --example echo-server -- --addr 127.0.0.1:9001 [--threads N] [--split]`

#[path = "../../examples/shared/echo.rs"]
mod shared;

use std::sync::Arc;

use tokio::net::TcpListener;
use ws_tokio::Accept;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let runtime = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
    };
    let spawn: shared::Spawn = Arc::new(|task| drop(tokio::spawn(task)));
    let split = args.split;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!("echo-server (tokio) on ws://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let spawn = spawn.clone();
            tokio::spawn(async move {
                match ws_tokio::accept_with(stream, shared::config(), |_| Ok(Accept::new())).await {
                    Ok(ws) => shared::echo(ws, split, &spawn).await,
                    Err(e) => eprintln!("handshake failed: {e}"),
                }
            });
        }
    })
}
