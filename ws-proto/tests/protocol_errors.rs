//! Every way a peer can break RFC 6455 that a single connection can see:
//! the typed error, the Close frame with the right code already queued,
//! stickiness, and the end of the transport before the closing handshake.

mod common;

use bytes::Bytes;
use common::{
    assert_failed_for_good, check_failure, close_body, connection, drain, expect_close_sent,
    limited, peer_frame, raw_frame, receive_error, KEY,
};
use ws_proto::close::CloseBodyError;
use ws_proto::frame::{FrameError, OpCode, Rsv};
use ws_proto::{CloseCode, Config, Error, Event, ProtocolError, Role, UsageError};

const BOTH: [Role; 2] = [Role::Client, Role::Server];

/// The mask a frame towards `receiver` carries when it follows the rules.
fn mask_for(receiver: Role) -> Option<[u8; 4]> {
    (receiver == Role::Server).then_some(KEY)
}

/// [`common::check_failure`] for a fresh connection of `receiver`.
fn check(
    receiver: Role,
    config: &Config,
    wire: &[u8],
    before: &[Event],
    expected: ProtocolError,
    code: u16,
) {
    check_failure(
        &|| connection(receiver, config.clone()),
        wire,
        before,
        expected,
        code,
    );
}

fn text(payload: &[u8], fin: bool) -> Event {
    Event::Text {
        payload: Bytes::copy_from_slice(payload),
        fin,
    }
}

#[test]
fn unmasked_client_frame_fails_a_server_with_1002() {
    let wire = raw_frame(true, Rsv::NONE, 0x1, None, b"hi");
    check(
        Role::Server,
        &Config::default(),
        &wire,
        &[],
        ProtocolError::UnmaskedFrame,
        1002,
    );
    // Control frames too.
    let wire = raw_frame(true, Rsv::NONE, 0x9, None, b"");
    check(
        Role::Server,
        &Config::default(),
        &wire,
        &[],
        ProtocolError::UnmaskedFrame,
        1002,
    );
}

#[test]
fn masked_server_frame_fails_a_client_with_1002() {
    let wire = raw_frame(true, Rsv::NONE, 0x2, Some(KEY), b"hi");
    check(
        Role::Client,
        &Config::default(),
        &wire,
        &[],
        ProtocolError::MaskedFrame,
        1002,
    );
}

#[test]
fn reserved_bits_without_an_extension_fail_with_1002() {
    for role in BOTH {
        for bits in 1..8 {
            let rsv = Rsv::from_bits(bits);
            for opcode in [0x1, 0x2, 0x9] {
                let wire = raw_frame(true, rsv, opcode, mask_for(role), b"x");
                check(
                    role,
                    &Config::default(),
                    &wire,
                    &[],
                    ProtocolError::ReservedBits(rsv),
                    1002,
                );
            }
        }
    }
}

#[test]
fn unknown_opcodes_fail_with_1002() {
    for role in BOTH {
        for op in (0x3..=0x7).chain(0xB..=0xF) {
            let wire = raw_frame(true, Rsv::NONE, op, mask_for(role), b"");
            let expected = ProtocolError::Frame(FrameError::UnknownOpCode(op));
            check(role, &Config::default(), &wire, &[], expected, 1002);
        }
    }
}

#[test]
fn fragmented_control_frames_fail_with_1002() {
    for role in BOTH {
        for op in [OpCode::Ping, OpCode::Pong, OpCode::Close] {
            let wire = raw_frame(false, Rsv::NONE, op.as_u8(), mask_for(role), b"");
            let expected = ProtocolError::Frame(FrameError::FragmentedControl);
            check(role, &Config::default(), &wire, &[], expected, 1002);
        }
    }
}

