//! An echo server on smol, for benchmarks and the Autobahn testsuite.
//!
//! `cargo run --release -p ws-smol --example echo-server -- --addr 127.0.0.1:9001 [--threads N] [--split] [--tls-cert CERT.pem --tls-key KEY.pem]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_smol as ws;

#[path = "shared/echo.rs"]
mod shared;

use std::sync::Arc;

use smol::net::TcpListener;
use smol::Executor;

/// The TLS acceptor, if the build has TLS.
#[cfg(feature = "tls")]
type Tls = ws_smol::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Tls = shared::tls::NoTls;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let tls: Option<Tls> = shared::tls::acceptor(args.tls.as_ref());
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
        let scheme = shared::tls::scheme(&tls);
        println!(
            "echo-server (smol) on {scheme}://{}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let (spawn, tls) = (spawn.clone(), tls.clone());
            executor
                .spawn(async move {
                    let config = shared::config();
                    match tls {
                        None => {
                            let accepting =
                                ws_smol::accept_with(stream, config, shared::accept_all);
                            shared::serve(accepting, split, &spawn).await
                        }
                        #[cfg(feature = "tls")]
                        Some(tls) => {
                            let accepting =
                                ws_smol::accept_tls_with(&tls, stream, config, shared::accept_all);
                            shared::serve(accepting, split, &spawn).await
                        }
                    }
                })
                .detach();
        }
    }))
}
