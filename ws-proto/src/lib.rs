//! `ws-proto` is a sans-IO implementation of the WebSocket protocol
//! (RFC 6455) for both roles: bytes go in, handshake results, events and
//! bytes to send come out. It opens no socket, starts no task, reads no
//! clock and draws no random number of its own, so the same state machine
//! runs under any async runtime, a blocking loop, or a test harness with a
//! simulated clock. The crates `ws-tokio`, `ws-async-std` and `ws-smol`
//! drive it over real transports.
//!
//! ```
//! use ws_proto::{Config, Connection, Event, entropy::Seeded};
//!
//! // A client and a server connection, joined by hand.
//! let mut client = Connection::client(Config::default(), Box::new(Seeded::new(1)));
//! let mut server = Connection::server(Config::default());
//!
//! client.send_text("Hello")?;
//! let wire = client.take_transmit();
//! server.receive(&wire);
//! match server.next_event()? {
//!     Some(Event::Text { payload, fin: true }) => assert_eq!(&payload[..], b"Hello"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), ws_proto::Error>(())
//! ```
//!
//! # Layers
//!
//! - [`handshake`]: the HTTP/1.1 upgrade, server side
//!   ([`handshake::ServerHandshake`]) and client side
//!   ([`handshake::ClientHandshake`]). Each hands over a [`Connection`]
//!   with the bytes read past the handshake already fed to it.
//! - [`Connection`]: one open WebSocket, in either role. Its methods fall
//!   into input ([`Connection::receive`], [`Connection::read_buffer`],
//!   [`Connection::receive_eof`], [`Connection::handle_timeout`]), events
//!   ([`Connection::next_event`]), commands (`send_*`, [`Connection::close`])
//!   and drains ([`Connection::transmit_chunks`], [`Connection::poll_timeout`],
//!   [`Connection::should_shutdown`]).
//! - [`frame`], [`close`], [`utf8`]: the wire format, public so that tests
//!   and tools can forge exact frames.
//! - [`extension`]: the hook by which an extension owns reserved bits and
//!   transforms payloads; `deflate` (cargo feature `deflate`) is
//!   permessage-deflate (RFC 7692) built on it.
//! - [`origin`]: which sites' pages a server lets open a socket.
//! - [`security`]: every limit, its default and what it protects against,
//!   the advisories of other libraries we test against, and how to report
//!   a vulnerability.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod close;
pub mod config;
mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod entropy;
pub mod error;
pub mod extension;
pub mod frame;
pub mod handshake;
mod message;
pub mod origin;
pub mod security;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use config::{Config, ConfigError, HandshakeLimits};
pub use connection::{Connection, Event, Role};
pub use error::{Error, ProtocolError, TimeoutKind, UsageError};
pub use message::{Message, MessageKind};
pub use utf8::Utf8Bytes;
