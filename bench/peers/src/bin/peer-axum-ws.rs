//! axum's own WebSocket echo (its `ws` feature, tokio-tungstenite under
//! it), as axum's `websockets` example writes it: a route whose handler
//! takes `axum::extract::ws::WebSocketUpgrade` and answers with
//! `on_upgrade`, then `recv` and `send` (which flushes) for every text and
//! binary message. Served by `axum::serve`, one thread.

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::any;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(echo)
}

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        let data = matches!(
            message,
            axum::extract::ws::Message::Text(_) | axum::extract::ws::Message::Binary(_)
        );
        if data && socket.send(message).await.is_err() {
            break;
        }
    }
}

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-axum-ws on {}", listener.local_addr()?);
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, Router::new().fallback(any(upgrade))).await
    })
}
