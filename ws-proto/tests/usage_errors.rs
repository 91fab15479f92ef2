//! Requests the connection refuses without sending anything: each leaves
//! the connection usable, and what is sent afterwards reads back intact.

mod common;

use bytes::Bytes;
use common::{client, parse_frames, sent_frames, server};
use ws_proto::close::CloseBodyError;
use ws_proto::frame::OpCode;
use ws_proto::{CloseCode, Config, Connection, Error, Event, Role, UsageError};
use ws_proto::{Message, MessageKind};

fn usage(e: UsageError) -> Result<(), Error> {
    Err(Error::Usage(e))
}

/// A refused request left no trace: no error recorded, nothing queued.
fn assert_untouched(conn: &mut Connection) {
    assert_eq!(conn.error(), None);
    assert!(!conn.is_closed());
    assert!(!conn.should_shutdown());
}

/// Feeds what `sender` queued to a fresh peer and returns the events.
fn read_back(sender: &mut Connection) -> Vec<Event> {
    let wire = sender.take_transmit();
    let mut peer = match sender.role() {
        Role::Client => server(Config::default()),
        Role::Server => client(Config::default()),
    };
    common::receive_events(&mut peer, &wire)
}

fn both() -> [Connection; 2] {
    [client(Config::default()), server(Config::default())]
}

#[test]
fn every_send_after_close_is_refused() {
    for mut conn in both() {
        conn.close(CloseCode::NORMAL, "bye").unwrap();
        let queued = conn.write_buffer_len();
        assert_eq!(conn.send_text("x"), usage(UsageError::Closed));
        assert_eq!(conn.send_binary(vec![1]), usage(UsageError::Closed));
        assert_eq!(
            conn.send_fragment(MessageKind::Binary, vec![1], false),
            usage(UsageError::Closed)
        );
        assert_eq!(conn.send_ping(Bytes::new()), usage(UsageError::Closed));
        assert_eq!(conn.send_pong(Bytes::new()), usage(UsageError::Closed));
        assert_eq!(conn.close(CloseCode::NORMAL, ""), usage(UsageError::Closed));
        assert_eq!(conn.close_without_code(), usage(UsageError::Closed));
        assert_eq!(conn.write_buffer_len(), queued, "nothing was added");
        // The closing handshake is still under way.
        assert_eq!(conn.error(), None);
        let frames = sent_frames(&mut conn);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].close().reason(), "bye");
    }
}

#[test]
fn sends_after_the_peers_close_was_echoed_are_refused() {
    for mut conn in both() {
        let role = conn.role();
        let close = common::peer_frame(role, OpCode::Close, true, &common::close_body(1000, b""));
        common::receive_events(&mut conn, &close);
        assert!(conn.is_closed());
        assert_eq!(conn.send_text("x"), usage(UsageError::Closed));
        assert_eq!(conn.close(CloseCode::NORMAL, ""), usage(UsageError::Closed));
    }
}

#[test]
fn control_payloads_over_125_bytes_are_refused() {
    for mut conn in both() {
        assert_eq!(
            conn.send_ping(vec![0; 126]),
            usage(UsageError::ControlTooLong)
        );
        assert_eq!(
            conn.send_pong(vec![0; 126]),
            usage(UsageError::ControlTooLong)
        );
        // Message::ping and Message::pong are checked when sent, the same way.
        for message in [Message::ping(vec![0; 126]), Message::pong(vec![0; 126])] {
            assert_eq!(conn.send(message), usage(UsageError::ControlTooLong));
        }
        assert_untouched(&mut conn);
        assert!(!conn.wants_write());
        conn.send_ping(vec![1; 125]).unwrap();
        conn.send_text("still open").unwrap();
        assert_eq!(
            read_back(&mut conn),
            [
                Event::Ping(Bytes::from(vec![1; 125])),
                Event::Text {
                    payload: Bytes::from_static(b"still open"),
                    fin: true
                }
            ]
        );
    }
}

#[test]
fn closes_that_may_not_be_sent_are_refused() {
    for mut conn in both() {
        for code in [1005, 1006, 1015, 999, 5000] {
            let code = CloseCode::new(code);
            assert_eq!(
                conn.close(code, ""),
                usage(UsageError::InvalidClose(CloseBodyError::InvalidCode(code)))
            );
        }
        assert_eq!(
            conn.close(CloseCode::NORMAL, &"r".repeat(124)),
            usage(UsageError::InvalidClose(CloseBodyError::TooLong))
        );
        assert_untouched(&mut conn);
        assert!(!conn.wants_write());
        // A valid close still works, with the longest reason allowed.
        conn.close(CloseCode::new(4000), &"r".repeat(123)).unwrap();
        let frames = sent_frames(&mut conn);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].close().code(), CloseCode::new(4000));
        assert_eq!(frames[0].payload.len(), 125);
    }
}

