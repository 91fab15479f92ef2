//! The opening handshake: what the server's callback sees, acceptance with
//! a subprotocol, rejection, plain HTTP, invalid upgrades, timeouts, URLs,
//! and frames that arrive in the same read as the handshake.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::join;
use ws_driver::Error;
use ws_proto::frame::OpCode;
use ws_proto::handshake::{Accept, ClientRequest, HandshakeError, Reject, Request};
use ws_proto::{CloseCode, Config, Message};

use conformance::pair;
use conformance::{within, Harness, Ws};
use conformance::{FrameSpec, RawPeer};

/// What the server's callback saw of the request.
#[derive(Debug, Default)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    params: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    custom: Option<String>,
    host: Option<String>,
    origin: Option<String>,
    subprotocols: Vec<String>,
}

impl Seen {
    fn of(request: &Request) -> Self {
        Seen {
            method: request.method().to_owned(),
            path: request.path().to_owned(),
            query: request.query().map(str::to_owned),
            params: request
                .query_params()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            cookies: request
                .cookies()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            custom: request.header("x-custom-header").map(str::to_owned),
            host: request.host().map(str::to_owned),
            origin: request.origin().map(str::to_owned),
            subprotocols: request.subprotocols().to_vec(),
        }
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn request_inspection() {
    <crate::Harness as conformance::Harness>::block_on(request_inspection_case::<crate::Harness>());
}

/// The server's callback sees the path, the query parameters, a cookie, a
/// custom header, the origin and the offered subprotocols; it chooses one
/// subprotocol and adds a header, and the client sees both in the
/// `Response`. Then a message goes each way.
async fn request_inspection_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let mut seen = None;
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        H::accept_with(tcp, Config::default(), |request: &Request| {
            seen = Some(Seen::of(request));
            Ok(Accept::new()
                .subprotocol("v2.chat")
                .header("X-Served-By", "conformance")
                .expect("a valid header"))
        })
        .await
    };
    let client = async {
        let tcp = H::connect(addr).await.expect("connect");
        let request =
            ClientRequest::new(addr.to_string(), "/chat/room?user=ann%20lee&lang=en&flag")
                .and_then(|r| r.subprotocol("v1.chat"))
                .and_then(|r| r.subprotocol("v2.chat"))
                .and_then(|r| r.header("Cookie", "session=abc123; theme=dark"))
                .and_then(|r| r.header("X-Custom-Header", "hello there"))
                .and_then(|r| r.origin(format!("http://{addr}")))
                .expect("a valid request");
        H::client(tcp, request, Config::default()).await
    };
    let (server, client) = within::<H, _>("handshake", join(server, client)).await;
    let mut server = server.expect("server handshake");
    let (mut client, response) = client.expect("client handshake");

    let seen = seen.expect("the callback ran");
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/chat/room");
    assert_eq!(seen.query.as_deref(), Some("user=ann%20lee&lang=en&flag"));
    assert_eq!(
        seen.params,
        pairs(&[("user", "ann lee"), ("lang", "en"), ("flag", "")])
    );
    assert_eq!(
        seen.cookies,
        pairs(&[("session", "abc123"), ("theme", "dark")])
    );
    assert_eq!(seen.custom.as_deref(), Some("hello there"));
    assert_eq!(seen.host, Some(addr.to_string()));
    assert_eq!(seen.origin, Some(format!("http://{addr}")));
    assert_eq!(seen.subprotocols, ["v1.chat", "v2.chat"]);

    assert_eq!(response.status(), 101);
    assert_eq!(response.subprotocol(), Some("v2.chat"));
    assert_eq!(response.header("x-served-by"), Some("conformance"));

    within::<H, _>("client send", client.send(Message::text("hello")))
        .await
        .expect("client send");
    let got = within::<H, _>("server recv", server.recv()).await;
    assert_eq!(
        got.expect("a message").expect("no error"),
        Message::text("hello")
    );
    within::<H, _>("server send", server.send(Message::binary(vec![1, 2, 3])))
        .await
        .expect("server send");
    let got = within::<H, _>("client recv", client.recv()).await;
    assert_eq!(
        got.expect("a message").expect("no error"),
        Message::binary(vec![1, 2, 3])
    );
}

#[test]
fn rejection() {
    <crate::Harness as conformance::Harness>::block_on(rejection_case::<crate::Harness>());
}

