//! async-tungstenite on smol (one thread: `smol::block_on` with a local
//! executor), the same echo as tokio-tungstenite's example.

use futures_util::{future, StreamExt, TryStreamExt};
use smol::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-async-tungstenite-smol on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            executor
                .spawn(async move {
                    let Ok(ws) = async_tungstenite::accept_async(stream).await else {
                        return;
                    };
                    let (write, read) = ws.split();
                    let _ = read
                        .try_filter(|m| future::ready(m.is_text() || m.is_binary()))
                        .forward(write)
                        .await;
                })
                .detach();
        }
    }))
}
