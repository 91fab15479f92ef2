//! The chat example (`cargo run -p ws-tokio --example chat`) tested with
//! the project's own client over loopback TCP: rooms and broadcast, the
//! operator console, a slow client closed without holding up the others,
//! plain or malformed HTTP on the same port, and the page and the socket
//! over TLS. The example's file is
//! built in, so the server under test is the program's own code.

mod chat_server;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use chat_server::example::shared;
use chat_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use ws_tokio::{ClientRequest, CloseCode, Config, MaybeTlsStream, Message, WebSocket};

/// Bound on every single wait of these tests.
const WAIT: Duration = Duration::from_secs(10);

async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, work).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {WAIT:?}: {what}"),
    }
}

/// Joins the chat at `server` with the query `query`.
async fn join(
    server: &Server,
    query: &str,
) -> (WebSocket<MaybeTlsStream<TcpStream>>, ws_tokio::Response) {
    let url = format!("ws://{}/ws?{query}", server.addr);
    within("connect", ws_tokio::connect(&url))
        .await
        .expect("connect")
}

/// A stream a tokio WebSocket runs over.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin {}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> Stream for S {}

/// The next text message; panics on anything else.
async fn next_text<S: Stream>(ws: &mut WebSocket<S>) -> String {
    loop {
        match within("a text message", ws.recv()).await {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// The Close that ends the connection, after any data still in flight;
/// reads on until the end, so that the driver's echo of the Close goes out.
async fn close_frame<S: Stream>(ws: &mut WebSocket<S>) -> (u16, String) {
    within("the server's Close", async {
        let mut close = None;
        while let Some(message) = ws.recv().await {
            match message {
                Ok(Message::Close(frame)) => {
                    close = Some((frame.code().as_u16(), frame.reason().to_owned()))
                }
                Ok(_) if close.is_none() => {}
                other => panic!("expected a Close, got {other:?}"),
            }
        }
        close.expect("a Close before the end")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_broadcast_and_the_operator() {
    let server = Server::start().await;
    let (mut alice, response) = join(&server, "name=alice&room=lobby").await;
    assert!(
        response
            .extensions()
            .iter()
            .any(|e| e.name == "permessage-deflate"),
        "permessage-deflate not negotiated: {:?}",
        response.extensions()
    );
    assert_eq!(
        next_text(&mut alice).await,
        "* welcome, alice: you are in lobby, alone for now"
    );
    let (mut bob, _) = join(&server, "name=bob&room=lobby").await;
    assert_eq!(
        next_text(&mut bob).await,
        "* welcome, bob: you are in lobby with alice"
    );
    assert_eq!(next_text(&mut alice).await, "* bob joined lobby");
    let (mut carol, _) = join(&server, "name=carol&room=kitchen").await;
    assert_eq!(
        next_text(&mut carol).await,
        "* welcome, carol: you are in kitchen, alone for now"
    );

    // The handshake was logged: address, query, headers.
    server.wait_logged("query: name=alice").await;
    assert!(server.logged("query: room=lobby"));
    assert!(server.logged("header: Sec-WebSocket-Key:"));
    assert!(server.logged("extension offered: permessage-deflate"));

    // A message goes to the rest of its room only, with the sender's name.
    alice
        .send(Message::text("hello lobby"))
        .await
        .expect("send");
    carol
        .send(Message::text("hello kitchen"))
        .await
        .expect("send");
    assert_eq!(next_text(&mut bob).await, "alice: hello lobby");
    server.wait_logged("[kitchen] carol: hello kitchen").await;
    server.wait_logged("[lobby] alice: hello lobby").await;

    // The operator: to everyone, then to one. Each client's next message
    // shows what it did not get (its own line, the other room's).
    server.chat.command("all hands");
    server.chat.command("/to carol just you");
    for ws in [&mut alice, &mut bob, &mut carol] {
        assert_eq!(next_text(ws).await, "[operator] all hands");
    }
    assert_eq!(next_text(&mut carol).await, "[operator to you] just you");
    server.chat.command("/to nobody hello?");
    server.wait_logged("console: no client called nobody").await;
    server.chat.command("/list");
    server
        .wait_logged("3 clients\n  kitchen: carol (127.0.0.1:")
        .await;
    assert!(server.logged("\n  lobby: alice (127.0.0.1:"));

    // Leaving is announced.
    within("close", bob.close_with(CloseCode::NORMAL, "bye"))
        .await
        .expect("close");
    assert_eq!(next_text(&mut alice).await, "* bob left lobby");
    server
        .wait_logged("left lobby: closed by the client: 1000 bye")
        .await;
    server.chat.command("alice still here?");
    assert_eq!(next_text(&mut alice).await, "[operator] alice still here?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique_and_defaults_apply() {
    let server = Server::start().await;
    let (mut first, _) = join(&server, "name=alice").await;
    assert_eq!(
        next_text(&mut first).await,
        "* welcome, alice: you are in lobby, alone for now"
    );
    let (mut second, _) = join(&server, "name=alice&room=lobby").await;
    assert_eq!(
        next_text(&mut second).await,
        "* welcome, alice-2: you are in lobby with alice"
    );
    let (mut guest, _) = join(&server, "room=%20attic%20").await;
    let welcome = next_text(&mut guest).await;
    assert!(
        welcome.starts_with("* welcome, guest-")
            && welcome.ends_with("you are in attic, alone for now"),
        "{welcome}"
    );
    // A name with spaces becomes one word, so that /to can name it.
    let (mut spaced, _) = join(&server, "name=mary+jane&room=attic").await;
    assert!(next_text(&mut spaced)
        .await
        .starts_with("* welcome, mary_jane: you are in attic with guest-"));
    server.chat.command("/to mary_jane hi");
    assert_eq!(next_text(&mut spaced).await, "[operator to you] hi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_can_kick_and_the_console_can_end() {
    let server = Server::start().await;
    let (mut alice, _) = join(&server, "name=alice").await;
    let (mut bob, _) = join(&server, "name=bob").await;
    next_text(&mut alice).await;
    next_text(&mut bob).await;
    assert_eq!(next_text(&mut alice).await, "* bob joined lobby");

    // The console reads lines until its input ends; then the server runs on.
    let lines = futures_util::stream::iter(
        ["/help", "/kick bob be nice", "hello after the kick"]
            .map(|line| Ok::<_, std::io::Error>(line.to_owned())),
    );
    within("the console", shared::console(server.chat.clone(), lines)).await;
    server
        .wait_logged("console: stdin closed; the server runs on")
        .await;
    assert!(server.logged("/kick NAME [reason] closes one (1008)"));

    assert_eq!(close_frame(&mut bob).await, (1008, "be nice".to_owned()));
    assert_eq!(next_text(&mut alice).await, "* bob left lobby (be nice)");
    assert_eq!(
        next_text(&mut alice).await,
        "[operator] hello after the kick"
    );
    server
        .wait_logged("closed by the client: 1008 be nice")
        .await;
    assert!(server.logged("[leave] bob (127.0.0.1:"));

    // New clients are still served.
    let (mut carol, _) = join(&server, "name=carol").await;
    assert_eq!(
        next_text(&mut carol).await,
        "* welcome, carol: you are in lobby with alice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_closed_and_the_others_keep_up() {
    let server = Server::start().await;
    let (mut talker, _) = join(&server, "name=talker&room=busy").await;
    next_text(&mut talker).await;
    let (mut fast, _) = join(&server, "name=fast&room=busy").await;
    next_text(&mut fast).await;
    assert_eq!(next_text(&mut talker).await, "* fast joined busy");

    // A client that never reads, with a small receive buffer and no
    // compression, so that what the room says piles up on the server.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = within("connect", socket.connect(server.addr))
        .await
        .expect("connect");
    let request = ClientRequest::from_url(&format!("ws://{}/ws?name=slow&room=busy", server.addr))
        .expect("request");
    let config = Config::default().without_deflate();
    let (mut slow, _) = within("handshake", ws_tokio::client(stream, request, config))
        .await
        .expect("handshake");
    assert_eq!(next_text(&mut talker).await, "* slow joined busy");
    assert_eq!(next_text(&mut fast).await, "* slow joined busy");

    // The talker talks in batches; after each, the fast client has had
    // all of it: the slow one holds nobody up. At most 64 batches of
    // 100 messages of 4 KiB (25 MiB), until the slow one is closed.
    let mut closed = None;
    'batches: for batch in 0..64u64 {
        for i in 0..100 {
            let text = format!(
                "{batch}/{i} {}",
                conformance::noise_text(batch * 100 + i, 4000)
            );
            within("send", talker.feed(Message::text(text)))
                .await
                .expect("send");
        }
        within("flush", talker.flush()).await.expect("flush");
        let mut got = 0;
        while got < 100 {
            let text = next_text(&mut fast).await;
            if text.starts_with("* slow left busy") {
                closed = Some((batch, text));
                continue;
            }
            assert!(
                text.starts_with(&format!("talker: {batch}/{got} ")),
                "batch {batch}, message {got}: {}",
                &text[..text.len().min(40)]
            );
            got += 1;
        }
        if closed.is_some() {
            break 'batches;
        }
    }
    let (batch, notice) = closed.expect("the slow client was never closed");
    println!("the slow client was closed during batch {batch}");
    assert_eq!(
        notice,
        format!(
            "* slow left busy (too slow: over {} bytes waiting)",
            shared::BACKLOG_LIMIT
        )
    );
    server.wait_logged("[leave] slow (127.0.0.1:").await;

    // The slow client, reading at last, finds the server's Close after
    // what was already on its way.
    let (code, reason) = close_frame(&mut slow).await;
    assert_eq!((code, reason.as_str()), (1008, "too slow"));
    server.wait_logged("slow (127.0.0.1:").await;
}

/// Hundreds of members who all speak at the same instant, and all read:
/// every line reaches everyone else and nobody is "too slow" (a queue
/// bounded by a count of messages closes members here, and the notices of
/// their leaving push the rest over).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_every_member_at_once_closes_nobody() {
    const MEMBERS: usize = 300;
    let server = Server::start().await;
    let mut members = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        let (mut ws, _) = join(&server, &format!("name=m{i}&room=crowd")).await;
        assert!(next_text(&mut ws).await.starts_with("* welcome, m"));
        members.push(ws);
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(MEMBERS));
    let tasks: Vec<_> = members
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                ws.send(Message::text(format!("line {i}")))
                    .await
                    .expect("send");
                // Every other member's line, once each; the notices of
                // later joins may come first.
                let mut heard = vec![false; MEMBERS];
                let mut count = 0;
                while count < MEMBERS - 1 {
                    let text = next_text(&mut ws).await;
                    if text.starts_with("* m") && text.ends_with(" joined crowd") {
                        continue;
                    }
                    let (from, line) = text.split_once(": ").expect("NAME: line");
                    let n: usize = from[1..].parse().expect("a member's name");
                    assert_eq!(line, format!("line {n}"));
                    assert_ne!(n, i, "a member heard its own line");
                    assert!(!std::mem::replace(&mut heard[n], true), "twice: {text}");
                    count += 1;
                }
                ws
            })
        })
        .collect();
    let mut members = Vec::with_capacity(MEMBERS);
    for task in tasks {
        members.push(within("a member's burst", task).await.expect("member"));
    }
    assert!(
        !server.logged("[leave]"),
        "a member was closed or left during the burst"
    );
    server.chat.command("/list");
    server.wait_logged(&format!("{MEMBERS} clients")).await;
}

/// Sends `request` on a fresh connection and reads the whole answer (the
/// server closes after one response).
async fn http(addr: SocketAddr, request: &[u8]) -> String {
    within("an HTTP exchange", async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        let mut answer = Vec::new();
        // The server may reset the connection after answering a request
        // it did not read to the end: keep what came before.
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
}

/// With `--tls-cert` and `--tls-key`: the page over `https://` and the
/// chat over `wss://`, on the one port; a plain request there is refused.
#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_page_and_the_socket_share_the_port() {
    let pki = conformance::tls::TestPki::get();
    let server = Server::start_tls(ws_tokio::TlsAcceptor::from(pki.server.clone())).await;
    let port = server.addr.port();

    let page = within("an HTTPS exchange", async {
        let tcp = TcpStream::connect(server.addr).await.expect("connect");
        let name = ws_tokio::tls::server_name("localhost").expect("a server name");
        let mut tls = tokio_rustls::TlsConnector::from(pki.client.clone())
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .expect("write");
        let mut answer = Vec::new();
        tls.read_to_end(&mut answer)
            .await
            .expect("a clean end of TLS");
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await;
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page:.80}");
    assert!(page.contains("<title>ws-stack chat</title>"));
    // The page builds its socket's URL from its own location: wss: on https:.
    assert!(page.contains(r#"location.protocol === "https:" ? "wss:" : "ws:""#));

    let connector = ws_tokio::Connector::new().with_tls_config(pki.client.clone());
    let url = format!("wss://localhost:{port}/ws?name=tess&room=vault");
    let (mut ws, _) = within("connect", connector.connect(url, Config::default()))
        .await
        .expect("wss:// connect");
    assert_eq!(
        next_text(&mut ws).await,
        "* welcome, tess: you are in vault, alone for now"
    );
    within("send", ws.send(Message::text("over TLS")))
        .await
        .expect("send");
    server.wait_logged("[vault] tess: over TLS").await;
    // The closing handshake, over TLS to its end.
    within("close", ws.close_with(CloseCode::NORMAL, "bye"))
        .await
        .expect("close");
    server
        .wait_logged("left vault: closed by the client: 1000 bye")
        .await;

    // Plain HTTP on the TLS port gets no page.
    let answer = http(server.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(!answer.contains("<title>"), "{answer:.80}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_and_malformed_http_get_answers_not_crashes() {
    let server = Server::start().await;
    let addr = server.addr;

    let page = http(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (head, body) = page.split_once("\r\n\r\n").expect("a response head");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/html; charset=utf-8"));
    assert!(head.contains(&format!("Content-Length: {}", body.len())));
    assert!(body.contains("<title>ws-stack chat</title>"));
    assert!(body.contains("connected, can talk"));

    let head_only = http(addr, b"HEAD /?name=x HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head_only.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(head_only.ends_with("\r\n\r\n"), "HEAD has no body");

    let cases: [(&[u8], &str); 9] = [
        (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404"),
        (b"GET /favicon.ico HTTP/1.0\r\n\r\n", "HTTP/1.1 404"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
            "HTTP/1.1 405",
        ),
        (b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426"),
        (b"\x00\x01\x02 garbage\r\n\r\n", "HTTP/1.1 400"),
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", "HTTP/1.1 "),
        (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "HTTP/1.1 400"),
        (
            b"GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            "HTTP/1.1 404",
        ),
        (
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
            "HTTP/1.1 400",
        ),
    ];
    for (request, status) in cases {
        let answer = http(addr, request).await;
        assert!(
            answer.starts_with(status),
            "{:?} got {:?}",
            String::from_utf8_lossy(request),
            answer.lines().next()
        );
    }

    // A head larger than the limit, and a client that hangs up half-way.
    let mut huge = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..400 {
        huge.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(40)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let answer = http(addr, &huge).await;
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "{:?}",
        answer.lines().next()
    );
    let mut half = TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"GET / HT").await.expect("write");
    drop(half);
    server
        .wait_logged("connection closed during the opening handshake")
        .await;

    // The server still serves the chat.
    let (mut ws, _) = join(&server, "name=after").await;
    assert_eq!(
        next_text(&mut ws).await,
        "* welcome, after: you are in lobby, alone for now"
    );
    assert!(server.logged("-> 404 Not Found"));
    assert!(server.logged("no WebSocket at /elsewhere: 404"));
}

/// Sends `request` on a fresh connection and reads the answer's head (a
/// server that keeps the connection open, as hyper does, is not waited
/// for).
async fn http_head(addr: SocketAddr, request: &[u8]) -> String {
    within("an HTTP exchange", async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        let mut answer = Vec::new();
        let mut chunk = [0; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
}

/// The axum chat example without `--tls-cert`: the same chat, its sockets
/// HTTP/1.1 upgrades through axum's router and the extractor, and the
/// same answers to plain HTTP; a foreign page's upgrade is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_chat_is_the_same_chat_over_http1() {
    let server = Server::start_axum(None).await;
    let (mut alice, response) = join(&server, "name=alice&room=lobby").await;
    assert!(
        response
            .extensions()
            .iter()
            .any(|e| e.name == "permessage-deflate"),
        "permessage-deflate not negotiated: {:?}",
        response.extensions()
    );
    assert_eq!(
        next_text(&mut alice).await,
        "* welcome, alice: you are in lobby, alone for now"
    );
    let (mut bob, _) = join(&server, "name=bob&room=lobby").await;
    assert_eq!(
        next_text(&mut bob).await,
        "* welcome, bob: you are in lobby with alice"
    );
    assert_eq!(next_text(&mut alice).await, "* bob joined lobby");
    alice
        .send(Message::text("hello over axum"))
        .await
        .expect("send");
    assert_eq!(next_text(&mut bob).await, "alice: hello over axum");

    // The chat's own check saw the request; each join names its version.
    server.wait_logged("[lobby] alice: hello over axum").await;
    assert!(server.logged("GET /ws?name=alice&room=lobby HTTP/1.1"));
    assert!(server.logged("query: name=bob"));
    assert!(server.logged("joined lobby over HTTP/1.1"));
    assert!(!server.logged("over HTTP/2"));
    server.chat.command("/list");
    server.wait_logged("\n  lobby: alice (127.0.0.1:").await;
    assert!(server.logged(", HTTP/1.1, "));

    // The operator closes Bob; the others are told.
    server.chat.command("/kick bob enough");
    assert_eq!(close_frame(&mut bob).await, (1008, "enough".to_owned()));
    assert_eq!(next_text(&mut alice).await, "* bob left lobby (enough)");

    // Plain HTTP, answered as the plain chat answers it.
    let addr = server.addr;
    let page = http_head(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page:.80}");
    assert!(page.contains("content-type: text/html; charset=utf-8"));
    let cases: [(&[u8], &str); 5] = [
        (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 405",
        ),
        (b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426"),
        (b"\x00\x01\x02 garbage\r\n\r\n", "HTTP/1.1 400"),
        // The library's default origin policy: a page of another site
        // may not open a socket here (RFC 6455 section 10.2).
        (
            b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
              Origin: http://evil.example\r\n\r\n",
            "HTTP/1.1 403",
        ),
    ];
    for (request, status) in cases {
        let answer = http_head(addr, request).await;
        assert!(
            answer.starts_with(status),
            "{:?} got {:?}",
            String::from_utf8_lossy(request),
            answer.lines().next()
        );
    }
    assert!(server.logged("-> 426 Upgrade Required"));
    assert!(server.logged("-> 405 Method Not Allowed"));

    // Still serving.
    let (mut carol, _) = join(&server, "name=carol").await;
    assert_eq!(
        next_text(&mut carol).await,
        "* welcome, carol: you are in lobby with alice"
    );
}

/// The axum chat with `--tls-cert` and `--tls-key` offers `h2` and
/// `http/1.1` in ALPN; a client that asks for `http/1.1` (the project's)
/// gets the page and its socket over HTTP/1.1 on the same port.
#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_chat_over_tls_serves_http1_clients_too() {
    let pki = conformance::tls::TestPki::get();
    let server = Server::start_axum(Some(chat_server::axum_tls(&pki.server))).await;
    let port = server.addr.port();
    let connector = ws_tokio::Connector::new().with_tls_config(pki.client.clone());
    let url = format!("wss://localhost:{port}/ws?name=tess&room=vault");
    let (mut ws, _) = within("connect", connector.connect(url, Config::default()))
        .await
        .expect("wss:// connect");
    assert_eq!(
        next_text(&mut ws).await,
        "* welcome, tess: you are in vault, alone for now"
    );
    within("send", ws.send(Message::text("over TLS")))
        .await
        .expect("send");
    server.wait_logged("[vault] tess: over TLS").await;
    assert!(server.logged("[join] tess (127.0.0.1:"));
    assert!(server.logged("joined vault over HTTP/1.1"));
    within("close", ws.close_with(CloseCode::NORMAL, "bye"))
        .await
        .expect("close");
    server
        .wait_logged("left vault: closed by the client: 1000 bye")
        .await;
}
