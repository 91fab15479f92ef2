//! The chat server on tokio: the page at http://127.0.0.1:8083/, the
//! WebSocket at `/ws?name=NAME&room=ROOM`, and the operator console on
//! stdin. The chat itself is `shared/chat.rs`; this file holds
//! only tokio's listener, spawn, stdin and executor, which the axum chat
//! (`axum-chat.rs`) uses too.
//!
//! `cargo run --release -p ws-tokio --example chat -- [--addr 127.0.0.1:8083] [--tls-cert CERT.pem --tls-key KEY.pem] [--redis redis://127.0.0.1:6379] [--threads N]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_tokio as ws;

// `pub(crate)`: the chat's tests (conformance/tests/chat.rs and
// browser.rs) build this file in and use the chat through it.
#[path = "shared/chat.rs"]
pub(crate) mod shared;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The TLS acceptor, if the build has TLS.
#[cfg(feature = "tls")]
pub(crate) type Tls = ws_tokio::TlsAcceptor;
#[cfg(not(feature = "tls"))]
pub(crate) type Tls = shared::tls::NoTls;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let tls: Option<Tls> = shared::tls::acceptor(args.tls.as_ref());
    run("tokio", &args, tls, serve)
}

/// Starts a tokio runtime (`--threads` workers, by default one per core;
/// one thread runs a current-thread runtime), binds `--addr`, prints the
/// banner (the chat served by `server`), starts the operator console on
/// stdin and the cluster link (`--redis`), and runs `serve` on the
/// listener: this example's server, or the axum example's.
pub(crate) fn run<F, Fut>(
    server: &str,
    args: &shared::Args,
    tls: Option<Tls>,
    serve: F,
) -> std::io::Result<()>
where
    F: FnOnce(TcpListener, Arc<shared::Chat>, Option<Tls>) -> Fut,
    Fut: Future<Output = ()>,
{
    shared::init_logging();
    let runtime = match args.threads {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
    };
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        let addr = listener.local_addr()?;
        println!("{}", shared::banner(server, addr, tls.is_some()));
        let chat = shared::Chat::new(shared::log_line);
        let stdin = Lines(BufReader::new(tokio::io::stdin()).lines());
        tokio::spawn(shared::console(chat.clone(), stdin));
        let sleep: shared::cluster::Sleep = |limit| Box::pin(tokio::time::sleep(limit));
        if let Some(cluster) = shared::cluster::link(&chat, args.redis.as_deref(), addr, sleep) {
            tokio::spawn(cluster);
        }
        serve(listener, chat, tls).await;
        Ok(())
    })
}

/// Accepts connections on `listener` and serves each in its own task,
/// over TLS with `tls`.
pub(crate) async fn serve(listener: TcpListener, chat: Arc<shared::Chat>, tls: Option<Tls>) {
    accept_loop(listener, &chat, |stream, peer| {
        let mut opening = shared::Opening::new(&chat, peer);
        let tls = tls.clone();
        async move {
            let config = shared::config();
            match tls {
                None => {
                    let found =
                        ws_tokio::accept_or_http(stream, config, |r| opening.check(r)).await;
                    opening.serve(found, respond).await
                }
                #[cfg(feature = "tls")]
                Some(tls) => {
                    let found =
                        ws_tokio::accept_tls_or_http(&tls, stream, config, |r| opening.check(r))
                            .await;
                    // On the heap: a TLS stream (its session state, some KiB)
                    // would otherwise widen every connection's task for its whole
                    // life, plain ones included.
                    Box::pin(opening.serve(found, respond)).await
                }
            }
        }
    })
    .await
}

/// Accepts connections on `listener` for ever and runs `connection` for
/// each (with Nagle's algorithm off: chat lines are small) in its own
/// task; a failed accept is logged to `chat`.
pub(crate) async fn accept_loop<F, Fut>(
    listener: TcpListener,
    chat: &shared::Chat,
    mut connection: F,
) where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(stream, peer));
            }
            Err(e) => {
                // Out of file descriptors, say: wait a little, go on.
                chat.log(&format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Writes a plain HTTP response and closes the stream (TCP, or TLS with
/// its close_notify).
async fn respond<S: AsyncWrite + Unpin>(mut stream: S, response: Vec<u8>) -> std::io::Result<()> {
    stream.write_all(&response).await?;
    stream.shutdown().await
}

/// tokio's lines of stdin as a `Stream`.
struct Lines<R>(tokio::io::Lines<R>);

impl<R: tokio::io::AsyncBufRead + Unpin> futures_util::Stream for Lines<R> {
    type Item = std::io::Result<String>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.0)
            .poll_next_line(cx)
            .map(Result::transpose)
    }
}
