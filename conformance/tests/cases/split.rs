//! `split` into a reading and a writing half used from two tasks.

use bytes::Bytes;
use ws_proto::{CloseCode, Message};

use conformance::pair;
use conformance::{within, Harness};

/// How many messages the writer task sends.
const N: usize = 300;

#[test]
fn halves_in_two_tasks() {
    <crate::Harness as conformance::Harness>::block_on(halves_in_two_tasks_case::<crate::Harness>());
}

/// A reader task collects the echoes of `N` messages while a writer task
/// sends them, in order. Once the writer is done, the server's Pings are
/// still answered: by the reader alone, waiting in `recv`. Then the
/// server closes, and the reader's `recv` ends.
async fn halves_in_two_tasks_case<H: Harness>() {
    let (mut server, client) = pair::<H>().await;
    let (mut read, mut write) = client.into_split();
    let reader = H::spawn(async move {
        let mut texts = Vec::new();
        let mut pings = Vec::new();
        for _ in 0..N + 100 {
            match within::<H, _>("reader: recv", read.recv()).await {
                Some(Ok(Message::Text(text))) => texts.push(text.as_str().to_owned()),
                Some(Ok(Message::Ping(payload))) => pings.push(payload),
                Some(Ok(Message::Close(_))) => {}
                None => return (texts, pings),
                other => panic!("[{}] reader: unexpected {other:?}", H::NAME),
            }
        }
        panic!("[{}] reader: too many messages", H::NAME)
    });
    let writer = H::spawn(async move {
        for i in 0..N {
            within::<H, _>(
                "writer: send",
                write.send(Message::text(format!("message {i}"))),
            )
            .await
            .expect("writer: send");
        }
    });

    for i in 0..N {
        let message = within::<H, _>("server: recv", server.recv()).await;
        let message = message.expect("a message").expect("no error");
        assert_eq!(message.as_text(), Some(format!("message {i}").as_str()));
        within::<H, _>("server: echo", server.send(message))
            .await
            .expect("server: echo");
    }
    within::<H, _>("writer task", writer).await;

    // Only the reader is active now.
    for i in 0..3u8 {
        let payload = Bytes::from(vec![i; 3]);
        within::<H, _>("server: ping", server.send(Message::Ping(payload.clone())))
            .await
            .expect("server: ping");
        match within::<H, _>("server: recv pong", server.recv()).await {
            Some(Ok(Message::Pong(got))) => assert_eq!(got, payload),
            other => panic!("[{}] server: expected a Pong, got {other:?}", H::NAME),
        }
    }
    within::<H, _>("server: close", server.close_with(CloseCode::NORMAL, ""))
        .await
        .expect("server: close");

    let (texts, pings) = within::<H, _>("reader task", reader).await;
    let expected: Vec<String> = (0..N).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected, "[{}]", H::NAME);
    assert_eq!(pings.len(), 3, "[{}]", H::NAME);
}
