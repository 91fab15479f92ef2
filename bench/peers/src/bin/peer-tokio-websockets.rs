//! tokio-websockets echo, as its README writes it: `next`, then `send`
//! (which flushes) for every text and binary message.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_websockets::ServerBuilder;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-tokio-websockets on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let Ok((_request, mut ws)) = ServerBuilder::new().accept(stream).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    })
}
