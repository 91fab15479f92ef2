//! The extension hook, through a test extension that owns RSV1 and
//! run-length encodes payloads (so that a few bytes on the wire can decode
//! into a large message, as with permessage-deflate): reserved bits are
//! accepted only when an extension owns them and only on a message's first
//! frame, and the message limit counts decoded bytes.

mod common;

use bytes::Bytes;
use common::{check_failure, close_body, limited, raw_frame, Pair, KEY};
use ws_proto::extension::{Extension, ExtensionError};
use ws_proto::frame::{OpCode, Rsv};
use ws_proto::{CloseCode, Config, Connection, Event, MessageKind, ProtocolError, Role};

/// Run-length encoding: `(count, byte)` pairs, count 1 to 255.
#[derive(Debug, Clone, Copy)]
struct Rle {
    /// Whether decode stops at `max_len`, as the trait asks. A careless
    /// extension shows that the connection enforces the limit itself.
    honors_limit: bool,
}

fn rle_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(&byte) = rest.first() {
        let run = rest.iter().take(255).take_while(|&&b| b == byte).count();
        out.extend_from_slice(&[run as u8, byte]);
        rest = &rest[run..];
    }
    out
}

fn rle_error(reason: &str, code: CloseCode) -> ExtensionError {
    ExtensionError {
        reason: reason.to_owned(),
        code,
    }
}

impl Extension for Rle {
    fn reserved_bits(&self) -> Rsv {
        Rsv::RSV1
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        payload: Bytes,
        _first: bool,
        _fin: bool,
    ) -> Result<(Bytes, Rsv), ExtensionError> {
        Ok((Bytes::from(rle_encode(&payload)), Rsv::RSV1))
    }

    fn decode(
        &mut self,
        rsv: Rsv,
        payload: Bytes,
        _fin: bool,
        max_len: usize,
    ) -> Result<Bytes, ExtensionError> {
        assert_eq!(
            rsv,
            Rsv::RSV1,
            "decode is only asked for messages with our bit"
        );
        if payload.len() % 2 != 0 {
            return Err(rle_error("odd run-length data", CloseCode::PROTOCOL_ERROR));
        }
        let mut out = Vec::new();
        for pair in payload.chunks_exact(2) {
            if self.honors_limit && out.len() + usize::from(pair[0]) > max_len {
                return Err(rle_error(
                    "decoded message too big",
                    CloseCode::MESSAGE_TOO_BIG,
                ));
            }
            out.extend(std::iter::repeat_n(pair[1], usize::from(pair[0])));
        }
        Ok(Bytes::from(out))
    }
}

const CAREFUL: Rle = Rle { honors_limit: true };
const CARELESS: Rle = Rle {
    honors_limit: false,
};

fn with_rle(mut conn: Connection, rle: Rle) -> Connection {
    conn.set_extension(Box::new(rle));
    conn
}

fn server_with(config: Config, rle: Rle) -> Connection {
    with_rle(common::server(config), rle)
}

/// A client frame with any reserved bits.
fn frame(fin: bool, rsv: Rsv, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    raw_frame(fin, rsv, opcode.as_u8(), Some(KEY), payload)
}

fn text(payload: &[u8], fin: bool) -> Event {
    Event::Text {
        payload: Bytes::copy_from_slice(payload),
        fin,
    }
}

#[test]
fn rsv1_is_accepted_only_when_an_extension_owns_it() {
    let wire = frame(true, Rsv::RSV1, OpCode::Text, &rle_encode(b"aaaab"));
    check_failure(
        &|| common::server(Config::default()),
        &wire,
        &[],
        ProtocolError::ReservedBits(Rsv::RSV1),
        1002,
    );
    let mut server = server_with(Config::default(), CAREFUL);
    assert_eq!(
        common::receive_events(&mut server, &wire),
        [text(b"aaaab", true)]
    );
}

#[test]
fn bits_the_extension_does_not_own_are_refused() {
    for rsv in [Rsv::RSV2, Rsv::RSV3, Rsv::RSV1.union(Rsv::RSV2)] {
        let wire = frame(true, rsv, OpCode::Binary, &rle_encode(b"x"));
        check_failure(
            &|| server_with(Config::default(), CAREFUL),
            &wire,
            &[],
            ProtocolError::ReservedBits(rsv),
            1002,
        );
    }
}

#[test]
fn rsv1_only_on_the_first_frame_of_a_message() {
    let mut wire = frame(false, Rsv::RSV1, OpCode::Text, &rle_encode(b"aa"));
    wire.extend(frame(
        true,
        Rsv::RSV1,
        OpCode::Continuation,
        &rle_encode(b"bb"),
    ));
    check_failure(
        &|| server_with(Config::default(), CAREFUL),
        &wire,
        &[text(b"aa", false)],
        ProtocolError::ReservedBits(Rsv::RSV1),
        1002,
    );
    // Never on a control frame.
    let ping = frame(true, Rsv::RSV1, OpCode::Ping, b"");
    check_failure(
        &|| server_with(Config::default(), CAREFUL),
        &ping,
        &[],
        ProtocolError::ReservedBits(Rsv::RSV1),
        1002,
    );
    // Without the bit on later frames, the whole message is decoded.
    let mut wire = frame(false, Rsv::RSV1, OpCode::Text, &rle_encode(b"aa"));
    wire.extend(frame(true, Rsv::NONE, OpCode::Ping, b"p"));
    wire.extend(frame(
        true,
        Rsv::NONE,
        OpCode::Continuation,
        &rle_encode(b"bbb"),
    ));
    let mut server = server_with(Config::default(), CAREFUL);
    assert_eq!(
        common::receive_events(&mut server, &wire),
        [
            text(b"aa", false),
            Event::Ping(Bytes::from_static(b"p")),
            text(b"bbb", true)
        ]
    );
}

