//! WebSockets over HTTP/2 (RFC 8441): our server, for our client's cases,
//! written once for every adapter's `Connector` in `tests/cases/http2.rs`
//! and run on each runtime by `tests/http2.rs`.
//!
//! The server ([`H2Server`]) is the library's own HTTP/2 path: tokio-rustls,
//! then hyper with `ws_tokio::hyper::server_builder()` (extended CONNECT
//! and the HTTP/2 limits) upgrading every request with
//! `ws_tokio::hyper::upgrade`, over HTTP/2 or, where ALPN chose
//! `http/1.1`, HTTP/1.1. It counts what it saw (TCP
//! connections, the ALPN protocols each client offered, streams, HTTP/1.1
//! upgrades, the Close frames its sockets received), for the cases to
//! check which path the client took.
//!
//! Paths: `/reject` is refused with 403; `/close` is closed by the server
//! at once with [`SERVER_CLOSE`]; any other path echoes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use ws_driver::tls::rustls;
use ws_driver::{Transport, WebSocket};
use ws_proto::handshake::{Accept, Reject};
use ws_proto::{CloseCode, Config, Message};

use crate::support::{quiet, tokio_thread};
use crate::tls::TestPki;

/// What the server does with ALPN and extended CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// ALPN `h2` (or `http/1.1`), SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    ExtendedConnect,
    /// ALPN `h2` (or `http/1.1`), without the setting: a client must not
    /// send an extended CONNECT there (RFC 8441 section 3).
    NoConnectProtocol,
    /// ALPN `http/1.1` only.
    Http11Only,
}

/// The code and reason of the server's own Close on `/close`.
pub const SERVER_CLOSE: (u16, &str) = (4001, "server bye");

/// The most TCP connections one server accepts: more is a client that
/// dials in a loop.
const MAX_CONNECTIONS: usize = 64;

/// How long the server waits for its next connection before it stops.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// The most messages one of the server's sockets echoes.
const MAX_ECHO: usize = 10_000;

/// What the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// TCP connections accepted.
    pub connections: AtomicUsize,
    /// The ALPN protocols each connection's client offered, in order.
    pub alpn_offers: Mutex<Vec<Vec<Vec<u8>>>>,
    /// Extended CONNECT streams accepted as WebSockets.
    pub h2_sockets: AtomicUsize,
    /// HTTP/1.1 upgrades accepted.
    pub http11_sockets: AtomicUsize,
    /// The Close frames the server's sockets received: code and reason.
    pub closes: Mutex<Vec<(u16, String)>>,
}

impl Seen {
    fn count(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

/// A test server on its own thread, a tokio runtime, bound to 127.0.0.1.
pub struct H2Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it saw so far.
    pub seen: Arc<Seen>,
}

impl H2Server {
    /// Starts a server in `mode`, presenting [`TestPki::server`]'s
    /// certificate.
    pub fn start(mode: Mode) -> H2Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let seen = Arc::new(Seen::default());
        let stats = seen.clone();
        let _detached = tokio_thread(move || serve(mode, stats, addr_tx));
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the HTTP/2 test server's address");
        H2Server { addr, seen }
    }

    /// A `wss://` URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("wss://{}{path}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        Seen::count(&self.seen.connections)
    }

    /// Sockets accepted over HTTP/2 so far.
    pub fn h2_sockets(&self) -> usize {
        Seen::count(&self.seen.h2_sockets)
    }

    /// Sockets accepted over HTTP/1.1 so far.
    pub fn http11_sockets(&self) -> usize {
        Seen::count(&self.seen.http11_sockets)
    }

    /// The ALPN offers of the connections so far.
    pub fn alpn_offers(&self) -> Vec<Vec<Vec<u8>>> {
        self.seen.alpn_offers.lock().expect("not poisoned").clone()
    }

    /// The Close frames received so far.
    pub fn closes(&self) -> Vec<(u16, String)> {
        self.seen.closes.lock().expect("not poisoned").clone()
    }
}

