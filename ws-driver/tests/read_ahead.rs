//! Replies queued while reading go out together: with replies waiting,
//! the driver reads on before it writes them, until a read finds nothing.
//! Under TLS a read gives one record's plaintext, often one message; the
//! replies to a burst flushed one by one would each be a TLS record and a
//! system call. And a peer that keeps sending does not hold the replies
//! back for long.

mod support;

use std::pin::pin;
use std::task::Poll;

use support::{client_frame, NoTimer, Scripted, Task};
use ws_driver::WebSocket;
use ws_proto::{Config, Connection, Message};

/// A server whose transport holds `count` text frames and gives one per
/// read.
fn server_with_burst(count: usize) -> (Scripted, WebSocket<Scripted, NoTimer>) {
    let transport = Scripted::default();
    {
        let mut pipe = transport.pipe();
        pipe.room = usize::MAX;
        let frame = client_frame(0x1, b"message");
        pipe.max_read = frame.len();
        pipe.input = frame.repeat(count);
    }
    let ws = WebSocket::from_parts(transport.clone(), Connection::server(Config::default()));
    (transport, ws)
}

/// Receives a message and feeds its echo, as an echo loop does.
fn echo_one(ws: &mut WebSocket<Scripted, NoTimer>, task: &Task) {
    let message = match task.poll(pin!(ws.recv())) {
        Poll::Ready(Some(Ok(message))) => message,
        other => panic!("expected a message, got {other:?}"),
    };
    assert_eq!(message, Message::text("message"));
    assert!(task.poll(pin!(ws.feed(message))).is_ready());
}

#[test]
fn replies_to_a_burst_read_one_message_at_a_time_go_out_in_one_write() {
    let (transport, mut ws) = server_with_burst(8);
    let task = Task::new();
    for _ in 0..8 {
        echo_one(&mut ws, &task);
    }
    // Nothing more to read: the wait flushes the replies.
    assert!(task.poll(pin!(ws.recv())).is_pending());
    let pipe = transport.pipe();
    assert_eq!(pipe.writes, 1, "the eight replies went out in one write");
    // Eight unmasked server frames: 0x81, length 7, "message".
    let frame = [&[0x81, 7][..], b"message"].concat();
    assert_eq!(pipe.written, frame.repeat(8));
}

#[test]
fn a_peer_that_keeps_sending_does_not_hold_the_replies_back() {
    let (transport, mut ws) = server_with_burst(100);
    let task = Task::new();
    for _ in 0..40 {
        echo_one(&mut ws, &task);
    }
    let pipe = transport.pipe();
    assert!(!pipe.input.is_empty(), "input still there");
    // Replies were flushed while input kept coming, in a few writes.
    let replies = pipe.written.len() / 9;
    assert!(replies >= 16, "only {replies} of 40 replies written");
    assert!(
        pipe.writes < 10,
        "{} writes for {replies} replies",
        pipe.writes
    );
}
