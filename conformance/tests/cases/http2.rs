//! Our client over HTTP/2 (RFC 8441) against our server
//! ([`H2Server`](conformance::http2::H2Server)): the cases, written once for
//! every adapter's `Connector`, each a `#[test]` on the harness of the
//! module that builds this file in (`tests/http2.rs`, one module per
//! runtime).

use std::time::Duration;

use bytes::Bytes;
use ws_driver::{Connector, Network, PeerAddr, Transport, WebSocket};
use ws_proto::handshake::HandshakeError;
use ws_proto::{CloseCode, Message, MessageKind};

use conformance::http2::{big_config, H2Server, Mode, SERVER_CLOSE};
use conformance::tls::TestPki;
use conformance::{binary_payload, text_payload, within, Harness};

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

#[test]
fn echo() {
    <super::Harness as conformance::Harness>::block_on(echo_case::<super::Harness>());
}

/// Over HTTP/2: text and binary at every size, a fragmented message, a
/// Ping answered, and a Close whose code and reason the server sees.
async fn echo_case<H: Harness>()
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
    within::<H, _>("close", ws.close_with(CloseCode::from(4000), "client bye"))
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

#[test]
fn server_closes() {
    <super::Harness as conformance::Harness>::block_on(server_closes_case::<super::Harness>());
}

/// Over HTTP/2, the server closes: the client reads its code and reason,
/// then the end.
async fn server_closes_case<H: Harness>()
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

#[test]
fn shared_connection() {
    <super::Harness as conformance::Harness>::block_on(shared_connection_case::<super::Harness>());
}

/// Several sockets of one connector (and its clones) to one origin: one
/// TCP connection, every socket echoing at the same time.
async fn shared_connection_case<H: Harness>()
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
                within::<H, _>("close", ws.close_with(CloseCode::NORMAL, "done"))
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

#[test]
fn connection_ends_with_last_socket() {
    <super::Harness as conformance::Harness>::block_on(connection_ends_with_last_socket_case::<
        super::Harness,
    >());
}

/// A connection lives as long as its sockets: with the last one dropped,
/// the next socket to the origin dials a new connection, and a socket
/// opened while another is live shares its connection.
async fn connection_ends_with_last_socket_case<H: Harness>()
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

#[test]
fn fallback_without_setting() {
    <super::Harness as conformance::Harness>::block_on(fallback_without_setting_case::<
        super::Harness,
    >());
}

/// A server that chooses `h2` without extended CONNECT: the client leaves
/// that connection and opens the socket over HTTP/1.1 on a second one,
/// which offers `http/1.1` only.
async fn fallback_without_setting_case<H: Harness>()
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
    within::<H, _>("close", ws.close_with(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
}

#[test]
fn http11_server() {
    <super::Harness as conformance::Harness>::block_on(http11_server_case::<super::Harness>());
}

/// A server that offers `http/1.1` only: one connection, the HTTP/1.1
/// upgrade on it.
async fn http11_server_case<H: Harness>()
where
    H::Rt: Network,
{
    let server = H2Server::start(Mode::Http11Only);
    let mut ws = open::<H>(&connector::<H>(true), &server.url("/echo")).await;
    round_trip::<H>(&mut ws, Message::text("over HTTP/1.1")).await;
    assert_eq!(server.connections(), 1, "[{}] one connection", H::NAME);
    assert_eq!(server.http11_sockets(), 1, "[{}]", H::NAME);
    within::<H, _>("close", ws.close_with(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
}

#[test]
fn rejection() {
    <super::Harness as conformance::Harness>::block_on(rejection_case::<super::Harness>());
}

/// A 403 to the extended CONNECT is `HandshakeError::Rejected` with the
/// status, as on HTTP/1.1; the connection stays usable for the next
/// socket.
async fn rejection_case<H: Harness>()
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

#[test]
fn off_by_default() {
    <super::Harness as conformance::Harness>::block_on(off_by_default_case::<super::Harness>());
}

/// Without `with_http2` (the default), `wss://` offers `http/1.1` alone,
/// even to a server that speaks HTTP/2.
async fn off_by_default_case<H: Harness>()
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