/// A callback that rejects with 403: the server gets `Error::CallbackRejected(403)`,
/// the client `Error::Handshake(HandshakeError::Rejected)` with status 403
/// and the response's headers.
async fn rejection_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        H::accept_with(tcp, Config::default(), |_| {
            Err(Reject::new(403)
                .header("X-Reason", "room closed")
                .expect("a valid header")
                .body("forbidden\n"))
        })
        .await
    };
    let client = async {
        let tcp = H::connect(addr).await.expect("connect");
        let request = ClientRequest::new(addr.to_string(), "/private").expect("request");
        H::client(tcp, request, Config::default()).await
    };
    let (server, client) = within::<H, _>("handshake", join(server, client)).await;
    match server {
        Err(Error::CallbackRejected(403)) => {}
        other => panic!(
            "[{}] server: expected CallbackRejected(403), got {:?}",
            H::NAME,
            other.err()
        ),
    }
    match client {
        Err(Error::Handshake(HandshakeError::Rejected {
            status, response, ..
        })) => {
            assert_eq!(status, 403);
            assert_eq!(response.status(), 403);
            assert_eq!(response.header("x-reason"), Some("room closed"));
        }
        other => panic!(
            "[{}] client: expected Handshake(Rejected), got {:?}",
            H::NAME,
            other.err()
        ),
    }
}

/// Accepts the next connection on `listener` with the default config,
/// setting `called` if the callback runs (it accepts).
async fn accept_noting_callback<H: Harness>(
    listener: &H::Listener,
    called: &mut bool,
) -> Result<Ws<H>, Error> {
    let tcp = H::accept(listener).await.expect("accept");
    H::accept_with(tcp, Config::default(), |_| {
        *called = true;
        Ok(Accept::new())
    })
    .await
}

#[test]
fn not_upgrade() {
    <crate::Harness as conformance::Harness>::block_on(not_upgrade_case::<crate::Harness>());
}

/// A plain HTTP GET without `Upgrade`: the server returns
/// `HandshakeError::NotUpgrade` carrying the parsed request, without
/// calling the callback, and answers 426 Upgrade Required (the stream is
/// the adapter's, so the application cannot answer it itself).
async fn not_upgrade_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let mut called = false;
    let server = accept_noting_callback::<H>(&listener, &mut called);
    let peer = async {
        let mut peer = RawPeer::<H>::connect(addr).await;
        let request =
            format!("GET /index.html?x=1 HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\n\r\n");
        peer.write(request.as_bytes()).await;
        peer.read_to_end().await
    };
    let (server, answer) = within::<H, _>("plain GET", join(server, peer)).await;
    assert!(!called, "[{}] the callback ran for a plain GET", H::NAME);
    match server {
        Err(Error::Handshake(HandshakeError::NotUpgrade(request))) => {
            assert_eq!(request.method(), "GET");
            assert_eq!(request.path(), "/index.html");
            assert_eq!(request.query(), Some("x=1"));
            assert_eq!(request.header("accept"), Some("text/html"));
        }
        other => panic!("[{}] expected NotUpgrade, got {:?}", H::NAME, other.err()),
    }
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(
        answer.starts_with("http/1.1 426"),
        "[{}] expected a 426 answer, got {answer:?}",
        H::NAME
    );
    assert!(answer.contains("upgrade: websocket"), "{answer:?}");
}

#[test]
fn invalid_upgrade_gets_http_error() {
    <crate::Harness as conformance::Harness>::block_on(invalid_upgrade_gets_http_error_case::<
        crate::Harness,
    >());
}

/// Upgrade requests that break RFC 6455 are answered with the matching
/// HTTP error and reported as `Error::Handshake` with that status; the
/// callback never runs.
async fn invalid_upgrade_gets_http_error_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let cases: [(&str, String, u16, &str); 4] = [
        (
            "version 8",
            format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 {key}Sec-WebSocket-Version: 8\r\n\r\n"
            ),
            426,
            "sec-websocket-version: 13",
        ),
        (
            "POST",
            format!(
                "POST / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 {key}Sec-WebSocket-Version: 13\r\n\r\n"
            ),
            405,
            "allow: get",
        ),
        (
            "no key",
            format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            ),
            400,
            "",
        ),
        (
            "upgrade to h2c",
            format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\
                 {key}Sec-WebSocket-Version: 13\r\n\r\n"
            ),
            426,
            "upgrade: websocket",
        ),
    ];
    for (name, request, status, header) in cases {
        let mut called = false;
        let server = accept_noting_callback::<H>(&listener, &mut called);
        let peer = async {
            let mut peer = RawPeer::<H>::connect(addr).await;
            peer.write(request.as_bytes()).await;
            peer.read_to_end().await
        };
        let (server, answer) = within::<H, _>(name, join(server, peer)).await;
        assert!(!called, "[{}] {name}: the callback ran", H::NAME);
        match server {
            Err(Error::Handshake(e)) => assert_eq!(e.status(), Some(status), "{name}: {e:?}"),
            other => panic!(
                "[{}] {name}: expected Handshake, got {:?}",
                H::NAME,
                other.err()
            ),
        }
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(
            answer.starts_with(&format!("http/1.1 {status}")),
            "[{}] {name}: got {answer:?}",
            H::NAME
        );
        assert!(answer.contains(header), "[{}] {name}: {answer:?}", H::NAME);
    }
}

