//! Backpressure: against a peer that never reads, `send` stops completing
//! and the connection does not buffer without bound.

use std::time::Duration;

use futures_util::future::join;
use ws_proto::handshake::Accept;
use ws_proto::{Config, Message};

use conformance::binary_payload;
use conformance::RawPeer;
use conformance::{timeout, within, Harness};

/// The connection's write buffer limit in this case.
const LIMIT: usize = 64 << 10;

/// The size of each message sent.
const MESSAGE: usize = 16 << 10;

/// The most the kernel may hold for one loopback connection: the largest
/// send buffer plus the largest receive buffer TCP autotuning may reach
/// (read from Linux's settings; 64 MiB where they cannot be read).
fn socket_buffers() -> usize {
    let max_of = |path: &str| -> Option<usize> {
        let text = std::fs::read_to_string(path).ok()?;
        text.split_whitespace().last()?.parse().ok()
    };
    match (
        max_of("/proc/sys/net/ipv4/tcp_wmem"),
        max_of("/proc/sys/net/ipv4/tcp_rmem"),
    ) {
        (Some(w), Some(r)) => w + r,
        _ => 64 << 20,
    }
}

#[test]
fn send_blocks_when_peer_never_reads() {
    <crate::Harness as conformance::Harness>::block_on(send_blocks_when_peer_never_reads_case::<
        crate::Harness,
    >());
}

/// A server with a 64 KiB write buffer limit sends 16 KiB messages to a
/// raw peer that completed the handshake and never reads again. A `send`
/// eventually does not complete within 1 s, and the bytes of the sends
/// that did complete stay below what the socket buffers, the limit and
/// one message can hold: the connection does not queue without bound.
async fn send_blocks_when_peer_never_reads_case<H: Harness>() {
    let config = Config::default().with_write_buffer_limit(LIMIT);
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        H::accept_with(tcp, config, |_| Ok(Accept::new()))
            .await
            .expect("server handshake")
    };
    let (mut server, peer) =
        within::<H, _>("handshake", join(server, RawPeer::<H>::client(addr))).await;

    let bound = socket_buffers() + LIMIT + MESSAGE;
    let payload = binary_payload(MESSAGE);
    let mut accepted = 0usize;
    let mut blocked = false;
    for _ in 0..=bound / MESSAGE {
        let send = server.send(Message::Binary(payload.clone()));
        match timeout::<H, _>(Duration::from_secs(1), send).await {
            Some(Ok(())) => accepted += MESSAGE,
            Some(Err(e)) => panic!("[{}] send failed: {e}", H::NAME),
            None => {
                blocked = true;
                break;
            }
        }
    }
    assert!(
        blocked,
        "[{}] sends kept completing past {bound} bytes to a peer that never reads",
        H::NAME
    );
    assert!(
        accepted <= bound,
        "[{}] {accepted} bytes accepted, more than {bound}",
        H::NAME
    );
    assert!(accepted > 0, "[{}] not even one send completed", H::NAME);

    // Once blocked, more sends stay blocked.
    for _ in 0..3 {
        let send = server.send(Message::Binary(payload.clone()));
        if let Some(result) = timeout::<H, _>(Duration::from_millis(100), send).await {
            result.expect("send");
            accepted += MESSAGE;
        }
    }
    assert!(accepted <= bound, "[{}] {accepted} bytes accepted", H::NAME);
    drop(peer);
}
