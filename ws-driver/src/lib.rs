//! `ws-driver` drives a [`ws_proto`] connection over any `futures-io`
//! stream. It is the one implementation of the async read loop, write
//! batching, message assembly, timers, `Stream`/`Sink` and split halves
//! behind the runtime crates `ws-tokio`, `ws-async-std` and `ws-smol`,
//! which add only their runtime's timer and TCP types. Applications use
//! one of those crates, not this one.
//!
//! A runtime plugs in by implementing [`Runtime`], its clock and timer:
//!
//! ```
//! use std::pin::Pin;
//! use std::time::Instant;
//!
//! /// A runtime whose timer never fires (timers off in its configs).
//! struct NoTimer;
//!
//! impl ws_driver::Runtime for NoTimer {
//!     type Timer = std::future::Pending<()>;
//!
//!     fn now() -> Instant {
//!         Instant::now()
//!     }
//!
//!     fn timer(_: Instant) -> Self::Timer {
//!         std::future::pending()
//!     }
//!
//!     fn reset(_: Pin<&mut Self::Timer>, _: Instant) {}
//! }
//!
//! type Socket<S> = ws_driver::WebSocket<S, NoTimer>;
//! ```
//!
//! # Shape
//!
//! - `drive`: the core, one connection with its transport and timer,
//!   cut by direction (`receive`: reads, timers, the transport's end;
//!   `send`: writes).
//! - [`WebSocket`] owns a driver and polls it from one task: no lock, no
//!   shared state. `split` puts the driver behind a lock for two tasks
//!   and documents whose waker is registered where.
//! - `ops`: every operation of the socket and its halves, written once.
//! - [`fanout`]: broadcast, a prepared message offered to many sockets'
//!   writing halves without waiting, under a backpressure policy.
//! - [`proxy`]: a client's tunnel through an HTTP or SOCKS5 proxy, only
//!   when asked for.
//! - `hyper` and `axum` (features of the same names): sockets upgraded
//!   inside a hyper or axum server, over HTTP/1.1 and HTTP/2.
//!
//! # Logging
//!
//! With the `tracing` feature (off by default; each adapter has one that
//! turns this one on) the driver logs through [`tracing`](https://docs.rs/tracing),
//! for whatever subscriber the application installs. Without it nothing of
//! this is compiled.
//!
//! Each connection has a span, `websocket` (target `ws_driver`, level
//! `debug`), with the fields `role` (`client` or `server`), `peer` (the
//! peer's address, where the transport knows it: a runtime's TCP stream,
//! or TLS over one), and, once the opening handshake is done,
//! `subprotocol` and `extensions` (the negotiated
//! `Sec-WebSocket-Extensions` value: the permessage-deflate parameters).
//! The handshake runs inside it and the socket keeps it, entered while
//! the socket (or either half) is polled: every event below is inside its
//! connection's span.
//!
//! | event (message) | level | fields |
//! |---|---|---|
//! | `connection open` | `debug` | |
//! | `handshake refused`: a bad request (a server's answer), or a server's refusal (as a client reads it) | `debug` | `status` (the HTTP status a server answered with), `error` |
//! | `handshake rejected by the application`: the accept callback's `Reject` | `debug` | `status` |
//! | `handshake failed`: our own mistake (an acceptance of what was not offered) | `warn` | `status`, `error` |
//! | `handshake timed out` | `debug` | `limit` |
//! | `protocol error`: the peer broke RFC 6455 | `debug` | `code` (the close code sent), `error` (the rule broken) |
//! | `connection timed out`: keepalive, idle or close timeout | `debug` | `timeout` |
//! | `transport ended without a closing handshake` | `debug` | `code` (1006) |
//! | `transport failed`: an I/O error ended the connection | `debug` | `error` |
//! | `connection closed`: the closing handshake is done | `debug` | `closed_by` (`us` or `peer`: who sent the first Close), `code`, `reason` |
//! | `connection ended`: the end of a failed connection's drain | `debug` | `error` |
//! | `no entropy for the key` (a client's handshake), `upgrade impossible` (a request hyper cannot hand over) | `warn` | `error` |
//!
//! What the peer does is logged at `debug`, so that bad clients cannot
//! flood a server's log at `info`. Nothing is logged per message.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `deflate` | yes | permessage-deflate (RFC 7692), negotiated when the `Config` enables it |
//! | `async-io` | no | the timer of `async-io` (smol, async-std), for `define_async_io_adapter!` |
//! | `tls` | no | the `tls` module: rustls (`wss://`, the server's PEM loading), with no crypto provider or roots of its own |
//! | `tls-ring` | no | rustls' `ring` crypto provider |
//! | `tls-aws-lc-rs` | no | rustls' `aws-lc-rs` crypto provider (preferred when both are on) |
//! | `tls-webpki-roots` | no | Mozilla's root certificates, bundled (`webpki-roots`) |
//! | `tls-native-roots` | no | the platform's root certificates, read at run time |
//! | `futures-rustls` | no | TLS streams of `futures-rustls`, for the `async-io` adapters |
//! | `http2` | no | the `http2` module: WebSockets over HTTP/2 for `wss://` (RFC 8441) |
//! | `hyper` | no | the `hyper` module: sockets upgraded inside a hyper 1.x server |
//! | `axum` | no | the `axum` module: the axum 0.8 extractor `WebSocketUpgrade` |
//! | `tracing` | no | logs through `tracing`: a span per connection and the events of its life (see Logging) |
//!
//! The adapters turn these on for their users; their defaults are
//! `deflate`, `tls-ring` and `tls-webpki-roots`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod adapter;
#[cfg(feature = "axum")]
pub mod axum;
mod connect;
mod drive;
mod entropy;
mod error;
pub mod fanout;
mod handshake;
#[cfg(feature = "http2")]
pub mod http2;
#[cfg(feature = "hyper")]
pub mod hyper;
mod integrations;
mod maybe_tls;
mod ops;
pub mod proxy;
mod runtime;
mod socket;
mod split;
#[cfg(feature = "tls")]
pub mod tls;
mod trace;
mod transport;