#[test]
fn handshake_timeout() {
    <crate::Harness as conformance::Harness>::block_on(handshake_timeout_case::<crate::Harness>());
}

/// A peer that sends half a request, or half an answer, and then nothing:
/// the handshake fails with `Error::HandshakeTimeout` on either side.
async fn handshake_timeout_case<H: Harness>() {
    let config = Config::default().with_handshake_timeout(Duration::from_millis(200));

    // Server side.
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        H::accept_with(tcp, config.clone(), |_| Ok(Accept::new())).await
    };
    let peer = async {
        let mut peer = RawPeer::<H>::connect(addr).await;
        peer.write(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
        peer.read_to_end().await
    };
    let (server, _) = within::<H, _>("server handshake timeout", join(server, peer)).await;
    assert!(
        matches!(server, Err(Error::HandshakeTimeout)),
        "[{}] server: expected HandshakeTimeout, got {:?}",
        H::NAME,
        server.err()
    );

    // Client side: the raw server reads the request and never answers.
    client_times_out::<H, _>(&listener, addr, &config, "silent", |mut peer| async move {
        peer.read_to_end().await;
    })
    .await;
    // Client side, a server that drips its answer one byte at a time: the
    // timeout bounds the whole handshake, not each read.
    client_times_out::<H, _>(&listener, addr, &config, "dripped", |mut peer| async move {
        let answer = b"HTTP/1.1 101 Switching Protocols\r\nX-Slow: ".iter();
        for byte in answer.chain(std::iter::repeat(&b'a')).take(400) {
            if peer.try_write(&[*byte]).await.is_err() {
                break;
            }
            H::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[test]
fn invalid_config_refused() {
    <crate::Harness as conformance::Harness>::block_on(
        invalid_config_refused_case::<crate::Harness>(),
    );
}

/// A config that fails `Config::validate` (a frame limit under the 125
/// bytes a control frame needs) is refused with `Error::Config` when it is
/// used, on either side, before anything is read or written: the peer of
/// the server sees the connection close with no answer, the server the
/// client would have reached sees no request.
async fn invalid_config_refused_case<H: Harness>() {
    let invalid = Config::default().with_max_frame_size(100);
    let refused = |side: &str, result: Result<(), Error>| match result {
        Err(Error::Config(e)) => assert_eq!(e.setting(), "max_frame_size", "[{}] {side}", H::NAME),
        other => panic!(
            "[{}] {side}: expected Error::Config, got {other:?}",
            H::NAME
        ),
    };

    // Server side.
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        H::accept_with(tcp, invalid.clone(), |_| Ok(Accept::new()))
            .await
            .map(drop)
    };
    let peer = async { RawPeer::<H>::connect(addr).await.read_to_end().await };
    let (server, answer) = within::<H, _>("server refuses", join(server, peer)).await;
    refused("server", server);
    assert!(answer.is_empty(), "[{}] the peer got {answer:?}", H::NAME);

    // Client side, on a connected stream.
    let peer = async {
        let tcp = H::accept(&listener).await.expect("accept");
        RawPeer::<H>::new(tcp).read_to_end().await
    };
    let client = async {
        let tcp = H::connect(addr).await.expect("connect");
        let request = ClientRequest::new(addr.to_string(), "/").expect("request");
        // The stream is dropped with the failed handshake: the peer's read ends.
        H::client(tcp, request, invalid.clone()).await.map(drop)
    };
    let (request, client) = within::<H, _>("client refuses", join(peer, client)).await;
    refused("client", client);
    assert!(
        request.is_empty(),
        "[{}] the server got {request:?}",
        H::NAME
    );

    // Client side, by URL: refused before connecting at all.
    let url = H::url(addr, "/");
    let by_url = within::<H, _>("connect refuses", H::connect_url(&url, invalid)).await;
    refused("connect", by_url.map(drop));
}

/// Our client against a raw server on `listener` that reads the request
/// and then does what `answer` does: the handshake must time out.
async fn client_times_out<H: Harness, F: Future<Output = ()>>(
    listener: &H::Listener,
    addr: SocketAddr,
    config: &Config,
    what: &str,
    answer: impl FnOnce(RawPeer<H>) -> F,
) {
    let peer = async {
        let tcp = H::accept(listener).await.expect("accept");
        let mut peer = RawPeer::<H>::new(tcp);
        let _ = peer.read_head().await;
        answer(peer).await
    };
    let client = async {
        let tcp = H::connect(addr).await.expect("connect");
        let request = ClientRequest::new(addr.to_string(), "/").expect("request");
        H::client(tcp, request, config.clone()).await
    };
    let (_, client) = within::<H, _>(what, join(peer, client)).await;
    assert!(
        matches!(client, Err(Error::HandshakeTimeout)),
        "[{}] client, {what} server: expected HandshakeTimeout, got {:?}",
        H::NAME,
        client.err()
    );
}

#[test]
fn cross_origin_refused() {
    <crate::Harness as conformance::Harness>::block_on(
        cross_origin_refused_case::<crate::Harness>(),
    );
}

/// A request whose `Origin` is another site's is refused with 403 before
/// the callback runs (the default origin policy); the same page on the
/// server's own host and port is let in.
async fn cross_origin_refused_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    for (origin, allowed) in [
        ("https://evil.example".to_owned(), false),
        (format!("http://{addr}"), true),
    ] {
        let mut called = false;
        let server = accept_noting_callback::<H>(&listener, &mut called);
        let client = async {
            let tcp = H::connect(addr).await.expect("connect");
            let request = ClientRequest::new(addr.to_string(), "/")
                .and_then(|r| r.origin(&origin))
                .expect("request");
            H::client(tcp, request, Config::default()).await
        };
        let (server, client) = within::<H, _>("handshake", join(server, client)).await;
        if allowed {
            assert!(server.is_ok() && client.is_ok(), "[{}] {origin}", H::NAME);
            assert!(called);
            continue;
        }
        assert!(
            !called,
            "[{}] the callback saw a forbidden request",
            H::NAME
        );
        match server {
            Err(Error::Handshake(HandshakeError::ForbiddenOrigin(seen))) => {
                assert_eq!(seen, origin)
            }
            other => panic!("[{}] server: got {:?}", H::NAME, other.err()),
        }
        match client {
            Err(Error::Handshake(HandshakeError::Rejected { status, .. })) => {
                assert_eq!(status, 403)
            }
            other => panic!("[{}] client: got {:?}", H::NAME, other.err()),
        }
    }
}

#[test]
fn connect_url() {
    <crate::Harness as conformance::Harness>::block_on(connect_url_case::<crate::Harness>());
}

/// `connect_with` on a URL reaches the path and query it names, with the
/// `Host` header of the URL; another scheme than `ws` or `wss` fails with
/// an invalid-URL error.
async fn connect_url_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let mut seen = None;
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        H::accept_with(tcp, Config::default(), |request| {
            seen = Some(Seen::of(request));
            Ok(Accept::new())
        })
        .await
    };
    let url = H::url(addr, "/feed?since=5");
    let client = H::connect_url(&url, Config::default());
    let (server, client) = within::<H, _>("connect", join(server, client)).await;
    let mut server = server.expect("server handshake");
    let (mut client, response) = client.expect("connect_with");
    assert_eq!(response.status(), 101);
    let seen = seen.expect("the callback ran");
    assert_eq!(seen.path, "/feed");
    assert_eq!(seen.query.as_deref(), Some("since=5"));
    assert_eq!(seen.host, Some(addr.to_string()));

    within::<H, _>("send", client.send(Message::text("via url")))
        .await
        .expect("send");
    let got = within::<H, _>("recv", server.recv()).await;
    assert_eq!(
        got.expect("a message").expect("no error"),
        Message::text("via url")
    );

    let http = H::connect_url("http://127.0.0.1:9/", Config::default()).await;
    assert!(
        matches!(http, Err(Error::Handshake(HandshakeError::InvalidUrl(_)))),
        "[{}] http: {:?}",
        H::NAME,
        http.err()
    );
}

