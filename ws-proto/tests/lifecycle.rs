//! The connection's lifecycle as one `State`: the closing handshake in
//! both roles, the drain of a failed connection (which follows the peer's
//! frames to its Close without processing them), and what
//! `handle_timeout` reports.

mod common;

use std::time::{Duration, Instant};

use common::{close_body, connection, limited, peer_frame, raw_frame, KEY};
use ws_proto::frame::{OpCode, Rsv};
use ws_proto::{CloseCode, CloseFrame, Config, Error, Event, ProtocolError, Role, State};

const BOTH: [Role; 2] = [Role::Client, Role::Server];

fn peer_close(role: Role, code: u16) -> Vec<u8> {
    peer_frame(role, OpCode::Close, true, &close_body(code, b""))
}

fn frame_of(code: u16) -> CloseFrame {
    CloseFrame::new(CloseCode::new(code), "").expect("a valid close")
}

#[test]
fn the_closing_handshake_ends_a_server_at_once_and_a_client_with_the_transport() {
    for role in BOTH {
        let mut conn = connection(role, Config::default());
        assert_eq!(conn.state(), &State::Open);
        conn.close(CloseCode::NORMAL, "").unwrap();
        assert_eq!(conn.state(), &State::CloseSent);
        conn.receive(&peer_close(role, 1000));
        assert!(matches!(conn.next_event(), Ok(Some(Event::Close(_)))));
        match role {
            // Section 7.1.1: the server closes the TCP connection first.
            Role::Server => assert_eq!(conn.state(), &State::Ended(Ok(frame_of(1000)))),
            Role::Client => {
                assert_eq!(conn.state(), &State::Closed(frame_of(1000)));
                assert!(!conn.should_shutdown(), "the client waits for the server");
                conn.receive_eof();
                assert_eq!(conn.state(), &State::Ended(Ok(frame_of(1000))));
            }
        }
        assert!(conn.should_shutdown());
        assert_eq!(conn.error(), None);
    }
}

#[test]
fn an_unanswered_close_is_received_until_the_application_answers() {
    let config = Config::default().with_auto_close_reply(false);
    let mut conn = connection(Role::Server, config);
    conn.receive(&peer_close(Role::Server, 4001));
    assert!(matches!(conn.next_event(), Ok(Some(Event::Close(_)))));
    assert_eq!(conn.state(), &State::CloseReceived(frame_of(4001)));
    conn.send_text("last words").unwrap();
    conn.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(conn.state(), &State::Ended(Ok(frame_of(4001))));
}

#[test]
fn a_client_waiting_for_the_server_ends_at_the_close_timeout() {
    let config = Config::default()
        .without_keepalive()
        .with_close_timeout(Duration::from_secs(3));
    let mut conn = connection(Role::Client, config);
    let start = Instant::now();
    assert!(!conn.handle_timeout(start), "nothing is due");
    conn.receive(&peer_close(Role::Client, 1000));
    assert!(matches!(conn.next_event(), Ok(Some(Event::Close(_)))));
    assert!(!conn.handle_timeout(start), "the close timer is only armed");
    assert!(matches!(conn.state(), State::Closed(_)));
    assert!(!conn.handle_timeout(start + Duration::from_secs(2)));
    assert!(conn.handle_timeout(start + Duration::from_secs(3)));
    assert_eq!(conn.state(), &State::Ended(Ok(frame_of(1000))));
}

#[test]
fn handle_timeout_reports_a_keepalive_ping_and_a_failure() {
    let config = Config::default()
        .with_ping_interval(Duration::from_secs(1))
        .with_pong_timeout(Duration::from_secs(1));
    let mut conn = connection(Role::Server, config);
    let start = Instant::now();
    assert!(!conn.handle_timeout(start));
    assert!(!conn.handle_timeout(start + Duration::from_millis(999)));
    assert!(
        conn.handle_timeout(start + Duration::from_secs(1)),
        "a Ping"
    );
    assert!(!conn.take_transmit().is_empty());
    assert!(
        conn.handle_timeout(start + Duration::from_secs(2)),
        "no Pong"
    );
    assert!(matches!(
        conn.state(),
        State::Failed(Error::Timeout(ws_proto::TimeoutKind::Keepalive))
    ));
}

