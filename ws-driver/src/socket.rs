//! `WebSocket`: a `ws-proto` connection driven over an async stream.
//!
//! All state lives in one `Inner` behind a mutex that is only ever held for
//! the length of a non-blocking poll, so the reader and writer halves can
//! be polled from two tasks at once. Only the reading side reads; both
//! sides write (the reader writes Pongs and Close replies), so writes go
//! through a waker that wakes every side waiting to write: a transport
//! keeps one write waker, and the side that polled last must not be the
//! only one woken.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Wake, Waker};
use std::time::Instant;

use atomic_waker::AtomicWaker;
use bytes::Bytes;
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
use futures_sink::Sink;
use ws_proto::{CloseCode, Connection, Event, Message, MessageKind, UsageError};

use crate::{Error, Runtime};

/// How many queued chunks one vectored write takes.
const MAX_IOSLICES: usize = 64;

/// The size of the read buffer a thread's connections share while they
/// hold no partial frame (see [`poll_read_into`]).
const SHARED_READ: usize = 8 << 10;

thread_local! {
    static SHARED_READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; SHARED_READ].into());
}

/// Reads from `io` into `conn`. While the connection holds part of a frame
/// the transport reads straight into its receive buffer, sized for the
/// frame. Otherwise it reads into a buffer this thread's connections share
/// and the bytes read are copied in: an idle connection then holds no
/// receive buffer (8 KiB less per connection), and a small message costs a
/// copy of its few bytes instead of zeroing fresh room in the buffer.
fn poll_read_into<S: AsyncRead + Unpin>(
    io: &mut S,
    conn: &mut Connection,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<usize>> {
    if conn.read_buffer_len() == 0 {
        let shared = SHARED_READ_BUF.with(|buf| {
            // Taken for the length of one read; a transport that polls
            // another connection from inside its own read finds it taken
            // and reads directly instead.
            let Ok(mut buf) = buf.try_borrow_mut() else {
                return None;
            };
            Some(Pin::new(&mut *io).poll_read(cx, &mut buf[..]).map_ok(|n| {
                conn.receive(&buf[..n]);
                n
            }))
        });
        if let Some(poll) = shared {
            return poll;
        }
    }
    let n = ready!(Pin::new(io).poll_read(cx, conn.read_buffer()))?;
    conn.commit_read(n);
    Poll::Ready(Ok(n))
}

/// Which side of the socket a write waker belongs to.
#[derive(Clone, Copy)]
enum Side {
    Read = 0,
    Write = 1,
}

/// The tasks waiting for the transport to accept writes, one per side.
#[derive(Default)]
struct WriteWakers([AtomicWaker; 2]);

impl Wake for WriteWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for waker in &self.0 {
            waker.wake();
        }
    }
}

struct Shared<S, R: Runtime> {
    inner: Mutex<Inner<S, R>>,
    write_wakers: Arc<WriteWakers>,
    write_waker: Waker,
}

impl<S, R: Runtime> Shared<S, R> {
    fn lock(&self) -> MutexGuard<'_, Inner<S, R>> {
        // A panic while the lock was held left the state as it was after a
        // completed step of the connection: keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The context to poll the transport's write side with, for a task
    /// on `side`.
    fn write_context(&self, side: Side) -> WriteContext<'_> {
        WriteContext {
            wakers: &self.write_wakers,
            proxy: &self.write_waker,
            side,
            registered: false,
        }
    }
}

/// The context to poll the transport's write side with, made when a write
/// is first attempted: the task's waker is registered for its side then,
/// before the transport can keep the proxy waker. A poll answered from
/// input already buffered (most polls when messages arrive in batches)
/// does not pay for the registration's atomic operations.
struct WriteContext<'a> {
    wakers: &'a WriteWakers,
    /// Wakes every side registered in `wakers`.
    proxy: &'a Waker,
    side: Side,
    registered: bool,
}

impl<'a> WriteContext<'a> {
    /// The context, with `task` (the polling task's waker) registered.
    fn get(&mut self, task: &Waker) -> Context<'a> {
        if !self.registered {
            self.wakers.0[self.side as usize].register(task);
            self.registered = true;
        }
        Context::from_waker(self.proxy)
    }

    /// Wakes every task registered to wait for writes, on either side.
    fn wake_all(&self) {
        self.proxy.wake_by_ref();
    }
}

