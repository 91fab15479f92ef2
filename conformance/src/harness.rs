//! The [`Harness`] trait: what a case needs from a runtime and its adapter.

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use ws_driver::Error;
use ws_proto::handshake::{Accept, ClientRequest, Reject, Request, Response};
use ws_proto::Config;

/// How long any single step of a case may take before the case fails.
/// Generous: a step that takes this long is a hang, not a slow machine.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The WebSocket type of the harness `H`: the adapter's `WebSocket` over
/// the runtime's TCP stream.
pub type Ws<H> = ws_driver::WebSocket<<H as Harness>::Io, <H as Harness>::Rt>;

/// The WebSocket type that the harness `H`'s `connect_url` opens.
pub type Connected<H> = ws_driver::WebSocket<<H as Harness>::Connected, <H as Harness>::Rt>;

/// One runtime and its adapter crate, as the cases see them.
///
/// Every future it returns is `Send`, so that a case can move it into
/// [`spawn`](Harness::spawn)ed tasks.
pub trait Harness: Sized + Send + Sync + 'static {
    /// The runtime's name, for failure messages.
    const NAME: &'static str;
    /// The URL scheme of the harness's connections: `ws`, or `wss` over
    /// TLS.
    const SCHEME: &'static str = "ws";
    /// The runtime's TCP stream.
    type Tcp: ws_driver::PeerAddr<Self::Rt> + Send + 'static;
    /// The runtime's TCP listener.
    type Listener: Send + Sync + 'static;
    /// The stream the driver runs over: [`Tcp`](Harness::Tcp) as the
    /// adapter wraps it.
    type Io: ws_driver::Transport<Inner = Self::Tcp> + Send + 'static;
    /// The adapter's timer.
    type Rt: ws_driver::Runtime;
    /// The stream the adapter's `connect_with` opens.
    type Connected: ws_driver::Transport + Send + 'static;
    /// [`Tcp`](Harness::Tcp) seen through the `futures-io` traits, for
    /// the [`RawPeer`](crate::RawPeer).
    type Raw: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Runs `future` to completion on a fresh instance of the runtime
    /// (boxed: a case's future is large in a debug build, and some
    /// executors copy it on the test thread's stack).
    fn block_on<F: Future>(future: F) -> F::Output;

    /// Spawns `future` as a task of the runtime. Awaiting the [`Task`]
    /// gives its output, or resumes its panic.
    fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Sleeps for `duration` on the runtime's timer.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;

    /// Binds a listener on 127.0.0.1 with a port of the system's choice.
    fn bind() -> impl Future<Output = io::Result<(Self::Listener, SocketAddr)>> + Send;

    /// Accepts one connection (with `TCP_NODELAY` set).
    fn accept(listener: &Self::Listener)
        -> impl Future<Output = io::Result<Self::Tcp>> + Send + '_;

    /// Connects to `addr` (with `TCP_NODELAY` set).
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// The stream as the [`RawPeer`](crate::RawPeer) uses it.
    fn into_raw(stream: Self::Tcp) -> Self::Raw;

    /// The adapter's `accept_with`.
    fn accept_with<F>(
        stream: Self::Tcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<Ws<Self>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send;

    /// The adapter's `client`.
    fn client(
        stream: Self::Tcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(Ws<Self>, Response), Error>> + Send;

    /// The adapter's `connect_with` (over TLS: a `Connector` that trusts
    /// the harness's certificate).
    fn connect_url(
        url: &str,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send;

    /// The URL of `path_and_query` on the server at `addr`, in the
    /// harness's scheme.
    fn url(addr: SocketAddr, path_and_query: &str) -> String {
        format!("{}://{addr}{path_and_query}", Self::SCHEME)
    }
}

/// A spawned task: a future of its output. A panic in the task is resumed
/// by the one who awaits it.
#[must_use = "a task's panic is only seen when it is awaited"]
pub struct Task<T>(Pin<Box<dyn Future<Output = std::thread::Result<T>> + Send>>);

impl<T> Task<T> {
    /// Wraps the future of a task's outcome: its output, or its panic.
    pub fn new(outcome: impl Future<Output = std::thread::Result<T>> + Send + 'static) -> Self {
        Task(Box::pin(outcome))
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.0.as_mut().poll(cx) {
            Poll::Ready(Ok(out)) => Poll::Ready(out),
            // Panic again with the message on the awaiting thread: the
            // thread that ran the task (one of smol's global executor
            // threads, which all tests share) may print it where the
            // failing test's output does not show it.
            Poll::Ready(Err(panic)) => match panic_message(&*panic) {
                Some(message) => panic!("a spawned task panicked: {message}"),
                None => std::panic::resume_unwind(panic),
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The message of a panic's payload, if it is a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

/// Runs `future` for at most `limit` on `H`'s timer: `None` if the time
/// ran out first, in which case `future` is dropped (a hand-made
/// `select`).
pub async fn timeout<H: Harness, F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut sleep = pin!(H::sleep(limit));
    poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        sleep.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// Awaits `future`, failing the case if it takes longer than
/// [`STEP_TIMEOUT`]; `what` names the step in the failure message.
pub async fn within<H: Harness, F: Future>(what: &str, future: F) -> F::Output {
    match timeout::<H, F>(STEP_TIMEOUT, future).await {
        Some(out) => out,
        None => panic!("[{}] timed out after {STEP_TIMEOUT:?}: {what}", H::NAME),
    }
}
