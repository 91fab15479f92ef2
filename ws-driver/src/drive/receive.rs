//! The reading direction: input, the timers, and the end of the transport.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncRead;
use ws_proto::Connection;

use super::{Driver, Stage, Wakers};
use crate::{trace, Error, Runtime, Transport};

/// What a read hands out next: [`Connection::next_message`] or
/// [`Connection::next_event`].
pub(crate) type Next<T> = fn(&mut Connection) -> Result<Option<T>, ws_proto::Error>;

/// The size of the read buffer a thread's connections share while they
/// hold no partial frame (see [`poll_read_into`]).
const SHARED_READ: usize = 8 << 10;

/// How many reads may run ahead of queued output before it is flushed,
/// and how many queued bytes end that early (see [`Driver::poll_next`]).
const READ_AHEAD: u8 = 16;
const READ_AHEAD_OUTPUT: usize = 16 << 10;

thread_local! {
    static SHARED_READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; SHARED_READ].into());
}

/// Reads from `io` into `conn`. While the connection holds part of a frame
/// the transport reads straight into its receive buffer, sized for the
/// frame. Otherwise it reads into a buffer this thread's connections share
/// and the bytes read are copied in: an idle connection then holds no
/// receive buffer (8 KiB less per connection), and a small message costs a
/// copy of its few bytes instead of zeroing fresh room in the buffer.
///
/// Returns the count read and whether it filled the room it had (if not,
/// the read took all there was).
pub(super) fn poll_read_into<S: AsyncRead + Unpin>(
    io: &mut S,
    conn: &mut Connection,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<(usize, bool)>> {
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
                (n, n == buf.len())
            }))
        });
        if let Some(poll) = shared {
            return poll;
        }
    }
    let room = conn.read_buffer();
    let len = room.len();
    let n = ready!(Pin::new(io).poll_read(cx, room))?;
    conn.commit_read(n);
    Poll::Ready(Ok((n, n == len)))
}

impl<S: Transport, R: Runtime> Driver<S, R> {
    /// Drives the connection until `next` yields an item: writes what is
    /// queued, reads, runs the timers, and ends the transport when the
    /// connection says so. `None` once the connection has ended; its error,
    /// if it failed, comes first, once.
    pub(crate) fn poll_next<T>(
        &mut self,
        cx: &mut Context<'_>,
        wakers: &mut dyn Wakers,
        next: Next<T>,
    ) -> Poll<Option<Result<T, Error>>> {
        let _entered = self.trace.enter();
        loop {
            self.trace.observe(&self.conn);
            if let Stage::Ended { reported } = &mut self.stage {
                if std::mem::replace(reported, true) {
                    return Poll::Ready(None);
                }
                return Poll::Ready(self.conn.error().map(|e| Err(e.clone().into())));
            }
            // A failed connection returns its error at every call; it is
            // reported above, once the connection has ended: until then
            // the connection drains the peer's input (see
            // `ws_proto::State::Failed`), which a caller that stops at the
            // error would cut short.
            if let Ok(Some(item)) = next(&mut self.conn) {
                return Poll::Ready(Some(Ok(item)));
            }
            // With replies queued, read on before writing them: a read under
            // TLS hands out one record's plaintext, often one message, and
            // the replies flushed after each would each be a TLS record and
            // a system call of their own. A read that finds nothing ends it
            // (and is this round's read), and so do READ_AHEAD reads or
            // READ_AHEAD_OUTPUT queued bytes: replies do not wait long on a
            // peer that keeps sending.
            let mut read_waits = false;
            if self.may_read_ahead() {
                self.reads_ahead += 1;
                match self.poll_read(cx) {
                    Poll::Pending => read_waits = true,
                    read => {
                        if let Some(failed) = self.on_read(read, wakers) {
                            return Poll::Ready(Some(Err(failed)));
                        }
                        continue;
                    }
                }
            }
            // Pongs and Close replies go out without waiting for a send. A
            // failed write does not stop the reading (the sender was told):
            // the peer's Close, if it sent one, is still to be read.
            let flushed = self
                .poll_write_out(&mut wakers.write_context(cx.waker()))
                .is_ready();
            if flushed {
                self.reads_ahead = 0;
            }
            if flushed && self.conn.should_shutdown() {
                ready!(self.poll_shutdown(&mut wakers.write_context(cx.waker())));
            }
            if self.conn.state().is_ended() {
                if flushed {
                    self.end(wakers, false);
                } else {
                    // The close timer still runs: when it passes, the
                    // connection drops what the peer would not read.
                    ready!(self.poll_timers(cx));
                }
                continue;
            }
            if read_waits {
                ready!(self.poll_timers(cx));
                continue;
            }
            match self.poll_read(cx) {
                Poll::Pending => ready!(self.poll_timers(cx)),
                read => {
                    if let Some(failed) = self.on_read(read, wakers) {
                        return Poll::Ready(Some(Err(failed)));
                    }
                }
            }
        }
    }

