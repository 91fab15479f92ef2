//! WebSockets over HTTP/2 (RFC 8441): our client against our server, the
//! client's cases written once for every adapter's `Connector` and
//! instantiated by `tests/http2.rs`.
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
use ws_driver::{Connector, Network, PeerAddr, Transport, WebSocket};
use ws_proto::handshake::{Accept, HandshakeError, Reject};
use ws_proto::{CloseCode, Config, Message, MessageKind};

use crate::harness::{within, Harness};
use crate::support::{binary_payload, quiet, text_payload, tokio_thread};
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
        run(ws, &path, &seen).await;
    });
    Ok(response.map(|()| Full::new(Bytes::new())))
}

/// A socket of the server: closes at once on `/close`, else echoes.
async fn run<S: Transport>(mut ws: WebSocket<S, ws_tokio::Runtime>, path: &str, seen: &Seen) {
    if path == "/close" {
        let (code, reason) = SERVER_CLOSE;
        let _ = ws.close(CloseCode::from(code), reason).await;
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

/// The sockets of the client's `Connector` on the runtime of `H`.
type Socket<H> = WebSocket<<<H as Harness>::Rt as Network>::Stream, <H as Harness>::Rt>;

/// A connector trusting the tests' CA, with HTTP/2 as asked.
fn connector<H: Harness>(http2: bool) -> Connector<H::Rt>
where
    H::Rt: Network,
{
    Connector::new()
        .with_tls_config(TestPki::get().client.clone())
        .with_http2(http2)
}

/// Opens a socket to `url` with `connector`.
async fn open<H: Harness>(connector: &Connector<H::Rt>, url: &str) -> Socket<H>
where
    H::Rt: Network,
{
    let (ws, _response) = within::<H, _>("connect", connector.connect(url, big_config()))
        .await
        .unwrap_or_else(|e| panic!("[{}] connect to {url}: {e}", H::NAME));
    ws
}

/// Sends `message` and expects it back.
async fn round_trip<H: Harness>(ws: &mut Socket<H>, message: Message)
where
    H::Rt: Network,
{
    let len = message.payload().len();
    within::<H, _>("send", ws.send(message.clone()))
        .await
        .unwrap_or_else(|e| panic!("[{}] send of {len} bytes: {e}", H::NAME));
    match within::<H, _>("recv the echo", ws.recv()).await {
        Some(Ok(got)) => assert!(
            got == message,
            "[{}] echo of {len} bytes differs (got {} bytes)",
            H::NAME,
            got.payload().len()
        ),
        other => panic!("[{}] echo of {len} bytes: {other:?}", H::NAME),
    }
}

/// Waits, bounded in count and time, until `done` holds.
async fn eventually<H: Harness>(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        H::sleep(Duration::from_millis(50)).await;
    }
    panic!("[{}] never happened: {what}", H::NAME);
}

/// The sizes on either side of each length encoding, 1 MiB and 16 MiB.
const SIZES: [usize; 8] = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];

/// Over HTTP/2: text and binary at every size, a fragmented message, a
/// Ping answered, and a Close whose code and reason the server sees.
pub async fn echo<H: Harness>()
where
    H::Rt: Network,
    <<H::Rt as Network>::Stream as Transport>::Inner: PeerAddr<H::Rt>,
{
    let server = H2Server::start(Mode::ExtendedConnect);
    let mut ws = open::<H>(&connector::<H>(true), &server.url("/echo")).await;
    assert_eq!(server.h2_sockets(), 1, "[{}] not over HTTP/2", H::NAME);
    assert_eq!(
        ws.peer_addr().ok(),
        Some(server.addr),
        "[{}] the HTTP/2 connection's peer",
        H::NAME
    );
    for len in SIZES {
        round_trip::<H>(&mut ws, Message::text(text_payload(len))).await;
        round_trip::<H>(&mut ws, Message::binary(binary_payload(len))).await;
    }
    for (part, fin) in [("frag", false), ("men", false), ("ted", true)] {
        within::<H, _>(
            "send a fragment",
            ws.send_fragment(MessageKind::Text, Bytes::from(part), fin),
        )
        .await
        .expect("a fragment");
    }
    match within::<H, _>("recv the fragmented echo", ws.recv()).await {
        Some(Ok(got)) => assert_eq!(got.as_text(), Some("fragmented"), "[{}]", H::NAME),
        other => panic!("[{}] fragmented echo: {other:?}", H::NAME),
    }
    within::<H, _>(
        "ping",
        ws.send(Message::Ping(Bytes::from_static(b"are you there"))),
    )
    .await
    .expect("ping");
    match within::<H, _>("recv the pong", ws.recv()).await {
        Some(Ok(Message::Pong(payload))) => assert_eq!(&payload[..], b"are you there"),
        other => panic!("[{}] pong: {other:?}", H::NAME),
    }
    within::<H, _>("close", ws.close(CloseCode::from(4000), "client bye"))
        .await
        .expect("close");
    assert_eq!(
        within::<H, _>("recv after close", ws.recv())
            .await
            .map(|r| r.is_ok()),
        None,
        "[{}] the socket ends after the closing handshake",
        H::NAME
    );
    eventually::<H>("the server saw the Close", || {
        server.closes() == vec![(4000, "client bye".to_owned())]
    })
    .await;
}

