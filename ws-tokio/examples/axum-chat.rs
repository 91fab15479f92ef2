//! The chat served by axum: the same page, rooms, operator console and
//! flags as the `chat` example, with axum's router over hyper in front.
//! The page is at `/`, the WebSocket at `/ws?name=NAME&room=ROOM` through
//! the extractor `ws_tokio::axum::WebSocketUpgrade`.
//!
//! With `--tls-cert` and `--tls-key` the server speaks HTTPS and offers
//! `h2` and `http/1.1` in ALPN: a browser loads the page over HTTP/2 and
//! opens its WebSocket as an extended CONNECT stream of that connection
//! (RFC 8441), since the server advertises `SETTINGS_ENABLE_CONNECT_PROTOCOL`;
//! other clients upgrade over HTTP/1.1. Without them, plain HTTP/1.1. The
//! server logs the HTTP version of each join (and `/list` shows it).
//!
//! `cargo run --release -p ws-tokio --example axum-chat -- [--addr 127.0.0.1:8083] [--tls-cert CERT.pem --tls-key KEY.pem] [--redis redis://127.0.0.1:6379]`

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_tokio as ws;

// The tokio chat example: its runtime, console and TLS acceptor, and the
// chat itself (`shared`). Its `main` and its own server are not used here.
// `pub(crate)`: the chat's tests build this file in and use the chat
// through it.
#[path = "shared/axum_server.rs"]
pub(crate) mod axum_server;
#[allow(dead_code)]
#[path = "chat.rs"]
pub(crate) mod tokio_chat;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use tokio::net::TcpListener;
use ws_tokio::axum::{WebSocketUpgrade, WebSocketUpgradeRejection};
use ws_tokio::hyper::UpgradeError;
use ws_tokio::HandshakeError;

pub(crate) use tokio_chat::{shared, Tls};

use shared::plain_http::{self, Answer};
use shared::{Chat, Opening};

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse();
    let tls: Option<Tls> = shared::tls::acceptor_with_alpn(args.tls.as_ref(), axum_server::ALPN);
    tokio_chat::run("axum on tokio", &args, tls, serve)
}

/// Accepts connections on `listener` and serves the chat's router on each
/// in its own task, over TLS with `tls` (whose configuration should offer
/// [`axum_server::ALPN`], for HTTP/2).
pub(crate) async fn serve(listener: TcpListener, chat: Arc<Chat>, tls: Option<Tls>) {
    let app = app(chat.clone());
    axum_server::serve(listener, app, tls, move |line| chat.log(line)).await
}

/// The chat's routes: the socket at [`shared::WS_PATH`] with any method
/// (over HTTP/2 it comes as a CONNECT: RFC 8441 section 4), and every
/// other request answered as the plain chat answers it.
fn app(chat: Arc<Chat>) -> Router {
    Router::new()
        .route(shared::WS_PATH, any(socket))
        .fallback(page)
        .with_state(chat)
}

/// The WebSocket: the chat's own check (it logs the request and takes the
/// name and room from the query), then its session on the socket. A
/// request that is no upgrade is plain HTTP (426 for a `GET`); one the
/// handshake refuses gets the refusal (a 403 for a foreign `Origin`, say).
async fn socket(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(refused) => {
            if let UpgradeError::Handshake(HandshakeError::NotUpgrade(_)) = refused.error() {
                return respond(plain_http::answer(
                    &chat,
                    peer,
                    method.as_str(),
                    &uri.to_string(),
                    uri.path(),
                ));
            }
            chat.log(&format!("{peer}: {refused}"));
            return refused.into_response();
        }
    };
    let mut opening = Opening::new(&chat, peer);
    if let Err(reject) = opening.check(upgrade.request()) {
        return UpgradeError::Rejected(reject)
            .http_response(upgrade.version())
            .map(Body::from);
    }
    let failed = chat.clone();
    upgrade
        .config(shared::config())
        .on_failed_upgrade(move |e| failed.log(&format!("{peer}: the upgrade failed: {e}")))
        .on_upgrade(move |socket| opening.session(socket))
}

/// Any other request: the page at `/`, or what the plain chat answers.
async fn page(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
) -> Response {
    respond(plain_http::answer(
        &chat,
        peer,
        method.as_str(),
        &uri.to_string(),
        uri.path(),
    ))
}

/// `answer` as axum's response; hyper adds `Content-Length`, and leaves
/// the body out for `HEAD` (RFC 9110 section 9.3.2).
fn respond(answer: Answer) -> Response {
    let mut response = Response::builder().status(answer.status);
    for (name, value) in answer.headers {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.body))
        .unwrap_or_else(|_| Response::new(Body::from("the chat made an invalid response\n")))
}
