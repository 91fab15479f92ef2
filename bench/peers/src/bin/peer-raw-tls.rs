//! Raw TCP echo under TLS on a current-thread tokio runtime: tokio-rustls
//! decrypts, the bytes go back encrypted, no framing. The limit of a
//! tokio-rustls server here, under the `wss://` servers (as `raw-tcp` is
//! under the plain ones), and so the load generator's headroom in the TLS
//! cells. `--tls-cert PEM --tls-key PEM` are required.

use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let flags = bench_peers::flags();
    let Some((cert, key)) = &flags.tls else {
        eprintln!("peer-raw-tls needs --tls-cert PEM --tls-key PEM");
        std::process::exit(2);
    };
    let acceptor = bench_peers::tls_acceptor(cert, key)?;
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&flags.addr).await?;
        println!("peer-raw-tls on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    bench_peers::raw_echo(tls).await;
                }
            });
        }
    })
}
