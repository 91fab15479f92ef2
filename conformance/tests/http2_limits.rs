//! HTTP/2 abuse is bounded: an axum `Router` with a WebSocket route,
//! served by `ws_tokio::hyper::server_builder()` over cleartext HTTP/2
//! (prior knowledge), against clients that open streams without end, send
//! empty DATA frames without end, or open and reset streams in a loop
//! (the rapid reset of CVE-2023-44487).
//!
//! The abusive clients are [`RawH2`], which writes frames by hand: h2's
//! own client keeps to the server's limits. Each case asserts what h2
//! 0.4.20 (hyper's HTTP/2) does when a limit of the builder is reached,
//! from its source: a stream over `SETTINGS_MAX_CONCURRENT_STREAMS` is
//! refused with RST_STREAM(REFUSED_STREAM) and each refusal counts towards
//! `max_local_error_reset_streams`, past which the connection gets
//! GOAWAY(ENHANCE_YOUR_CALM); more than 100 empty DATA frames without
//! END_STREAM on a connection is GOAWAY(ENHANCE_YOUR_CALM)
//! (`MAX_RECV_EMPTY_DATA_FRAMES`, since h2 0.4.16: RUSTSEC-2026-0258);
//! more streams reset by the client before the server accepted them than
//! `max_pending_accept_reset_streams`, pending at once, is
//! GOAWAY(ENHANCE_YOUR_CALM).
//!
//! Every loop is bounded by a count, every wait by a generous timeout;
//! the cases wait for the server's answers (a PING's ACK says it has seen
//! every frame before the PING, RFC 9113 section 6.7), never for time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::routing::{any, get, post};
use axum::Router;
use bytes::Bytes;
use conformance::raw_h2::{self, reason, Event, RawH2};
use conformance::FrameSpec;
use http_body_util::BodyExt;
use ws_proto::frame::{FrameHeader, OpCode};

/// How long any one answer from the server may take: generous, so that
/// a loaded machine never fails a case; only a server that stopped
/// answering does.
const STEP: Duration = Duration::from_secs(30);

/// How many sockets and request handlers are alive at once, and the most
/// there ever were.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

/// One alive, until dropped.
struct Alive(Arc<Gauge>);

impl Gauge {
    fn enter(self: &Arc<Self>) -> Alive {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        Alive(self.clone())
    }

    fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// Waits until `now` is `n`, polling, for at most [`STEP`]: the
    /// server's tasks start and end on their own schedule.
    async fn wait_for(&self, n: usize, what: &str) {
        for _ in 0..3000 {
            if self.now() == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{what}: {} alive, expected {n}", self.now());
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the server counts: the streams of the abusive clients that a
/// handler holds (WebSockets and plain requests together), and their
/// upgraded WebSockets alone. The well-behaved client's socket
/// (`/ws-good`) is not counted.
#[derive(Default)]
struct Counts {
    streams: Arc<Gauge>,
    sockets: Arc<Gauge>,
}

/// The server: an axum `Router` with a WebSocket echo at `/ws` (and
/// `/ws-good`), `POST /plain`, whose handler waits for a request body
/// that never ends, and `GET /hello`; each connection served by
/// `ws_tokio::hyper::server_builder()`.
async fn server() -> (SocketAddr, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let (ws_counts, plain_counts) = (counts.clone(), counts.clone());
    let router = Router::new()
        .route(
            "/ws",
            any(move |ws: ws_tokio::axum::WebSocketUpgrade| {
                let counts = ws_counts.clone();
                async move {
                    let stream = counts.streams.enter();
                    ws.on_upgrade(move |socket| async move {
                        let _stream = stream;
                        let _socket = counts.sockets.enter();
                        echo(socket).await
                    })
                }
            }),
        )
        .route(
            "/ws-good",
            any(|ws: ws_tokio::axum::WebSocketUpgrade| async move { ws.on_upgrade(echo) }),
        )
        .route(
            "/plain",
            post(move |body: Body| {
                let counts = plain_counts.clone();
                async move {
                    let _stream = counts.streams.enter();
                    // The abusive client never ends the body (no
                    // END_STREAM): the stream stays open, held here.
                    let _ = body.collect().await;
                    "done"
                }
            }),
        )
        .route("/hello", get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let builder = ws_tokio::hyper::server_builder();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(router.clone());
            let builder = builder.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(tcp);
                // The abusive connections end in errors: that is the point.
                let _ = builder.serve_connection_with_upgrades(io, service).await;
            });
        }
    });
    (addr, counts)
}

