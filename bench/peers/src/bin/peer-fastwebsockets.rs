//! fastwebsockets echo, as its `echo_server` example writes it: whole
//! messages through `FragmentCollector`, each written (and flushed) alone.

use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-fastwebsockets on {}", listener.local_addr()?);
        loop {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                if bench_peers::server_handshake(&mut stream).await.is_err() {
                    return;
                }
                let mut ws = WebSocket::after_handshake(stream, Role::Server);
                ws.set_auto_close(true);
                ws.set_auto_pong(true);
                // As large as the benchmark's largest message (the default
                // is 64 MiB already; stated for clarity).
                ws.set_max_message_size(64 << 20);
                let mut ws = FragmentCollector::new(ws);
                loop {
                    let Ok(frame) = ws.read_frame().await else {
                        break;
                    };
                    let data = matches!(frame.opcode, OpCode::Text | OpCode::Binary);
                    if frame.opcode == OpCode::Close
                        || (data && ws.write_frame(frame).await.is_err())
                    {
                        break;
                    }
                }
            });
        }
    })
}
