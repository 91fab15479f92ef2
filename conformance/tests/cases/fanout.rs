//! Broadcast through `Subscriber`: offers queued from another task and
//! written by each member's reading task, the backpressure policies
//! (drop and count, or close with 1008), and closing without waiting.

use ws_driver::{Backpressure, Offered, Subscriber};
use ws_proto::{CloseCode, Message, PreparedMessage};

use conformance::{pair, quiet, within, Harness};

/// Members of the room in the first case.
const MEMBERS: usize = 3;
/// Offers to each of them.
const OFFERS: usize = 200;

#[test]
fn offers_from_another_task_reach_every_member() {
    <crate::Harness as Harness>::block_on(offers_from_another_task_reach_every_member_case::<
        crate::Harness,
    >());
}

/// The servers' writing halves are offered each line from this task,
/// while a task per member sits in its reading half's `recv`: the lines
/// reach every client, in order, without anyone calling `flush`.
async fn offers_from_another_task_reach_every_member_case<H: Harness>() {
    let mut clients = Vec::new();
    let mut outboxes = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..MEMBERS {
        let (server, client) = pair::<H>().await;
        let (mut read, write) = server.into_split();
        readers.push(H::spawn(async move {
            while let Some(Ok(_)) = read.recv().await {}
        }));
        outboxes.push(write);
        clients.push(client);
    }
    let policy = Backpressure::close_above(1 << 20);
    for i in 0..OFFERS {
        let line = PreparedMessage::text(format!("line {i}"));
        for outbox in &outboxes {
            assert_eq!(
                outbox.offer(&line, policy),
                Offered::Queued,
                "[{}]",
                H::NAME
            );
        }
    }
    for client in &mut clients {
        for i in 0..OFFERS {
            let message = within::<H, _>("a line", client.recv()).await;
            let message = message.expect("a message").expect("no error");
            assert_eq!(message.as_text(), Some(format!("line {i}").as_str()));
        }
    }
    for outbox in &outboxes {
        assert_eq!(outbox.dropped(), 0);
        assert!(outbox.begin_close(CloseCode::NORMAL, "done"));
    }
    for client in &mut clients {
        match within::<H, _>("the Close", client.recv()).await {
            Some(Ok(Message::Close(frame))) => assert_eq!(frame.reason(), "done"),
            other => panic!("[{}] expected the Close, got {other:?}", H::NAME),
        }
        while within::<H, _>("the end", client.recv()).await.is_some() {}
    }
    for reader in readers {
        within::<H, _>("a reading task ends", reader).await;
    }
}

#[test]
fn over_the_limit_an_offer_is_dropped_then_the_member_closed() {
    <crate::Harness as Harness>::block_on(
        over_the_limit_an_offer_is_dropped_then_the_member_closed_case::<crate::Harness>(),
    );
}

/// A client that does not read: offers pile up on the server until the
/// drop policy drops (and counts) them; then the close policy closes the
/// member with 1008. The client, reading at last, gets exactly the lines
/// that were queued, in order, then the Close; later offers find the
/// member gone.
async fn over_the_limit_an_offer_is_dropped_then_the_member_closed_case<H: Harness>() {
    const LIMIT: usize = 64 << 10;
    // Enough to fill the loopback socket's buffers many times over.
    const MAX_OFFERS: usize = 4000;
    let config = quiet().with_write_buffer_limit(1 << 20);
    let (server, mut client) = conformance::pair_with::<H>(config, quiet()).await;
    let (mut read, write) = server.into_split();
    let reader = H::spawn(async move { while let Some(Ok(_)) = read.recv().await {} });
    let payload = "x".repeat(16 << 10);
    let line = |i: usize| PreparedMessage::text(format!("{i:05} {payload}"));
    let mut queued = Vec::new();
    let mut dropped = 0;
    // The reading task writes out what it can meanwhile (on another
    // thread, with some runtimes): an offer finds the member over the
    // limit only while the transport takes no more, so each policy is
    // offered to until it acts, and what was queued before is counted.
    let mut offers = 0..MAX_OFFERS;
    for i in offers.by_ref() {
        match write.offer(&line(i), Backpressure::drop_above(LIMIT)) {
            Offered::Queued => queued.push(i),
            Offered::Dropped => dropped += 1,
            other => panic!("[{}] offer {i}: {other:?}", H::NAME),
        }
        if dropped == 10 {
            break;
        }
        // Let the reading task write some of it out now and then.
        if i % 16 == 0 {
            H::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    assert_eq!(dropped, 10, "[{}] never over the limit", H::NAME);
    assert_eq!(write.dropped(), 10);
    let closed = offers.find(
        |&i| match write.offer(&line(i), Backpressure::close_above(LIMIT)) {
            Offered::Queued => {
                queued.push(i);
                false
            }
            Offered::Closed => true,
            other => panic!("[{}] offer {i}: {other:?}", H::NAME),
        },
    );
    assert!(closed.is_some(), "[{}] never closed", H::NAME);
    assert_eq!(write.dropped(), 10, "a close is no drop");
    assert_eq!(
        write.offer(&line(0), Backpressure::close_above(LIMIT)),
        Offered::Gone
    );
    for &i in &queued {
        let message = within::<H, _>("a queued line", client.recv()).await;
        let message = message.expect("a message").expect("no error");
        let text = message.as_text().expect("text");
        assert_eq!(&text[..5], format!("{i:05}"), "[{}]", H::NAME);
    }
    match within::<H, _>("the Close", client.recv()).await {
        Some(Ok(Message::Close(frame))) => {
            assert_eq!(frame.code(), CloseCode::POLICY_VIOLATION, "[{}]", H::NAME);
        }
        other => panic!("[{}] expected a Close, got {other:?}", H::NAME),
    }
    while within::<H, _>("the end", client.recv()).await.is_some() {}
    within::<H, _>("the reading task ends", reader).await;
}