/// Over HTTP/2, the server closes: the client reads its code and reason,
/// then the end.
pub async fn server_closes<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::ExtendedConnect);
    let mut ws = open::<H>(&connector::<H>(true), &server.url("/close")).await;
    match within::<H, _>("recv the server's Close", ws.recv()).await {
        Some(Ok(Message::Close(frame))) => assert_eq!(
            (u16::from(frame.code()), frame.reason()),
            SERVER_CLOSE,
            "[{}]",
            H::NAME
        ),
        other => panic!("[{}] server's Close: {other:?}", H::NAME),
    }
    assert!(
        within::<H, _>("recv the end", ws.recv()).await.is_none(),
        "[{}] the socket ends after the closing handshake",
        H::NAME
    );
    assert_eq!(server.h2_sockets(), 1, "[{}] not over HTTP/2", H::NAME);
}

/// How many sockets share one connection in [`shared_connection`].
const SOCKETS: usize = 8;

/// Several sockets of one connector (and its clones) to one origin: one
/// TCP connection, every socket echoing at the same time.
pub async fn shared_connection<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::ExtendedConnect);
    let connector = connector::<H>(true);
    let mut sockets = Vec::new();
    for _ in 0..SOCKETS {
        sockets.push(open::<H>(&connector.clone(), &server.url("/echo")).await);
    }
    assert_eq!(server.connections(), 1, "[{}] one TCP connection", H::NAME);
    assert_eq!(server.h2_sockets(), SOCKETS, "[{}]", H::NAME);
    // Every socket sends before any reads: the echoes are in flight on
    // the one connection at once.
    for (i, ws) in sockets.iter_mut().enumerate() {
        let message = Message::binary(binary_payload(100_000 + i));
        within::<H, _>("send", ws.send(message))
            .await
            .expect("send");
    }
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            H::spawn(async move {
                match within::<H, _>("recv the echo", ws.recv()).await {
                    Some(Ok(got)) => assert_eq!(got.payload().len(), 100_000 + i),
                    other => panic!("echo on socket {i}: {other:?}"),
                }
                round_trip::<H>(&mut ws, Message::text(text_payload(70_000))).await;
                within::<H, _>("close", ws.close(CloseCode::NORMAL, "done"))
                    .await
                    .expect("close");
            })
        })
        .collect();
    for task in tasks {
        within::<H, _>("a socket's task", task).await;
    }
    assert_eq!(server.connections(), 1, "[{}] still one", H::NAME);
    eventually::<H>("the server saw every Close", || {
        server.closes().len() == SOCKETS
    })
    .await;
}

/// A connection lives as long as its sockets: with the last one dropped,
/// the next socket to the origin dials a new connection, and a socket
/// opened while another is live shares its connection.
pub async fn connection_ends_with_last_socket<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::ExtendedConnect);
    let connector = connector::<H>(true);
    let mut first = open::<H>(&connector, &server.url("/echo")).await;
    let mut second = open::<H>(&connector, &server.url("/echo")).await;
    assert_eq!(server.connections(), 1, "[{}] shared", H::NAME);
    round_trip::<H>(&mut first, Message::text("first")).await;
    drop(first);
    // The second socket still holds the connection: a third joins it.
    let mut third = open::<H>(&connector, &server.url("/echo")).await;
    assert_eq!(server.connections(), 1, "[{}] still shared", H::NAME);
    round_trip::<H>(&mut second, Message::text("second")).await;
    round_trip::<H>(&mut third, Message::text("third")).await;
    drop((second, third));
    let mut fourth = open::<H>(&connector, &server.url("/echo")).await;
    round_trip::<H>(&mut fourth, Message::text("fourth")).await;
    assert_eq!(server.connections(), 2, "[{}] a new connection", H::NAME);
    assert_eq!(server.h2_sockets(), 4, "[{}]", H::NAME);
}

