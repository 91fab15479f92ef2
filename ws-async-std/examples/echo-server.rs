//! An echo server on async-std, for benchmarks and the Autobahn testsuite.
//!
//! `cargo run --release -p ws-async-std --example echo-server -- --addr 127.0.0.1:9001 [--threads N] [--split] [--tls-cert CERT.pem --tls-key KEY.pem]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_async_std as ws;

#[path = "shared/echo.rs"]
mod shared;

use std::sync::Arc;

use async_std::net::TcpListener;
use async_std::task;

/// The TLS acceptor, if the build has TLS.
#[cfg(feature = "tls")]
type Tls = ws_async_std::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Tls = shared::tls::NoTls;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let tls: Option<Tls> = shared::tls::acceptor(args.tls.as_ref());
    // async-std sizes its global executor from this variable, read once
    // when the first task is spawned.
    std::env::set_var("ASYNC_STD_THREAD_COUNT", args.threads.to_string());
    let spawn: shared::Spawn = Arc::new(|task| drop(task::spawn(task)));
    let split = args.split;
    task::block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        let scheme = shared::tls::scheme(&tls);
        println!(
            "echo-server (async-std) on {scheme}://{}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let (spawn, tls) = (spawn.clone(), tls.clone());
            task::spawn(async move {
                let config = shared::config();
                match tls {
                    None => {
                        let accepting =
                            ws_async_std::accept_with(stream, config, shared::accept_all);
                        shared::serve(accepting, split, &spawn).await
                    }
                    #[cfg(feature = "tls")]
                    Some(tls) => {
                        let accepting =
                            ws_async_std::accept_tls_with(&tls, stream, config, shared::accept_all);
                        shared::serve(accepting, split, &spawn).await
                    }
                }
            });
        }
    })
}