#[test]
fn control_frames_over_125_bytes_fail_with_1002() {
    for role in BOTH {
        for op in [OpCode::Ping, OpCode::Pong, OpCode::Close] {
            let wire = raw_frame(true, Rsv::NONE, op.as_u8(), mask_for(role), &[b'a'; 126]);
            let expected = ProtocolError::Frame(FrameError::ControlTooLong);
            check(role, &Config::default(), &wire, &[], expected, 1002);
        }
        // 125 is fine.
        let mut conn = connection(role, Config::default());
        let wire = raw_frame(true, Rsv::NONE, 0x9, mask_for(role), &[b'a'; 125]);
        assert_eq!(
            common::receive_events(&mut conn, &wire),
            [Event::Ping(Bytes::from(vec![b'a'; 125]))]
        );
    }
}

#[test]
fn malformed_lengths_fail_with_1002() {
    for role in BOTH {
        let mut non_minimal = vec![0x82, 126, 0, 5];
        let mut msb = vec![0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0];
        if role == Role::Server {
            non_minimal[1] |= 0x80;
            non_minimal.extend_from_slice(&KEY);
            msb[1] |= 0x80;
            msb.extend_from_slice(&KEY);
        }
        let expected = ProtocolError::Frame(FrameError::NonMinimalLength);
        check(role, &Config::default(), &non_minimal, &[], expected, 1002);
        let expected = ProtocolError::Frame(FrameError::LengthMsbSet);
        check(role, &Config::default(), &msb, &[], expected, 1002);
    }
}

#[test]
fn continuation_without_a_message_fails_with_1002() {
    for role in BOTH {
        let wire = peer_frame(role, OpCode::Continuation, true, b"orphan");
        check(
            role,
            &Config::default(),
            &wire,
            &[],
            ProtocolError::UnexpectedContinuation,
            1002,
        );
        // Also right after a message ended.
        let mut wire = peer_frame(role, OpCode::Text, true, b"done");
        wire.extend(peer_frame(role, OpCode::Continuation, false, b"more"));
        let before = [text(b"done", true)];
        check(
            role,
            &Config::default(),
            &wire,
            &before,
            ProtocolError::UnexpectedContinuation,
            1002,
        );
    }
}

#[test]
fn new_data_frame_inside_a_fragmented_message_fails_with_1002() {
    for role in BOTH {
        for second in [OpCode::Text, OpCode::Binary] {
            let mut wire = peer_frame(role, OpCode::Text, false, b"first");
            // A control frame between fragments is fine.
            wire.extend(peer_frame(role, OpCode::Ping, true, b"p"));
            wire.extend(peer_frame(role, second, true, b"second"));
            let before = [text(b"first", false), Event::Ping(Bytes::from_static(b"p"))];
            check(
                role,
                &Config::default(),
                &wire,
                &before,
                ProtocolError::ExpectedContinuation,
                1002,
            );
        }
    }
}

#[test]
fn invalid_utf8_fails_inside_an_incomplete_frame_with_1007() {
    for role in BOTH {
        for bad_start in [
            &[0xFF][..],
            &[0xC0, 0xAF],
            &[b'o', b'k', 0xED, 0xA0],
            &[0xF4, 0x90],
        ] {
            let mut payload = bad_start.to_vec();
            payload.resize(1000, b'a');
            let wire = peer_frame(role, OpCode::Text, true, &payload);
            let header_len = if role == Role::Server { 8 } else { 4 };
            let mut conn = connection(role, Config::default());
            // Only the header and the first bytes: the rest never comes.
            let partial = &wire[..header_len + bad_start.len()];
            let error = receive_error(&mut conn, partial);
            assert_eq!(
                error,
                Error::Protocol(ProtocolError::InvalidUtf8),
                "{bad_start:x?}"
            );
            expect_close_sent(&mut conn, CloseCode::INVALID_PAYLOAD);
            assert_failed_for_good(&mut conn, &error);

            check(
                role,
                &Config::default(),
                &wire,
                &[],
                ProtocolError::InvalidUtf8,
                1007,
            );
        }
    }
}

