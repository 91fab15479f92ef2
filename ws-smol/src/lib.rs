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
);
