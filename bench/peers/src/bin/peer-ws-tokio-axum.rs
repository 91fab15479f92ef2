//! Our WebSocket behind axum: `ws_tokio::axum::WebSocketUpgrade` on a
//! route, `on_upgrade`, then the echo of ws-tokio's `echo-server` (`recv`,
//! then `feed` for every text and binary message: `recv` flushes the
//! replies in one write before it waits). Served by `axum::serve`, one
//! thread (with tokio's timer, which the driver uses), as the axum-ws
//! peer is.

use axum::response::Response;
use axum::routing::any;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;

async fn upgrade(ws: ws_tokio::axum::WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            if message.is_data() && socket.feed(message).await.is_err() {
                break;
            }
        }
    })
}

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread_with_time()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-ws-tokio-axum on {}", listener.local_addr()?);
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, Router::new().fallback(any(upgrade))).await
    })
}
