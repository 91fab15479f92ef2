//! An echo server on tokio, for benchmarks and the Autobahn testsuite.
//!
//! `cargo run --release -p ws-tokio --example echo-server -- --addr 127.0.0.1:9001 [--threads N] [--split] [--tls-cert CERT.pem --tls-key KEY.pem]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_tokio as ws;

#[path = "shared/echo.rs"]
mod shared;

use std::sync::Arc;

use tokio::net::TcpListener;

/// The TLS acceptor, if the build has TLS.
#[cfg(feature = "tls")]
type Tls = ws_tokio::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Tls = shared::tls::NoTls;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let tls: Option<Tls> = shared::tls::acceptor(args.tls.as_ref());
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
        let scheme = shared::tls::scheme(&tls);
        println!(
            "echo-server (tokio) on {scheme}://{}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let (spawn, tls) = (spawn.clone(), tls.clone());
            tokio::spawn(async move {
                let config = shared::config();
                match tls {
                    None => {
                        let accepting = ws_tokio::accept_with(stream, config, shared::accept_all);
                        shared::serve(accepting, split, &spawn).await
                    }
                    #[cfg(feature = "tls")]
                    Some(tls) => {
                        let accepting =
                            ws_tokio::accept_tls_with(&tls, stream, config, shared::accept_all);
                        shared::serve(accepting, split, &spawn).await
                    }
                }
            });
        }
    })
}