pub use error::Error;
pub use fanout::{Backpressure, Offered, OverLimit, Subscriber};
pub use proxy::{Proxy, ProxyError};

/// What every adapter re-exports, so that one dependency is enough.
pub mod reexports {
    pub use crate::fanout::{Backpressure, Offered, OverLimit, Subscriber};
    pub use crate::proxy::{Proxy, ProxyError};
    pub use crate::{proxy, Error, Transport, Upgrade};
    pub use ws_proto as proto;
    pub use ws_proto::close::CloseBodyError;
    pub use ws_proto::handshake::IntoClientRequest;
    pub use ws_proto::handshake::{
        Accept, ClientRequest, HandshakeError, Reject, Request, Response,
    };
    pub use ws_proto::{
        CloseCode, CloseFrame, Config, ConfigError, Event, HandshakeLimits, Message, MessageKind,
        PreparedMessage, ProtocolError, State, TimeoutKind, UsageError, Utf8Bytes,
    };
}
#[cfg(feature = "async-io")]
#[doc(hidden)]
pub use async_io as __async_io;
pub use connect::{Connector, Network};
#[cfg(feature = "futures-rustls")]
#[doc(hidden)]
pub use futures_rustls as __futures_rustls;
/// Expands to its input when ws-driver has HTTP/2 (its `http2` feature),
/// to nothing otherwise: how the adapters' macros follow this crate's
/// features rather than their own.
#[cfg(feature = "http2")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_http2 {
    ($($item:tt)*) => { $($item)* };
}
/// Expands to its input when ws-driver has HTTP/2 (its `http2` feature),
/// to nothing otherwise.
#[cfg(not(feature = "http2"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_http2 {
    ($($item:tt)*) => {};
}
pub use handshake::{
    accept, accept_or_http, accept_or_http_over, accept_with, accept_with_over, client, Upgrade,
};
#[cfg(feature = "hyper")]
#[doc(hidden)]
pub use http as __http;
pub use maybe_tls::MaybeTlsStream;
pub use runtime::{PeerAddr, Runtime, Spawn};
pub use socket::WebSocket;
pub use split::{ReadHalf, ReuniteError, WriteHalf};
#[doc(hidden)]
pub use trace::KeptPeer as __KeptPeer;
pub use transport::{NoSocket, SocketHandle, SocketStream, Transport};
#[doc(hidden)]
pub use ws_proto as __proto;
#[doc(hidden)]
pub use {bytes as __bytes, futures_core as __futures_core, futures_sink as __futures_sink};
