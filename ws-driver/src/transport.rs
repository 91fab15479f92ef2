//! What the driver needs of a transport beyond reading and writing.
//!
//! Every stream reaches the driver wrapped by its adapter: tokio's in
//! `ws_tokio::TokioIo`, smol's and async-std's in [`SocketStream`]. The
//! wrapper gives back the caller's stream ([`Transport::get_ref`]), and,
//! where the runtime can, two things `futures-io` has no words for:
//!
//! - **Waiting for readiness without reading.** `async-io`'s `poll_read`
//!   tries a read first and registers for readiness only when it finds
//!   nothing; on a socket the last read drained, that read is a system
//!   call wasted per message. tokio remembers readiness itself and needs
//!   none of this.
//! - **Shutting the write side down.** A failed server shuts its write side
//!   down after its Close so that the peer closes; `async-io`'s
//!   `poll_close` only flushes.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// A stream the driver runs a connection over.
pub trait Transport: AsyncRead + AsyncWrite + Unpin {
    /// The caller's stream inside.
    type Inner;

    /// The caller's stream.
    fn get_ref(&self) -> &Self::Inner;

    /// The caller's stream.
    fn get_mut(&mut self) -> &mut Self::Inner;

    /// The caller's stream, unwrapped.
    fn into_inner(self) -> Self::Inner;

    /// The address of the peer, where the transport knows it (a
    /// runtime's TCP stream, or TLS over one): the connection's log span
    /// shows it (the `tracing` feature).
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// Whether [`poll_read_ready`](Self::poll_read_ready) waits for the
    /// socket to become readable: then the driver, after a read that
    /// drained the socket, waits for that instead of reading again.
    fn waits_for_readiness(&self) -> bool {
        false
    }

    /// Ready once a read would find bytes or the end of the stream.
    fn poll_read_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts the write side down once everything is flushed: the peer
    /// reads the end of the stream.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self).poll_close(cx)
    }
}

/// A handle on the socket under a runtime's TCP stream, for what its
/// `futures-io` face cannot do.
pub trait SocketHandle: Send + Sync + Unpin + 'static {
    /// Whether [`poll_readable`](Self::poll_readable) waits for real.
    fn waits_for_readiness(&self) -> bool;

    /// Ready once the socket is readable.
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Shuts the socket's write side down.
    fn shutdown_write(&self) -> io::Result<()>;

    /// The address of the socket's peer.
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }
}

/// No socket at hand: a stream that is not a runtime's TCP stream.
#[derive(Debug)]
pub enum NoSocket {}

impl SocketHandle for NoSocket {
    fn waits_for_readiness(&self) -> bool {
        match *self {}
    }

    fn poll_readable(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        match *self {}
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match *self {}
    }
}

/// The socket of smol's TCP stream (`async-net`), which can wait for
/// readiness.
#[cfg(feature = "async-io")]
impl SocketHandle for std::sync::Arc<async_io::Async<std::net::TcpStream>> {
    fn waits_for_readiness(&self) -> bool {
        true
    }

    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        async_io::Async::poll_readable(self, cx)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.get_ref().shutdown(std::net::Shutdown::Write)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.get_ref().peer_addr().ok()
    }
}

/// A `futures-io` stream as the driver sees it: `S` read and written as
/// it is, and, when `S` is a runtime's TCP stream, a [`SocketHandle`] on
/// the same socket. `SocketStream::plain` wraps any other stream.
#[derive(Debug)]
pub struct SocketStream<S, H = NoSocket> {
    io: S,
    socket: Option<H>,
    /// Whether the socket's readiness is the stream's: not under TLS,
    /// whose layer may hold decrypted bytes while the socket has none.
    readiness: bool,
}

impl<S> SocketStream<S> {
    /// Wraps a stream with no socket at hand.
    pub fn plain(io: S) -> Self {
        SocketStream {
            io,
            socket: None,
            readiness: false,
        }
    }
}

impl<S, H: SocketHandle> SocketStream<S, H> {
    /// Wraps `io`, with `socket` its socket's handle when it has one.
    pub fn new(io: S, socket: Option<H>) -> Self {
        let readiness = socket
            .as_ref()
            .is_some_and(SocketHandle::waits_for_readiness);
        SocketStream {
            io,
            socket,
            readiness,
        }
    }

    /// Wraps `io`, TLS over the socket of `socket`: the socket is shut
    /// down at the end, but its readiness says nothing of the stream's.
    pub fn encrypted(io: S, socket: H) -> Self {
        SocketStream {
            io,
            socket: Some(socket),
            readiness: false,
        }
    }
}

impl<S: AsyncRead + Unpin, H: Unpin> AsyncRead for SocketStream<S, H> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin, H: Unpin> AsyncWrite for SocketStream<S, H> {
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
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, H: SocketHandle> Transport for SocketStream<S, H> {
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
        self.socket.as_ref()?.peer_addr()
    }

    fn waits_for_readiness(&self) -> bool {
        self.readiness
    }

    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.socket {
            Some(socket) if self.readiness => socket.poll_readable(cx),
            _ => Poll::Ready(Ok(())),
        }
    }

    /// Closes the stream (which flushes it, and under TLS sends
    /// `close_notify`), then shuts the socket's write side down, which
    /// `async-io`'s close does not (async-net's does: a second shutdown
    /// of a socket still connected changes nothing).
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(Pin::new(&mut self.io).poll_close(cx))?;
        match &self.socket {
            Some(socket) => Poll::Ready(match socket.shutdown_write() {
                Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
                done => done,
            }),
            None => Poll::Ready(Ok(())),
        }
    }
}
