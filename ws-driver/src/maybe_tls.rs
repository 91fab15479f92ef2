//! The stream a `futures-io` adapter's `connect` returns: plain TCP for
//! `ws://`, TLS over it for `wss://` (with the `futures-rustls` feature).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

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
}

impl<S> MaybeTlsStream<S> {
    /// The stream under TLS, if any.
    pub fn get_ref(&self) -> &S {
        match self {
            MaybeTlsStream::Plain(s) => s,
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => tls.get_ref().0,
        }
    }

    /// The TLS session (negotiated protocol, ALPN, the peer's
    /// certificates), for `wss://`.
    #[cfg(feature = "futures-rustls")]
    pub fn tls_session(&self) -> Option<&rustls::ClientConnection> {
        match self {
            MaybeTlsStream::Plain(_) => None,
            MaybeTlsStream::Rustls(tls) => Some(tls.get_ref().1),
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
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_flush(cx),
        }
    }

    /// For TLS, sends `close_notify` first (RFC 8446 section 6.1), so that
    /// the peer reads a clean end rather than a truncation.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_close(cx),
            #[cfg(feature = "futures-rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls).poll_close(cx),
        }
    }
}
