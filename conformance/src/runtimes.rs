//! The [`Harness`] of each runtime.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
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
    type Raw = ws_tokio::TokioIo<tokio::net::TcpStream>;

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
        ws_tokio::TokioIo::new(stream)
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

/// The harness of a runtime on `async-io` (async-std, smol) and its
/// adapter, written once: they differ in their TCP types, adapter crate,
/// `block_on`, `spawn` and timer only.
macro_rules! async_io_harness {
    (
        $harness:ident,
        name = $name:literal,
        tcp = $tcp:ty,
        listener = $listener:ty,
        adapter = $ws:ident,
        block_on = $block_on:path,
        spawn = $spawn:path,
        sleep = $sleep:expr $(,)?
    ) => {
        impl Harness for $harness {
            const NAME: &'static str = $name;
            type Tcp = $tcp;
            type Listener = $listener;
            type Io = $ws::Io<$tcp>;
            type Rt = $ws::Runtime;
            type Connected = $ws::Io<$ws::MaybeTlsStream<$tcp>>;
            type Raw = $tcp;

            fn block_on<F: Future>(future: F) -> F::Output {
                $block_on(Box::pin(future))
            }

            fn spawn<F>(future: F) -> Task<F::Output>
            where
                F: Future + Send + 'static,
                F::Output: Send + 'static,
            {
                Task::new($spawn(AssertUnwindSafe(future).catch_unwind()))
            }

            fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
                $sleep(duration)
            }

            async fn bind() -> io::Result<(Self::Listener, SocketAddr)> {
                let listener = <$listener>::bind(LOOPBACK).await?;
                let addr = listener.local_addr()?;
                Ok((listener, addr))
            }

            async fn accept(listener: &Self::Listener) -> io::Result<Self::Tcp> {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                Ok(stream)
            }

            async fn connect(addr: SocketAddr) -> io::Result<Self::Tcp> {
                let stream = <$tcp>::connect(addr).await?;
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
                crate::driver_socket($ws::accept_with(stream, config, callback))
            }

            fn client(
                stream: Self::Tcp,
                request: ClientRequest,
                config: Config,
            ) -> impl Future<Output = Result<(Ws<Self>, Response), Error>> + Send {
                crate::driver_pair($ws::client(stream, request, config))
            }

            fn connect_url(
                url: &str,
                config: Config,
            ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
                crate::driver_pair($ws::connect_with(url, config))
            }
        }
    };
}

async_io_harness!(
    AsyncStd,
    name = "async-std",
    tcp = async_std::net::TcpStream,
    listener = async_std::net::TcpListener,
    adapter = ws_async_std,
    block_on = async_std::task::block_on,
    spawn = async_std::task::spawn,
    sleep = async_std::task::sleep,
);

async_io_harness!(
    Smol,
    name = "smol",
    tcp = smol::net::TcpStream,
    listener = smol::net::TcpListener,
    adapter = ws_smol,
    block_on = SmolExecutor::block_on,
    spawn = SmolExecutor::spawn,
    sleep = |duration| smol::Timer::after(duration).map(|_| ()),
);

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
