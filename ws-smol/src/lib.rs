//! `ws-smol` is a WebSocket (RFC 6455) client and server for the smol
//! runtime. The protocol is the sans-IO [`ws_proto`] core; this crate adds
//! smol's TCP. `ws-tokio` and `ws-async-std` offer the same API on their
//! runtimes.
//!
//! ```no_run
//! use ws_smol::{accept, connect, Message};
//!
//! # async fn run() -> Result<(), ws_smol::Error> {
//! // A server: echo every message of one connection.
//! let listener = smol::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let (stream, _) = listener.accept().await?;
//! let mut ws = accept(stream).await?;
//! while let Some(message) = ws.recv().await {
//!     let message = message?;
//!     if message.is_data() {
//!         ws.send(message).await?;
//!     }
//! }
//!
//! // A client.
//! let (mut ws, _response) = connect("ws://127.0.0.1:9001/chat").await?;
//! ws.send(Message::text("hello")).await?;
//! let reply = ws.recv().await;
//! # Ok(())
//! # }
//! ```
//!
//! # hyper and axum
//!
//! The features `hyper` and `axum` add the modules `hyper` (upgrade a
//! request inside a hyper 1.x service, over HTTP/1.1 or HTTP/2 extended
//! CONNECT) and `axum` (the `WebSocketUpgrade` extractor), with the socket
//! task spawned on smol. hyper needs its I/O traits on the TCP stream
//! and, for HTTP/2, an executor: `smol-hyper` provides both
//! (`smol_hyper::rt::FuturesIo` over any `futures-io` stream,
//! `SmolExecutor`, `SmolTimer`). It is sound (it zeroes the read buffer
//! before handing it to the stream, the cost of a memset per read) and small; the
//! path stays generic over `hyper::rt`, so another glue serves as well.
//! Serve a connection with hyper's HTTP/1.1 builder
//! (`serve_connection(FuturesIo::new(tcp), service).with_upgrades()`),
//! or its HTTP/2 builder with `SmolExecutor`, configured for WebSockets
//! by `hyper::configure_http2` (the conformance suite's `tests/hyper.rs`
//! serves HTTP/1.1 this way).
//!
//! # Logging
//!
//! The feature `tracing` (off by default) logs each connection through
//! `tracing`: a `debug` span per connection (role, peer address,
//! subprotocol, extensions) and `debug` events for handshake refusals and
//! timeouts, protocol errors, timeouts and the close (who closed, code,
//! reason), `warn` for failures of ours; see the "Logging" section of
//! ws-driver's documentation for the list. The chat example installs
//! `tracing-subscriber` with a `RUST_LOG` filter: `RUST_LOG=debug` shows
//! them.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `deflate` | yes | permessage-deflate (RFC 7692), offered by clients and accepted by servers |
//! | `tls` | through `tls-ring` | TLS with rustls through futures-rustls (`wss://`, `accept_tls`), with no crypto provider or roots of its own |
//! | `tls-ring` | yes | rustls' `ring` crypto provider (needs a C compiler) |
//! | `tls-aws-lc-rs` | no | rustls' `aws-lc-rs` crypto provider (preferred when both are on) |
//! | `tls-webpki-roots` | yes | Mozilla's root certificates, bundled (`webpki-roots`) |
//! | `tls-native-roots` | no | the platform's root certificates, read at run time |
//! | `http2` | no | WebSockets over HTTP/2 for `wss://` (RFC 8441) when a `Connector` asks for it |
//! | `hyper` | no | the `hyper` module: sockets upgraded inside a hyper 1.x server, HTTP/1.1 and HTTP/2 |
//! | `axum` | no | the `axum` module: the axum 0.8 extractor `WebSocketUpgrade` |
//! | `tracing` | no | logs through `tracing`: a span per connection and the events of its life (see Logging) |

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::Arc;

use smol::net::TcpStream;
use ws_driver::__async_io::Async;

pub use ws_driver::reexports::*;
#[cfg(feature = "tls")]
pub use ws_driver::tls;

ws_driver::define_async_io_adapter!(
    /// smol's clock and timer (those of `async-io`), for the driver. Its
    /// TCP stream's socket is at hand (`async-net` shares it), to wait for
    /// readiness without a read that finds nothing and to shut its write
    /// side down.
    Smol,
    tcp = TcpStream,
    socket = Arc<Async<std::net::TcpStream>>,
    from_tcp = |tcp| Arc::from(tcp.clone()),
    spawn = |task| smol::spawn(task).detach(),
);
