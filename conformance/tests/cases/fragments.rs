//! Fragmented messages: sent with `send_fragment`, received whole with
//! `recv` and piece by piece with `recv_event`.

use bytes::Bytes;
use std::pin::pin;

use futures_util::future::{join, select, Either};
use ws_proto::{CloseCode, Event, Message, MessageKind};

use conformance::pair;
use conformance::{within, Harness};

#[test]
fn send_fragments_recv_whole() {
    <crate::Harness as conformance::Harness>::block_on(send_fragments_recv_whole_case::<
        crate::Harness,
    >());
}

/// Fragments sent with `send_fragment` (a text message with a code point
/// cut between two fragments and a Ping between fragments, and a binary
/// message with an empty middle fragment) arrive through `recv` as whole
/// messages, with the Ping first; the Ping is answered.
async fn send_fragments_recv_whole_case<H: Harness>() {
    let (mut server, mut client) = pair::<H>().await;
    let sender = async {
        client
            .send_fragment(MessageKind::Text, &b"Hel"[..], false)
            .await?;
        client
            .send(Message::Ping(Bytes::from_static(b"between")))
            .await?;
        client
            .send_fragment(MessageKind::Text, &b"lo, w\xc3"[..], false)
            .await?;
        client
            .send_fragment(MessageKind::Text, &b"\xb6rld"[..], true)
            .await?;
        client
            .send_fragment(MessageKind::Binary, vec![1u8, 2], false)
            .await?;
        client
            .send_fragment(MessageKind::Binary, Vec::new(), false)
            .await?;
        client
            .send_fragment(MessageKind::Binary, vec![3u8], true)
            .await?;
        Ok::<_, ws_driver::Error>(())
    };
    let receiver = async {
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(server.recv().await);
        }
        got
    };
    let (sent, got) = within::<H, _>("fragments", join(sender, receiver)).await;
    sent.expect("send fragments");
    let got: Vec<Message> = got
        .into_iter()
        .map(|m| m.expect("a message").expect("no error"))
        .collect();
    assert_eq!(
        got,
        [
            Message::Ping(Bytes::from_static(b"between")),
            Message::text("Hello, w\u{f6}rld"),
            Message::binary(vec![1, 2, 3]),
        ],
        "[{}]",
        H::NAME
    );

    // The Pong the server owes arrives while the server waits in `recv`.
    let pong = pin!(client.recv());
    let pong = match within::<H, _>("pong", select(pong, pin!(server.recv()))).await {
        Either::Left((pong, _)) => pong,
        Either::Right((other, _)) => panic!("[{}] server: unexpected {other:?}", H::NAME),
    };
    assert_eq!(
        pong.expect("a message").expect("no error"),
        Message::Pong(Bytes::from_static(b"between"))
    );
}

#[test]
fn recv_events_with_fin() {
    <crate::Harness as conformance::Harness>::block_on(
        recv_events_with_fin_case::<crate::Harness>(),
    );
}

/// Fragments arrive through `recv_event` as they were sent, one event per
/// frame with its `fin` flag (an empty final fragment included), with a
/// Ping between fragments as its own event; then the Close.
async fn recv_events_with_fin_case<H: Harness>() {
    let (mut server, mut client) = pair::<H>().await;
    let sender = async {
        server
            .send_fragment(MessageKind::Text, &b"gr\xc3"[..], false)
            .await?;
        server
            .send_fragment(MessageKind::Text, &b"\xbcn"[..], false)
            .await?;
        server.send(Message::Ping(Bytes::from_static(b"p"))).await?;
        server
            .send_fragment(MessageKind::Text, &b"!"[..], true)
            .await?;
        server
            .send_fragment(MessageKind::Binary, vec![7u8; 10], false)
            .await?;
        server
            .send_fragment(MessageKind::Binary, Vec::new(), true)
            .await?;
        server.send(Message::text("whole")).await?;
        server
            .close_with(CloseCode::new(4001), "end of script")
            .await
    };
    let receiver = async {
        let mut events = Vec::new();
        for _ in 0..100 {
            match client.recv_event().await {
                Some(Ok(event)) => events.push(event),
                Some(Err(e)) => panic!("[{}] recv_event: {e}", H::NAME),
                None => return events,
            }
        }
        panic!("[{}] too many events", H::NAME)
    };
    let (sent, events) = within::<H, _>("events", join(sender, receiver)).await;
    sent.expect("send and close");
    let text = |payload: &'static [u8], fin| Event::Text {
        payload: Bytes::from_static(payload),
        fin,
    };
    assert_eq!(events.len(), 8, "[{}] events: {events:?}", H::NAME);
    assert_eq!(
        events[..7],
        [
            text(b"gr\xc3", false),
            text(b"\xbcn", false),
            Event::Ping(Bytes::from_static(b"p")),
            text(b"!", true),
            Event::Binary {
                payload: Bytes::from(vec![7u8; 10]),
                fin: false
            },
            Event::Binary {
                payload: Bytes::new(),
                fin: true
            },
            text(b"whole", true),
        ],
        "[{}]",
        H::NAME
    );
    match &events[7] {
        Event::Close(frame) => {
            assert_eq!(frame.code(), CloseCode::new(4001));
            assert_eq!(frame.reason(), "end of script");
        }
        other => panic!("[{}] expected the Close, got {other:?}", H::NAME),
    }
}
