//! The halves of a [`WebSocket`](crate::WebSocket) after `into_split`: one driver
//! shared by a reading task and a writing task.
//!
//! The driver sits behind a mutex that is held only for the length of one
//! non-blocking poll: nobody ever waits for the lock. What each task's
//! waker is registered for:
//!
//! - **Reads.** Only the reading half reads, with its task's waker; the
//!   transport holds that waker for its next readiness.
//! - **Writes.** Both halves write (the reader its Pongs and Close
//!   replies), and a transport keeps one waker for writes: the last one
//!   polled. So every write is polled with one proxy waker that wakes both
//!   halves' slots in [`HalfWakers`]; a task registers its own waker in its
//!   half's slot before its first write of a poll. Whichever half the
//!   transport wakes, both re-poll, and the one that still waits
//!   registers again.
//! - **Release.** When the reader ends the connection it drops the
//!   transport; a writer waiting in a flush would then wait for a
//!   readiness event that never comes, so the reader wakes the writers.
//! - **A writer that reads.** A failed write reads what the transport still
//!   holds, to name the peer's Close in the error; that poll took the
//!   transport's read registration, so the writer wakes the reader, which
//!   polls again and registers itself. The reader's waker is kept in
//!   [`HalfWakers`] for this.
//!
//! `tests/split_wakeups.rs` checks each of these paths with a transport
//! that makes room or data appear without waking anyone.

use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use atomic_waker::AtomicWaker;
use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use ws_proto::{CloseCode, Connection, Event, Message, MessageKind, PreparedMessage, UsageError};

use crate::drive::{Driver, Handle, Wakers};
use crate::fanout::{Backpressure, Offered, OverLimit, Subscriber};
use crate::{ops, Error, Runtime, Transport, WebSocket};

/// Which half of the socket a task polls from.
#[derive(Clone, Copy)]
enum Side {
    Read = 0,
    Write = 1,
}

/// The wakers of the two halves' tasks.
#[derive(Default)]
struct HalfWakers {
    /// The task of each side waiting for the transport to take writes.
    write: [AtomicWaker; 2],
    /// The reading half's task, as of its latest poll.
    read: AtomicWaker,
}

impl Wake for HalfWakers {
    /// The proxy waker for writes: wakes both sides.
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for waker in &self.write {
            waker.wake();
        }
    }
}

struct Shared<S, R: Runtime> {
    driver: Mutex<Driver<S, R>>,
    wakers: Arc<HalfWakers>,
    /// Wakes every task registered in `wakers.write`.
    proxy: Waker,
    /// Offers dropped under backpressure (see `fanout`).
    dropped: AtomicU64,
}

impl<S, R: Runtime> Shared<S, R> {
    fn lock(&self) -> MutexGuard<'_, Driver<S, R>> {
        // A panic while the lock was held left the state as it was after a
        // completed step of the connection: keep going.
        self.driver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Has output queued from outside a poll written: wakes the reading
    /// half's task. Cheap when it was woken already: the first wake takes
    /// the waker, and the task registers it again when it next polls.
    fn wake_flusher(&self) {
        self.wakers.read.wake();
    }

    /// Runs `f` on the driver for a task on `side`.
    fn drive<T>(
        &self,
        side: Side,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<S, R>, &mut Context<'_>, &mut dyn Wakers) -> T,
    ) -> T {
        let mut wakers = HalfContext {
            wakers: &self.wakers,
            proxy: &self.proxy,
            side,
            registered: false,
        };
        f(&mut self.lock(), cx, &mut wakers)
    }
}

/// One poll's view of [`HalfWakers`]. The task's waker is registered for
/// writes when a write is first attempted, so that a poll answered from
/// input already buffered (most polls when messages arrive in batches)
/// does not pay for the registration's atomic operations.
struct HalfContext<'a> {
    wakers: &'a HalfWakers,
    proxy: &'a Waker,
    side: Side,
    registered: bool,
}