#[test]
fn invalid_utf8_split_across_fragments_fails_with_1007() {
    for role in BOTH {
        // "€" is E2 82 AC: the first fragment ends inside it, valid so
        // far; the next one breaks it.
        let mut wire = peer_frame(role, OpCode::Text, false, b"ab\xE2\x82");
        wire.extend(peer_frame(role, OpCode::Continuation, true, b"\x28cd"));
        let before = [text(b"ab\xE2\x82", false)];
        check(
            role,
            &Config::default(),
            &wire,
            &before,
            ProtocolError::InvalidUtf8,
            1007,
        );

        // A message that ends inside a code point.
        let mut wire = peer_frame(role, OpCode::Text, false, b"\xF0\x9F");
        wire.extend(peer_frame(role, OpCode::Continuation, false, b"\x98"));
        wire.extend(peer_frame(role, OpCode::Continuation, true, b""));
        let before = [text(b"\xF0\x9F", false), text(b"\x98", false)];
        check(
            role,
            &Config::default(),
            &wire,
            &before,
            ProtocolError::InvalidUtf8,
            1007,
        );

        // The same code point completed is fine.
        let mut wire = peer_frame(role, OpCode::Text, false, b"\xF0\x9F");
        wire.extend(peer_frame(role, OpCode::Continuation, true, b"\x98\x80"));
        let mut conn = connection(role, Config::default());
        let got = common::receive_events(&mut conn, &wire);
        assert_eq!(common::messages(&got), [(true, "😀".as_bytes().to_vec())]);
    }
}

#[test]
fn invalid_close_codes_fail_with_1002() {
    for role in BOTH {
        for code in [1005u16, 1006, 999, 5000, 0, 1004, 1015, 1016, 2999, 65535] {
            let wire = peer_frame(role, OpCode::Close, true, &close_body(code, b""));
            let expected =
                ProtocolError::InvalidClose(CloseBodyError::InvalidCode(CloseCode::new(code)));
            check(role, &Config::default(), &wire, &[], expected, 1002);
        }
    }
}

#[test]
fn close_reason_with_invalid_utf8_fails_with_1007() {
    for role in BOTH {
        let wire = peer_frame(role, OpCode::Close, true, &close_body(1000, b"bye \xFF"));
        let expected = ProtocolError::InvalidClose(CloseBodyError::InvalidUtf8);
        check(role, &Config::default(), &wire, &[], expected, 1007);
    }
}

#[test]
fn close_body_of_one_byte_fails_with_1002() {
    for role in BOTH {
        let wire = peer_frame(role, OpCode::Close, true, &[0x03]);
        let expected = ProtocolError::InvalidClose(CloseBodyError::Truncated);
        check(role, &Config::default(), &wire, &[], expected, 1002);
    }
}

#[test]
fn frame_over_the_frame_limit_fails_with_1009_before_its_payload() {
    let config = limited(64 << 10).with_max_frame_size(1000);
    for role in BOTH {
        let wire = peer_frame(role, OpCode::Binary, true, &[7; 1001]);
        let expected = ProtocolError::FrameTooBig {
            len: 1001,
            max: 1000,
        };
        check(role, &config, &wire, &[], expected.clone(), 1009);
        // The header alone is enough: the payload is never buffered.
        let header_len = if role == Role::Server { 8 } else { 4 };
        let mut conn = connection(role, config.clone());
        assert_eq!(
            receive_error(&mut conn, &wire[..header_len]),
            Error::Protocol(expected)
        );
        // At the limit is fine.
        let mut conn = connection(role, config.clone());
        let ok = peer_frame(role, OpCode::Binary, true, &[7; 1000]);
        assert_eq!(common::receive_events(&mut conn, &ok).len(), 1);
    }
}

