//! The tokio chat example's server, or the axum chat example's, on a free
//! loopback port, for the tests that drive it (`chat.rs` with the
//! project's client, `browser.rs` and `browser_http2.rs` with Chromium).
//! The examples' files are built in, so the server under test is the
//! programs' own code: the axum example's file builds the tokio example's
//! in, and with it the chat both serve.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

#[allow(dead_code)]
#[path = "../../../ws-tokio/examples/axum-chat.rs"]
pub(crate) mod axum_example;

/// The tokio chat example.
pub(crate) use axum_example::tokio_chat as example;

use example::shared::Chat;

/// How long [`Server::wait_logged`] waits for a line.
const LOG_WAIT: Duration = Duration::from_secs(20);

/// A chat server on a free loopback port, and the lines it logged.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) chat: Arc<Chat>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and serves the chat there, on the
    /// calling tokio runtime.
    #[allow(dead_code)]
    pub(crate) async fn start() -> Server {
        Server::start_with(None).await
    }

    /// Like [`start`](Self::start), over TLS with `tls` (what the
    /// example's `--tls-cert` and `--tls-key` make): the page over
    /// `https://`, the socket over `wss://`.
    #[allow(dead_code)]
    pub(crate) async fn start_tls(tls: example::Tls) -> Server {
        Server::start_with(Some(tls)).await
    }

    /// The axum chat example's server (`axum-chat`): plain HTTP/1.1
    /// without `tls`, HTTPS with HTTP/1.1 and HTTP/2 with it (see
    /// [`axum_tls`]).
    #[allow(dead_code)]
    pub(crate) async fn start_axum(tls: Option<example::Tls>) -> Server {
        Server::start_serving(tls, axum_example::serve).await
    }

    async fn start_with(tls: Option<example::Tls>) -> Server {
        Server::start_serving(tls, example::serve).await
    }

    /// Binds 127.0.0.1 on a free port and runs `serve` (an example's
    /// server) there, on the calling tokio runtime.
    async fn start_serving<F, Fut>(tls: Option<example::Tls>, serve: F) -> Server
    where
        F: FnOnce(TcpListener, Arc<Chat>, Option<example::Tls>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let chat = Chat::new({
            let log = log.clone();
            move |line| {
                println!("{line}");
                log.lock().expect("log").push(line.to_owned());
            }
        });
        tokio::spawn(serve(listener, chat.clone(), tls));
        Server { addr, chat, log }
    }

    /// Whether a line the server logged contains `needle`.
    pub(crate) fn logged(&self, needle: &str) -> bool {
        self.log
            .lock()
            .expect("log")
            .iter()
            .any(|line| line.contains(needle))
    }

    /// The lines the server logged that start with `prefix`, in order.
    #[allow(dead_code)]
    pub(crate) fn lines_with(&self, prefix: &str) -> Vec<String> {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|line| line.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Waits until the server logs a line containing `needle`; fails after
    /// [`LOG_WAIT`].
    pub(crate) async fn wait_logged(&self, needle: &str) {
        let polled = async {
            while !self.logged(needle) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(LOG_WAIT, polled).await.is_err() {
            panic!("timed out after {LOG_WAIT:?} waiting for the server to log {needle:?}");
        }
    }
}

/// The TLS acceptor of the axum example for `config` (a test
/// certificate's), offering `h2` and `http/1.1` in ALPN as the example
/// does: what its `--tls-cert` and `--tls-key` make.
#[cfg(feature = "tls")]
#[allow(dead_code)]
pub(crate) fn axum_tls(config: &ws_tokio::tls::ServerConfig) -> example::Tls {
    let mut config = config.clone();
    config.alpn_protocols = axum_example::axum_server::ALPN
        .iter()
        .map(|protocol| protocol.to_vec())
        .collect();
    example::Tls::from(Arc::new(config))
}
