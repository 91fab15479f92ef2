//! WebSockets upgraded inside a hyper 1.x server: over HTTP/1.1 (GET +
//! `Upgrade`, 101: RFC 6455 section 4) with our client, and over HTTP/2
//! (extended CONNECT, 200: RFC 8441 section 5) with an `h2` client, on
//! tokio; and over HTTP/1.1 on smol and async-std, served there through
//! smol-hyper's glue.

mod http_support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use conformance::{binary_payload, text_payload};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ws_driver::hyper::Upgrading;
use ws_driver::{Runtime, Spawn};
use ws_proto::handshake::{Accept, ClientRequest, HandshakeError, Reject};
use ws_proto::{CloseCode, Config, Message};

use http_support::{
    h2_connect, h2_websocket, raw_http1, raw_http1_to_end, send_connect, within, within_on,
    ws_request,
};

/// The most connections one test server accepts, and the most messages
/// one echo loop handles.
const MAX_CONNECTIONS: usize = 64;
const MAX_MESSAGES: usize = 1_000;

/// The refusal of `/private`.
const LOG_IN: &str = "log in first\n";

/// Echoes the data messages of the socket `upgrading` yields until the
/// peer closes.
async fn echo<R: Runtime>(upgrading: Upgrading<R>) {
    let Ok(mut ws) = upgrading.await else {
        return;
    };
    for _ in 0..MAX_MESSAGES {
        match ws.recv().await {
            Some(Ok(message)) if message.is_data() => {
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}

/// The test server's routes on the runtime `R`: `/` is a page, `/private`
/// refuses every upgrade with 401, and `/echo` (or any CONNECT, so that
/// malformed ones reach the handshake) upgrades, choosing the subprotocol
/// `chat` when offered, and echoes.
async fn route<R: Spawn>(
    mut request: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let upgrades =
        path == "/echo" || path == "/private" || request.method() == http::Method::CONNECT;
    if !upgrades {
        let mut response = http::Response::new(Full::new(Bytes::from_static(b"a page\n")));
        if path != "/" {
            *response.status_mut() = http::StatusCode::NOT_FOUND;
        }
        return Ok(response);
    }
    let upgraded = ws_driver::hyper::upgrade::<R, _, _>(&mut request, Config::default(), |req| {
        if path == "/private" {
            let reject = Reject::new(401)
                .header("WWW-Authenticate", "Bearer")
                .expect("header")
                .body(LOG_IN);
            return Err(reject);
        }
        let mut accept = Accept::new();
        if req.subprotocols().iter().any(|p| p == "chat") {
            accept = accept.subprotocol("chat");
        }
        Ok(accept)
    });
    Ok(match upgraded {
        Ok((response, upgrading)) => {
            R::spawn(echo(upgrading));
            response.map(|()| Full::new(Bytes::new()))
        }
        Err(error) => error.http_response(request.version()).map(Full::new),
    })
}

/// A hyper server on tokio with `ws_tokio::hyper::server_builder`
/// (HTTP/1.1 and HTTP/2 on one port), its connections served with
/// upgrades, or without them when `upgrades` is false.
async fn serve_tokio(upgrades: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let builder = Arc::new(ws_tokio::hyper::server_builder());
    tokio::spawn(async move {
        for _ in 0..MAX_CONNECTIONS {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let builder = builder.clone();
            tokio::spawn(async move {
                let io = TokioIo::new(tcp);
                let service = service_fn(route::<ws_tokio::Runtime>);
                let _ = if upgrades {
                    builder.serve_connection_with_upgrades(io, service).await
                } else {
                    builder.serve_connection(io, service).await
                };
            });
        }
    });
    addr
}

/// Sends `message` on `ws` and expects it back.
async fn round_trip<S: ws_driver::Transport, R: Runtime>(
    ws: &mut ws_driver::WebSocket<S, R>,
    message: Message,
) {
    within_on::<R, _>("send", ws.send(message.clone()))
        .await
        .expect("send");
    let echoed = within_on::<R, _>("echo", ws.recv()).await;
    match echoed {
        Some(Ok(echoed)) => assert_eq!(echoed, message, "the echo differs"),
        other => panic!("no echo: {other:?}"),
    }
}

/// Closes `ws` and reads to its end.
async fn close<S: ws_driver::Transport, R: Runtime>(ws: &mut ws_driver::WebSocket<S, R>) {
    within_on::<R, _>("close", ws.close_with(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
    for _ in 0..MAX_MESSAGES {
        if within_on::<R, _>("end", ws.recv()).await.is_none() {
            return;
        }
    }
    panic!("the socket did not end after its close");
}

const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];

#[tokio::test]
async fn http1_upgrade_echoes_with_deflate_and_a_subprotocol() {
    let addr = serve_tokio(true).await;
    let request = ClientRequest::from_url(&format!("ws://{addr}/echo"))
        .and_then(|r| r.subprotocol("superchat"))
        .and_then(|r| r.subprotocol("chat"))
        .expect("request");
    let (ws, response) = within("connect", ws_tokio::connect(request))
        .await
        .expect("connect");
    let mut ws = ws.into_driver();
    assert_eq!(response.status(), 101);
    assert_eq!(response.subprotocol(), Some("chat"));
    assert!(
        response
            .extensions()
            .iter()
            .any(|e| e.name == "permessage-deflate"),
        "permessage-deflate not negotiated: {:?}",
        response.extensions()
    );
    for size in SIZES {
        round_trip(&mut ws, Message::text(text_payload(size))).await;
        round_trip(&mut ws, Message::binary(binary_payload(size))).await;
    }
    close(&mut ws).await;
}

#[tokio::test]
async fn http1_rejection_reaches_the_client_with_its_status() {
    let addr = serve_tokio(true).await;
    let error = within("connect", ws_tokio::connect(format!("ws://{addr}/private")))
        .await
        .expect_err("refused");
    match error {
        ws_tokio::Error::Handshake(HandshakeError::Rejected {
            status,
            response,
            body,
        }) => {
            assert_eq!(status, 401);
            assert_eq!(response.header("www-authenticate"), Some("Bearer"));
            // The body read so far, with the head: all or a start of it.
            assert!(LOG_IN.as_bytes().starts_with(&body), "body {body:?}");
        }
        other => panic!("not a rejection: {other:?}"),
    }
}

#[tokio::test]
async fn http1_invalid_requests_are_answered_by_hyper() {
    let addr = serve_tokio(true).await;
    let head = |fields: &str| {
        format!(
            "GET /echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\n{fields}\r\n"
        )
    };
    // RFC 6455 section 4.2.1, item 5: no key, 400.
    let response = raw_http1(addr, &head("Sec-WebSocket-Version: 13\r\n")).await;
    assert!(response.starts_with("HTTP/1.1 400 "), "{response}");
    // Section 4.2.2: a version we do not speak, 426 naming ours.
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let response = raw_http1(addr, &head(&format!("{key}Sec-WebSocket-Version: 8\r\n"))).await;
    assert!(response.starts_with("HTTP/1.1 426 "), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("\r\nsec-websocket-version: 13\r\n"),
        "{response}"
    );
    // A POST is no handshake (section 4.2.1, item 1): 405.
    let post = format!(
        "POST /echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         {key}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n"
    );
    let response = raw_http1(addr, &post).await;
    assert!(response.starts_with("HTTP/1.1 405 "), "{response}");
    // A plain GET of the socket's route: 426 Upgrade Required.
    let get = format!("GET /echo HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let response = raw_http1(addr, &get).await;
    assert!(response.starts_with("HTTP/1.1 426 "), "{response}");
}

#[tokio::test]
async fn http1_plain_get_is_served_beside_the_socket() {
    let addr = serve_tokio(true).await;
    let get = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let response = raw_http1_to_end(addr, &get).await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\na page\n"), "{response}");
}

#[test]
fn a_request_hyper_cannot_hand_over_is_a_server_error() {
    // A valid handshake that no hyper connection carries (built by hand,
    // as a test of a service would): no `OnUpgrade` in its extensions.
    let mut request = http::Request::get("/echo")
        .header("host", "example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(())
        .expect("request");
    let mut called = false;
    let result = ws_tokio::hyper::upgrade(&mut request, Config::default(), |_| {
        called = true;
        Ok(Accept::new())
    });
    let Err(error) = result else {
        panic!("upgraded without a connection");
    };
    assert!(matches!(
        error,
        ws_driver::hyper::UpgradeError::NotUpgradable
    ));
    assert!(
        !called,
        "the callback ran for a request that cannot upgrade"
    );
    let response = error.http_response(http::Version::HTTP_11);
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    // The request is left whole.
    assert_eq!(request.uri(), "/echo");
    assert_eq!(request.headers()["sec-websocket-version"], "13");
}

#[test]
fn an_invalid_config_is_a_server_error_before_the_callback() {
    let mut request = http::Request::get("/echo")
        .header("host", "example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(())
        .expect("request");
    let invalid = Config::default().with_write_buffer_limit(0);
    let mut called = false;
    let result = ws_tokio::hyper::upgrade(&mut request, invalid, |_| {
        called = true;
        Ok(Accept::new())
    });
    let Err(error) = result else {
        panic!("upgraded with an invalid config");
    };
    let ws_driver::hyper::UpgradeError::Handshake(HandshakeError::Config(config_error)) = &error
    else {
        panic!("expected a config error, got {error:?}");
    };
    assert_eq!(config_error.setting(), "write_buffer_limit");
    assert!(!called, "the callback ran with an invalid config");
    let response = error.http_response(http::Version::HTTP_11);
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn http1_served_without_upgrades_fails_the_socket_future() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let tx = std::sync::Mutex::new(Some(tx));
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let service = service_fn(move |mut request: http::Request<Incoming>| {
            let upgraded =
                ws_tokio::hyper::upgrade(&mut request, Config::default(), |_| Ok(Accept::new()));
            let (response, upgrading) = upgraded.expect("a valid handshake");
            if let Some(tx) = tx.lock().expect("lock").take() {
                tokio::spawn(async move {
                    let _ = tx.send(upgrading.await.map(|_| ()));
                });
            }
            async move { Ok::<_, Infallible>(response.map(|()| Full::new(Bytes::new()))) }
        });
        // `serve_connection`, not `serve_connection_with_upgrades`.
        let _ = ws_tokio::hyper::server_builder()
            .serve_connection(TokioIo::new(tcp), service)
            .await;
    });
    let _ = within("connect", ws_tokio::connect(format!("ws://{addr}/echo"))).await;
    let outcome = within("the socket future", rx).await.expect("an outcome");
    assert!(
        matches!(outcome, Err(ws_tokio::Error::Io(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn http2_extended_connect_echoes() {
    let addr = serve_tokio(true).await;
    let (mut send, status) = h2_connect(addr).await;
    assert_eq!(status, 200, "the page over HTTP/2");
    // RFC 8441 section 3: the builder advertised extended CONNECT.
    assert!(send.is_extended_connect_protocol_enabled());
    let (parts, ws) = h2_websocket(&mut send, ws_request(addr, "/echo", &["chat"])).await;
    assert_eq!(parts.status, http::StatusCode::OK);
    assert_eq!(parts.headers["sec-websocket-protocol"], "chat");
    // RFC 8441 section 5: no accept key, no Upgrade over HTTP/2.
    assert!(parts.headers.get("sec-websocket-accept").is_none());
    assert!(parts.headers.get("upgrade").is_none());
    let mut ws = ws.expect("a socket");
    round_trip(&mut ws, Message::text("over one HTTP/2 stream")).await;
    // Larger than the stream's initial flow-control window (64 KiB).
    round_trip(&mut ws, Message::binary(binary_payload(200_000))).await;
    // A second socket on the same connection, at the same time.
    let (parts, second) = h2_websocket(&mut send, ws_request(addr, "/echo", &[])).await;
    assert_eq!(parts.status, http::StatusCode::OK);
    let mut second = second.expect("a second socket");
    round_trip(&mut second, Message::text("second stream")).await;
    round_trip(&mut ws, Message::text("first stream still")).await;
    close(&mut second).await;
    close(&mut ws).await;
}

#[tokio::test]
async fn http2_refusals_carry_the_right_status() {
    let addr = serve_tokio(true).await;
    let (mut send, _) = h2_connect(addr).await;
    // RFC 8441 section 4: a CONNECT without `:protocol` is a proxy's
    // CONNECT, no WebSocket: 400.
    let mut connect = http::Request::new(());
    *connect.method_mut() = http::Method::CONNECT;
    *connect.uri_mut() = addr.to_string().parse().expect("authority");
    let (parts, _) = send_connect(&mut send, connect).await;
    assert_eq!(parts.status, http::StatusCode::BAD_REQUEST);
    // RFC 9220 section 3: a `:protocol` the server does not implement,
    // 501.
    let request = ClientRequest::from_url(&format!("ws://{addr}/echo")).expect("request");
    let (_, mut connect) = ws_proto::handshake::ClientHandshake::extended_connect(
        request,
        Config::default(),
        Box::new(ws_proto::entropy::Seeded::new(1)),
    )
    .expect("extended CONNECT");
    connect
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static("chat"));
    let (parts, _) = send_connect(&mut send, connect).await;
    assert_eq!(parts.status, http::StatusCode::NOT_IMPLEMENTED);
    // The callback's refusal, over HTTP/2 too.
    let (parts, ws) = h2_websocket(&mut send, ws_request(addr, "/private", &[])).await;
    assert_eq!(parts.status, http::StatusCode::UNAUTHORIZED);
    assert_eq!(parts.headers["www-authenticate"], "Bearer");
    assert!(ws.is_none());
    // The connection still serves sockets.
    let (parts, ws) = h2_websocket(&mut send, ws_request(addr, "/echo", &[])).await;
    assert_eq!(parts.status, http::StatusCode::OK);
    close(&mut ws.expect("a socket")).await;
}

/// Serves hyper's HTTP/1.1 with upgrades on an `async-io` runtime, with
/// smol-hyper's glue: `FuturesIo` puts hyper's I/O traits on the
/// runtime's `futures-io` TCP stream, and hyper's HTTP/1.1 needs no
/// executor. `spawn` runs a task on the runtime.
fn serve_futures_io<R: Spawn>(listener: smol::net::TcpListener) {
    R::spawn(async move {
        for _ in 0..MAX_CONNECTIONS {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            R::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(smol_hyper::rt::FuturesIo::new(tcp), service_fn(route::<R>))
                    .with_upgrades()
                    .await;
            });
        }
    });
}

#[test]
fn smol_serves_hyper_and_upgrades() {
    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        serve_futures_io::<ws_smol::Runtime>(listener);
        let request = ClientRequest::from_url(&format!("ws://{addr}/echo"))
            .and_then(|r| r.subprotocol("chat"))
            .expect("request");
        let (ws, response) = ws_smol::connect(request).await.expect("connect");
        let mut ws = ws.into_driver();
        assert_eq!(response.subprotocol(), Some("chat"));
        round_trip(&mut ws, Message::text(text_payload(10_000))).await;
        round_trip(&mut ws, Message::binary(binary_payload(100_000))).await;
        close(&mut ws).await;
    });
}

#[test]
fn async_std_serves_hyper_and_upgrades() {
    async_std::task::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        serve_futures_io::<ws_async_std::Runtime>(listener);
        let (ws, response) = ws_async_std::connect(format!("ws://{addr}/echo"))
            .await
            .expect("connect");
        let mut ws = ws.into_driver();
        assert_eq!(response.status(), 101);
        round_trip(&mut ws, Message::text(text_payload(10_000))).await;
        close(&mut ws).await;
    });
}