/// The limits of both ends: 16 MiB messages in one frame.
pub fn big_config() -> Config {
    quiet()
        .with_max_message_size(32 << 20)
        .with_max_frame_size(32 << 20)
}

async fn serve(mode: Mode, seen: Arc<Seen>, addr_tx: std::sync::mpsc::Sender<SocketAddr>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("the local address");
    addr_tx.send(addr).expect("the test waits for the address");
    let alpn: Vec<Vec<u8>> = match mode {
        Mode::Http11Only => vec![b"http/1.1".to_vec()],
        _ => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    };
    let mut tls = (*TestPki::get().server).clone();
    tls.alpn_protocols = alpn;
    let tls = Arc::new(tls);
    for _ in 0..MAX_CONNECTIONS {
        let Ok(accepted) = tokio::time::timeout(IDLE_LIMIT, listener.accept()).await else {
            return;
        };
        let Ok((tcp, _)) = accepted else { continue };
        seen.connections.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(connection(tcp, mode, tls.clone(), seen.clone()));
    }
}

/// One TCP connection: TLS, then hyper serving HTTP/2 or HTTP/1.1 as
/// ALPN chose, with extended CONNECT enabled or not as `mode` says.
async fn connection(
    tcp: tokio::net::TcpStream,
    mode: Mode,
    tls: Arc<rustls::ServerConfig>,
    seen: Arc<Seen>,
) {
    let acceptor = rustls::server::Acceptor::default();
    let Ok(start) = tokio_rustls::LazyConfigAcceptor::new(acceptor, tcp).await else {
        return;
    };
    let offered = start
        .client_hello()
        .alpn()
        .map(|protocols| protocols.map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    seen.alpn_offers.lock().expect("not poisoned").push(offered);
    let Ok(stream) = start.into_stream(tls).await else {
        return;
    };
    // The library's server (extended CONNECT on, its HTTP/2 limits), or
    // hyper's own defaults, which leave extended CONNECT off (RFC 8441
    // section 3: the setting is the server's to send).
    let builder = match mode {
        Mode::NoConnectProtocol => auto::Builder::new(TokioExecutor::new()),
        Mode::ExtendedConnect | Mode::Http11Only => ws_tokio::hyper::server_builder(),
    };
    let service = service_fn(move |request| upgrade(request, seen.clone()));
    let _ = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await;
}

/// Upgrades a request with `ws_tokio::hyper::upgrade`, over either HTTP
/// version: `/reject` is refused with 403, any other path becomes a
/// socket of [`run`].
async fn upgrade(
    mut request: http::Request<hyper::body::Incoming>,
    seen: Arc<Seen>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let version = request.version();
    let upgraded = ws_tokio::hyper::upgrade(&mut request, big_config(), |request| {
        if request.path() == "/reject" {
            Err(Reject::new(403))
        } else {
            Ok(Accept::new())
        }
    });
    let (response, upgrading) = match upgraded {
        Ok(accepted) => accepted,
        Err(error) => return Ok(error.http_response(version).map(Full::new)),
    };
    tokio::spawn(async move {
        let Ok(ws) = upgrading.await else {
            return;
        };
        let counter = match version {
            http::Version::HTTP_2 => &seen.h2_sockets,
            _ => &seen.http11_sockets,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        run(ws.into_driver(), &path, &seen).await;
    });
    Ok(response.map(|()| Full::new(Bytes::new())))
}

/// A socket of the server: closes at once on `/close`, else echoes.
async fn run<S: Transport>(mut ws: WebSocket<S, ws_tokio::Runtime>, path: &str, seen: &Seen) {
    if path == "/close" {
        let (code, reason) = SERVER_CLOSE;
        let _ = ws.close_with(CloseCode::from(code), reason).await;
    }
    for _ in 0..MAX_ECHO {
        match ws.recv().await {
            Some(Ok(Message::Close(frame))) => {
                let close = (u16::from(frame.code()), frame.reason().to_owned());
                seen.closes.lock().expect("not poisoned").push(close);
            }
            Some(Ok(message)) if message.is_data() => {
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return,
        }
    }
}
