//! One HTTP/2 stream as a byte stream: the tunnel a WebSocket runs over
//! once its extended CONNECT was answered (RFC 8441 section 4).

use std::fmt;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use h2::{RecvStream, SendStream};

use super::pool::Lease;
use super::{io_error, MAX_WRITE};

/// A WebSocket's HTTP/2 stream, read and written as bytes with either
/// `futures-io`'s or tokio's I/O traits.
///
/// - Reading takes the DATA frames the server sent, and gives their bytes
///   back to flow control as they are read (RFC 9113 section 6.9), so the
///   server can send no more than what our window holds while the socket
///   is not read. The server's END_STREAM is the end of the stream, its
///   RST_STREAM an I/O error.
/// - Writing sends DATA frames, each within the send window that h2
///   assigns to the stream: a write waits for window rather than
///   buffering past it.
/// - Shutting the write side down sends an empty DATA frame with
///   END_STREAM, the half-close of RFC 8441 section 4 (the TCP FIN of
///   the tunnel). Dropping the stream before both ends closed resets it
///   (RST_STREAM with CANCEL, as h2 does for a stream nobody holds).
///
/// A client's stream comes from the `Connector`: its connection runs on a
/// task of its own and may carry other sockets; it closes once none of
/// them is left. A server (h2's, hyper's) makes one with
/// [`new`](Self::new) from the halves of a stream it answered with 200,
/// and hands it to [`WebSocket::from_parts`](crate::WebSocket::from_parts)
/// with the connection of `ws_proto`'s `ServerHandshake::accept_http`:
///
/// ```no_run
/// use ws_driver::http2::{h2, Http2Stream};
/// use ws_driver::{Runtime, SocketStream, WebSocket};
/// use ws_proto::handshake::{Accept, ServerHandshake};
/// use ws_proto::Config;
///
/// /// Answers one extended CONNECT that h2's server accepted.
/// async fn answer<R: Runtime>(
///     request: http::Request<h2::RecvStream>,
///     mut respond: h2::server::SendResponse<bytes::Bytes>,
/// ) -> Result<WebSocket<SocketStream<Http2Stream>, R>, Box<dyn std::error::Error>> {
///     let (parts, body) = request.into_parts();
///     let protocol = parts.extensions.get::<h2::ext::Protocol>();
///     let protocol = protocol.map(|p| p.as_str().to_owned());
///     let (handshake, request) =
///         ServerHandshake::from_http(Config::default(), &parts, protocol.as_deref())?;
///     let (response, conn) = handshake.accept_http(&request, Accept::new())?;
///     let send = respond.send_response(response, false)?;
///     let stream = SocketStream::plain(Http2Stream::new(send, body));
///     Ok(WebSocket::from_parts(stream, conn))
/// }
/// ```
pub struct Http2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// The rest of the last DATA frame, not read yet.
    pending: Bytes,
    /// Whether END_STREAM has been sent.
    ended: bool,
    /// The TCP peer of the connection, taken when it was opened.
    peer: Option<SocketAddr>,
    /// A client's place on its connection in the connector's pool.
    _lease: Option<Lease>,
}

impl Http2Stream {
    /// The stream of `send` and `recv`, the two halves of one HTTP/2
    /// stream: a server's response stream and its request body, or a
    /// client's request body and its response's.
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        Http2Stream {
            send,
            recv,
            pending: Bytes::new(),
            ended: false,
            peer: None,
            _lease: None,
        }
    }

    /// The same stream, reporting `peer` as the connection's peer address.
    pub fn with_peer_addr(mut self, peer: SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// A client's stream on a pooled connection.
    pub(crate) fn pooled(
        send: SendStream<Bytes>,
        recv: RecvStream,
        peer: Option<SocketAddr>,
        lease: Lease,
    ) -> Self {
        Http2Stream {
            peer,
            _lease: Some(lease),
            ..Http2Stream::new(send, recv)
        }
    }

    /// The address of the TCP peer of the HTTP/2 connection (a proxy's,
    /// through a proxy).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.peer.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "the HTTP/2 connection's peer address was not known",
            )
        })
    }

    /// The HTTP/2 stream identifier (RFC 9113 section 5.1.1).
    pub fn stream_id(&self) -> u32 {
        self.send.stream_id().as_u32()
    }

    /// Ready once bytes are pending, with `false` at the end of the
    /// stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        // Each turn takes one DATA frame that h2 received and counted
        // against our window; an empty one is skipped (h2 bounds how many
        // of those a peer may send: RUSTSEC-2026-0258).
        while self.pending.is_empty() {
            match ready!(self.recv.poll_data(cx)) {
                None => return Poll::Ready(Ok(false)),
                Some(Ok(data)) => self.pending = data,
                Some(Err(e)) => return Poll::Ready(Err(io_error(e))),
            }
        }
        Poll::Ready(Ok(true))
    }

    /// Marks `n` pending bytes read and returns them to flow control: the
    /// WINDOW_UPDATE lets the server send as much again.
    fn consume(&mut self, n: usize) -> io::Result<()> {
        self.pending.advance(n);
        self.recv
            .flow_control()
            .release_capacity(n)
            .map_err(io_error)
    }

    /// Reads into `buf`.
    fn poll_read_slice(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() || !ready!(self.poll_fill(cx))? {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.consume(n)?;
        Poll::Ready(Ok(n))
    }

    /// Sends as much of `bufs` as the stream's send capacity allows, as
    /// one DATA frame's worth of bytes.
    fn poll_write_slices(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.ended {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after the HTTP/2 stream's END_STREAM",
            )));
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        loop {
            let capacity = self.send.capacity();
            if capacity > 0 {
                let n = capacity.min(total);
                let mut data = BytesMut::with_capacity(n);
                for buf in bufs {
                    let take = buf.len().min(n - data.len());
                    data.extend_from_slice(&buf[..take]);
                    if data.len() == n {
                        break;
                    }
                }
                self.send
                    .send_data(data.freeze(), false)
                    .map_err(io_error)?;
                return Poll::Ready(Ok(n));
            }
            // Ask for window, no more than one write's worth: h2 assigns
            // it as the server's WINDOW_UPDATEs come, within the
            // connection's send buffer limit.
            self.send.reserve_capacity(total.min(MAX_WRITE));
            match ready!(self.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Poll::Ready(Err(io_error(e))),
                None => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the HTTP/2 stream was closed",
                    )))
                }
            }
        }
    }

    /// Sends END_STREAM once.
    fn shutdown(&mut self) -> io::Result<()> {
        if !self.ended {
            self.ended = true;
            self.send.send_data(Bytes::new(), true).map_err(io_error)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Http2Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http2Stream")
            .field("stream_id", &self.stream_id())
            .field("pending", &self.pending.len())
            .field("ended", &self.ended)
            .field("peer", &self.peer)
            .finish()
    }
}

impl futures_io::AsyncRead for Http2Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_slice(cx, buf)
    }
}

impl futures_io::AsyncWrite for Http2Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slices(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slices(cx, bufs)
    }

    /// DATA frames are written by the connection's task as soon as it
    /// runs: nothing waits here.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Sends END_STREAM (RFC 8441 section 4).
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().shutdown())
    }
}

impl tokio::io::AsyncRead for Http2Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 || !ready!(this.poll_fill(cx))? {
            return Poll::Ready(Ok(()));
        }
        let n = buf.remaining().min(this.pending.len());
        buf.put_slice(&this.pending[..n]);
        this.consume(n)?;
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Http2Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slices(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slices(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// As `futures-io`'s: the connection's task writes.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Sends END_STREAM (RFC 8441 section 4).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().shutdown())
    }
}
