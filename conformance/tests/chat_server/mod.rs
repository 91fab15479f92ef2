//! The tokio chat example's server on a free loopback port, for the tests
//! that drive it (`chat.rs` with the project's client, `browser.rs` with
//! Chromium). The example's file is built in, so the server under test is
//! the program's own code.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

#[allow(dead_code)]
#[path = "../../../ws-tokio/examples/chat.rs"]
pub(crate) mod example;

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

    async fn start_with(tls: Option<example::Tls>) -> Server {
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
        tokio::spawn(example::serve(listener, chat.clone(), tls));
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
