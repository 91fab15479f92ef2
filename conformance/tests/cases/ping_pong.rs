//! Pings answered by auto-pong, in both directions, and unsolicited Pongs.

use bytes::Bytes;
use futures_util::future::join;
use ws_proto::{CloseCode, Message};

use conformance::{echo, pair};
use conformance::{within, Harness};

fn payloads() -> [Bytes; 3] {
    [
        Bytes::new(),
        Bytes::from_static(b"hello"),
        Bytes::from(vec![0xAB; 125]),
    ]
}

#[test]
fn client_ping_gets_pong() {
    <crate::Harness as conformance::Harness>::block_on(
        client_ping_gets_pong_case::<crate::Harness>(),
    );
}

/// The client sends Pings (empty, short, 125 bytes); each comes back as a
/// Pong with the same payload, and the server sees each Ping. An
/// unsolicited Pong reaches the server as a Pong.
async fn client_ping_gets_pong_case<H: Harness>() {
    let (server, mut client) = pair::<H>().await;
    let server = echo::<H>(server);
    for payload in payloads() {
        within::<H, _>("send ping", client.send(Message::Ping(payload.clone())))
            .await
            .expect("send ping");
        let reply = within::<H, _>("recv pong", client.recv()).await;
        assert_eq!(
            reply.expect("a message").expect("no error"),
            Message::Pong(payload),
            "[{}]",
            H::NAME
        );
    }
    within::<H, _>(
        "send pong",
        client.send(Message::Pong(Bytes::from_static(b"beat"))),
    )
    .await
    .expect("send pong");
    within::<H, _>("close", client.close_with(CloseCode::NORMAL, ""))
        .await
        .expect("close");
    let stats = within::<H, _>("echo task", server).await;
    assert_eq!(stats.error, None);
    assert_eq!(stats.pings, payloads());
    assert_eq!(stats.pongs, [Bytes::from_static(b"beat")]);
}

#[test]
fn server_ping_gets_auto_pong() {
    <crate::Harness as conformance::Harness>::block_on(server_ping_gets_auto_pong_case::<
        crate::Harness,
    >());
}

/// The server sends Pings while the client waits in `recv`; the client's
/// auto-pong answers each with the same payload, and the client sees the
/// Pings as messages.
async fn server_ping_gets_auto_pong_case<H: Harness>() {
    let (mut server, mut client) = pair::<H>().await;
    let pinger = async {
        for payload in payloads() {
            server.send(Message::Ping(payload.clone())).await?;
            match server.recv().await {
                Some(Ok(Message::Pong(got))) => assert_eq!(got, payload, "[{}]", H::NAME),
                other => panic!("[{}] expected a Pong, got {other:?}", H::NAME),
            }
        }
        server.close_with(CloseCode::NORMAL, "").await
    };
    let reader = async {
        let mut pings = Vec::new();
        for _ in 0..100 {
            match client.recv().await {
                Some(Ok(Message::Ping(payload))) => pings.push(payload),
                Some(Ok(Message::Close(_))) => {}
                None => return pings,
                other => panic!("[{}] client: unexpected {other:?}", H::NAME),
            }
        }
        panic!("[{}] client: too many messages", H::NAME)
    };
    let (closed, pings) = within::<H, _>("pings", join(pinger, reader)).await;
    closed.expect("server ping and close");
    assert_eq!(pings, payloads(), "[{}]", H::NAME);
}
