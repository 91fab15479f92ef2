//! The [`Harness`] of each runtime.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;
use ws_driver::Error;
use ws_proto::handshake::{Accept, ClientRequest, Reject, Request, Response};
use ws_proto::Config;

use crate::harness::{Connected, Harness, Task, Ws};

const LOOPBACK: (Ipv4Addr, u16) = (Ipv4Addr::LOCALHOST, 0);

/// tokio, a multi-threaded runtime with two workers per test, and
/// `ws-tokio`.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

/// async-std and `ws-async-std`.
#[derive(Debug, Clone, Copy)]
pub struct AsyncStd;

/// smol, with an executor of its own per test, run by the test's thread
/// and one worker, and `ws-smol`.
#[derive(Debug, Clone, Copy)]
pub struct Smol;

impl Harness for Tokio {
    const NAME: &'static str = "tokio";
    type Tcp = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;
    type Io = ws_tokio::TokioIo<tokio::net::TcpStream>;
    type Rt = ws_tokio::Runtime;
    type Connected = ws_tokio::TokioIo<ws_tokio::MaybeTlsStream<tokio::net::TcpStream>>;
    type Raw = TokioCompat<tokio::net::TcpStream>;

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(Box::pin(future))
    }

    fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = tokio::spawn(AssertUnwindSafe(future).catch_unwind());
        Task::new(async move {
            handle
                .await
                .unwrap_or_else(|e| Err(Box::new(format!("tokio task failed: {e}"))))
        })
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    async fn bind() -> io::Result<(Self::Listener, SocketAddr)> {
        let listener = tokio::net::TcpListener::bind(LOOPBACK).await?;
        let addr = listener.local_addr()?;
        Ok((listener, addr))
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Tcp> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Tcp> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn into_raw(stream: Self::Tcp) -> Self::Raw {
        TokioCompat(stream)
    }

    fn accept_with<F>(
        stream: Self::Tcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<Ws<Self>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send,
    {
        crate::driver_socket(ws_tokio::accept_with(stream, config, callback))
    }

    fn client(
        stream: Self::Tcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(Ws<Self>, Response), Error>> + Send {
        crate::driver_pair(ws_tokio::client(stream, request, config))
    }

    fn connect_url(
        url: &str,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
        crate::driver_pair(ws_tokio::connect_with(url, config))
    }
}

impl Harness for AsyncStd {
    const NAME: &'static str = "async-std";
    type Tcp = async_std::net::TcpStream;
    type Listener = async_std::net::TcpListener;
    type Io = ws_async_std::Io<async_std::net::TcpStream>;
    type Rt = ws_async_std::Runtime;
    type Connected = ws_async_std::Io<ws_async_std::MaybeTlsStream<async_std::net::TcpStream>>;
    type Raw = async_std::net::TcpStream;

    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(Box::pin(future))
    }

    fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Task::new(async_std::task::spawn(
            AssertUnwindSafe(future).catch_unwind(),
        ))
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        async_std::task::sleep(duration)
    }

    async fn bind() -> io::Result<(Self::Listener, SocketAddr)> {
        let listener = async_std::net::TcpListener::bind(LOOPBACK).await?;
        let addr = listener.local_addr()?;
        Ok((listener, addr))
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Tcp> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Tcp> {
        let stream = async_std::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn into_raw(stream: Self::Tcp) -> Self::Raw {
        stream
    }

    fn accept_with<F>(
        stream: Self::Tcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<Ws<Self>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send,
    {
        crate::driver_socket(ws_async_std::accept_with(stream, config, callback))
    }

    fn client(
        stream: Self::Tcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(Ws<Self>, Response), Error>> + Send {
        crate::driver_pair(ws_async_std::client(stream, request, config))
    }

    fn connect_url(
        url: &str,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
        crate::driver_pair(ws_async_std::connect_with(url, config))
    }
}

impl Harness for Smol {
    const NAME: &'static str = "smol";
    type Tcp = smol::net::TcpStream;
    type Listener = smol::net::TcpListener;
    type Io = ws_smol::Io<smol::net::TcpStream>;
    type Rt = ws_smol::Runtime;
    type Connected = ws_smol::Io<ws_smol::MaybeTlsStream<smol::net::TcpStream>>;
    type Raw = smol::net::TcpStream;

    fn block_on<F: Future>(future: F) -> F::Output {
        SmolExecutor::block_on(future)
    }

    fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Task::new(SmolExecutor::spawn(AssertUnwindSafe(future).catch_unwind()))
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        smol::Timer::after(duration).map(|_| ())
    }

    async fn bind() -> io::Result<(Self::Listener, SocketAddr)> {
        let listener = smol::net::TcpListener::bind(LOOPBACK).await?;
        let addr = listener.local_addr()?;
        Ok((listener, addr))
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Tcp> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Tcp> {
        let stream = smol::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    fn into_raw(stream: Self::Tcp) -> Self::Raw {
        stream
    }

    fn accept_with<F>(
        stream: Self::Tcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<Ws<Self>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send,
    {
        crate::driver_socket(ws_smol::accept_with(stream, config, callback))
    }

    fn client(
        stream: Self::Tcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(Ws<Self>, Response), Error>> + Send {
        crate::driver_pair(ws_smol::client(stream, request, config))
    }

    fn connect_url(
        url: &str,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
        crate::driver_pair(ws_smol::connect_with(url, config))
    }
}

thread_local! {
    /// The executor of the test that runs on this thread, if any.
    static SMOL_EXECUTOR: std::cell::RefCell<Option<Arc<smol::Executor<'static>>>> =
        const { std::cell::RefCell::new(None) };
}

/// The executor of one smol test: the test's thread and one more run its
/// tasks, as two workers run a tokio test's. smol's global executor has
/// one thread by default, which every test would share, so that a test
/// busy with a large message delayed the timers of all the others.
struct SmolExecutor;

impl SmolExecutor {
    /// Runs `future` on the test's thread, with a fresh executor for the
    /// tasks it spawns; they are dropped when it is done.
    fn block_on<F: Future>(future: F) -> F::Output {
        let executor = Arc::new(smol::Executor::new());
        let (done, wait) = smol::channel::bounded::<()>(1);
        let worker = {
            let executor = executor.clone();
            std::thread::Builder::new()
                .name("smol-test-worker".into())
                .spawn(move || {
                    Self::enter(&executor);
                    // Ends when the sender is dropped.
                    let _ = smol::block_on(executor.run(wait.recv()));
                })
                .expect("a smol worker thread")
        };
        Self::enter(&executor);
        let out = smol::block_on(executor.run(Box::pin(future)));
        drop(done);
        worker.join().expect("the smol worker thread panicked");
        SMOL_EXECUTOR.with(|slot| slot.borrow_mut().take());
        out
    }

    fn enter(executor: &Arc<smol::Executor<'static>>) {
        SMOL_EXECUTOR.with(|slot| *slot.borrow_mut() = Some(executor.clone()));
    }

    /// Spawns `future` on the executor of the test on this thread.
    fn spawn<F>(future: F) -> smol::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let executor = SMOL_EXECUTOR.with(|slot| slot.borrow().clone());
        executor
            .expect("Smol::spawn outside Smol::block_on")
            .spawn(future)
    }
}

/// A tokio stream through the `futures-io` traits, for the
/// [`RawPeer`](crate::RawPeer). (The adapter's own wrapper, `TokioIo`,
/// cannot be built outside `ws-tokio`.)
#[derive(Debug)]
pub struct TokioCompat<S>(pub S);

impl<S: tokio::io::AsyncRead + Unpin> futures_io::AsyncRead for TokioCompat<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> futures_io::AsyncWrite for TokioCompat<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The socket an adapter's function opens, as the driver's: the cases are
/// written once over [`Harness`], whose sockets are the driver's type
/// that every adapter's wraps.
pub(crate) async fn driver_socket<W, D>(
    opening: impl Future<Output = Result<W, Error>>,
) -> Result<D, Error>
where
    W: Into<D>,
{
    opening.await.map(Into::into)
}

/// [`driver_socket`] for the functions that give the server's response
/// too.
pub(crate) async fn driver_pair<W, D, T>(
    opening: impl Future<Output = Result<(W, T), Error>>,
) -> Result<(D, T), Error>
where
    W: Into<D>,
{
    let (socket, response) = opening.await?;
    Ok((socket.into(), response))
}