impl Wakers for HalfContext<'_> {
    fn write_context<'a>(&'a mut self, task: &'a Waker) -> Context<'a> {
        if !self.registered {
            self.wakers.write[self.side as usize].register(task);
            self.registered = true;
        }
        Context::from_waker(self.proxy)
    }

    fn wake_writers(&self) {
        self.proxy.wake_by_ref();
    }

    fn wake_reader(&self) {
        self.wakers.read.wake();
    }
}

/// Splits `driver` between two halves.
pub(crate) fn split<S, R: Runtime>(driver: Driver<S, R>) -> (ReadHalf<S, R>, WriteHalf<S, R>) {
    let wakers = Arc::new(HalfWakers::default());
    let shared = Arc::new(Shared {
        driver: Mutex::new(driver),
        proxy: Waker::from(wakers.clone()),
        wakers,
        dropped: AtomicU64::new(0),
    });
    (
        ReadHalf {
            shared: shared.clone(),
        },
        WriteHalf { shared },
    )
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

/// [`ReadHalf::reunite`] was given the writing half of another socket;
/// both halves come back.
pub struct ReuniteError<S, R: Runtime>(pub ReadHalf<S, R>, pub WriteHalf<S, R>);

impl<S, R: Runtime> Handle for ReadHalf<S, R> {
    type Io = S;
    type Rt = R;

    fn drive<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<S, R>, &mut Context<'_>, &mut dyn Wakers) -> T,
    ) -> T {
        self.shared.wakers.read.register(cx.waker());
        self.shared.drive(Side::Read, cx, f)
    }
}

impl<S, R: Runtime> Handle for WriteHalf<S, R> {
    type Io = S;
    type Rt = R;

    fn drive<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<S, R>, &mut Context<'_>, &mut dyn Wakers) -> T,
    ) -> T {
        self.shared.drive(Side::Write, cx, f)
    }
}

impl<S, R: Runtime> ReadHalf<S, R> {
    /// Joins the halves back into one socket, or gives them back if they
    /// are halves of different sockets.
    pub fn reunite(self, write: WriteHalf<S, R>) -> Result<WebSocket<S, R>, ReuniteError<S, R>> {
        if !Arc::ptr_eq(&self.shared, &write.shared) {
            return Err(ReuniteError(self, write));
        }
        drop(write);
        // The two halves held the only references to the shared state.
        let shared = match Arc::try_unwrap(self.shared) {
            Ok(shared) => shared,
            Err(shared) => {
                return Err(ReuniteError(
                    ReadHalf {
                        shared: shared.clone(),
                    },
                    WriteHalf { shared },
                ))
            }
        };
        let driver = shared
            .driver
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(WebSocket::from_driver(driver))
    }

    /// Whether `write` is the other half of this socket.
    pub fn is_pair_of(&self, write: &WriteHalf<S, R>) -> bool {
        Arc::ptr_eq(&self.shared, &write.shared)
    }
}

impl<S: Transport, R: Runtime> ReadHalf<S, R> {
    /// See [`WebSocket::recv`].
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        ops::recv(self).await
    }

    /// See [`WebSocket::recv_event`].
    pub async fn recv_event(&mut self) -> Option<Result<Event, Error>> {
        ops::recv_event(self).await
    }
}

impl<S: Transport, R: Runtime> WriteHalf<S, R> {
    /// See [`WebSocket::send`].
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        ops::send(self, |conn| conn.send(message)).await
    }

    /// See [`WebSocket::send_uncompressed`].
    pub async fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        ops::send(self, |conn| conn.send_uncompressed(message)).await
    }

    /// See [`WebSocket::feed`].
    pub async fn feed(&mut self, message: Message) -> Result<(), Error> {
        ops::queue(self, |conn| conn.send(message)).await
    }

    /// See [`WebSocket::send_fragment`].
    pub async fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: impl Into<Bytes>,
        fin: bool,
    ) -> Result<(), Error> {
        let payload = payload.into();
        ops::send(self, |conn| conn.send_fragment(kind, payload, fin)).await
    }

    /// See [`WebSocket::flush`].
    pub async fn flush(&mut self) -> Result<(), Error> {
        ops::flush(self).await
    }

    /// Sends a normal Close: [`close_with`](Self::close_with) code 1000
    /// (RFC 6455 section 7.4.1, Normal Closure) and no reason.
    pub async fn close(&mut self) -> Result<(), Error> {
        self.close_with(CloseCode::NORMAL, "").await
    }

    /// Sends a Close with `code` and `reason` (unless one was sent) and
    /// flushes it. The reading half sees the peer's answer and then ends;
    /// its close timer bounds the flush too: when it passes, what the peer
    /// would not read is dropped and this returns.
    pub async fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        ops::queue_close(&mut self.shared.lock().conn, code, reason)?;
        ops::flush(self).await
    }
}

