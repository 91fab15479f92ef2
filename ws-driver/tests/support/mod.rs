//! What the driver's tests share: a runtime whose timer never fires, and a
//! scripted transport whose readiness the test sets by hand.

#![allow(dead_code)]

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};

/// A runtime whose timer never fires: the tests configure no timers, or
/// drive none.
pub(crate) struct NoTimer;

impl ws_driver::Runtime for NoTimer {
    type Timer = std::future::Pending<()>;

    fn now() -> Instant {
        Instant::now()
    }

    fn timer(_: Instant) -> Self::Timer {
        std::future::pending()
    }

    fn reset(_: Pin<&mut Self::Timer>, _: Instant) {}
}

/// The transport's state: room for writes, input for reads, and the
/// wakers it keeps (one per direction, the latest poller's, as a socket
/// does).
#[derive(Default)]
pub(crate) struct Pipe {
    /// Bytes the write side takes before it is full.
    pub(crate) room: usize,
    /// Everything written.
    pub(crate) written: Vec<u8>,
    /// Bytes the read side gives; when empty, reads wait unless `eof`.
    pub(crate) input: Vec<u8>,
    pub(crate) eof: bool,
    /// Writes fail with a broken pipe.
    pub(crate) broken: bool,
    pub(crate) write_waker: Option<Waker>,
    pub(crate) read_waker: Option<Waker>,
    pub(crate) shut_down: bool,
    /// The stream can wait for readiness (as smol's TCP stream does).
    pub(crate) readiness: bool,
    /// How many reads and readiness polls the driver made.
    pub(crate) reads: usize,
    pub(crate) ready_polls: usize,
    /// The most one read gives (0: all there is), as a TLS stream gives
    /// one record's plaintext at a time.
    pub(crate) max_read: usize,
    /// How many writes took bytes.
    pub(crate) writes: usize,
}

/// A scripted transport: clones share one [`Pipe`].
#[derive(Clone, Default)]
pub(crate) struct Scripted(pub(crate) Arc<Mutex<Pipe>>);

impl Scripted {
    pub(crate) fn pipe(&self) -> MutexGuard<'_, Pipe> {
        self.0.lock().expect("pipe")
    }
}

impl AsyncRead for Scripted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = self.pipe();
        pipe.reads += 1;
        if pipe.input.is_empty() && !pipe.eof {
            pipe.read_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut n = pipe.input.len().min(buf.len());
        if pipe.max_read > 0 {
            n = n.min(pipe.max_read);
        }
        buf[..n].copy_from_slice(&pipe.input[..n]);
        pipe.input.drain(..n);
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Scripted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = self.pipe();
        if pipe.broken {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if pipe.room == 0 {
            pipe.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = pipe.room.min(buf.len());
        pipe.room -= n;
        pipe.writes += 1;
        pipe.written.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.pipe().shut_down = true;
        Poll::Ready(Ok(()))
    }
}

/// The scripted stream is its own caller's stream, with no extras.
impl ws_driver::Transport for Scripted {
    type Inner = Self;

    fn get_ref(&self) -> &Self {
        self
    }

    fn get_mut(&mut self) -> &mut Self {
        self
    }

    fn into_inner(self) -> Self {
        self
    }

    fn waits_for_readiness(&self) -> bool {
        self.pipe().readiness
    }

    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut pipe = self.pipe();
        pipe.ready_polls += 1;
        if pipe.input.is_empty() && !pipe.eof {
            pipe.read_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
pub(crate) struct Count(AtomicUsize);

impl Count {
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A task for the test to poll futures with: its waker counts wake-ups.
pub(crate) struct Task {
    pub(crate) count: Arc<Count>,
    pub(crate) waker: Waker,
}

impl Task {
    pub(crate) fn new() -> Self {
        let count = Arc::new(Count::default());
        Task {
            waker: Waker::from(count.clone()),
            count,
        }
    }

    pub(crate) fn poll<F: std::future::Future>(&self, future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(&self.waker))
    }

    pub(crate) fn woken(&self) -> usize {
        self.count.get()
    }
}

/// A client frame (masked, with a zero key, so the payload reads as is).
pub(crate) fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

/// A Close frame body.
pub(crate) fn close_body(code: u16, reason: &str) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(reason.as_bytes());
    body
}