    /// Whether to read before flushing: replies are queued, the
    /// connection is open, and the read-ahead's bounds are not reached.
    fn may_read_ahead(&self) -> bool {
        self.stage == Stage::Open
            && matches!(self.conn.state(), ws_proto::State::Open)
            && self.conn.wants_write()
            && self.reads_ahead < READ_AHEAD
            && self.conn.write_buffer_len() < READ_AHEAD_OUTPUT
    }

    /// Takes in a read's outcome; the error to report if the transport
    /// failed.
    fn on_read(
        &mut self,
        read: Poll<std::io::Result<usize>>,
        wakers: &mut dyn Wakers,
    ) -> Option<Error> {
        match read {
            Poll::Ready(Ok(0)) => self.conn.receive_eof(),
            Poll::Ready(Ok(_)) => {
                if self.conn.needs_time() {
                    self.conn.handle_timeout(R::now());
                }
            }
            // Section 7.1.4: once both Close frames are exchanged, the
            // connection is closed cleanly however TCP ends; and a failed
            // connection's drain is over. Some peers reset the connection
            // rather than close it.
            Poll::Ready(Err(_)) if self.conn.is_closed() => self.conn.receive_eof(),
            Poll::Ready(Err(e)) => {
                trace::event!(tracing::Level::DEBUG, error = %e, "transport failed");
                self.end(wakers, true);
                return Some(e.into());
            }
            Poll::Pending => {}
        }
        None
    }

    /// Reads what the transport has. After a read that took all there was,
    /// a transport that can wait for readiness does that first: a read
    /// now would most likely find nothing and cost a system call for it.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        if self.drained && self.io.waits_for_readiness() {
            ready!(self.io.poll_read_ready(cx))?;
        }
        let (n, filled) = ready!(poll_read_into(&mut self.io, &mut self.conn, cx))?;
        self.drained = !filled;
        Poll::Ready(Ok(n))
    }

    /// Runs the timers; ready when they changed something to act on.
    pub(super) fn poll_timers(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if !self.conn.needs_time() {
                // No timer configured or running: nothing to set or fire.
                return Poll::Pending;
            }
            if self.conn.handle_timeout(R::now()) {
                return Poll::Ready(());
            }
            let Some(deadline) = self.conn.poll_timeout() else {
                return Poll::Pending;
            };
            ready!(self.timer.poll_until(deadline, cx));
        }
    }

    /// Shuts the transport's write side down, once.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.stage == Stage::Open {
            // Failing changes nothing: nothing more is written either way.
            let _ = ready!(self.io.poll_shutdown(cx));
            self.stage = Stage::ReadOnly;
        }
        Poll::Ready(())
    }

    /// The connection is over: nothing more is read or written. A half
    /// waiting, in a flush, for the transport to take writes (this half
    /// may have written its bytes since) would never hear from the
    /// transport again: it is woken to find the connection ended.
    fn end(&mut self, wakers: &dyn Wakers, reported: bool) {
        self.trace.observe(&self.conn);
        self.stage = Stage::Ended { reported };
        wakers.wake_writers();
    }
}
