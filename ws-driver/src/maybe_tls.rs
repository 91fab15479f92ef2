//! The stream a `futures-io` adapter's `connect` returns: plain TCP for
//! `ws://`, TLS over it for `wss://` (with the `futures-rustls` feature),
//! or a stream of a shared HTTP/2 connection (with `http2`).

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::{PeerAddr, Runtime};

/// A stream that is either plain or TLS (`futures-rustls`), as `connect`
/// opens it for a `ws://` or a `wss://` URL.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream<S> {
    /// `ws://`: the stream itself.
    Plain(S),
    /// `wss://`: TLS over the stream. Boxed: a TLS session is large, and a
    /// plain connection should not carry its size.
    #[cfg(feature = "futures-rustls")]
    Rustls(Box<futures_rustls::client::TlsStream<S>>),
    /// `wss://` over HTTP/2 (RFC 8441): a stream of a connection that other
    /// sockets may share, whose TLS stream is its task's. Boxed like TLS.
    #[cfg(feature = "http2")]
    Http2(Box<crate::http2::Http2Stream>),
}

impl<S> MaybeTlsStream<S> {
    /// The stream under TLS, if any: none for an HTTP/2 stream, whose
    /// connection is shared.
    pub fn get_ref(&self) -> Option<&S> {
        match self {
            MaybeTlsStream::Plain(s) => Some(s),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Some(tls.get_ref().0),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(_) => None,
        }
    }

    /// The TLS session (negotiated protocol, ALPN, the peer's
    /// certificates), for `wss://`.
    #[cfg(feature = "futures-rustls")]
    pub fn tls_session(&self) -> Option<&rustls::ClientConnection> {
        match self {
            MaybeTlsStream::Plain(_) => None,
            MaybeTlsStream::Rustls(tls) => Some(tls.get_ref().1),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(_) => None,
        }
    }
}

/// The TCP peer: that of the stream under TLS, or of the HTTP/2
/// connection.
impl<R: Runtime, S: PeerAddr<R>> PeerAddr<R> for MaybeTlsStream<S> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self {
            MaybeTlsStream::Plain(s) => s.peer_addr(),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => tls.get_ref().0.peer_addr(),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => h2.peer_addr(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_read(cx, buf),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => Pin::new(h2).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_write(cx, buf),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => Pin::new(h2).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_write_vectored(cx, bufs),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => Pin::new(h2).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_flush(cx),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => Pin::new(h2).poll_flush(cx),
        }
    }

    /// For TLS, sends `close_notify` first (RFC 8446 section 6.1), so that
    /// the peer reads a clean end rather than a truncation; for HTTP/2,
    /// END_STREAM (RFC 8441 section 4).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_close(cx),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_close(cx),
            #[cfg(feature = "http2")]
            MaybeTlsStream::Http2(h2) => Pin::new(h2).poll_close(cx),
        }
    }
}
