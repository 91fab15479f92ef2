//! [`WebSocket`]: a `ws-proto` connection driven over an async stream.

use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use ws_proto::{CloseCode, Connection, Event, Message, MessageKind, State};

use crate::drive::{Driver, Handle, OneTask};
use crate::split::{self, ReadHalf, WriteHalf};
use crate::{ops, Error, PeerAddr, Runtime, Transport};

/// A WebSocket connection over the stream `S`, on the runtime `R`.
///
/// Receive with [`recv`](Self::recv) (whole messages) or
/// [`recv_event`](Self::recv_event) (fragment by fragment), send with
/// [`send`](Self::send), [`feed`](Self::feed) + [`flush`](Self::flush) or
/// [`send_fragment`](Self::send_fragment), end with
/// [`close`](Self::close) or [`close_with`](Self::close_with). It is also
/// a `Stream` of messages and a `Sink` for them (so `StreamExt::split`
/// gives a sink and a stream), and [`into_split`](Self::into_split)s into
/// halves for two tasks.
///
/// Pings are answered and the peer's Close is echoed while the socket is
/// read, and the timers of the [`Config`](ws_proto::Config) (keepalive,
/// idle, close) run while it is read too: keep a task in `recv`.
///
/// When the connection fails (the peer broke the protocol, a timeout
/// passed), the Close frame with the matching code is sent and the peer's
/// input is read and dropped until it closes the transport or the close
/// timeout passes; only then does `recv` return the error. So the peer
/// reads our Close instead of a reset, whatever it was still sending.
pub struct WebSocket<S, R: Runtime> {
    /// Owned, behind one pointer: a socket moves through a task's futures
    /// (from the handshake into the serving loop) at the cost of a pointer,
    /// and a task holds one copy of the connection, not one per future
    /// that took the socket by value.
    driver: Box<Driver<S, R>>,
}

impl<S, R: Runtime> Handle for WebSocket<S, R> {
    type Io = S;
    type Rt = R;

    fn drive<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<S, R>, &mut Context<'_>, &mut dyn crate::drive::Wakers) -> T,
    ) -> T {
        f(&mut self.driver, cx, &mut OneTask)
    }
}

impl<S, R: Runtime> WebSocket<S, R> {
    /// Wraps a stream on which the opening handshake is done, with the
    /// connection the handshake produced.
    pub fn from_parts(io: S, conn: Connection) -> Self {
        WebSocket {
            driver: Box::new(Driver::new(io, conn)),
        }
    }

    pub(crate) fn from_driver(driver: Driver<S, R>) -> Self {
        WebSocket {
            driver: Box::new(driver),
        }
    }

    /// The stream.
    ///
    /// Do not read from or write to it: the connection's framing would be
    /// lost. Inspect it (addresses, TLS session) or set options.
    pub fn get_ref(&self) -> &S::Inner
    where
        S: Transport,
    {
        self.driver.get_ref()
    }

    /// The stream. As for [`get_ref`](Self::get_ref): do not read from or
    /// write to it.
    pub fn get_mut(&mut self) -> &mut S::Inner
    where
        S: Transport,
    {
        self.driver.get_mut()
    }

    /// The stream, back from the socket: after the closing handshake
    /// (once `recv` has returned `None`; its write side is shut down
    /// then), to use it for something else or to end it a way of one's
    /// own. Taken earlier, it holds whatever the connection left unread
    /// or unwritten. Dropping the socket drops the stream.
    pub fn into_inner(self) -> S::Inner
    where
        S: Transport,
    {
        self.driver.into_inner()
    }

    /// Where the connection is in its life: open, closing, closed, failed
    /// (with its error) or ended.
    pub fn state(&self) -> &State {
        self.driver.conn.state()
    }

    /// The address of the peer, over a TCP transport.
    pub fn peer_addr(&self) -> std::io::Result<SocketAddr>
    where
        S: Transport,
        S::Inner: PeerAddr<R>,
    {
        self.get_ref().peer_addr()
    }
}