#[test]
fn a_message_without_the_bit_is_not_decoded() {
    let mut server = server_with(Config::default(), CAREFUL);
    let wire = frame(true, Rsv::NONE, OpCode::Binary, &[3, 3, 3]);
    assert_eq!(
        common::receive_events(&mut server, &wire),
        [Event::Binary {
            payload: Bytes::from_static(&[3, 3, 3]),
            fin: true
        }]
    );
}

#[test]
fn both_ends_encode_and_decode_through_a_pair() {
    let client = with_rle(common::client(Config::default()), CAREFUL);
    let server = server_with(Config::default(), CAREFUL);
    let mut pair = Pair::from_connections(client, server);
    let long = "z".repeat(1000);
    pair.client.conn.send_text(long.as_str()).unwrap();
    pair.client
        .conn
        .send_fragment(MessageKind::Binary, vec![1, 1, 1], false)
        .unwrap();
    pair.client
        .conn
        .send_fragment(MessageKind::Binary, vec![2, 2], true)
        .unwrap();
    pair.server.conn.send_text("back").unwrap();
    pair.drive();

    assert_eq!(
        common::messages(&pair.server.events),
        [
            (true, long.clone().into_bytes()),
            (false, vec![1, 1, 1, 2, 2])
        ]
    );
    assert_eq!(
        common::messages(&pair.client.events),
        [(true, b"back".to_vec())]
    );
    // On the wire: encoded, RSV1 on each message's first frame only.
    let frames = pair.client.written_frames();
    let rsv: Vec<Rsv> = frames.iter().map(|f| f.header.rsv).collect();
    assert_eq!(rsv, [Rsv::RSV1, Rsv::RSV1, Rsv::NONE]);
    assert_eq!(frames[0].payload, rle_encode(long.as_bytes()));
    assert_eq!(frames[0].payload.len(), 8, "1000 bytes in four runs");
}

#[test]
fn the_message_limit_counts_decoded_bytes() {
    let at_limit = frame(true, Rsv::RSV1, OpCode::Text, &rle_encode(&[b'a'; 1000]));
    let over = frame(true, Rsv::RSV1, OpCode::Text, &rle_encode(&[b'a'; 1001]));
    // Eight bytes of payload on the wire, far below every limit.
    assert_eq!(over.len(), 6 + 8);
    for rle in [CAREFUL, CARELESS] {
        let mut server = server_with(limited(1000), rle);
        let got = common::receive_events(&mut server, &at_limit);
        assert_eq!(common::messages(&got), [(true, vec![b'a'; 1000])]);
    }
    // An extension that stops at the room it is given and one that does
    // not (caught by the connection) fail the same way, naming the limit.
    for rle in [CAREFUL, CARELESS] {
        check_failure(
            &|| server_with(limited(1000), rle),
            &over,
            &[],
            ProtocolError::MessageTooBig {
                len: 1001,
                max: 1000,
            },
            1009,
        );
    }
}

#[test]
fn the_decoded_limit_holds_across_fragments() {
    let mut wire = frame(false, Rsv::RSV1, OpCode::Binary, &rle_encode(&[7; 600]));
    wire.extend(frame(
        true,
        Rsv::NONE,
        OpCode::Continuation,
        &rle_encode(&[8; 401]),
    ));
    let before = [Event::Binary {
        payload: Bytes::from(vec![7; 600]),
        fin: false,
    }];
    for rle in [CAREFUL, CARELESS] {
        check_failure(
            &|| server_with(limited(1000), rle),
            &wire,
            &before,
            ProtocolError::MessageTooBig {
                len: 1001,
                max: 1000,
            },
            1009,
        );
    }
}

#[test]
fn decoded_text_must_be_utf8_and_decode_errors_use_the_extensions_code() {
    let wire = frame(true, Rsv::RSV1, OpCode::Text, &[2, 0xFF]);
    check_failure(
        &|| server_with(Config::default(), CAREFUL),
        &wire,
        &[],
        ProtocolError::InvalidUtf8,
        1007,
    );
    let wire = frame(true, Rsv::RSV1, OpCode::Binary, &[1, 2, 3]);
    check_failure(
        &|| server_with(Config::default(), CAREFUL),
        &wire,
        &[],
        ProtocolError::Extension {
            reason: "odd run-length data".to_owned(),
            code: CloseCode::PROTOCOL_ERROR,
        },
        1002,
    );
}

#[test]
fn control_frames_pass_the_extension_by() {
    let client = with_rle(common::client(Config::default()), CAREFUL);
    let server = server_with(Config::default(), CAREFUL);
    let mut pair = Pair::from_connections(client, server);
    pair.client.conn.send_ping(&b"pp"[..]).unwrap();
    pair.client.conn.close(CloseCode::NORMAL, "bye").unwrap();
    pair.drive();
    let frames = pair.client.written_frames();
    assert!(frames.iter().all(|f| f.header.rsv == Rsv::NONE));
    assert_eq!(frames[0].payload, b"pp");
    assert_eq!(frames[1].payload, close_body(1000, b"bye"));
    assert_eq!(pair.server.closes()[0].reason(), "bye");
    assert_eq!(pair.client.conn.role(), Role::Client);
}
