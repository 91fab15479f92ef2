//! Each path by which one half of a split socket must wake the other (see
//! the `split` module's docs), with a scripted transport that keeps one
//! waker per direction, as a socket does, and that the test makes ready
//! by hand. A missed wake-up is a task that waits forever; here it is a
//! count that did not move.

mod support;

use std::pin::pin;
use std::task::Poll;

use support::{client_frame, close_body, NoTimer, Scripted, Task};
use ws_driver::{Error, WebSocket};
use ws_proto::{CloseCode, Config, Connection, Message};

type Socket = WebSocket<Scripted, NoTimer>;

fn server(transport: &Scripted) -> Socket {
    WebSocket::from_parts(transport.clone(), Connection::server(Config::default()))
}

/// The client's Close (code 1000), masked with a zero key.
fn client_close() -> Vec<u8> {
    client_frame(0x8, &close_body(1000, ""))
}

#[test]
fn a_flush_waiting_on_a_released_transport_is_woken() {
    // The writer flushes into a full transport and waits; the transport
    // makes room without a wake-up of its own yet (its readiness event is
    // still on the way); the reader then writes what was queued, completes
    // the closing handshake and releases the transport, whose event will
    // now never come. The Autobahn client on split halves hit this once in
    // a few runs, on the 4 MiB messages of cases 9.3.x.
    let transport = Scripted::default();
    let (mut reader, mut writer) = server(&transport).into_split();
    let writer_task = Task::new();
    let mut send = pin!(writer.send(Message::binary(vec![7u8; 64 << 10])));
    assert!(writer_task.poll(send.as_mut()).is_pending());
    let woken_before = writer_task.woken();
    {
        let mut pipe = transport.pipe();
        pipe.room = usize::MAX;
        pipe.input = client_close();
        pipe.eof = true;
        // The transport forgets the waiter, as a deregistered socket does.
        pipe.write_waker = None;
    }
    let reader_task = Task::new();
    let mut polls = 0;
    loop {
        match reader_task.poll(pin!(reader.recv())) {
            Poll::Ready(None) => break,
            Poll::Ready(Some(_)) => {}
            Poll::Pending => panic!("the reader waits with everything it needs at hand"),
        }
        polls += 1;
        assert!(polls < 10, "the reader does not end");
    }
    assert!(
        transport.pipe().written.len() > 64 << 10,
        "the reader wrote the writer's message and its Close"
    );
    assert!(
        writer_task.woken() > woken_before,
        "the writer, waiting on the released transport, was not woken"
    );
    // Woken, the writer finds everything written and the transport gone.
    assert!(matches!(
        writer_task.poll(send.as_mut()),
        Poll::Ready(Ok(()))
    ));
}

#[test]
fn both_halves_waiting_to_write_are_woken_by_the_one_write_waker() {
    // The writer waits to flush a message; the reader, answering a Ping,
    // waits to write the Pong. The transport keeps one write waker, the
    // last poller's: when room appears, both halves must hear of it.
    let transport = Scripted::default();
    let (mut reader, mut writer) = server(&transport).into_split();
    let (reader_task, writer_task) = (Task::new(), Task::new());
    let mut send = pin!(writer.send(Message::text("reply")));
    assert!(writer_task.poll(send.as_mut()).is_pending());
    transport.pipe().input = client_frame(0x9, b"ping");
    assert!(matches!(
        reader_task.poll(pin!(reader.recv())),
        Poll::Ready(Some(Ok(Message::Ping(_))))
    ));
    let mut recv = pin!(reader.recv());
    assert!(reader_task.poll(recv.as_mut()).is_pending());
    let (reader_before, writer_before) = (reader_task.woken(), writer_task.woken());
    let waker = {
        let mut pipe = transport.pipe();
        pipe.room = usize::MAX;
        pipe.write_waker.take().expect("a write waiter")
    };
    waker.wake();
    assert!(
        reader_task.woken() > reader_before,
        "the reader was not woken"
    );
    assert!(
        writer_task.woken() > writer_before,
        "the writer was not woken"
    );
    assert!(matches!(
        writer_task.poll(send.as_mut()),
        Poll::Ready(Ok(()))
    ));
    assert!(
        reader_task.poll(recv.as_mut()).is_pending(),
        "no more input"
    );
    let written = transport.pipe().written.clone();
    assert_eq!(&written[..7], [0x81, 5, b'r', b'e', b'p', b'l', b'y']);
    assert_eq!(&written[7..], [0x8a, 4, b'p', b'i', b'n', b'g'], "the Pong");
}

#[test]
fn the_writer_waits_while_the_reader_holds_the_write_registration() {
    // The reader polled the transport's write side last (its Pong); the
    // writer, waiting too, is woken through the proxy the reader left.
    let transport = Scripted::default();
    let (mut reader, mut writer) = server(&transport).into_split();
    let (reader_task, writer_task) = (Task::new(), Task::new());
    transport.pipe().input = client_frame(0x9, b"p");
    let mut send = pin!(writer.send(Message::text("x")));
    assert!(writer_task.poll(send.as_mut()).is_pending());
    assert!(reader_task.poll(pin!(reader.recv())).is_ready());
    assert!(reader_task.poll(pin!(reader.recv())).is_pending());
    let before = writer_task.woken();
    let waker = transport.pipe().write_waker.take().expect("a write waiter");
    transport.pipe().room = usize::MAX;
    waker.wake();
    assert!(writer_task.woken() > before);
    assert!(matches!(
        writer_task.poll(send.as_mut()),
        Poll::Ready(Ok(()))
    ));
}

