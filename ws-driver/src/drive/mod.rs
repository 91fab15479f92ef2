//! The driver's core: one `ws-proto` connection, its transport and its
//! timer. A [`WebSocket`](crate::WebSocket) owns one and polls it from its
//! task, with nothing shared; the halves of a split socket share one under
//! a lock (see `split`). Cut by direction: `receive` reads, runs the
//! timers and ends the transport; `send` writes.

mod receive;
mod send;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use ws_proto::Connection;

use crate::{trace, Runtime, Transport};

pub(crate) use receive::Next;

/// A connection and its transport.
pub(crate) struct Driver<S, R: Runtime> {
    pub(crate) conn: Connection,
    io: S,
    stage: Stage,
    timer: Timer<R>,
    /// The last read took all there was (it filled less than the room it
    /// had): the next one would likely find nothing.
    drained: bool,
    /// Reads since output was last flushed (see `receive::READ_AHEAD`).
    reads_ahead: u8,
    /// The connection's span, entered while the driver is polled (empty
    /// without the `tracing` feature).
    trace: trace::Conn,
}

/// How far the connection still uses its transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Read and written.
    Open,
    /// Only read: our write side is shut down (after our last byte) or a
    /// write failed; the peer still has something to say or to end.
    ReadOnly,
    /// The connection is over, the write side shut down; `reported` once
    /// the caller was told how it ended. The transport stays until the
    /// socket is dropped or taken back with `into_inner`.
    Ended { reported: bool },
}

/// The connection's one timer: made at its first deadline, then moved.
struct Timer<R: Runtime> {
    sleep: Option<Pin<Box<R::Timer>>>,
    /// The deadline it is set for; `None` once it fired.
    armed: Option<Instant>,
}

impl<R: Runtime> Timer<R> {
    /// Ready once `deadline` has passed (or earlier: a timer set for an
    /// earlier deadline is kept, and the caller looks again when it fires,
    /// which is cheaper than moving it each time input pushes a deadline
    /// back).
    fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = match &mut self.sleep {
            Some(sleep) => {
                if self.armed.is_none_or(|at| at > deadline) {
                    R::reset(sleep.as_mut(), deadline);
                    self.armed = Some(deadline);
                }
                sleep
            }
            slot => {
                self.armed = Some(deadline);
                slot.insert(Box::pin(R::timer(deadline)))
            }
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.armed = None;
        Poll::Ready(())
    }
}

/// Whom a poll of the driver must wake or register beyond its own task:
/// nobody for a [`WebSocket`](crate::WebSocket) polled by one task; the
/// other half, for split halves.
pub(crate) trait Wakers {
    /// The context to poll the transport's write side with, for the task
    /// whose waker is `task`.
    fn write_context<'a>(&'a mut self, task: &'a Waker) -> Context<'a>;

    /// Wakes the tasks waiting to write: the transport was released and
    /// will never say that it takes writes.
    fn wake_writers(&self);

    /// Wakes the task that reads: another task polled the transport's read
    /// side, and a transport keeps only the latest reader's waker.
    fn wake_reader(&self);
}

/// The wakers of a socket polled by one task: only its own.
pub(crate) struct OneTask;

impl Wakers for OneTask {
    fn write_context<'a>(&'a mut self, task: &'a Waker) -> Context<'a> {
        Context::from_waker(task)
    }

    fn wake_writers(&self) {}

    fn wake_reader(&self) {}
}

/// A way to reach a driver: the socket that owns it, or a split half that
/// locks it. The operations of `ops` are written once against it.
pub(crate) trait Handle {
    /// The transport.
    type Io;
    /// The runtime.
    type Rt: Runtime;

    /// Runs `f` on the driver, with the task's context and the wakers
    /// this handle's task needs.
    fn drive<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<Self::Io, Self::Rt>, &mut Context<'_>, &mut dyn Wakers) -> T,
    ) -> T;
}

impl<S, R: Runtime> Driver<S, R> {
    pub(crate) fn new(io: S, conn: Connection) -> Self {
        let trace = trace::Conn::current_or_new(conn.role());
        {
            let _entered = trace.enter();
            trace::event!(tracing::Level::DEBUG, "connection open");
        }
        Driver {
            conn,
            io,
            stage: Stage::Open,
            timer: Timer {
                sleep: None,
                armed: None,
            },
            drained: false,
            reads_ahead: 0,
            trace,
        }
    }
}

impl<S: Transport, R: Runtime> Driver<S, R> {
    /// The caller's stream.
    pub(crate) fn get_ref(&self) -> &S::Inner {
        self.io.get_ref()
    }

    /// The caller's stream.
    pub(crate) fn get_mut(&mut self) -> &mut S::Inner {
        self.io.get_mut()
    }

    /// The caller's stream, unwrapped.
    pub(crate) fn into_inner(self) -> S::Inner {
        self.io.into_inner()
    }
}

impl<S, R: Runtime> fmt::Debug for Driver<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("state", self.conn.state())
            .field("role", &self.conn.role())
            .field("transport", &self.stage)
            .field("buffered_in", &self.conn.read_buffer_len())
            .field("buffered_out", &self.conn.write_buffer_len())
            .finish()
    }
}
