//! The ways to send: `feed` + `flush`, and the `Stream` / `Sink` traits.

use futures_util::{SinkExt, StreamExt};
use ws_proto::{CloseCode, Message};

use conformance::{echo, pair};
use conformance::{within, Harness};

#[test]
fn feed_then_flush() {
    <crate::Harness as conformance::Harness>::block_on(feed_then_flush_case::<crate::Harness>());
}

/// 100 messages queued with `feed` and written with one `flush` all come
/// back, in order.
async fn feed_then_flush_case<H: Harness>() {
    let (server, mut client) = pair::<H>().await;
    let server = echo::<H>(server);
    for i in 0..100 {
        within::<H, _>("feed", client.feed(Message::text(format!("fed {i}"))))
            .await
            .expect("feed");
    }
    within::<H, _>("flush", client.flush())
        .await
        .expect("flush");
    for i in 0..100 {
        let back = within::<H, _>("recv", client.recv()).await;
        assert_eq!(
            back.expect("a message").expect("no error"),
            Message::text(format!("fed {i}")),
            "[{}]",
            H::NAME
        );
    }
    within::<H, _>("close", client.close_with(CloseCode::NORMAL, ""))
        .await
        .expect("close");
    let stats = within::<H, _>("echo task", server).await;
    assert_eq!((stats.echoed, stats.error), (100, None));
}

#[test]
fn stream_and_sink() {
    <crate::Harness as conformance::Harness>::block_on(stream_and_sink_case::<crate::Harness>());
}

/// The socket as a `Sink` (`feed`, `flush`, `close`) and a `Stream`
/// (`next`): messages go out and come back, `close` sends a Close 1000,
/// the stream yields the echoed Close and then ends.
async fn stream_and_sink_case<H: Harness>() {
    let (server, mut client) = pair::<H>().await;
    let server = echo::<H>(server);
    let messages = [
        Message::text("one"),
        Message::binary(vec![2u8; 200]),
        Message::text("three"),
    ];
    for message in &messages {
        within::<H, _>("sink feed", SinkExt::feed(&mut client, message.clone()))
            .await
            .expect("sink feed");
    }
    within::<H, _>("sink flush", SinkExt::flush(&mut client))
        .await
        .expect("sink flush");
    for message in &messages {
        let back = within::<H, _>("stream next", StreamExt::next(&mut client)).await;
        assert_eq!(&back.expect("an item").expect("no error"), message);
    }
    within::<H, _>("sink close", SinkExt::close(&mut client))
        .await
        .expect("sink close");
    match within::<H, _>("stream next", StreamExt::next(&mut client)).await {
        Some(Ok(Message::Close(frame))) => assert_eq!(frame.code(), CloseCode::NORMAL),
        other => panic!("[{}] expected the echoed Close, got {other:?}", H::NAME),
    }
    let end = within::<H, _>("stream end", StreamExt::next(&mut client)).await;
    assert!(end.is_none(), "[{}] expected the end, got {end:?}", H::NAME);
    let stats = within::<H, _>("echo task", server).await;
    assert_eq!(stats.echoed, messages.len());
    assert_eq!(stats.close.map(|c| c.code()), Some(CloseCode::NORMAL));
}