#[test]
fn a_writer_that_reads_for_its_error_wakes_the_reader() {
    // The peer sent a Close (1009) and closed: our write fails. The writer
    // reads the Close to name it in its error, and so takes the
    // transport's read registration from the reader, which must be woken
    // to register again.
    let transport = Scripted::default();
    let (mut reader, mut writer) = server(&transport).into_split();
    let (reader_task, writer_task) = (Task::new(), Task::new());
    let mut recv = pin!(reader.recv());
    assert!(reader_task.poll(recv.as_mut()).is_pending());
    {
        let mut pipe = transport.pipe();
        pipe.broken = true;
        pipe.input = client_frame(0x8, &close_body(1009, "too big"));
    }
    let before = reader_task.woken();
    match writer_task.poll(pin!(writer.send(Message::text("more")))) {
        Poll::Ready(Err(Error::PeerClosed(frame))) => {
            assert_eq!(frame.code(), CloseCode::MESSAGE_TOO_BIG);
            assert_eq!(frame.reason(), "too big");
        }
        other => panic!("expected the peer's Close, got {other:?}"),
    }
    assert!(reader_task.woken() > before, "the reader was not woken");
    match reader_task.poll(recv.as_mut()) {
        Poll::Ready(Some(Ok(Message::Close(frame)))) => {
            assert_eq!(frame.code(), CloseCode::MESSAGE_TOO_BIG)
        }
        other => panic!("expected the Close, got {other:?}"),
    }
}

#[test]
fn the_writers_close_ends_the_reader_with_the_peers_reply() {
    let transport = Scripted::default();
    transport.pipe().room = usize::MAX;
    let (mut reader, mut writer) = server(&transport).into_split();
    let task = Task::new();
    assert!(matches!(
        task.poll(pin!(writer.close_with(CloseCode::GOING_AWAY, "bye"))),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(&transport.pipe().written[..2], [0x88, 5]);
    {
        let mut recv = pin!(reader.recv());
        assert!(
            task.poll(recv.as_mut()).is_pending(),
            "waiting for the reply"
        );
        let waker = {
            let mut pipe = transport.pipe();
            pipe.input = client_close();
            pipe.read_waker.take().expect("a read waiter")
        };
        let before = task.woken();
        waker.wake();
        assert!(task.woken() > before);
        assert!(matches!(
            task.poll(recv.as_mut()),
            Poll::Ready(Some(Ok(Message::Close(_))))
        ));
    }
    // Section 7.1.1: the server ends the TCP connection once both Close
    // frames are exchanged.
    assert!(matches!(task.poll(pin!(reader.recv())), Poll::Ready(None)));
    assert!(transport.pipe().shut_down);
    assert!(matches!(
        task.poll(pin!(writer.send(Message::text("late")))),
        Poll::Ready(Err(e)) if e.is_usage()
    ));
}

#[test]
fn a_half_works_on_when_the_other_is_dropped() {
    let transport = Scripted::default();
    transport.pipe().room = usize::MAX;
    let task = Task::new();

    let (reader, mut writer) = server(&transport).into_split();
    drop(reader);
    assert!(matches!(
        task.poll(pin!(writer.send(Message::text("hi")))),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(transport.pipe().written, [0x81, 2, b'h', b'i']);

    let transport = Scripted::default();
    transport.pipe().input = client_frame(0x1, b"hello");
    let (mut reader, writer) = server(&transport).into_split();
    drop(writer);
    match task.poll(pin!(reader.recv())) {
        Poll::Ready(Some(Ok(Message::Text(text)))) => assert_eq!(text.as_str(), "hello"),
        other => panic!("expected the message, got {other:?}"),
    };
}

#[test]
fn halves_reunite_only_with_their_own() {
    let (a, b) = (Scripted::default(), Scripted::default());
    let (read_a, write_a) = server(&a).into_split();
    let (read_b, write_b) = server(&b).into_split();
    assert!(read_a.is_pair_of(&write_a) && !read_a.is_pair_of(&write_b));
    let ws_proto::State::Open = server(&a).state() else {
        panic!("a new socket is open");
    };
    let Err(ws_driver::ReuniteError(read_a, write_b)) = read_a.reunite(write_b) else {
        panic!("halves of two sockets reunited");
    };
    let mut ws = read_a.reunite(write_a).expect("the pair reunites");
    drop((read_b, write_b));
    a.pipe().input = client_frame(0x2, &[1, 2, 3]);
    let task = Task::new();
    match task.poll(pin!(ws.recv())) {
        Poll::Ready(Some(Ok(Message::Binary(data)))) => assert_eq!(&data[..], [1, 2, 3]),
        other => panic!("expected the message, got {other:?}"),
    };
}
