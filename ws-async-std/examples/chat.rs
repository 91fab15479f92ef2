//! The chat server on async-std: the page at http://127.0.0.1:8083/, the
//! WebSocket at `/ws?name=NAME&room=ROOM`, and the operator console on
//! stdin. The chat itself is `shared/chat.rs`; this file holds
//! only async-std's listener, spawn, stdin and executor.
//!
//! `cargo run --release -p ws-async-std --example chat -- [--addr 127.0.0.1:8083] [--tls-cert CERT.pem --tls-key KEY.pem] [--redis redis://127.0.0.1:6379]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_async_std as ws;

// `pub(crate)`: the chat's cluster test (conformance/tests/chat_cluster.rs)
// builds this file in and uses the chat through it.
#[path = "shared/chat.rs"]
pub(crate) mod shared;

use std::sync::Arc;
use std::time::Duration;

use async_std::io::{prelude::BufReadExt, BufReader};
use async_std::net::TcpListener;
use async_std::task;
use futures_util::{AsyncWrite, AsyncWriteExt};

/// The TLS acceptor, if the build has TLS.
#[cfg(feature = "tls")]
pub(crate) type Tls = ws_async_std::TlsAcceptor;
#[cfg(not(feature = "tls"))]
pub(crate) type Tls = shared::tls::NoTls;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    shared::init_logging();
    let tls: Option<Tls> = shared::tls::acceptor(args.tls.as_ref());
    task::block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        let addr = listener.local_addr()?;
        println!("{}", shared::banner("async-std", addr, tls.is_some()));
        let chat = shared::Chat::new(shared::log_line);
        let stdin = BufReader::new(async_std::io::stdin()).lines();
        task::spawn(shared::console(chat.clone(), stdin));
        if let Some(cluster) = shared::cluster::link(&chat, args.redis.as_deref(), addr, sleep) {
            task::spawn(cluster);
        }
        serve(listener, chat, tls).await;
        Ok(())
    })
}

/// async-std's sleep, for the cluster link.
pub(crate) fn sleep(
    limit: Duration,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(task::sleep(limit))
}

/// Accepts connections on `listener` for ever and serves each in its own
/// task, over TLS with `tls`; a failed accept is logged to `chat`.
pub(crate) async fn serve(listener: TcpListener, chat: Arc<shared::Chat>, tls: Option<Tls>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let mut opening = shared::Opening::new(&chat, peer);
                let tls = tls.clone();
                task::spawn(async move {
                    let config = shared::config();
                    match tls {
                        None => {
                            let found =
                                ws_async_std::accept_or_http(stream, config, |r| opening.check(r))
                                    .await;
                            opening.serve(found, respond).await
                        }
                        #[cfg(feature = "tls")]
                        Some(tls) => {
                            let found =
                                ws_async_std::accept_tls_or_http(&tls, stream, config, |r| {
                                    opening.check(r)
                                })
                                .await;
                            // On the heap: a TLS stream (its session state, some KiB)
                            // would otherwise widen every connection's task for its whole
                            // life, plain ones included.
                            Box::pin(opening.serve(found, respond)).await
                        }
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, say: wait a little, go on.
                chat.log(&format!("accept failed: {e}"));
                task::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Writes a plain HTTP response and closes the stream (TCP, or TLS with
/// its close_notify).
async fn respond<S: AsyncWrite + Unpin>(mut stream: S, response: Vec<u8>) -> std::io::Result<()> {
    stream.write_all(&response).await?;
    stream.close().await
}
