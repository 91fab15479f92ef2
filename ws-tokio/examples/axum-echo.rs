//! An echo server behind axum, for the Autobahn testsuite: a WebSocket at
//! any path through the extractor `ws_tokio::axum::WebSocketUpgrade`, over
//! HTTP/1.1, and with `--tls-cert` and `--tls-key` over HTTPS with `h2`
//! and `http/1.1` in ALPN, so HTTP/2's extended CONNECT (RFC 8441) too.
//! The flags and the echo loops are the `echo-server` example's.
//!
//! `cargo run --release -p ws-tokio --example axum-echo -- --addr 127.0.0.1:9002 [--threads N] [--split] [--tls-cert CERT.pem --tls-key KEY.pem]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_tokio as ws;

#[path = "shared/axum_server.rs"]
mod axum_server;
#[path = "shared/echo.rs"]
mod shared;

use std::sync::Arc;

use axum::response::Response;
use axum::routing::any;
use axum::Router;
use tokio::net::TcpListener;
use ws_tokio::axum::WebSocketUpgrade;

/// The TLS acceptor, if the build has TLS.
#[cfg(feature = "tls")]
type Tls = ws_tokio::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Tls = shared::tls::NoTls;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let tls: Option<Tls> = shared::tls::acceptor_with_alpn(args.tls.as_ref(), axum_server::ALPN);
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
        println!("axum-echo (tokio) on {scheme}://{}", listener.local_addr()?);
        // Every path, every method (HTTP/2's extended CONNECT included):
        // a request that is no upgrade gets the extractor's refusal.
        let app = Router::new().fallback(any(move |upgrade: WebSocketUpgrade| {
            let spawn = spawn.clone();
            async move { echo(upgrade, split, spawn) }
        }));
        axum_server::serve(listener, app, tls, |line| eprintln!("{line}")).await;
        Ok(())
    })
}

/// Accepts the upgrade with the echo's limits and echoes on the socket.
fn echo(upgrade: WebSocketUpgrade, split: bool, spawn: shared::Spawn) -> Response {
    upgrade
        .config(shared::config())
        .on_failed_upgrade(|e| eprintln!("upgrade failed: {e}"))
        .on_upgrade(move |socket| async move { shared::echo(socket, split, &spawn).await })
}
