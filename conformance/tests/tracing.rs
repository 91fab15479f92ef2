//! The driver's logs (the `tracing` feature), captured by a layer of our
//! own: the connection span's fields, and the events of a refusal, a
//! protocol error and a close, each inside its connection's span.
//!
//! Every test runs on tokio's current-thread runtime, so that the client
//! and the server both log to the subscriber set for the test's thread.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use ws_tokio::{Accept, ClientRequest, CloseCode, Config, Error, Reject};

/// Fields by name, as their `Debug` or `Display` text (strings without
/// quotes).
type Fields = HashMap<String, String>;

/// One event: its message and fields, and the fields of the span it was
/// logged in (empty outside any span).
#[derive(Debug, Clone)]
struct Logged {
    fields: Fields,
    span: Fields,
}

impl Logged {
    fn message(&self) -> &str {
        self.field("message")
    }

    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    fn role(&self) -> &str {
        self.span.get("role").map_or("", String::as_str)
    }
}

/// What the layer saw: every span's fields, every event.
#[derive(Default)]
struct Captured {
    spans: HashMap<Id, Fields>,
    events: Vec<Logged>,
}

/// The test's layer: records into [`Captured`].
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

impl Capture {
    /// The events logged so far whose message is `message`.
    fn events(&self, message: &str) -> Vec<Logged> {
        let captured = self.0.lock().expect("capture");
        captured
            .events
            .iter()
            .filter(|e| e.message() == message)
            .cloned()
            .collect()
    }

    /// The one event `message` of the connection of `role`.
    fn event(&self, role: &str, message: &str) -> Logged {
        let found: Vec<_> = self
            .events(message)
            .into_iter()
            .filter(|e| e.role() == role)
            .collect();
        assert_eq!(found.len(), 1, "{role} events {message:?}: {found:?}");
        found[0].clone()
    }

    /// The fields of every connection span of `role`.
    fn spans(&self, role: &str) -> Vec<Fields> {
        let captured = self.0.lock().expect("capture");
        captured
            .spans
            .values()
            .filter(|fields| fields.get("role").map(String::as_str) == Some(role))
            .cloned()
            .collect()
    }
}

/// Collects fields as text.
struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Collect(&mut fields));
        self.0
            .lock()
            .expect("capture")
            .spans
            .insert(id.clone(), fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut captured = self.0.lock().expect("capture");
        if let Some(fields) = captured.spans.get_mut(id) {
            values.record(&mut Collect(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        let mut captured = self.0.lock().expect("capture");
        let span = ctx
            .event_span(event)
            .and_then(|span| captured.spans.get(&span.id()).cloned())
            .unwrap_or_default();
        captured.events.push(Logged { fields, span });
    }
}

/// Installs a capture for this thread; dropped, the guard removes it.
fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    (capture, tracing::subscriber::set_default(subscriber))
}

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

/// A client's request for subprotocol `chat` to `addr`.
fn chat_request(addr: SocketAddr) -> ClientRequest {
    ClientRequest::from_url(&format!("ws://{addr}/"))
        .and_then(|r| r.subprotocol("chat"))
        .expect("request")
}

#[tokio::test]
async fn the_span_and_the_close_say_who_where_what_and_how() {
    let (capture, _guard) = capture();
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, peer) = listener.accept().await.expect("accept");
        let mut ws = ws_tokio::accept_with(stream, Config::default(), |_| {
            Ok(Accept::new().subprotocol("chat"))
        })
        .await
        .expect("server handshake");
        while let Some(item) = ws.recv().await {
            item.expect("server recv");
        }
        peer
    });
    let (mut ws, _) = ws_tokio::connect_with(chat_request(addr), Config::default())
        .await
        .expect("client handshake");
    ws.close_with(CloseCode::NORMAL, "bye")
        .await
        .expect("close");
    let client_addr = server.await.expect("server task");

    let servers = capture.spans("server");
    assert_eq!(servers.len(), 1, "{servers:?}");
    let server = &servers[0];
    assert_eq!(server["peer"], client_addr.to_string());
    assert_eq!(server["subprotocol"], "chat");
    assert!(
        server["extensions"].starts_with("permessage-deflate"),
        "{server:?}"
    );
    let clients = capture.spans("client");
    assert_eq!(clients.len(), 1, "{clients:?}");
    let client = &clients[0];
    assert_eq!(client["peer"], addr.to_string());
    assert_eq!(client["subprotocol"], "chat");
    assert!(
        client["extensions"].starts_with("permessage-deflate"),
        "{client:?}"
    );

    let ours = capture.event("client", "connection closed");
    assert_eq!(ours.field("closed_by"), "us");
    assert_eq!(ours.field("code"), "1000");
    assert_eq!(ours.field("reason"), "bye");
    let theirs = capture.event("server", "connection closed");
    assert_eq!(theirs.field("closed_by"), "peer");
    assert_eq!(theirs.field("code"), "1000");
    assert_eq!(theirs.field("reason"), "bye");
    assert_eq!(capture.events("connection open").len(), 2);
}