#[test]
fn message_over_the_limit_across_fragments_fails_with_1009() {
    for role in BOTH {
        let mut wire = peer_frame(role, OpCode::Binary, false, &[1; 600]);
        wire.extend(peer_frame(role, OpCode::Ping, true, b""));
        wire.extend(peer_frame(role, OpCode::Continuation, false, &[2; 300]));
        wire.extend(peer_frame(role, OpCode::Continuation, true, &[3; 101]));
        let before = [
            Event::Binary {
                payload: Bytes::from(vec![1; 600]),
                fin: false,
            },
            Event::Ping(Bytes::new()),
            Event::Binary {
                payload: Bytes::from(vec![2; 300]),
                fin: false,
            },
        ];
        // The last fragment is refused whole, from its header.
        let expected = ProtocolError::MessageTooBig {
            len: 1001,
            max: 1000,
        };
        check(role, &limited(1000), &wire, &before, expected, 1009);
    }
}

#[test]
fn a_single_frame_over_the_message_limit_reports_the_message_limit() {
    // With only a message limit set, the frame limit follows it down; a
    // frame over both is reported against the limit the caller chose.
    for role in BOTH {
        let wire = peer_frame(role, OpCode::Text, true, &[b'a'; 1001]);
        let expected = ProtocolError::MessageTooBig {
            len: 1001,
            max: 1000,
        };
        check(role, &limited(1000), &wire, &[], expected, 1009);
    }
}

#[test]
fn bytes_after_the_peers_close_are_ignored() {
    for role in BOTH {
        let mut conn = connection(role, Config::default());
        let mut wire = peer_frame(role, OpCode::Close, true, &close_body(1000, b"bye"));
        wire.extend_from_slice(&[0xFF; 20]);
        let got = common::receive_events(&mut conn, &wire);
        assert!(matches!(&got[..], [Event::Close(c)] if c.code() == CloseCode::NORMAL));
        conn.receive(&[0x83, 0x00]);
        assert_eq!(conn.next_event(), Ok(None));
        assert_eq!(conn.error(), None);
        expect_close_sent(&mut conn, CloseCode::NORMAL);
    }
}

// ---- the transport ends early ------------------------------------------

#[test]
fn eof_inside_a_frame_is_an_unexpected_eof() {
    for role in BOTH {
        let wire = peer_frame(role, OpCode::Binary, true, &[5; 300]);
        for cut in [1, 3, wire.len() - 1] {
            let mut conn = connection(role, Config::default());
            conn.receive(&wire[..cut]);
            assert_eq!(conn.next_event(), Ok(None));
            conn.receive_eof();
            assert_eq!(conn.next_event(), Err(Error::UnexpectedEof));
            assert_eq!(conn.next_event(), Err(Error::UnexpectedEof), "sticky");
            assert!(conn.should_shutdown() && conn.is_closed());
            // The transport is gone: nothing is queued for it.
            assert!(!conn.wants_write());
            assert_eq!(conn.send_text("x"), Err(Error::Usage(UsageError::Closed)));
        }
    }
}

#[test]
fn eof_between_fragments_is_an_unexpected_eof() {
    for role in BOTH {
        let mut conn = connection(role, Config::default());
        conn.receive(&peer_frame(role, OpCode::Text, false, b"part"));
        conn.receive_eof();
        let (got, error) = drain(&mut conn);
        assert_eq!(got, [text(b"part", false)]);
        assert_eq!(error, Some(Error::UnexpectedEof));
        assert_eq!(conn.next_event(), Err(Error::UnexpectedEof));
    }
}

#[test]
fn eof_after_the_closing_handshake_is_no_error() {
    for role in BOTH {
        let mut conn = connection(role, Config::default());
        conn.close(CloseCode::NORMAL, "").unwrap();
        let _ = conn.take_transmit();
        conn.receive(&peer_frame(
            role,
            OpCode::Close,
            true,
            &close_body(1000, b""),
        ));
        conn.receive_eof();
        let (got, error) = drain(&mut conn);
        assert_eq!(error, None);
        assert_eq!(got.len(), 1);
        assert!(conn.is_closed() && conn.should_shutdown());
        assert_eq!(conn.error(), None);
    }
}
