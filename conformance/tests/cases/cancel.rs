//! Cancel safety of `recv`: dropping its future loses nothing.

use std::time::Duration;

use futures_util::future::join;
use ws_proto::frame::OpCode;
use ws_proto::handshake::Accept;
use ws_proto::{Config, Message};

use conformance::{timeout, within, Harness};
use conformance::{FrameSpec, RawPeer};

/// How many messages the peer sends.
const COUNT: usize = 200;

/// The most `recv` attempts before the case gives up.
const MAX_ATTEMPTS: usize = 200_000;

fn text(i: usize) -> String {
    format!("message {i:03} {}", "\u{e9}".repeat(i % 40))
}

#[test]
fn recv_is_cancel_safe() {
    <crate::Harness as conformance::Harness>::block_on(recv_is_cancel_safe_case::<crate::Harness>());
}

/// A raw peer sends 200 text messages, each frame written in two parts
/// with a pause between them (every fifth message in two fragments,
/// paused between the fragments). The server races each `recv` against a
/// 1 ms sleep, dropping the `recv` future whenever the sleep wins, many
/// times mid-frame and mid-message. All 200 messages arrive whole and in
/// order.
async fn recv_is_cancel_safe_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        let mut ws = H::accept_with(tcp, Config::default(), |_| Ok(Accept::new()))
            .await
            .expect("server handshake");
        let mut got = Vec::new();
        let mut cancelled = 0usize;
        for _ in 0..MAX_ATTEMPTS {
            if got.len() == COUNT {
                break;
            }
            match timeout::<H, _>(Duration::from_millis(1), ws.recv()).await {
                None => cancelled += 1,
                Some(Some(Ok(Message::Text(text)))) => got.push(text.as_str().to_owned()),
                Some(other) => panic!("[{}] server: unexpected {other:?}", H::NAME),
            }
        }
        // The peer's Close, then the end.
        match ws.recv().await {
            Some(Ok(Message::Close(_))) => {}
            other => panic!("[{}] server: expected the Close, got {other:?}", H::NAME),
        }
        assert!(
            ws.recv().await.is_none(),
            "[{}] server: expected the end",
            H::NAME
        );
        (got, cancelled)
    };
    let peer = async {
        let mut peer = RawPeer::<H>::client(addr).await;
        for i in 0..COUNT {
            let text = text(i);
            if i % 5 == 4 {
                let (a, b) = text.as_bytes().split_at(text.len() / 2);
                peer.send(FrameSpec::new(OpCode::Text, a).fin(false).masked())
                    .await;
                H::sleep(Duration::from_millis(2)).await;
                peer.send(FrameSpec::new(OpCode::Continuation, b).masked())
                    .await;
            } else {
                // Cut anywhere, in the header for the short ones.
                let frame = FrameSpec::new(OpCode::Text, text.as_bytes())
                    .masked()
                    .encode();
                let (a, b) = frame.split_at((i % (frame.len() - 1)) + 1);
                peer.write(a).await;
                H::sleep(Duration::from_millis(2)).await;
                peer.write(b).await;
            }
        }
        peer.send(FrameSpec::new(OpCode::Close, vec![0x03, 0xe8]).masked())
            .await;
        peer.expect_close_code(1000).await;
    };
    let ((got, cancelled), ()) = within::<H, _>("cancel safety", join(server, peer)).await;
    let expected: Vec<String> = (0..COUNT).map(text).collect();
    assert_eq!(got, expected, "[{}]", H::NAME);
    assert!(cancelled > 0, "[{}] recv was never cancelled", H::NAME);
}
