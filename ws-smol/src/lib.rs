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

use std::any::Any;
use std::sync::Arc;

use smol::net::TcpStream;
use ws_driver::__async_io::Async;
use ws_driver::SocketStream;

pub use ws_driver::reexports::*;

ws_driver::define_async_io_runtime!(
    /// smol's clock and timer (those of `async-io`), for the driver.
    Smol,
    tcp = TcpStream
);

/// The runtime the driver runs on in this crate.
pub type Runtime = Smol;

/// A stream as the driver sees it: smol's TCP stream with its socket at
/// hand, to wait for readiness without a read that finds nothing and to
/// shut its write side down; any other stream as it is.
pub type Io<S> = SocketStream<S, Arc<Async<std::net::TcpStream>>>;

/// Wraps `stream` for the driver.
fn wrap<S: 'static>(stream: S) -> Io<S> {
    let socket = (&stream as &dyn Any)
        .downcast_ref::<TcpStream>()
        .map(|tcp| Arc::<Async<std::net::TcpStream>>::from(tcp.clone()));
    SocketStream::new(stream, socket)
}

ws_driver::define_adapter!(
    read = futures_io::AsyncRead,
    write = futures_io::AsyncWrite,
    io = Io<S>,
    wrap = wrap,
    tcp = TcpStream,
);