#[test]
fn bytes_after_handshake() {
    <crate::Harness as conformance::Harness>::block_on(
        bytes_after_handshake_case::<crate::Harness>(),
    );
}

/// A frame sent in the same write as the handshake (right behind the
/// request, or right behind the 101) is not lost: the bytes read past the
/// HTTP head go to the connection.
async fn bytes_after_handshake_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");

    // Behind the request.
    let early = FrameSpec::new(OpCode::Text, "early").masked().encode();
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        let mut ws = H::accept_with(tcp, Config::default(), |_| Ok(Accept::new()))
            .await
            .expect("server handshake");
        let first = ws.recv().await;
        let second = ws.recv().await;
        let third = ws.recv().await;
        (first, second, third)
    };
    let peer = async {
        let mut peer = RawPeer::<H>::client_then(addr, &early).await;
        peer.send(FrameSpec::new(OpCode::Close, vec![0x03, 0xe8]).masked())
            .await;
        peer.expect_close_code(1000).await;
    };
    let ((first, second, third), ()) =
        within::<H, _>("frame behind the request", join(server, peer)).await;
    assert_eq!(
        first.expect("a message").expect("no error"),
        Message::text("early")
    );
    match second {
        Some(Ok(Message::Close(frame))) => assert_eq!(frame.code(), CloseCode::NORMAL),
        other => panic!("[{}] expected the Close, got {other:?}", H::NAME),
    }
    assert!(
        third.is_none(),
        "[{}] expected the end, got {third:?}",
        H::NAME
    );

    // Behind the 101.
    let early = FrameSpec::new(OpCode::Text, "early too").encode();
    let peer = async {
        let mut peer = RawPeer::<H>::server_then(&listener, &early).await;
        let (close, _) = peer.expect_close().await;
        assert!(close.masked, "[{}] a client Close must be masked", H::NAME);
        assert_eq!(close.close_code(), Some(1000));
        peer.send(FrameSpec::new(OpCode::Close, vec![0x03, 0xe8]))
            .await;
        // Dropping the peer closes TCP, as a server does.
    };
    let client = async {
        let tcp = H::connect(addr).await.expect("connect");
        let request = ClientRequest::new(addr.to_string(), "/").expect("request");
        let (mut ws, _) = H::client(tcp, request, Config::default())
            .await
            .expect("client handshake");
        let first = ws.recv().await;
        let closed = ws.close_with(CloseCode::NORMAL, "").await;
        (first, closed)
    };
    let ((), (first, closed)) = within::<H, _>("frame behind the 101", join(peer, client)).await;
    assert_eq!(
        first.expect("a message").expect("no error"),
        Message::text("early too")
    );
    closed.expect("close");
}

