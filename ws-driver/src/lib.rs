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
//! - [`proxy`]: a client's tunnel through an HTTP or SOCKS5 proxy, only
//!   when asked for.
//! - `hyper` and `axum` (features of the same names): sockets upgraded
//!   inside a hyper or axum server, over HTTP/1.1 and HTTP/2.

#[cfg(feature = "axum")]
pub mod axum;
mod connect;
mod drive;
mod entropy;
mod error;
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
mod transport;

pub use error::Error;
pub use proxy::{Proxy, ProxyError};

/// What every adapter re-exports, so that one dependency is enough.
pub mod reexports {
    pub use crate::proxy::{Proxy, ProxyError};
    pub use crate::{proxy, Error, ReuniteError, Upgrade};
    pub use ws_proto as proto;
    pub use ws_proto::close::CloseBodyError;
    pub use ws_proto::handshake::{
        Accept, ClientRequest, HandshakeError, Reject, Request, Response,
    };
    pub use ws_proto::{
        CloseCode, CloseFrame, Config, ConfigError, Event, HandshakeLimits, Message, MessageKind,
        ProtocolError, State, TimeoutKind, UsageError, Utf8Bytes,
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
pub use transport::{NoSocket, SocketHandle, SocketStream, Transport};
#[doc(hidden)]
pub use ws_proto as __proto;