/// Echoes every data message until the socket ends.
async fn echo(mut socket: ws_tokio::axum::WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if message.is_data() && socket.send(message).await.is_err() {
            break;
        }
    }
}

/// A well-behaved client on a connection of its own, with h2's client: a
/// plain request, then a WebSocket over extended CONNECT (RFC 8441) that
/// echoes one message.
async fn well_behaved_client(addr: SocketAddr) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (send, connection) = tokio::time::timeout(STEP, h2::client::handshake(tcp))
        .await
        .expect("the HTTP/2 handshake in time")
        .expect("the HTTP/2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });

    let request = http::Request::get(format!("http://{addr}/hello"))
        .body(())
        .expect("a request");
    let mut send = send.ready().await.expect("a stream");
    let (response, _) = send.send_request(request, true).expect("GET /hello");
    let response = tokio::time::timeout(STEP, response)
        .await
        .expect("the response in time")
        .expect("a response");
    assert_eq!(response.status(), http::StatusCode::OK);
    let mut body = response.into_body();
    let mut hello = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(STEP, body.data())
            .await
            .expect("the body in time")
        {
            Some(chunk) => hello.extend_from_slice(&chunk.expect("the body")),
            None => break,
        }
    }
    assert_eq!(hello, b"hello");

    // Extended CONNECT needs the server's SETTINGS_ENABLE_CONNECT_PROTOCOL
    // (RFC 8441 section 3), which came before the response above.
    assert!(send.is_extended_connect_protocol_enabled());
    let mut request = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("http://{addr}/ws-good"))
        .header("sec-websocket-version", "13")
        .body(())
        .expect("a CONNECT request");
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    let mut send = send.ready().await.expect("a stream");
    let (response, mut outbound) = send.send_request(request, false).expect("CONNECT");
    let response = tokio::time::timeout(STEP, response)
        .await
        .expect("the CONNECT response in time")
        .expect("a CONNECT response");
    assert_eq!(response.status(), http::StatusCode::OK);
    let mut inbound = response.into_body();

    // One masked text frame (RFC 8441 section 5: framing as RFC 6455).
    let frame = FrameSpec::new(OpCode::Text, "over h2").masked().encode();
    outbound
        .send_data(Bytes::from(frame), false)
        .expect("send the frame");
    let mut received = Vec::new();
    for _ in 0..64 {
        if let Some((header, len)) = FrameHeader::decode(&received).expect("a valid frame") {
            let end = len + header.payload_len as usize;
            if received.len() >= end {
                assert_eq!(header.opcode, OpCode::Text);
                assert_eq!(header.mask, None);
                assert_eq!(&received[len..end], b"over h2");
                return;
            }
        }
        let chunk = tokio::time::timeout(STEP, inbound.data())
            .await
            .expect("the echo in time")
            .expect("the stream open")
            .expect("data");
        let _ = inbound.flow_control().release_capacity(chunk.len());
        received.extend_from_slice(&chunk);
    }
    panic!("no whole echo in 64 DATA frames");
}

/// Sends a PING and reads events until its ACK, handing each to `on`;
/// returns false if the connection ended first (GOAWAY or closed), after
/// handing over those events too.
async fn until_ping_ack(client: &mut RawH2, mut on: impl FnMut(&Event)) -> bool {
    let ping = client.ping();
    client.flush().await.expect("write");
    for _ in 0..100_000 {
        let event = client.next_event(STEP).await.expect("an answer");
        on(&event);
        match event {
            Event::PingAck(p) if p == ping => return true,
            Event::GoAway { .. } | Event::Closed => return false,
            _ => {}
        }
    }
    panic!("no PING ACK in 100,000 frames");
}