#[test]
fn transport_access() {
    <crate::Harness as conformance::Harness>::block_on(transport_access_case::<crate::Harness>());
}

/// The transport is at hand while the connection lives: each end's
/// `peer_addr` names the other, `get_ref` reaches the stream, and
/// `into_inner` gives it back after the closing handshake.
async fn transport_access_case<H: Harness>() {
    let (mut server, mut client) = pair::<H>().await;
    let to_server = client.peer_addr().expect("the client's peer");
    let to_client = server.peer_addr().expect("the server's peer");
    assert!(to_server.ip().is_loopback() && to_client.ip().is_loopback());
    assert_ne!(to_server.port(), to_client.port(), "[{}]", H::NAME);
    assert_eq!(
        ws_driver::PeerAddr::peer_addr(server.get_ref()).expect("the stream's peer"),
        to_client
    );
    assert!(
        format!("{server:?}").contains("Open"),
        "[{}] {server:?}",
        H::NAME
    );
    let closing = async {
        client
            .close_with(CloseCode::NORMAL, "")
            .await
            .expect("close");
        client
    };
    let serving = async {
        while let Some(item) = server.recv().await {
            item.expect("no error");
        }
        server
    };
    let (client, server) = within::<H, _>("closing handshake", join(closing, serving)).await;
    assert!(
        format!("{server:?}").contains("Ended"),
        "[{}] {server:?}",
        H::NAME
    );
    // The streams come back; dropping them ends TCP.
    drop((server.into_inner(), client.into_inner()));
}
