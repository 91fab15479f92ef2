//! A transport that can wait for readiness is not read again after a read
//! that took all there was: the driver waits for readiness instead, and
//! reads once the transport says bytes are there. A transport that cannot
//! is read directly, as before.

mod support;

use std::pin::pin;
use std::task::Poll;

use support::{client_frame, NoTimer, Scripted, Task};
use ws_driver::WebSocket;
use ws_proto::{Config, Connection, Message};

fn server(transport: &Scripted) -> WebSocket<Scripted, NoTimer> {
    WebSocket::from_parts(transport.clone(), Connection::server(Config::default()))
}

/// Receives one message, then waits for the next; returns the reads and
/// readiness polls the wait cost.
fn wait_after_a_message(readiness: bool) -> (usize, usize) {
    let transport = Scripted::default();
    transport.pipe().readiness = readiness;
    transport.pipe().input = client_frame(0x1, b"one");
    let mut ws = server(&transport);
    let task = Task::new();
    assert!(matches!(
        task.poll(pin!(ws.recv())),
        Poll::Ready(Some(Ok(Message::Text(_))))
    ));
    let before = {
        let pipe = transport.pipe();
        (pipe.reads, pipe.ready_polls)
    };
    let mut recv = pin!(ws.recv());
    assert!(task.poll(recv.as_mut()).is_pending());
    let waited = {
        let pipe = transport.pipe();
        (pipe.reads - before.0, pipe.ready_polls - before.1)
    };
    // Either way the next message arrives once the transport wakes.
    let waker = {
        let mut pipe = transport.pipe();
        pipe.input = client_frame(0x1, b"two");
        pipe.read_waker.take().expect("a waiter for input")
    };
    let woken = task.woken();
    waker.wake();
    assert!(task.woken() > woken);
    match task.poll(recv.as_mut()) {
        Poll::Ready(Some(Ok(Message::Text(text)))) => assert_eq!(text.as_str(), "two"),
        other => panic!("expected the second message, got {other:?}"),
    }
    waited
}

#[test]
fn a_drained_transport_that_can_wait_for_readiness_is_not_read_again() {
    assert_eq!(wait_after_a_message(true), (0, 1));
}

#[test]
fn a_transport_without_readiness_is_read_directly() {
    assert_eq!(wait_after_a_message(false), (1, 0));
}