#[test]
fn a_full_write_buffer_refuses_sends_until_drained() {
    let config = Config::default().with_write_buffer_limit(100);
    for mut conn in [client(config.clone()), server(config.clone())] {
        // A message larger than the limit is accepted into an empty buffer.
        conn.send_binary(vec![9; 150]).unwrap();
        assert!(conn.is_write_buffer_full());
        let queued = conn.write_buffer_len();
        assert!(queued >= 150);
        assert_eq!(conn.send_text("x"), usage(UsageError::WriteBufferFull));
        assert_eq!(
            conn.send_binary(vec![1]),
            usage(UsageError::WriteBufferFull)
        );
        assert_eq!(
            conn.send_ping(Bytes::new()),
            usage(UsageError::WriteBufferFull)
        );
        assert_eq!(
            conn.send_fragment(MessageKind::Text, "a", false),
            usage(UsageError::WriteBufferFull)
        );
        assert_eq!(conn.write_buffer_len(), queued, "nothing was added");
        assert_untouched(&mut conn);

        // The transport takes part of it: still at the mark, still refused.
        let first = conn.transmit_chunk().len().min(queued - 100);
        let mut wire = conn.transmit_chunk()[..first].to_vec();
        conn.advance_transmit(first);
        assert_eq!(conn.write_buffer_len(), 100);
        assert_eq!(conn.send_text("x"), usage(UsageError::WriteBufferFull));
        // One byte more and there is room again.
        wire.extend_from_slice(&conn.transmit_chunk()[..1]);
        conn.advance_transmit(1);
        assert!(!conn.is_write_buffer_full());
        conn.send_text("after").unwrap();
        wire.extend_from_slice(&conn.take_transmit());

        let frames = parse_frames(conn.role(), &wire);
        let payloads: Vec<&[u8]> = frames.iter().map(|f| &f.payload[..]).collect();
        assert_eq!(payloads, [&[9; 150][..], b"after"]);

        // Closing is never refused for backpressure.
        conn.send_binary(vec![9; 150]).unwrap();
        conn.close(CloseCode::NORMAL, "").unwrap();
    }
}

#[test]
fn fragments_follow_the_rules_of_section_5_4() {
    for mut conn in both() {
        conn.send_fragment(MessageKind::Text, "Hel", false).unwrap();
        // No other message may start before this one ends.
        assert_eq!(conn.send_text("x"), usage(UsageError::MessageInProgress));
        assert_eq!(
            conn.send_binary(vec![1]),
            usage(UsageError::MessageInProgress)
        );
        assert_eq!(
            conn.send_fragment(MessageKind::Binary, vec![1], true),
            usage(UsageError::MessageInProgress)
        );
        // Control frames may come between fragments.
        conn.send_ping(&b"between"[..]).unwrap();
        // A fragment that breaks UTF-8 is refused; the message goes on.
        assert_eq!(
            conn.send_fragment(MessageKind::Text, &b"\xFF"[..], false),
            usage(UsageError::InvalidUtf8)
        );
        // "€" cut in two is fine across fragments ...
        conn.send_fragment(MessageKind::Text, &b"lo \xE2\x82"[..], false)
            .unwrap();
        // ... but the message may not end inside it.
        assert_eq!(
            conn.send_fragment(MessageKind::Text, &b""[..], true),
            usage(UsageError::InvalidUtf8)
        );
        conn.send_fragment(MessageKind::Text, &b"\xAC"[..], true)
            .unwrap();
        assert_untouched(&mut conn);
        // A new message may start now.
        conn.send_binary(vec![7]).unwrap();

        let events = read_back(&mut conn);
        assert_eq!(
            common::messages(&events),
            [(true, "Hello €".as_bytes().to_vec()), (false, vec![7])]
        );
        assert_eq!(events[1], Event::Ping(Bytes::from_static(b"between")));
        assert_eq!(
            events.len(),
            5,
            "three fragments, a ping, a message: {events:?}"
        );
    }
}

#[test]
fn a_refused_first_fragment_starts_no_message() {
    for mut conn in both() {
        assert_eq!(
            conn.send_fragment(MessageKind::Text, &b"\xC0\xAF"[..], false),
            usage(UsageError::InvalidUtf8)
        );
        assert!(!conn.wants_write());
        // No message is in progress: any kind may start.
        conn.send_fragment(MessageKind::Binary, vec![1], false)
            .unwrap();
        conn.send_fragment(MessageKind::Binary, vec![2], true)
            .unwrap();
        conn.send_text("next").unwrap();
        let events = read_back(&mut conn);
        assert_eq!(
            common::messages(&events),
            [(false, vec![1, 2]), (true, b"next".to_vec())]
        );
    }
}

#[test]
fn usage_errors_are_not_fatal() {
    for e in [
        UsageError::Closed,
        UsageError::WriteBufferFull,
        UsageError::ControlTooLong,
        UsageError::MessageInProgress,
        UsageError::InvalidUtf8,
    ] {
        assert!(!Error::Usage(e).is_fatal());
    }
}
