//! tokio-tungstenite over TLS: tokio-rustls' acceptor, then
//! `accept_async` on the TLS stream, then the same echo as
//! `peer-tokio-tungstenite` (the read half forwarded into the write half).
//! `--tls-cert PEM --tls-key PEM` are required.

use futures_util::{future, StreamExt, TryStreamExt};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let flags = bench_peers::flags();
    let Some((cert, key)) = &flags.tls else {
        eprintln!("peer-tokio-tungstenite-rustls needs --tls-cert PEM --tls-key PEM");
        std::process::exit(2);
    };
    let acceptor = bench_peers::tls_acceptor(cert, key)?;
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&flags.addr).await?;
        println!(
            "peer-tokio-tungstenite-rustls on {}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(ws) = tokio_tungstenite::accept_async(tls).await else {
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
