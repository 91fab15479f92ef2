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
//! # TLS
//!
//! `connect` opens `wss://` URLs with tokio-rustls (the default features
//! `tls-ring` and `tls-webpki-roots`; see [`tls`] for the provider and the
//! roots). A server accepts over TLS with the TLS handshake inside the
//! handshake timeout:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use ws_tokio::{tls, Accept, Config, Connector, TlsAcceptor};
//!
//! # async fn run() -> Result<(), ws_tokio::Error> {
//! // Server: certificate chain and key from PEM files.
//! let config = tls::server_config_from_pem_files("cert.pem", "key.pem")?;
//! let acceptor = TlsAcceptor::from(Arc::new(config));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9443").await?;
//! let (tcp, _) = listener.accept().await?;
//! let ws = ws_tokio::accept_tls_with(&acceptor, tcp, Config::default(), |_| Ok(Accept::new()))
//!     .await?;
//!
//! // Client: trust a private CA; one Connector serves every connection.
//! let roots = tls::roots_from_pem_file("ca.pem")?;
//! let connector = Connector::new().with_tls_config(Arc::new(tls::client_config(roots)?));
//! let (ws, _response) = connector.connect("wss://localhost:9443/", Config::default()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # HTTP/2
//!
//! With the `http2` feature, `Connector::with_http2` opens `wss://`
//! WebSockets as streams of HTTP/2 connections (RFC 8441) where the
//! server enables extended CONNECT, and several sockets to one origin
//! share a connection, which runs on a task of tokio. Off by default:
//! HTTP/1.1 stays the default. A server that chooses `h2` without the
//! setting is left for HTTP/1.1 on a new connection; `ws://` stays on
//! HTTP/1.1. See `ws_driver::http2`.
//!
//! ```no_run
//! # #[cfg(feature = "http2")]
//! # async fn run() -> Result<(), ws_tokio::Error> {
//! use ws_tokio::{Config, Connector};
//!
//! let connector = Connector::new().with_http2(true);
//! let (ws, _response) = connector.connect("wss://example.com/feed", Config::default()).await?;
//! // Another socket to example.com is one more stream of that connection.
//! let (ws2, _response) = connector.connect("wss://example.com/chat", Config::default()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Proxies
//!
//! A [`Connector`] goes through an HTTP or SOCKS5 proxy when given one,
//! never on its own; [`Proxy::from_env`] reads the usual variables when
//! asked (see [`proxy`] for the rules):
//!
//! ```no_run
//! use ws_tokio::{Config, Connector, Proxy};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let proxy = Proxy::parse("http://alice:secret@proxy.example:3128")?;
//! let connector = Connector::new().with_proxy(proxy);
//! let (ws, _response) = connector.connect("wss://example.com/feed", Config::default()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # hyper and axum
//!
//! With the feature `axum`, `axum::WebSocketUpgrade` is an
//! axum 0.8 extractor; it runs after (or beside) the handler's other
//! extractors, and the socket comes over HTTP/1.1 (`GET` + `Upgrade`) or
//! HTTP/2 (an extended CONNECT, RFC 8441), so route it with
//! `axum::routing::any`:
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # mod example {
//! use ws_tokio::axum::WebSocketUpgrade;
//! use ws_tokio::Message;
//!
//! async fn chat(ws: WebSocketUpgrade) -> axum::response::Response {
//!     let version = ws.version(); // HTTP/1.1 or HTTP/2.0
//!     ws.protocols(["chat"]).on_upgrade(move |mut socket| async move {
//!         let _ = socket.send(Message::text(format!("hello over {version:?}"))).await;
//!         while let Some(Ok(message)) = socket.recv().await {
//!             if message.is_data() && socket.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! async fn serve() -> std::io::Result<()> {
//!     let app = axum::Router::new().route("/chat", axum::routing::any(chat));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     axum::serve(listener, app).await
//! }
//! # }
//! ```
//!
//! With the feature `hyper`, `hyper::upgrade` does the same
//! inside a plain hyper 1.x service: it checks the request, lets a
//! callback accept or reject it, and returns the response to send with the
//! future of the socket. `hyper::server_builder` is
//! hyper-util's server for HTTP/1.1 and HTTP/2 on one port, with extended
//! CONNECT enabled and HTTP/2 limits for WebSockets (see the constants of
//! that module); serve its connections with
//! `serve_connection_with_upgrades`. Both features are off by default.
//!
//! Pings are answered and Close frames echoed while a task waits in
//! [`WebSocket::recv`]; split the socket with [`WebSocket::into_split`]
//! to send from another task.
//!
//! # From tokio-tungstenite
//!
//! The [`migration`] module lists tokio-tungstenite's names beside ours
//! and ports its echo server and client.
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
//! | `tls` | through `tls-ring` | TLS with rustls through tokio-rustls (`wss://`, `accept_tls`), with no crypto provider or roots of its own |
//! | `tls-ring` | yes | rustls' `ring` crypto provider (needs a C compiler) |
//! | `tls-aws-lc-rs` | no | rustls' `aws-lc-rs` crypto provider (preferred when both are on) |
//! | `tls-webpki-roots` | yes | Mozilla's root certificates, bundled (`webpki-roots`) |
//! | `tls-native-roots` | no | the platform's root certificates, read at run time |
//! | `http2` | no | WebSockets over HTTP/2 for `wss://` (RFC 8441) when a `Connector` asks for it |
//! | `hyper` | no | the `hyper` module: sockets upgraded inside a hyper 1.x server, HTTP/1.1 and HTTP/2 |
//! | `axum` | no | the `axum` module: the axum 0.8 extractor `WebSocketUpgrade` |
//! | `tracing` | no | logs through `tracing`: a span per connection and the events of its life (see Logging) |

