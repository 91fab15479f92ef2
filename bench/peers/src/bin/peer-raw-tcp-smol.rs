//! Raw TCP echo on smol (async-io), one thread (`smol::block_on` with a
//! local executor): no framing at all, the physical limit of the runtime
//! under our smol and async-std adapters on this machine.

use smol::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-raw-tcp-smol on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            executor.spawn(bench_peers::raw_echo(stream)).detach();
        }
    }))
}