struct Inner<S, R: Runtime> {
    conn: Connection,
    /// The transport; released (dropped) once it has been shut down, so
    /// that a stream whose `poll_close` only flushes (async-std's
    /// `TcpStream`) still ends the TCP connection.
    io: Option<S>,
    sleep: Option<(Instant, Pin<Box<R::Sleep>>)>,
    /// The stream has ended: `None` was given.
    ended: bool,
    /// The connection's error was given to the caller.
    error_reported: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> Inner<S, R> {
    /// Writes what the connection has queued; ready once all of it is
    /// written and flushed.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let Some(io) = self.io.as_mut() else {
            // Released after the closing handshake: nothing is left to send.
            if self.conn.wants_write() {
                let closed = std::io::Error::from(std::io::ErrorKind::NotConnected);
                return Poll::Ready(Err(closed.into()));
            }
            return Poll::Ready(Ok(()));
        };
        while self.conn.wants_write() {
            let mut slices = [IoSlice::new(&[]); MAX_IOSLICES];
            let n = self.conn.transmit_chunks(&mut slices);
            // One chunk (the usual case: headers and small payloads share
            // one buffer) goes out with a plain write: `send` costs the
            // kernel less than a `writev` of one slice (about 15% less for
            // a small message on Linux 6.x loopback).
            let written = if n == 1 {
                ready!(Pin::new(&mut *io).poll_write(cx, &slices[0]))?
            } else {
                ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..n]))?
            };
            if written == 0 {
                return Poll::Ready(Err(
                    std::io::Error::from(std::io::ErrorKind::WriteZero).into()
                ));
            }
            self.conn.advance_transmit(written);
        }
        ready!(Pin::new(io).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }

    /// Drives the connection until `next` yields an item: writes what is
    /// queued, reads, and runs the timers.
    fn poll_next<T>(
        &mut self,
        cx: &mut Context<'_>,
        wcx: &mut WriteContext<'_>,
        next: fn(&mut Connection) -> Result<Option<T>, ws_proto::Error>,
    ) -> Poll<Option<Result<T, Error>>> {
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            match next(&mut self.conn) {
                Ok(Some(item)) => return Poll::Ready(Some(Ok(item))),
                Ok(None) => {}
                // The error is sticky: report it once, then (if polled
                // again) finish writing its Close frame and shut down.
                Err(e) if !self.error_reported => {
                    self.error_reported = true;
                    let _ = self.poll_write_out(&mut wcx.get(cx.waker()));
                    return Poll::Ready(Some(Err(e.into())));
                }
                Err(_) => {}
            }
            // Pongs and Close replies go out without waiting for a send.
            let written = match self.poll_write_out(&mut wcx.get(cx.waker())) {
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(self.end(e)))),
                other => other,
            };
            if self.conn.should_shutdown() {
                if written.is_pending() {
                    // The close timeout still runs: when it passes, the
                    // connection drops what the peer would not read.
                    ready!(self.poll_timers(cx));
                    continue;
                }
                if let Some(io) = self.io.as_mut() {
                    let _ = ready!(Pin::new(io).poll_close(&mut wcx.get(cx.waker())));
                }
                self.io = None;
                // The other half may be waiting, in a flush, for the
                // transport to take writes (this half may have written its
                // bytes since): the released transport will never say so.
                // Wake it to find the transport gone.
                wcx.wake_all();
                self.ended = true;
                return Poll::Ready(None);
            }
            let Some(io) = self.io.as_mut() else {
                self.ended = true;
                return Poll::Ready(None);
            };
            match poll_read_into(io, &mut self.conn, cx) {
                Poll::Ready(Ok(0)) => self.conn.receive_eof(),
                Poll::Ready(Ok(_)) => {
                    if self.conn.needs_time() {
                        self.conn.handle_timeout(Instant::now());
                    }
                }
                // Section 7.1.4: once both Close frames are exchanged, the
                // connection is closed cleanly however TCP ends; some peers
                // reset it rather than close it.
                Poll::Ready(Err(_)) if self.conn.is_closed() && self.conn.error().is_none() => {
                    self.conn.receive_eof()
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(self.end(e.into())))),
                Poll::Pending => ready!(self.poll_timers(cx)),
            }
        }
    }

    /// Runs the timers; ready when they changed something to act on.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if !self.conn.needs_time() {
                // No timer configured or running: nothing to arm or fire.
                self.sleep = None;
                return Poll::Pending;
            }
            let before = self.timer_observable();
            self.conn.handle_timeout(Instant::now());
            if self.timer_observable() != before {
                return Poll::Ready(());
            }
            let Some(deadline) = self.conn.poll_timeout() else {
                self.sleep = None;
                return Poll::Pending;
            };
            // A sleep that ends no later than the deadline is kept: when it
            // ends early the loop simply sleeps again, which is cheaper than
            // a new timer each time input pushes the idle deadline back.
            let sleep = match &mut self.sleep {
                Some((at, sleep)) if *at <= deadline => sleep,
                slot => {
                    &mut slot
                        .insert((deadline, Box::pin(R::sleep_until(deadline))))
                        .1
                }
            };
            ready!(sleep.as_mut().poll(cx));
            self.sleep = None;
        }
    }

    /// What a timer can change: the bytes queued, and whether the
    /// connection has ended.
    fn timer_observable(&self) -> (usize, bool, bool) {
        (
            self.conn.write_buffer_len(),
            self.conn.is_closed(),
            self.conn.should_shutdown(),
        )
    }

    fn end(&mut self, e: Error) -> Error {
        self.ended = true;
        e
    }

    fn poll_ready(
        &mut self,
        cx: &Context<'_>,
        wcx: &mut WriteContext<'_>,
    ) -> Poll<Result<(), Error>> {
        if self.conn.is_write_buffer_full() {
            ready!(self.poll_write_out(&mut wcx.get(cx.waker())))?;
        }
        Poll::Ready(Ok(()))
    }
}

