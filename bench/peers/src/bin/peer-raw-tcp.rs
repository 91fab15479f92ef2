//! Raw TCP echo on a current-thread tokio runtime: no framing at all, the
//! physical limit of this runtime on this machine.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-raw-tcp on {}", listener.local_addr()?);
        loop {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}