impl<S: Transport, R: Runtime> WebSocket<S, R> {
    /// The next message, joined from its fragments; `None` once the
    /// connection has closed.
    ///
    /// Cancel safety: safe. Everything received is kept in the connection,
    /// so dropping the future (in a `select!`, say) loses nothing and the
    /// next call continues where this one stopped.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        ops::recv(self).await
    }

    /// The next event: a data fragment (as it arrived, with its `fin`
    /// flag), a Ping, a Pong or a Close. For messages too large to hold
    /// whole. Do not mix with [`recv`](Self::recv) inside one message.
    ///
    /// Cancel safety: safe, as for [`recv`](Self::recv).
    pub async fn recv_event(&mut self) -> Option<Result<Event, Error>> {
        ops::recv_event(self).await
    }

    /// Sends a message and flushes it to the transport.
    ///
    /// Waits while the write buffer is at its limit (backpressure). When
    /// the peer has closed the connection the error is
    /// [`Error::PeerClosed`], with the peer's Close frame if it sent one.
    /// Cancel safety: the message is queued whole or not at all; if the
    /// future is dropped after queueing, the bytes go out with the next
    /// write or flush.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        ops::send(self, |conn| conn.send(message)).await
    }

    /// Sends a message uncompressed even when permessage-deflate was
    /// negotiated (see [`Connection::send_uncompressed`]), and flushes it.
    /// Cancel safety: as for [`send`](Self::send).
    pub async fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        ops::send(self, |conn| conn.send_uncompressed(message)).await
    }

    /// Queues a message without flushing, waiting only while the write
    /// buffer is full: a burst of feeds leaves in few writes. `recv`
    /// flushes what is queued before it waits for input, and so does
    /// [`flush`](Self::flush). Cancel safety: as for [`send`](Self::send).
    pub async fn feed(&mut self, message: Message) -> Result<(), Error> {
        ops::queue(self, |conn| conn.send(message)).await
    }

    /// Sends one fragment of a message (see
    /// [`Connection::send_fragment`]) and flushes it.
    /// Cancel safety: as for [`send`](Self::send).
    pub async fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: impl Into<Bytes>,
        fin: bool,
    ) -> Result<(), Error> {
        let payload = payload.into();
        ops::send(self, |conn| conn.send_fragment(kind, payload, fin)).await
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        ops::flush(self).await
    }

    /// Closes the connection normally: [`close_with`](Self::close_with)
    /// code 1000 (RFC 6455 section 7.4.1, Normal Closure) and no reason.
    pub async fn close(&mut self) -> Result<(), Error> {
        self.close_with(CloseCode::NORMAL, "").await
    }

    /// Closes the connection: sends a Close with `code` and `reason`, then
    /// reads (dropping any data still in flight) until the peer's Close
    /// arrives and the transport is shut down, or the close timeout passes.
    /// If a Close was already sent or answered, it only waits.
    ///
    /// The close timeout, when one is set, bounds all of it, the bytes
    /// queued before the Close included: a peer that stopped reading
    /// cannot hold it longer.
    pub async fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        // Only queued here: the reads below write it out. Flushing first
        // would wait for a peer that stopped reading with nothing to stop
        // the wait, since the close timer runs while the socket is read.
        ops::queue_close(&mut self.driver.conn, code, reason)?;
        while let Some(item) = self.recv_event().await {
            item?;
        }
        Ok(())
    }

    /// Splits the socket into a reading and a writing half that can be
    /// used from two tasks at once; [`ReadHalf::reunite`] joins them again.
    ///
    /// The reading half answers Pings and fails the connection on a bad
    /// frame by itself: if it reads on while a reply to an earlier message
    /// still waits in another task, the Close for that failure can go out
    /// before the reply. An application whose replies must precede such a
    /// Close (an echo, say) lets the writer queue each reply before the
    /// reader reads on.
    ///
    /// Named as tokio's `TcpStream::into_split`: the socket's `Stream` and
    /// `Sink` keep `futures::StreamExt::split` reachable, which gives the
    /// sink first and the stream second.
    pub fn into_split(self) -> (ReadHalf<S, R>, WriteHalf<S, R>) {
        split::split(*self.driver)
    }
}

impl<S, R: Runtime> fmt::Debug for WebSocket<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebSocket").field(&self.driver).finish()
    }
}

impl<S: Transport, R: Runtime> Stream for WebSocket<S, R> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        ops::poll_next(Pin::into_inner(self), cx, Connection::next_message)
    }
}

impl<S: Transport, R: Runtime> Sink<Message> for WebSocket<S, R> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ops::poll_ready(Pin::into_inner(self), cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Ok(Pin::into_inner(self).driver.conn.send(message)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ops::poll_flush(Pin::into_inner(self), cx)
    }

    /// Sends a normal Close (1000) unless one was sent, and flushes it;
    /// the stream then yields the peer's Close and ends. The close timeout
    /// bounds the flush: a peer that stopped reading cannot hold it.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let ws = Pin::into_inner(self);
        ops::queue_close(&mut ws.driver.conn, CloseCode::NORMAL, "")?;
        ws.driver.poll_flush_timed(cx, &mut OneTask)
    }
}