/// A server that chooses `h2` without extended CONNECT: the client leaves
/// that connection and opens the socket over HTTP/1.1 on a second one,
/// which offers `http/1.1` only.
pub async fn fallback_without_setting<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::NoConnectProtocol);
    let mut ws = open::<H>(&connector::<H>(true), &server.url("/echo")).await;
    round_trip::<H>(&mut ws, Message::text("over HTTP/1.1")).await;
    assert_eq!(server.connections(), 2, "[{}] a second connection", H::NAME);
    assert_eq!(
        (server.h2_sockets(), server.http11_sockets()),
        (0, 1),
        "[{}]",
        H::NAME
    );
    let h2: &[u8] = b"h2";
    let http11: &[u8] = b"http/1.1";
    assert_eq!(
        server.alpn_offers(),
        vec![vec![h2.to_vec(), http11.to_vec()], vec![http11.to_vec()]],
        "[{}] h2 first, then HTTP/1.1 alone",
        H::NAME
    );
    within::<H, _>("close", ws.close(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
}

/// A server that offers `http/1.1` only: one connection, the HTTP/1.1
/// upgrade on it.
pub async fn http11_server<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::Http11Only);
    let mut ws = open::<H>(&connector::<H>(true), &server.url("/echo")).await;
    round_trip::<H>(&mut ws, Message::text("over HTTP/1.1")).await;
    assert_eq!(server.connections(), 1, "[{}] one connection", H::NAME);
    assert_eq!(server.http11_sockets(), 1, "[{}]", H::NAME);
    within::<H, _>("close", ws.close(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
}

/// A 403 to the extended CONNECT is `HandshakeError::Rejected` with the
/// status, as on HTTP/1.1; the connection stays usable for the next
/// socket.
pub async fn rejection<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::ExtendedConnect);
    let connector = connector::<H>(true);
    let refused = within::<H, _>(
        "connect",
        connector.connect(server.url("/reject"), big_config()),
    )
    .await;
    match refused {
        Err(ws_driver::Error::Handshake(HandshakeError::Rejected { status, .. })) => {
            assert_eq!(status, 403, "[{}]", H::NAME)
        }
        Err(e) => panic!("[{}] expected a rejection, got {e}", H::NAME),
        Ok(_) => panic!("[{}] expected a rejection, got a socket", H::NAME),
    }
    let mut ws = open::<H>(&connector, &server.url("/echo")).await;
    round_trip::<H>(&mut ws, Message::text("after a 403")).await;
    assert_eq!(server.h2_sockets(), 1, "[{}]", H::NAME);
}

/// Without `with_http2` (the default), `wss://` offers `http/1.1` alone,
/// even to a server that speaks HTTP/2.
pub async fn off_by_default<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::ExtendedConnect);
    let connector = Connector::<H::Rt>::new().with_tls_config(TestPki::get().client.clone());
    let mut ws = open::<H>(&connector, &server.url("/echo")).await;
    round_trip::<H>(&mut ws, Message::text("over HTTP/1.1")).await;
    let http11: &[u8] = b"http/1.1";
    assert_eq!(
        server.alpn_offers(),
        vec![vec![http11.to_vec()]],
        "[{}]",
        H::NAME
    );
    assert_eq!(server.http11_sockets(), 1, "[{}]", H::NAME);
}

/// Instantiates the HTTP/2 client cases for a [`Harness`] as `#[test]`s.
#[macro_export]
macro_rules! http2_cases {
    ($harness:ty: $($case:ident),* $(,)?) => {$(
        #[test]
        fn $case() {
            <$harness as $crate::Harness>::block_on($crate::http2::$case::<$harness>());
        }
    )*};
    ($harness:ty) => {
        $crate::http2_cases!($harness: echo, server_closes, shared_connection,
            connection_ends_with_last_socket, fallback_without_setting, http11_server, rejection, off_by_default);
    };
}