/// A server fails on `violation`, then reads `rest` and, behind it, the
/// client's Close. The drain must end exactly with the Close: not before
/// its last byte, and with everything before it dropped unprocessed.
fn drain_ends_with_the_close(config: Config, violation: &[u8], rest: &[u8], expected: &Error) {
    let mut wire = violation.to_vec();
    wire.extend_from_slice(rest);
    let close = peer_close(Role::Server, 1002);
    wire.extend_from_slice(&close);
    for chunk in [1, 7, 64, wire.len()] {
        let mut conn = connection(Role::Server, config.clone());
        let mut fed = 0;
        for piece in wire.chunks(chunk) {
            conn.receive(piece);
            fed += piece.len();
            while let Ok(Some(_)) = conn.next_event() {}
            if fed < wire.len() {
                assert!(
                    matches!(conn.state(), State::Open)
                        || conn.state() == &State::Failed(expected.clone()),
                    "chunks of {chunk}: {:?} at byte {fed} of {}",
                    conn.state(),
                    wire.len()
                );
            }
        }
        assert_eq!(
            conn.state(),
            &State::Ended(Err(expected.clone())),
            "chunks of {chunk}"
        );
        assert_eq!(conn.read_buffer_len(), 0, "nothing kept");
    }
}

#[test]
fn a_failed_server_drains_to_the_clients_close_past_the_rest_of_a_frame() {
    // Invalid UTF-8 inside a text frame's payload: the rest of the payload
    // and a whole frame follow.
    let mut payload = b"ok \xff".to_vec();
    payload.extend_from_slice(&[b'a'; 300]);
    let violation = peer_frame(Role::Server, OpCode::Text, true, &payload);
    let rest = peer_frame(Role::Server, OpCode::Binary, true, &[9; 70_000]);
    let invalid = Error::Protocol(ProtocolError::InvalidUtf8);
    drain_ends_with_the_close(Config::default(), &violation, &rest, &invalid);

    // A frame over the limit, refused at its header: its whole payload
    // follows.
    let big = peer_frame(Role::Server, OpCode::Binary, true, &[1; 5000]);
    let too_big = Error::Protocol(ProtocolError::MessageTooBig {
        len: 5000,
        max: 1024,
    });
    drain_ends_with_the_close(limited(1024), &big, &[], &too_big);

    // A Close body that is not valid (one byte): the frame was taken whole.
    let bad_close = peer_frame(Role::Server, OpCode::Close, true, &[3]);
    let bad = Error::Protocol(ProtocolError::InvalidClose(
        ws_proto::close::CloseBodyError::Truncated,
    ));
    drain_ends_with_the_close(Config::default(), &bad_close, &[], &bad);
}

#[test]
fn a_failed_client_waits_for_the_server_after_its_close() {
    let mut conn = connection(Role::Client, Config::default());
    conn.receive(&peer_frame(Role::Client, OpCode::Text, true, b"\xff"));
    assert!(conn.next_event().is_err());
    let error = conn.error().cloned().expect("failed");
    assert!(!conn.should_shutdown(), "a client waits for the server");
    conn.receive(&peer_close(Role::Client, 1007));
    assert_eq!(conn.state(), &State::Failed(error.clone()));
    conn.receive_eof();
    assert_eq!(conn.state(), &State::Ended(Err(error)));
}

#[test]
fn a_header_that_cannot_be_read_drains_until_the_end() {
    // Opcode 0x3 is reserved: where the next frame starts is unknown, so a
    // Close-looking byte sequence behind it ends nothing.
    let mut conn = connection(Role::Server, Config::default());
    conn.receive(&raw_frame(true, Rsv::NONE, 0x3, Some(KEY), b"x"));
    assert!(conn.next_event().is_err());
    conn.receive(&peer_close(Role::Server, 1000));
    assert!(matches!(conn.state(), State::Failed(_)));
    conn.receive_eof();
    assert!(matches!(conn.state(), State::Ended(Err(_))));
}

#[test]
fn peek_close_finds_a_close_behind_data_without_taking_anything() {
    for role in BOTH {
        let mut conn = connection(role, Config::default());
        let mut wire = peer_frame(role, OpCode::Text, false, b"first ");
        wire.extend(peer_frame(role, OpCode::Continuation, true, b"second"));
        let close = peer_frame(role, OpCode::Close, true, &close_body(1009, b"too big"));
        wire.extend_from_slice(&close[..close.len() - 1]);
        conn.receive(&wire);
        assert_eq!(
            conn.peek_close(),
            None,
            "an incomplete Close is not there yet"
        );
        conn.receive(&close[close.len() - 1..]);
        let found = conn.peek_close().expect("the Close");
        assert_eq!(
            (found.code(), found.reason()),
            (CloseCode::MESSAGE_TOO_BIG, "too big")
        );
        // Nothing was consumed: the messages still come first.
        assert!(matches!(
            conn.next_event(),
            Ok(Some(Event::Text { fin: false, .. }))
        ));
        assert!(matches!(
            conn.next_event(),
            Ok(Some(Event::Text { fin: true, .. }))
        ));
        assert!(matches!(conn.next_event(), Ok(Some(Event::Close(_)))));
    }
}