/// Broadcast (see [`fanout`](crate::fanout)): offers from any task,
/// queued under the lock and written by the reading half's task, which
/// flushes queued output whenever it is polled.
impl<S: Send, R: Runtime> Subscriber for WriteHalf<S, R> {
    fn offer(&self, message: &PreparedMessage, policy: Backpressure) -> Offered {
        let offered = {
            let mut driver = self.shared.lock();
            let conn = &mut driver.conn;
            if !conn.state().may_send() {
                return Offered::Gone;
            }
            if conn.write_buffer_len() > policy.limit() {
                over_limit(conn, policy)
            } else {
                match conn.send_prepared(message) {
                    Ok(()) => Offered::Queued,
                    Err(ws_proto::Error::Usage(UsageError::WriteBufferFull)) => {
                        over_limit(conn, policy)
                    }
                    Err(ws_proto::Error::Usage(UsageError::MessageInProgress)) => Offered::Dropped,
                    Err(_) => Offered::Gone,
                }
            }
        };
        match offered {
            Offered::Queued | Offered::Closed => self.shared.wake_flusher(),
            Offered::Dropped => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Offered::Gone => {}
        }
        offered
    }

    fn begin_close(&self, code: CloseCode, reason: &str) -> bool {
        let queued = self.shared.lock().conn.close(code, reason).is_ok();
        if queued {
            self.shared.wake_flusher();
        }
        queued
    }

    fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    fn buffered(&self) -> usize {
        self.shared.lock().conn.write_buffer_len()
    }
}

/// The member is over the policy's limit.
fn over_limit(conn: &mut Connection, policy: Backpressure) -> Offered {
    match policy.over_limit() {
        OverLimit::Drop => Offered::Dropped,
        OverLimit::Close => match conn.close(CloseCode::POLICY_VIOLATION, "too slow") {
            Ok(()) => Offered::Closed,
            Err(_) => Offered::Gone,
        },
    }
}

impl<S, R: Runtime> fmt::Debug for ReadHalf<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf")
            .field(&*self.shared.lock())
            .finish()
    }
}

impl<S, R: Runtime> fmt::Debug for WriteHalf<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf")
            .field(&*self.shared.lock())
            .finish()
    }
}

impl<S, R: Runtime> fmt::Debug for ReuniteError<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S, R: Runtime> fmt::Display for ReuniteError<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the halves belong to different sockets")
    }
}

impl<S, R: Runtime> std::error::Error for ReuniteError<S, R> {}

impl<S: Transport, R: Runtime> Stream for ReadHalf<S, R> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        ops::poll_next(Pin::into_inner(self), cx, Connection::next_message)
    }
}

impl<S: Transport, R: Runtime> Sink<Message> for WriteHalf<S, R> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ops::poll_ready(Pin::into_inner(self), cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Ok(self.shared.lock().conn.send(message)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ops::poll_flush(Pin::into_inner(self), cx)
    }

    /// Sends a normal Close (1000) unless one was sent, and flushes, as
    /// [`WriteHalf::close`] does.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let half = Pin::into_inner(self);
        ops::queue_close(&mut half.shared.lock().conn, CloseCode::NORMAL, "")?;
        ops::poll_flush(half, cx)
    }
}
