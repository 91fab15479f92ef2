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
use ws_driver::PeerAddr;

use crate::MaybeTlsStream;

/// A tokio stream with the `futures-io` traits.
#[derive(Debug)]
pub struct TokioIo<S>(S);

impl<S> TokioIo<S> {
    /// Wraps a tokio stream.
    pub fn new(stream: S) -> Self {
        TokioIo(stream)
    }
}

/// tokio remembers a socket's readiness itself, and its `poll_shutdown`
/// shuts the write side down: the defaults serve. The peer's address is
/// known for tokio's TCP stream and the streams over it (TLS, the
/// connector's): `S` is `'static` so that the shim can tell them.
impl<S: AsyncRead + AsyncWrite + Unpin + 'static> ws_driver::Transport for TokioIo<S> {
    type Inner = S;

    fn get_ref(&self) -> &S {
        &self.0
    }

    fn get_mut(&mut self) -> &mut S {
        &mut self.0
    }

    fn into_inner(self) -> S {
        self.0
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        let any = &self.0 as &dyn Any;
        let peer = if let Some(tcp) = any.downcast_ref::<TcpStream>() {
            tcp.peer_addr()
        } else if let Some(stream) = any.downcast_ref::<MaybeTlsStream<TcpStream>>() {
            PeerAddr::peer_addr(stream)
        } else {
            return tls_peer_addr(any);
        };
        peer.ok()
    }
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

impl<S: AsyncRead + Unpin> futures_io::AsyncRead for TokioIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<S: AsyncWrite + Unpin> futures_io::AsyncWrite for TokioIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