#![cfg_attr(docsrs, feature(doc_cfg))]

mod io;
mod maybe_tls;
pub mod migration;

use std::pin::Pin;
use std::time::Instant;

use tokio::net::TcpStream;

pub use io::TokioIo;
pub use maybe_tls::MaybeTlsStream;
pub use ws_driver::reexports::*;
#[cfg(feature = "tls")]
pub use ws_driver::tls;

/// tokio's clock and timer, for the driver. The clock is tokio's, so a
/// test runtime with a paused clock (`start_paused`) moves the
/// connection's timers as it moves its own.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

/// The runtime the driver runs on in this crate.
pub type Runtime = Tokio;

impl ws_driver::Runtime for Tokio {
    type Timer = tokio::time::Sleep;

    fn now() -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn timer(deadline: Instant) -> Self::Timer {
        tokio::time::sleep_until(deadline.into())
    }

    fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant) {
        timer.reset(deadline.into());
    }
}

impl ws_driver::Spawn for Tokio {
    fn spawn<F>(task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(task);
    }
}

impl ws_driver::PeerAddr<Tokio> for TcpStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        TcpStream::peer_addr(self)
    }
}

/// The TCP peer: that of the stream under TLS, or of the HTTP/2
/// connection.
impl ws_driver::PeerAddr<Tokio> for MaybeTlsStream<TcpStream> {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp.peer_addr(),
            #[cfg(feature = "tls")]
            MaybeTlsStream::Rustls(tls) => tls.get_ref().0.peer_addr(),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => h2.peer_addr(),
        }
    }
}

/// The TLS streams of tokio-rustls over TCP: the client's, the server's,
/// and either.
#[cfg(feature = "tls")]
macro_rules! tls_peer_addr {
    ($($stream:ty),*) => {$(
        impl ws_driver::PeerAddr<Tokio> for $stream {
            fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
                self.get_ref().0.peer_addr()
            }
        }
    )*};
}

#[cfg(feature = "tls")]
tls_peer_addr!(
    tokio_rustls::client::TlsStream<TcpStream>,
    tokio_rustls::server::TlsStream<TcpStream>,
    tokio_rustls::TlsStream<TcpStream>
);

impl ws_driver::Network for Tokio {
    type Tcp = TcpStream;
    type Stream = TokioIo<MaybeTlsStream<TcpStream>>;

    async fn connect_tcp(host: String, port: u16) -> std::io::Result<TcpStream> {
        let stream = TcpStream::connect((host.as_str(), port)).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn tcp_io(
        tcp: &mut TcpStream,
    ) -> impl futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + '_ {
        TokioIo::new(tcp)
    }

    fn plain(tcp: TcpStream) -> Self::Stream {
        io::wrap(MaybeTlsStream::Plain(tcp))
    }

    #[cfg(feature = "tls")]
    async fn tls(
        tcp: TcpStream,
        name: tls::pki_types::ServerName<'static>,
        config: std::sync::Arc<tls::ClientConfig>,
    ) -> Result<Self::Stream, Error> {
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(Error::from_tls_handshake)?;
        Ok(io::wrap(MaybeTlsStream::Rustls(Box::new(tls))))
    }

    #[cfg(feature = "tls")]
    fn alpn(stream: &Self::Stream) -> Option<&[u8]> {
        ws_driver::Transport::get_ref(stream)
            .tls_session()?
            .alpn_protocol()
    }

    #[cfg(feature = "http2")]
    const HTTP2: bool = true;

    #[cfg(feature = "http2")]
    fn http2(stream: ws_driver::http2::Http2Stream) -> Option<Self::Stream> {
        Some(io::wrap(MaybeTlsStream::Http2(Box::new(stream))))
    }
}

ws_driver::define_adapter!(
    read = tokio::io::AsyncRead,
    write = tokio::io::AsyncWrite,
    io = TokioIo<S>,
    wrap = io::wrap,
    tcp = TcpStream,
    tls = [tokio_rustls],
);

ws_driver::define_http_integrations!(
    hyper = {
        /// hyper-util's server for HTTP/1.1 and HTTP/2 on one port (it
        /// tells them apart by the HTTP/2 preface), ready for WebSockets
        /// on tokio: HTTP/2 with extended CONNECT and the limits of
        /// [`configure_http2`], and pinged every [`KEEP_ALIVE_INTERVAL`];
        /// both versions with tokio's timer, so that HTTP/1.1's header
        /// read timeout (30 s, hyper's default) holds off a client that
        /// sends its head slowly.
        ///
        /// Serve each connection with `serve_connection_with_upgrades`
        /// (`serve_connection` refuses HTTP/1.1 upgrades), its stream
        /// wrapped in hyper-util's `TokioIo` (not this crate's, which
        /// goes the other way, to `futures-io`).
        pub fn server_builder(
        ) -> hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor> {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder.http1().timer(hyper_util::rt::TokioTimer::new());
            ws_driver::__configure_http2!(builder.http2())
                .timer(hyper_util::rt::TokioTimer::new())
                .keep_alive_interval(KEEP_ALIVE_INTERVAL)
                .keep_alive_timeout(KEEP_ALIVE_TIMEOUT);
            builder
        }
    }
);
