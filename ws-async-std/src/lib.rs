//! `ws-async-std` is a WebSocket (RFC 6455) client and server for the async-std
//! runtime. The protocol is the sans-IO [`ws_proto`] core; this crate adds
//! async-std's TCP. `ws-tokio` and `ws-smol` offer the same API on their
//! runtimes.
//!
//! **async-std is discontinued upstream** (RUSTSEC-2025-0052; its authors
//! recommend smol). This crate stays for applications that cannot move yet
//! and is kept thin: new code should use `ws-smol`, which has the same API.
//!
//! ```no_run
//! use ws_async_std::{accept, connect, Message};
//!
//! # async fn run() -> Result<(), ws_async_std::Error> {
//! // A server: echo every message of one connection.
//! let listener = async_std::net::TcpListener::bind("127.0.0.1:9001").await?;
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
use std::task::{Context, Poll};

use async_std::net::TcpStream;
use ws_driver::SocketStream;

pub use ws_driver::reexports::*;

ws_driver::define_async_io_runtime!(
    /// async-std's clock and timer (those of `async-io`), for the driver.
    AsyncStd,
    tcp = TcpStream
);

/// The runtime the driver runs on in this crate.
pub type Runtime = AsyncStd;

/// async-std's TCP stream, for what its `poll_close` does not do: shut the
/// write side down. It does not expose its socket's readiness.
#[derive(Debug)]
pub struct TcpSocket(TcpStream);

impl ws_driver::SocketHandle for TcpSocket {
    fn waits_for_readiness(&self) -> bool {
        false
    }

    fn poll_readable(&self, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn shutdown_write(&self) -> std::io::Result<()> {
        self.0.shutdown(std::net::Shutdown::Write)
    }
}

/// A stream as the driver sees it: async-std's TCP stream with a handle
/// that can shut its write side down; any other stream as it is.
pub type Io<S> = SocketStream<S, TcpSocket>;

/// Wraps `stream` for the driver.
fn wrap<S: 'static>(stream: S) -> Io<S> {
    let socket = (&stream as &dyn Any)
        .downcast_ref::<TcpStream>()
        .map(|tcp| TcpSocket(tcp.clone()));
    SocketStream::new(stream, socket)
}

ws_driver::define_adapter!(
    read = futures_io::AsyncRead,
    write = futures_io::AsyncWrite,
    io = Io<S>,
    wrap = wrap,
    tcp = TcpStream,
);
