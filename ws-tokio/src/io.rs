//! tokio's I/O traits seen through the `futures-io` traits the driver uses.
//!
//! `tokio_util::compat` does the same but drops vectored writes, and the
//! driver writes a frame header and a large payload together with one
//! vectored write; so this shim forwards them.

use std::any::Any;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use ws_driver::{__KeptPeer, PeerAddr};

use crate::MaybeTlsStream;

/// A tokio stream with the `futures-io` traits.
#[derive(Debug)]
pub struct TokioIo<S> {
    io: S,
    /// The peer's address, for the log (nothing without the `tracing`
    /// feature).
    peer: __KeptPeer,
}

impl<S> TokioIo<S> {
    /// Wraps a tokio stream.
    pub fn new(stream: S) -> Self {
        TokioIo {
            io: stream,
            peer: __KeptPeer::default(),
        }
    }
}

/// Wraps `stream` for the driver, with its peer's address when it is
/// tokio's TCP stream or a stream over one (TLS, the connector's): what
/// the adapter's functions, whose streams are `'static`, wrap with.
pub(crate) fn wrap<S: 'static>(stream: S) -> TokioIo<S> {
    let peer = __KeptPeer::new(|| peer_addr(&stream as &dyn Any));
    TokioIo { io: stream, peer }
}

/// The peer of tokio's TCP stream, or of a stream of ours or
/// tokio-rustls' over one.
fn peer_addr(any: &dyn Any) -> Option<SocketAddr> {
    let peer = if let Some(tcp) = any.downcast_ref::<TcpStream>() {
        tcp.peer_addr()
    } else if let Some(stream) = any.downcast_ref::<MaybeTlsStream<TcpStream>>() {
        PeerAddr::peer_addr(stream)
    } else {
        return tls_peer_addr(any);
    };
    peer.ok()
}

/// The peer of a server's TLS stream over tokio's TCP.
#[cfg(feature = "tls")]
fn tls_peer_addr(any: &dyn Any) -> Option<SocketAddr> {
    let tls = any.downcast_ref::<tokio_rustls::server::TlsStream<TcpStream>>()?;
    tls.get_ref().0.peer_addr().ok()
}

/// Without TLS, no other stream has a known peer.
#[cfg(not(feature = "tls"))]
fn tls_peer_addr(_: &dyn Any) -> Option<SocketAddr> {
    None
}

/// tokio remembers a socket's readiness itself, and its `poll_shutdown`
/// shuts the write side down: the defaults serve.
impl<S: AsyncRead + AsyncWrite + Unpin> ws_driver::Transport for TokioIo<S> {
    type Inner = S;

    fn get_ref(&self) -> &S {
        &self.io
    }

    fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    fn into_inner(self) -> S {
        self.io
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer.get()
    }
}

impl<S: AsyncRead + Unpin> futures_io::AsyncRead for TokioIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<S: AsyncWrite + Unpin> futures_io::AsyncWrite for TokioIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
