//! tokio-tungstenite echo, as its own `echo-server` example writes it: the
//! read half forwarded into the write half (`forward` feeds while messages
//! are ready and flushes when the stream is pending, so replies batch).

use futures_util::{future, StreamExt, TryStreamExt};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-tokio-tungstenite on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let (write, read) = ws.split();
                let _ = read
                    .try_filter(|m| future::ready(m.is_text() || m.is_binary()))
                    .forward(write)
                    .await;
            });
        }
    })
}
