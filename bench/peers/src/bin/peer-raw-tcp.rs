//! Raw TCP echo on a current-thread tokio runtime: no framing at all, the
//! physical limit of this runtime on this machine.

use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-raw-tcp on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(bench_peers::raw_echo(stream));
        }
    })
}