/// Reads events until the connection closes, handing each to `on`.
async fn until_closed(client: &mut RawH2, mut on: impl FnMut(&Event)) {
    for _ in 0..100_000 {
        let event = client.next_event(STEP).await.expect("an answer");
        on(&event);
        if event == Event::Closed {
            return;
        }
    }
    panic!("the connection still open after 100,000 frames");
}

#[tokio::test]
async fn streams_without_end_are_refused_past_the_limit() {
    let (addr, counts) = server().await;
    let authority = addr.to_string();
    let (mut client, settings) = RawH2::connect(addr, STEP).await.expect("connect");
    let limit = raw_h2::setting(&settings, raw_h2::SETTINGS_MAX_CONCURRENT_STREAMS)
        .expect("the server limits its concurrent streams") as usize;
    assert_eq!(limit, ws_tokio::hyper::MAX_CONCURRENT_STREAMS as usize);
    assert_eq!(
        raw_h2::setting(&settings, raw_h2::SETTINGS_ENABLE_CONNECT_PROTOCOL),
        Some(1)
    );

    // Fill the server's limit: WebSockets (extended CONNECT) and plain
    // requests in turn, none ever closed.
    let mut sockets = Vec::new();
    for i in 0..limit {
        if i % 2 == 0 {
            sockets.push(client.headers(&raw_h2::websocket_connect(&authority, "/ws"), false));
        } else {
            client.headers(&raw_h2::request("POST", &authority, "/plain"), false);
        }
    }
    let mut refused = Vec::new();
    let mut accepted_sockets = Vec::new();
    let record = |event: &Event, refused: &mut Vec<u32>, accepted: &mut Vec<u32>| match *event {
        Event::Reset { stream, reason } => {
            assert_eq!(reason, reason::REFUSED_STREAM, "stream {stream} reset");
            refused.push(stream);
        }
        Event::Headers {
            stream,
            ok,
            end_stream,
        } => {
            assert!(
                ok && !end_stream,
                "stream {stream}: not a 200 that opens a socket"
            );
            accepted.push(stream);
        }
        _ => {}
    };
    assert!(
        until_ping_ack(&mut client, |e| record(
            e,
            &mut refused,
            &mut accepted_sockets
        ))
        .await,
        "the connection ended within the limit"
    );
    assert!(refused.is_empty(), "refused within the limit: {refused:?}");
    // Every WebSocket is answered 200 and upgraded; every plain request
    // is in its handler.
    while accepted_sockets.len() < sockets.len() {
        let event = client
            .next_event(STEP)
            .await
            .expect("the 200 of every socket");
        record(&event, &mut refused, &mut accepted_sockets);
        assert!(
            !matches!(event, Event::GoAway { .. } | Event::Closed),
            "{event:?}"
        );
    }
    assert!(refused.is_empty());
    counts
        .streams
        .wait_for(limit, "streams held at the limit")
        .await;
    counts
        .sockets
        .wait_for(sockets.len(), "sockets at the limit")
        .await;

    // Past the limit, every stream is refused (RFC 9113 section 5.1.2).
    let extra = 8;
    let mut over = Vec::new();
    for i in 0..extra {
        let fields = if i % 2 == 0 {
            raw_h2::websocket_connect(&authority, "/ws").to_vec()
        } else {
            raw_h2::request("POST", &authority, "/plain").to_vec()
        };
        over.push(client.headers(&fields, false));
    }
    assert!(
        until_ping_ack(&mut client, |e| record(
            e,
            &mut refused,
            &mut accepted_sockets
        ))
        .await,
        "the connection ended after {extra} refusals"
    );
    assert_eq!(refused, over);

    // Meanwhile another client is served, WebSocket included.
    tokio::time::timeout(4 * STEP, well_behaved_client(addr))
        .await
        .expect("the well-behaved client served in time");

    // Refusals count towards the server's local error resets: opening on
    // ends in GOAWAY(ENHANCE_YOUR_CALM), within a bounded count.
    let mut goaway = None;
    let mut opened = extra;
    while goaway.is_none() {
        assert!(opened < 2000, "no GOAWAY after {opened} refused streams");
        for _ in 0..8 {
            client.headers(&raw_h2::request("POST", &authority, "/plain"), false);
            opened += 1;
        }
        let open = until_ping_ack(&mut client, |event| match event {
            Event::GoAway {
                reason,
                last_stream,
                ..
            } => goaway = Some((*reason, *last_stream)),
            other => record(other, &mut refused, &mut accepted_sockets),
        })
        .await;
        assert!(open || goaway.is_some(), "closed without GOAWAY");
    }
    let (goaway_reason, last_stream) = goaway.expect("a GOAWAY");
    assert_eq!(goaway_reason, reason::ENHANCE_YOUR_CALM);
    // h2 sends as many refusals as its limit allows, and GOAWAY in place
    // of the one past it.
    assert_eq!(
        refused.len(),
        ws_tokio::hyper::MAX_LOCAL_ERROR_RESET_STREAMS
    );
    // The last stream it processed is the last one it accepted (client
    // streams are odd, from 1): none past the limit ever was.
    assert_eq!(last_stream as usize, 2 * limit - 1);
    until_closed(&mut client, |_| {}).await;

    // Never more than the limit held at once; all let go once the
    // connection is gone.
    assert_eq!(counts.streams.max(), limit);
    assert_eq!(counts.sockets.max(), sockets.len());
    counts
        .streams
        .wait_for(0, "streams after the connection closed")
        .await;
    counts
        .sockets
        .wait_for(0, "sockets after the connection closed")
        .await;
}

