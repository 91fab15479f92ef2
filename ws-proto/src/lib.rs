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
//! # A server, two ways in
//!
//! On the wire, a server feeds the bytes it reads to a
//! [`ServerHandshake`](handshake::ServerHandshake), which parses the
//! HTTP/1.1 head itself (once, in linear time) and answers with the bytes
//! of a 101:
//!
//! ```
//! use ws_proto::handshake::{Accept, ServerHandshake};
//! use ws_proto::Config;
//!
//! let mut server = ServerHandshake::new(Config::default());
//! let request = server
//!     .receive(b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!                Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!                Sec-WebSocket-Version: 13\r\n\r\n")?
//!     .expect("a complete request");
//! let (response, _connection) = server.accept(&request, Accept::new())?;
//! assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! # Ok::<(), ws_proto::handshake::HandshakeError>(())
//! ```
//!
//! Behind an HTTP server (hyper, axum, h2) that parsed the request, the
//! `http` crate's parts go in, over HTTP/1.1 or as an HTTP/2 extended
//! CONNECT (RFC 8441), and an `http::Response` comes out for the server to
//! send; the connection then runs on the upgraded stream:
//!
//! ```
//! use ws_proto::handshake::{Accept, ServerHandshake};
//! use ws_proto::Config;
//!
//! let (parts, ()) = http::Request::get("/chat")
//!     .header("host", "example.com")
//!     .header("upgrade", "websocket")
//!     .header("connection", "Upgrade")
//!     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
//!     .header("sec-websocket-version", "13")
//!     .body(())?
//!     .into_parts();
//! // The third argument is the HTTP/2 `:protocol`, from the request's
//! // extensions (`hyper::ext::Protocol`); HTTP/1.1 has none.
//! let (server, request) = ServerHandshake::from_http(Config::default(), &parts, None)?;
//! let (response, _connection) = server.accept_http(&request, Accept::new())?;
//! assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Both paths read the request into the same view and run the same
//! validation and negotiation.
//!
//! # Layers
//!
//! - [`handshake`]: the opening handshake, server side
//!   ([`handshake::ServerHandshake`]) and client side
//!   ([`handshake::ClientHandshake`]), as an HTTP/1.1 upgrade from bytes or
//!   `http` parts, or as an HTTP/2 extended CONNECT. Each hands over a
//!   [`Connection`] with the bytes read past the handshake already fed to
//!   it.
//! - [`Connection`]: one open WebSocket, in either role. Its methods fall
//!   into input ([`Connection::receive`], [`Connection::read_buffer`],
//!   [`Connection::receive_eof`], [`Connection::handle_timeout`]), events
//!   ([`Connection::next_event`]), commands (`send_*`, [`Connection::close`])
//!   and drains ([`Connection::transmit_chunks`], [`Connection::poll_timeout`],
//!   [`Connection::should_shutdown`]); its lifecycle is one [`State`].
//! - [`frame`], [`close`], [`utf8`]: the wire format, public so that tests
//!   and tools can forge exact frames.
//! - [`extension`]: the hook by which an extension is negotiated in the
//!   handshake, owns reserved bits and transforms payloads; `deflate`
//!   (cargo feature `deflate`) is permessage-deflate (RFC 7692) built on
//!   it.
//! - [`origin`]: which sites' pages a server lets open a socket.
//! - [`security`]: every limit, its default and what it protects against,
//!   the advisories of other libraries we test against, and how to report
//!   a vulnerability.
//!
//! # Where each rule lives
//!
//! | rule | file |
//! |---|---|
//! | RFC 6455 1.3: the accept key | `handshake/mod.rs` |
//! | RFC 6455 3, 4.1: the client's URL and request | `handshake/client_request.rs` |
//! | RFC 6455 4.1: the client's checks of the 101 | `handshake/client.rs` |
//! | RFC 6455 4.2.1: the server's checks of the request | `handshake/server.rs` |
//! | RFC 6455 4.2.2: the server's answer, acceptance and refusal | `handshake/server.rs`, `handshake/request.rs`, `handshake/error.rs` |
//! | RFC 7230 3: reading an HTTP/1.1 head, once, within limits | `handshake/head.rs` |
//! | RFC 7230 3.1.2: writing a response head | `handshake/write.rs` |
//! | RFC 6455 9.1: the `Sec-WebSocket-Extensions` grammar | `handshake/offer.rs` |
//! | RFC 6455 9.1: negotiating an extension, their order | `extension.rs` |
//! | RFC 6455 10.2: the `Origin` check | `origin.rs` |
//! | RFC 8441 4, 5: the HTTP/2 extended CONNECT, both roles | `handshake/http2.rs` |
//! | the `http` crate's request and response types | `handshake/parts.rs` |
//! | RFC 6455 5.2, 5.3, 5.5: frame layout, masking, control frame size | `frame.rs` |
//! | RFC 6455 5.4, 5.5, 7: fragments, control frames, closing | `connection/` |
//! | RFC 6455 5.5.1, 7.4: the close body and codes | `close.rs` |
//! | RFC 6455 8.1: UTF-8 of text messages | `utf8.rs` |
//! | RFC 7692 7.1: permessage-deflate's parameters | `deflate/negotiate.rs` |
//! | RFC 7692 6, 7.2: compressing and inflating messages | `deflate/codec.rs` |
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `deflate` | no | the `deflate` module: permessage-deflate (RFC 7692), negotiated in the handshake when the [`Config`] enables it |

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
pub mod prepared;
pub mod security;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use config::{Config, HandshakeLimits};
pub use connection::{Connection, Event, Role, State};
pub use error::{ConfigError, Error, ProtocolError, TimeoutKind, UsageError};
pub use message::{Message, MessageKind};
pub use prepared::PreparedMessage;
pub use utf8::Utf8Bytes;
