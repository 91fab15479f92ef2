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
//! Pings are answered and Close frames echoed while a task waits in
//! [`WebSocket::recv`](ws_driver::WebSocket::recv); split the socket with
//! [`WebSocket::split`](ws_driver::WebSocket::split) to send from another
//! task.

mod io;
mod maybe_tls;

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

impl ws_driver::PeerAddr<Tokio> for TcpStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        TcpStream::peer_addr(self)
    }
}

impl ws_driver::PeerAddr<Tokio> for MaybeTlsStream<TcpStream> {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.get_ref().peer_addr()
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
        TokioIo::new(MaybeTlsStream::Plain(tcp))
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
        Ok(TokioIo::new(MaybeTlsStream::Rustls(Box::new(tls))))
    }
}

ws_driver::define_adapter!(
    read = tokio::io::AsyncRead,
    write = tokio::io::AsyncWrite,
    io = TokioIo<S>,
    wrap = TokioIo::new,
    tcp = TcpStream,
    tls = [tokio_rustls],
);