#[tokio::test]
async fn empty_data_frames_without_end_close_the_connection() {
    let (addr, counts) = server().await;
    let authority = addr.to_string();
    let (mut client, _) = RawH2::connect(addr, STEP).await.expect("connect");
    let socket = client.headers(&raw_h2::websocket_connect(&authority, "/ws"), false);
    client.flush().await.expect("write");
    loop {
        match client.next_event(STEP).await.expect("the CONNECT's answer") {
            Event::Headers { stream, ok, .. } if stream == socket => {
                assert!(ok, "the WebSocket answered 200");
                break;
            }
            Event::SettingsAck | Event::Data { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    counts.sockets.wait_for(1, "the socket upgraded").await;

    // Empty DATA frames carry no WebSocket bytes and no flow-controlled
    // octets: nothing but the frame counts them. h2 allows 100 on a
    // connection (MAX_RECV_EMPTY_DATA_FRAMES); the 101st is
    // GOAWAY(ENHANCE_YOUR_CALM).
    const BATCH: usize = 10;
    let mut sent = 0;
    let mut goaway = None;
    while goaway.is_none() {
        assert!(sent < 100_000, "no GOAWAY after {sent} empty DATA frames");
        for _ in 0..BATCH {
            client.data(socket, &[], false);
        }
        sent += BATCH;
        let open = until_ping_ack(&mut client, |event| match event {
            Event::GoAway { reason, debug, .. } => goaway = Some((*reason, debug.clone())),
            Event::Reset { stream, reason } => {
                panic!("stream {stream} reset ({reason:#x}) instead")
            }
            _ => {}
        })
        .await;
        assert!(open || goaway.is_some(), "closed without GOAWAY");
    }
    let (goaway_reason, debug) = goaway.expect("a GOAWAY");
    assert_eq!(goaway_reason, reason::ENHANCE_YOUR_CALM);
    assert_eq!(debug, b"too_many_data_frames");
    assert!(
        (101..=100 + BATCH).contains(&sent),
        "GOAWAY after {sent} empty frames"
    );
    until_closed(&mut client, |_| {}).await;
    counts
        .sockets
        .wait_for(0, "the socket after the connection closed")
        .await;

    // The server serves on.
    tokio::time::timeout(4 * STEP, well_behaved_client(addr))
        .await
        .expect("the well-behaved client served in time");
}

#[tokio::test]
async fn rapid_reset_gets_goaway() {
    let (addr, _counts) = server().await;
    let authority = addr.to_string();
    let (mut client, _) = RawH2::connect(addr, STEP).await.expect("connect");

    // HEADERS then RST_STREAM(CANCEL), a burst at a time: the server reads
    // a burst in one go, so the streams are reset before it accepted them,
    // and more than `max_pending_accept_reset_streams` of them pending at
    // once is GOAWAY(ENHANCE_YOUR_CALM).
    const BURST: usize = 4 * ws_tokio::hyper::MAX_PENDING_ACCEPT_RESET_STREAMS;
    let mut pairs = 0;
    let mut goaway = None;
    while goaway.is_none() {
        assert!(pairs < 10_000, "no GOAWAY after {pairs} reset streams");
        for _ in 0..BURST {
            let stream = client.headers(&raw_h2::request("GET", &authority, "/hello"), true);
            client.reset(stream, reason::CANCEL);
        }
        pairs += BURST;
        let open = until_ping_ack(&mut client, |event| {
            if let Event::GoAway { reason, debug, .. } = event {
                goaway = Some((*reason, debug.clone()));
            }
        })
        .await;
        assert!(open || goaway.is_some(), "closed without GOAWAY");
    }
    let (goaway_reason, debug) = goaway.expect("a GOAWAY");
    assert_eq!(goaway_reason, reason::ENHANCE_YOUR_CALM);
    assert_eq!(debug, b"too_many_resets");
    assert!(pairs <= 16 * BURST, "GOAWAY after {pairs} reset streams");
    until_closed(&mut client, |_| {}).await;

    tokio::time::timeout(4 * STEP, well_behaved_client(addr))
        .await
        .expect("the well-behaved client served in time");
}

#[tokio::test]
async fn header_lists_over_the_limit_get_431() {
    let (addr, _counts) = server().await;
    let authority = addr.to_string();
    let (mut client, settings) = RawH2::connect(addr, STEP).await.expect("connect");
    let limit = ws_tokio::hyper::MAX_HEADER_LIST_SIZE as usize;
    assert_eq!(
        raw_h2::setting(&settings, raw_h2::SETTINGS_MAX_HEADER_LIST_SIZE),
        Some(limit as u32)
    );

    // A header list's size counts each field's name, value and 32 bytes
    // (RFC 9113 section 6.5.2). Fields of 1 KiB: as many as fit, then one
    // more than fit, on two requests (the block of the second spans a
    // CONTINUATION frame).
    let value = "v".repeat(1024);
    let names: Vec<String> = (0..64).map(|i| format!("x-pad-{i:02}")).collect();
    let field_size = names[0].len() + value.len() + 32;
    let request_size = 4 * 40; // the pseudo-header fields, generously
    let fitting = (limit - request_size) / field_size;
    let mut streams = Vec::new();
    for count in [fitting, fitting + 2] {
        let mut fields = raw_h2::request("GET", &authority, "/hello").to_vec();
        fields.extend(names[..count].iter().map(|n| (n.as_str(), value.as_str())));
        streams.push(client.headers(&fields, true));
    }
    client.flush().await.expect("write");
    let mut answers = std::collections::BTreeMap::new();
    while answers.len() < streams.len() {
        match client.next_event(STEP).await.expect("the answers") {
            Event::Headers {
                stream,
                ok,
                end_stream,
            } => {
                answers.insert(stream, (ok, end_stream));
            }
            Event::GoAway { .. } | Event::Closed => panic!("the connection ended"),
            _ => {}
        }
    }
    // Within the limit: served (200, then the body). Over it: answered
    // with 431 and no more (h2's answer to a block over its
    // SETTINGS_MAX_HEADER_LIST_SIZE), the connection kept.
    assert_eq!(answers[&streams[0]], (true, false));
    assert_eq!(answers[&streams[1]], (false, true));
    let after = client.headers(&raw_h2::request("GET", &authority, "/hello"), true);
    client.flush().await.expect("write");
    loop {
        match client.next_event(STEP).await.expect("the answer") {
            Event::Headers { stream, ok, .. } if stream == after => {
                assert!(ok, "served after the refusal");
                break;
            }
            Event::GoAway { .. } | Event::Closed => panic!("the connection ended"),
            _ => {}
        }
    }
}
