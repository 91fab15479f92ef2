//! An echo server on smol, for benchmarks and the Autobahn testsuite.
//!
//! `cargo run --release -p ws-smol --example echo-server -- --addr 127.0.0.1:9001 [--threads N] [--split]`

#[path = "../../examples/shared/echo.rs"]
mod shared;

use std::sync::Arc;

use smol::net::TcpListener;
use smol::Executor;
use ws_smol::Accept;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let executor = Arc::new(Executor::new());
    // The calling thread is one worker; `--threads N` adds N - 1 more.
    for _ in 1..args.threads {
        let executor = executor.clone();
        std::thread::spawn(move || smol::block_on(executor.run(smol::future::pending::<()>())));
    }
    let spawn: shared::Spawn = {
        let executor = executor.clone();
        Arc::new(move |task| executor.spawn(task).detach())
    };
    let split = args.split;
    smol::block_on(executor.run(async {
        let listener = TcpListener::bind(&args.addr).await?;
        println!("echo-server (smol) on ws://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let spawn = spawn.clone();
            executor
                .spawn(async move {
                    match ws_smol::accept_with(stream, shared::config(), |_| Ok(Accept::new()))
                        .await
                    {
                        Ok(ws) => shared::echo(ws, split, &spawn).await,
                        Err(e) => eprintln!("handshake failed: {e}"),
                    }
                })
                .detach();
        }
    }))
}