/// The reading half of a [`WebSocket`]: receives messages and answers
/// Pings and Closes while it does.
pub struct ReadHalf<S, R: Runtime> {
    shared: Arc<Shared<S, R>>,
}

/// The writing half of a [`WebSocket`].
pub struct WriteHalf<S, R: Runtime> {
    shared: Arc<Shared<S, R>>,
}

/// A WebSocket connection over the stream `S`, on the runtime `R`.
///
/// Receive with [`recv`](Self::recv) (whole messages) or
/// [`recv_event`](Self::recv_event) (fragment by fragment), send with
/// [`send`](Self::send), [`feed`](Self::feed) + [`flush`](Self::flush) or
/// [`send_fragment`](Self::send_fragment), end with
/// [`close`](Self::close). It is also a `Stream` of messages and a `Sink`
/// for them, and [`split`](Self::split)s into halves for two tasks.
///
/// Pings are answered and the peer's Close is echoed while the socket is
/// read, and the timers of the [`Config`](ws_proto::Config) (keepalive,
/// idle, close) run while it is read too: keep a task in `recv`.
pub struct WebSocket<S, R: Runtime> {
    read: ReadHalf<S, R>,
    write: WriteHalf<S, R>,
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> WebSocket<S, R> {
    /// Wraps a stream on which the opening handshake is done, with the
    /// connection the handshake produced.
    pub fn from_parts(io: S, conn: Connection) -> Self {
        let write_wakers = Arc::new(WriteWakers::default());
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                conn,
                io: Some(io),
                sleep: None,
                ended: false,
                error_reported: false,
            }),
            write_waker: Waker::from(write_wakers.clone()),
            write_wakers,
        });
        WebSocket {
            read: ReadHalf {
                shared: shared.clone(),
            },
            write: WriteHalf { shared },
        }
    }

    /// The next message, joined from its fragments; `None` once the
    /// connection has closed.
    ///
    /// Cancel safety: safe. Everything received is kept in the connection,
    /// so dropping the future (in a `select!`, say) loses nothing and the
    /// next call continues where this one stopped.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        self.read.recv().await
    }

    /// The next event: a data fragment (as it arrived, with its `fin`
    /// flag), a Ping, a Pong or a Close. For messages too large to hold
    /// whole. Do not mix with [`recv`](Self::recv) inside one message.
    ///
    /// Cancel safety: safe, as for [`recv`](Self::recv).
    pub async fn recv_event(&mut self) -> Option<Result<Event, Error>> {
        self.read.recv_event().await
    }

    /// Sends a message and flushes it to the transport.
    ///
    /// Waits while the write buffer is at its limit (backpressure).
    /// Cancel safety: the message is queued whole or not at all; if the
    /// future is dropped after queueing, the bytes go out with the next
    /// write or flush.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.write.send(message).await
    }

    /// Sends a message uncompressed even when permessage-deflate was
    /// negotiated (see [`Connection::send_uncompressed`]), and flushes it.
    /// Cancel safety: as for [`send`](Self::send).
    pub async fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        self.write.send_uncompressed(message).await
    }

    /// Queues a message without flushing, waiting only while the write
    /// buffer is full: a burst of feeds leaves in few writes. `recv`
    /// flushes what is queued before it waits for input, and so does
    /// [`flush`](Self::flush). Cancel safety: as for [`send`](Self::send).
    pub async fn feed(&mut self, message: Message) -> Result<(), Error> {
        self.write.feed(message).await
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
        self.write.send_fragment(kind, payload, fin).await
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.write.flush().await
    }

    /// Closes the connection: sends a Close with `code` and `reason`, then
    /// reads (dropping any data still in flight) until the peer's Close
    /// arrives and the transport is shut down, or the close timeout passes.
    /// If a Close was already sent or answered, it only waits.
    ///
    /// The close timeout, when one is set, bounds all of it, the bytes
    /// queued before the Close included: a peer that stopped reading
    /// cannot hold it longer.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        // Only queued here: the reads below write it out. Flushing first
        // would wait for a peer that stopped reading with nothing to stop
        // the wait, since the close timer runs while the socket is read.
        match self.write.queue_close(code, reason) {
            Err(Error::WebSocket(ws_proto::Error::Usage(UsageError::Closed))) => {}
            other => other?,
        }
        while let Some(item) = self.read.recv_event().await {
            item?;
        }
        Ok(())
    }

    /// Splits the socket into a reading and a writing half that can be
    /// used from two tasks at once.
    ///
    /// The reading half answers Pings and fails the connection on a bad
    /// frame by itself: if it reads on while a reply to an earlier message
    /// still waits in another task, the Close for that failure can go out
    /// before the reply. An application whose replies must precede such a
    /// Close (an echo, say) lets the writer queue each reply before the
    /// reader reads on.
    pub fn split(self) -> (ReadHalf<S, R>, WriteHalf<S, R>) {
        (self.read, self.write)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> ReadHalf<S, R> {
    /// See [`WebSocket::recv`].
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.poll_with(cx, Connection::next_message)).await
    }

    /// See [`WebSocket::recv_event`].
    pub async fn recv_event(&mut self) -> Option<Result<Event, Error>> {
        poll_fn(|cx| self.poll_with(cx, Connection::next_event)).await
    }

    fn poll_with<T>(
        &self,
        cx: &mut Context<'_>,
        next: fn(&mut Connection) -> Result<Option<T>, ws_proto::Error>,
    ) -> Poll<Option<Result<T, Error>>> {
        let mut wcx = self.shared.write_context(Side::Read);
        self.shared.lock().poll_next(cx, &mut wcx, next)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> WriteHalf<S, R> {
    /// See [`WebSocket::send`].
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.queue(|conn| conn.send(message)).await?;
        self.flush().await
    }

    /// See [`WebSocket::send_uncompressed`].
    pub async fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        self.queue(|conn| conn.send_uncompressed(message)).await?;
        self.flush().await
    }

    /// See [`WebSocket::feed`].
    pub async fn feed(&mut self, message: Message) -> Result<(), Error> {
        self.queue(|conn| conn.send(message)).await
    }

    /// See [`WebSocket::send_fragment`].
    pub async fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: impl Into<Bytes>,
        fin: bool,
    ) -> Result<(), Error> {
        let payload = payload.into();
        self.queue(|conn| conn.send_fragment(kind, payload, fin))
            .await?;
        self.flush().await
    }

    /// See [`WebSocket::flush`].
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await
    }

    /// Sends a Close with `code` and `reason` and flushes it. The reading
    /// half sees the peer's answer and then ends.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.send_close(code, reason).await
    }

    async fn send_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let queued = self.queue_close(code, reason);
        self.flush().await?;
        queued
    }

    /// Queues a Close with `code` and `reason`, without writing it.
    fn queue_close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        Ok(self.shared.lock().conn.close(code, reason)?)
    }

    /// Waits for room in the write buffer, then queues with `op`, under
    /// the same lock.
    async fn queue(
        &mut self,
        op: impl FnOnce(&mut Connection) -> Result<(), ws_proto::Error>,
    ) -> Result<(), Error> {
        let mut op = Some(op);
        poll_fn(|cx| {
            let mut inner = ready!(self.poll_ready_locked(cx))?;
            let op = op.take().expect("a poll_fn is not polled once ready");
            Poll::Ready(op(&mut inner.conn).map_err(Error::from))
        })
        .await
    }

    /// Ready, with the state still locked, once the write buffer has room.
    fn poll_ready_locked(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<MutexGuard<'_, Inner<S, R>>, Error>> {
        let mut wcx = self.shared.write_context(Side::Write);
        let mut inner = self.shared.lock();
        ready!(inner.poll_ready(cx, &mut wcx))?;
        Poll::Ready(Ok(inner))
    }

    fn poll_flush_inner(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut wcx = self.shared.write_context(Side::Write);
        self.shared.lock().poll_write_out(&mut wcx.get(cx.waker()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> Stream for ReadHalf<S, R> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_with(cx, Connection::next_message)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> Sink<Message> for WriteHalf<S, R> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_ready_locked(cx).map_ok(drop)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Ok(self.shared.lock().conn.send(message)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_flush_inner(cx)
    }

    /// Sends a normal Close (1000) unless one was sent, and flushes.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.shared.lock().conn.close(CloseCode::NORMAL, "") {
            Ok(()) | Err(ws_proto::Error::Usage(UsageError::Closed)) => {}
            Err(e) => return Poll::Ready(Err(e.into())),
        }
        self.poll_flush_inner(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> Stream for WebSocket<S, R> {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.read).poll_next(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, R: Runtime> Sink<Message> for WebSocket<S, R> {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.write).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Pin::new(&mut self.write).start_send(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.write).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.write).poll_close(cx)
    }
}