#[tokio::test]
async fn a_refusal_logs_its_status_on_both_sides() {
    let (capture, _guard) = capture();
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        ws_tokio::accept_with(stream, Config::default(), |_| Err(Reject::new(403)))
            .await
            .map(drop)
    });
    let refused = ws_tokio::connect_with(chat_request(addr), Config::default()).await;
    assert!(refused.is_err());
    assert!(matches!(
        server.await.expect("server task"),
        Err(Error::CallbackRejected(403))
    ));

    let rejected = capture.event("server", "handshake rejected by the application");
    assert_eq!(rejected.field("status"), "403");
    let answer = capture.event("client", "handshake refused");
    assert!(answer.field("error").contains("403"), "{answer:?}");
}

#[tokio::test]
async fn a_bad_request_logs_the_status_it_was_answered_with() {
    let (capture, _guard) = capture();
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (plain, _) = listener.accept().await.expect("accept");
        let no_upgrade = ws_tokio::accept(plain).await.map(drop);
        let (stream, _) = listener.accept().await.expect("accept");
        (no_upgrade, ws_tokio::accept(stream).await.map(drop))
    });
    // A plain request, no upgrade: 426 (section 4.2.2).
    let mut plain = TcpStream::connect(addr).await.expect("connect");
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    plain.read_to_end(&mut answer).await.expect("read");
    assert!(answer.starts_with(b"HTTP/1.1 426"));
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    // Section 4.1: the request must have a `Sec-WebSocket-Key`.
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .expect("write");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (no_upgrade, bad) = server.await.expect("server task");
    assert!(no_upgrade.is_err() && bad.is_err());

    let refused = capture.events("handshake refused");
    let statuses: Vec<_> = refused
        .iter()
        .map(|e| (e.role(), e.field("status")))
        .collect();
    assert_eq!(statuses, [("server", "426"), ("server", "400")]);
    assert!(refused.iter().all(|e| e.span.contains_key("peer")));
}

#[tokio::test]
async fn a_protocol_error_logs_the_close_code_and_the_rule() {
    let (capture, _guard) = capture();
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let mut ws = ws_tokio::accept(stream).await.expect("server handshake");
        loop {
            match ws.recv().await {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Some(e),
                None => return None,
            }
        }
    });
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .expect("upgrade request");
    // Section 5.1: a client masks every frame; this text frame is not.
    tcp.write_all(&[0x81, 0x02, b'h', b'i'])
        .await
        .expect("frame");
    let mut rest = Vec::new();
    tcp.read_to_end(&mut rest).await.expect("read");
    // The server drains our input until we end the stream.
    drop(tcp);
    assert!(server.await.expect("server task").is_some());

    let failed = capture.event("server", "protocol error");
    assert_eq!(failed.field("code"), "1002");
    assert_eq!(failed.field("error"), "client frame is not masked");
}

#[tokio::test]
async fn a_handshake_timeout_and_an_idle_timeout_are_logged() {
    let (capture, _guard) = capture();
    let (listener, addr) = listener().await;
    let quick = Duration::from_millis(50);
    let server = tokio::spawn(async move {
        // A client that connects and says nothing: the handshake timeout.
        let (silent, _) = listener.accept().await.expect("accept");
        let config = Config::default().with_handshake_timeout(quick);
        let timed_out = ws_tokio::accept_with(silent, config, |_| Ok(Accept::new())).await;
        assert!(matches!(timed_out, Err(Error::HandshakeTimeout)));
        // A client that opens and then says nothing: the idle timeout.
        let (idle, _) = listener.accept().await.expect("accept");
        let config = Config::default().with_idle_timeout(quick);
        let mut ws = ws_tokio::accept_with(idle, config, |_| Ok(Accept::new()))
            .await
            .expect("server handshake");
        while let Some(Ok(_)) = ws.recv().await {}
    });
    let silent = TcpStream::connect(addr).await.expect("connect");
    let (mut idle, _) = ws_tokio::connect_with(chat_request(addr), Config::default())
        .await
        .expect("client handshake");
    // The client answers the server's Close (1001, or the idle code)
    // and ends with it.
    while let Some(Ok(_)) = idle.recv().await {}
    server.await.expect("server task");
    drop(silent);

    let handshake = capture.event("server", "handshake timed out");
    assert_eq!(handshake.field("limit"), "50ms");
    let idle = capture.event("server", "connection timed out");
    assert!(idle.field("timeout").contains("idle"), "{idle:?}");
}
