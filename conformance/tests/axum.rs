//! The axum extractor `ws_tokio::axum::WebSocketUpgrade` in a Router with
//! state, a path parameter and an authentication extractor, over HTTP/1.1
//! (`axum::serve`) and HTTP/2 extended CONNECT (RFC 8441, the router
//! served by `ws_tokio::hyper::server_builder`, an `h2` client).

mod http_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use ws_proto::handshake::HandshakeError;
use ws_proto::Message;
use ws_tokio::axum::WebSocketUpgrade;

use http_support::{h2_connect, h2_websocket, raw_http1, within, ws_request};

/// The most connections one test server accepts, and the most messages
/// one socket echoes.
const MAX_CONNECTIONS: usize = 16;
const MAX_MESSAGES: usize = 100;

/// The application's state: how many sockets were handed to it.
#[derive(Clone, Default)]
struct App {
    upgrades: Arc<AtomicUsize>,
}

/// A user known by the bearer token of `Authorization`: an extractor that
/// refuses with 401, as an application's authentication would.
struct AuthUser(String);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match token {
            Some(user) => Ok(AuthUser(user.to_owned())),
            None => Err((http::StatusCode::UNAUTHORIZED, "log in first\n").into_response()),
        }
    }
}

/// Greets the socket with what the server knew of it (room, user,
/// subprotocol, HTTP version), then echoes.
async fn room(
    ws: WebSocketUpgrade,
    State(app): State<App>,
    Path(room): Path<String>,
    AuthUser(user): AuthUser,
) -> Response {
    let version = ws.version();
    let ws = ws.protocols(["chat"]);
    let protocol = ws.selected_protocol().unwrap_or("none").to_owned();
    ws.header("X-Room", room.clone())
        .on_upgrade(move |mut socket| async move {
            app.upgrades.fetch_add(1, Ordering::SeqCst);
            let hello = format!("room={room} user={user} protocol={protocol} version={version:?}");
            if socket.send(Message::text(hello)).await.is_err() {
                return;
            }
            for _ in 0..MAX_MESSAGES {
                match socket.recv().await {
                    Some(Ok(message)) if message.is_data() => {
                        if socket.send(message).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return,
                }
            }
        })
}

/// The router: `/rooms/{room}` takes any method, so that an HTTP/2
/// extended CONNECT reaches it as well as an HTTP/1.1 GET.
fn router(app: App) -> Router {
    Router::new()
        .route("/", axum::routing::get(|| async { "a page\n" }))
        .route("/rooms/{room}", any(room))
        .with_state(app)
}

/// The router served by `axum::serve`.
async fn serve_axum(app: App) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(app)).await;
    });
    addr
}

/// The router served by `ws_tokio::hyper::server_builder`.
async fn serve_builder(app: App) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let builder = Arc::new(ws_tokio::hyper::server_builder());
    let router = router(app);
    tokio::spawn(async move {
        for _ in 0..MAX_CONNECTIONS {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let builder = builder.clone();
            let service = TowerToHyperService::new(router.clone());
            tokio::spawn(async move {
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

/// Receives the next message as text.
async fn recv_text<S: ws_driver::Transport>(
    ws: &mut ws_driver::WebSocket<S, ws_tokio::Runtime>,
) -> String {
    match within("receive", ws.recv()).await {
        Some(Ok(message)) => message.as_text().expect("text").to_owned(),
        other => panic!("no message: {other:?}"),
    }
}

#[tokio::test]
async fn http1_upgrade_after_the_other_extractors() {
    let app = App::default();
    let addr = serve_axum(app.clone()).await;

    // No token: the authentication refuses, nothing is upgraded.
    let error = within(
        "connect",
        ws_tokio::connect(ws_request(addr, "/rooms/lobby", &[])),
    )
    .await
    .expect_err("refused");
    match error {
        ws_tokio::Error::Handshake(HandshakeError::Rejected { status, .. }) => {
            assert_eq!(status, 401)
        }
        other => panic!("not a rejection: {other:?}"),
    }
    assert_eq!(app.upgrades.load(Ordering::SeqCst), 0);

    let request = ws_request(addr, "/rooms/lobby", &["superchat", "chat"])
        .header("Authorization", "Bearer alice")
        .expect("header");
    let (ws, response) = within("connect", ws_tokio::connect(request))
        .await
        .expect("connect");
    let mut ws = ws.into_driver();
    assert_eq!(response.subprotocol(), Some("chat"));
    assert_eq!(response.header("x-room"), Some("lobby"));
    assert!(response
        .extensions()
        .iter()
        .any(|e| e.name == "permessage-deflate"));
    assert_eq!(
        recv_text(&mut ws).await,
        "room=lobby user=alice protocol=chat version=HTTP/1.1"
    );
    within("send", ws.send(Message::text("hello")))
        .await
        .expect("send");
    assert_eq!(recv_text(&mut ws).await, "hello");
    assert_eq!(app.upgrades.load(Ordering::SeqCst), 1);

    // A plain GET of the socket's route is no handshake: 426.
    let get = format!("GET /rooms/lobby HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let response = http_support::raw_http1(addr, &get).await;
    assert!(response.starts_with("HTTP/1.1 426 "), "{response}");
}

#[tokio::test]
async fn http2_extended_connect_through_the_router() {
    let app = App::default();
    let addr = serve_builder(app.clone()).await;
    let (mut send, status) = h2_connect(addr).await;
    assert_eq!(status, 200, "the page over HTTP/2");

    // No token: 401, and no socket.
    let (parts, ws) = h2_websocket(&mut send, ws_request(addr, "/rooms/lobby", &["chat"])).await;
    assert_eq!(parts.status, http::StatusCode::UNAUTHORIZED);
    assert!(ws.is_none());
    assert_eq!(app.upgrades.load(Ordering::SeqCst), 0);

    let request = ws_request(addr, "/rooms/kitchen", &["chat"])
        .header("Authorization", "Bearer bob")
        .expect("header");
    let (parts, ws) = h2_websocket(&mut send, request).await;
    assert_eq!(parts.status, http::StatusCode::OK);
    assert_eq!(parts.headers["sec-websocket-protocol"], "chat");
    let mut ws = ws.expect("a socket");
    assert_eq!(
        recv_text(&mut ws).await,
        "room=kitchen user=bob protocol=chat version=HTTP/2.0"
    );
    within("send", ws.send(Message::text("over HTTP/2")))
        .await
        .expect("send");
    assert_eq!(recv_text(&mut ws).await, "over HTTP/2");
    assert_eq!(app.upgrades.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_invalid_config_is_answered_with_500() {
    let upgrades = Arc::new(AtomicUsize::new(0));
    let counted = upgrades.clone();
    let router = Router::new().route(
        "/",
        any(move |ws: WebSocketUpgrade| async move {
            // A frame limit under the 125 bytes a control frame needs.
            let invalid = ws_proto::Config::default().with_max_frame_size(100);
            ws.config(invalid).on_upgrade(move |_| async move {
                counted.fetch_add(1, Ordering::SeqCst);
            })
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let head = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let response = raw_http1(addr, &head).await;
    assert!(
        response.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
        "{response}"
    );
    assert_eq!(upgrades.load(Ordering::SeqCst), 0, "no socket was made");
}
