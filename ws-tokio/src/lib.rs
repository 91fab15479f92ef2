//! `ws-tokio` is a WebSocket (RFC 6455) client and server for the tokio
//! runtime. The protocol is the sans-IO [`ws_proto`] core; this crate adds
//! tokio's timer, TCP and I/O traits. `ws-smol` and `ws-async-std` offer
//! the same API on their runtimes.
//!
//! ```no_run
//! use ws_tokio::{accept, connect, Message};
//!
//! # async fn run() -> Result<(), ws_tokio::Error> {
//! // A server: echo every message of one connection.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
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
//! Pings are answered and Close frames echoed while a task waits in
//! [`WebSocket::recv`](ws_driver::WebSocket::recv); split the socket with
//! [`WebSocket::split`](ws_driver::WebSocket::split) to send from another
//! task.

mod io;

use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub use io::TokioIo;
pub use ws_driver::Error;
pub use ws_proto::handshake::{Accept, ClientRequest, HandshakeError, Reject, Request, Response};
pub use ws_proto::{
    CloseCode, CloseFrame, Config, Event, Message, MessageKind, ProtocolError, Utf8Bytes,
};

/// tokio's timer, for the driver.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl ws_driver::Runtime for Tokio {
    type Sleep = tokio::time::Sleep;

    fn sleep_until(deadline: Instant) -> Self::Sleep {
        tokio::time::sleep_until(deadline.into())
    }
}

/// A WebSocket over the tokio stream `S`.
pub type WebSocket<S> = ws_driver::WebSocket<TokioIo<S>, Tokio>;
/// The reading half of a [`WebSocket`].
pub type ReadHalf<S> = ws_driver::ReadHalf<TokioIo<S>, Tokio>;
/// The writing half of a [`WebSocket`].
pub type WriteHalf<S> = ws_driver::WriteHalf<TokioIo<S>, Tokio>;

/// Accepts a WebSocket on `stream` (a `TcpStream`, a TLS stream, a Unix
/// socket...) with the default configuration.
pub async fn accept<S>(stream: S) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws_driver::accept::<Tokio, _>(TokioIo::new(stream)).await
}

/// Accepts a WebSocket on `stream`: `callback` sees the request (path,
/// query, headers, cookies, offered subprotocols) and accepts it, with a
/// subprotocol and headers of its choice, or rejects it with any status.
pub async fn accept_with<S, F>(
    stream: S,
    config: Config,
    callback: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    ws_driver::accept_with::<Tokio, _, F>(TokioIo::new(stream), config, callback).await
}

/// Opens a WebSocket as a client over a connected `stream`.
pub async fn client<S>(
    stream: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<S>, Response), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws_driver::client::<Tokio, _>(TokioIo::new(stream), request, config).await
}

/// Connects to a `ws://` URL with the default configuration: resolves the
/// host, opens TCP (with `TCP_NODELAY`) and runs the handshake.
pub async fn connect(url: &str) -> Result<(WebSocket<TcpStream>, Response), Error> {
    connect_with(url, Config::default()).await
}

/// Connects to a `ws://` URL with `config`; `wss://` fails with
/// [`Error::TlsUnsupported`].
pub async fn connect_with(
    url: &str,
    config: Config,
) -> Result<(WebSocket<TcpStream>, Response), Error> {
    ws_driver::connect::<Tokio, _, _, _>(url, config, |host, port| async move {
        let stream = TcpStream::connect((host.as_str(), port)).await?;
        stream.set_nodelay(true)?;
        Ok(TokioIo::new(stream))
    })
    .await
}
