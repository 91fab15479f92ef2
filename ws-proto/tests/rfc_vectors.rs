//! The frame examples of RFC 6455 section 5.7, received by a connection of
//! the right role (fed whole, byte by byte, in chunks, through the
//! zero-copy read buffer, and with trailing bytes) and sent by one.

mod common;

use bytes::Bytes;
use common::{client, feed, parse_frames, server, Feed, SEED};
use ws_proto::entropy::{Entropy, Seeded};
use ws_proto::frame::{apply_mask, OpCode};
use ws_proto::MessageKind;
use ws_proto::{CloseCode, Config, Event, Role};

const HELLO: &[u8] = b"Hello";
const UNMASKED_HELLO: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
const MASKED_HELLO: [u8; 11] = [
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
];

fn text(payload: &[u8], fin: bool) -> Event {
    Event::Text {
        payload: Bytes::copy_from_slice(payload),
        fin,
    }
}

fn binary(payload: &[u8]) -> Event {
    Event::Binary {
        payload: Bytes::copy_from_slice(payload),
        fin: true,
    }
}

/// Feeds `wire` to a fresh connection of `receiver` in every way, and with
/// a trailing partial frame, and checks each gives `expected` and sends
/// `expected_reply` (parsed frames: opcode and payload).
fn check_received(
    receiver: Role,
    wire: &[u8],
    expected: &[Event],
    expected_reply: &[(OpCode, &[u8])],
) {
    let mut with_trailer = wire.to_vec();
    // The first byte of a next frame: needs more input, changes nothing.
    with_trailer.push(0x82);
    let ways = [
        Feed::Whole,
        Feed::ByteByByte,
        Feed::Chunks(vec![3, 1, 7]),
        Feed::ReadBuffer(vec![5, 1000]),
        Feed::ReadBuffer(vec![usize::MAX]),
    ];
    for input in [wire, &with_trailer[..]] {
        for how in &ways {
            let mut conn = match receiver {
                Role::Client => client(Config::default()),
                Role::Server => server(Config::default()),
            };
            let out = feed(&mut conn, input, how);
            assert_eq!(out.error, None, "{how:?}");
            assert_eq!(out.events, expected, "{how:?}");
            let reply: Vec<(OpCode, Vec<u8>)> = parse_frames(receiver, &out.transmit)
                .into_iter()
                .map(|f| (f.header.opcode, f.payload))
                .collect();
            let expected_reply: Vec<(OpCode, Vec<u8>)> = expected_reply
                .iter()
                .map(|(op, p)| (*op, p.to_vec()))
                .collect();
            assert_eq!(reply, expected_reply, "{how:?}");
        }
    }
}

#[test]
fn single_frame_unmasked_text_to_a_client() {
    check_received(Role::Client, &UNMASKED_HELLO, &[text(HELLO, true)], &[]);
}

#[test]
fn single_frame_masked_text_to_a_server() {
    check_received(Role::Server, &MASKED_HELLO, &[text(HELLO, true)], &[]);
}

#[test]
fn fragmented_unmasked_text_to_a_client() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    check_received(
        Role::Client,
        &wire,
        &[text(b"Hel", false), text(b"lo", true)],
        &[],
    );
}

#[test]
fn unmasked_ping_is_reported_and_answered_with_a_masked_pong() {
    let wire = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    check_received(
        Role::Client,
        &wire,
        &[Event::Ping(Bytes::from_static(HELLO))],
        &[(OpCode::Pong, HELLO)],
    );
}

#[test]
fn masked_pong_to_a_server() {
    let wire = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    check_received(
        Role::Server,
        &wire,
        &[Event::Pong(Bytes::from_static(HELLO))],
        &[],
    );
}

#[test]
fn binary_256_bytes_with_a_16_bit_length() {
    let payload = common::filler(256, 256);
    let mut wire = vec![0x82, 0x7E, 0x01, 0x00];
    wire.extend_from_slice(&payload);
    check_received(Role::Client, &wire, &[binary(&payload)], &[]);
}

#[test]
fn binary_64_kib_with_a_64_bit_length() {
    let payload = common::filler(65536, 65536);
    let mut wire = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0, 0];
    wire.extend_from_slice(&payload);
    check_received(Role::Client, &wire, &[binary(&payload)], &[]);
}

// ---- what our connection sends -------------------------------------------

#[test]
fn server_frames_are_the_section_5_7_bytes() {
    let mut conn = server(Config::default());
    conn.send_text("Hello").unwrap();
    assert_eq!(&conn.take_transmit()[..], &UNMASKED_HELLO);

    conn.send_fragment(MessageKind::Text, &b"Hel"[..], false)
        .unwrap();
    conn.send_fragment(MessageKind::Text, &b"lo"[..], true)
        .unwrap();
    assert_eq!(
        &conn.take_transmit()[..],
        &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
    );

    conn.send_ping(HELLO).unwrap();
    conn.send_pong(HELLO).unwrap();
    assert_eq!(
        &conn.take_transmit()[..],
        b"\x89\x05Hello\x8a\x05Hello".as_slice()
    );

    let small = common::filler(256, 1);
    conn.send_binary(small.clone()).unwrap();
    let wire = conn.take_transmit();
    assert_eq!(&wire[..4], &[0x82, 0x7E, 0x01, 0x00]);
    assert_eq!(&wire[4..], &small[..]);

    // Large enough to be queued by reference rather than copied.
    let big = Bytes::from(common::filler(65536, 2));
    conn.send_binary(big.clone()).unwrap();
    let wire = conn.take_transmit();
    assert_eq!(&wire[..10], &[0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0, 0]);
    assert_eq!(&wire[10..], &big[..]);

    conn.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(&conn.take_transmit()[..], &[0x88, 0x02, 0x03, 0xe8]);
}

/// The keys a client seeded with `SEED` draws, one per frame.
fn keys() -> impl FnMut() -> [u8; 4] {
    let mut source = Seeded::new(SEED);
    move || {
        let mut key = [0; 4];
        source.fill(&mut key);
        key
    }
}

/// A masked frame with a short header, as section 5.7 shows it.
fn masked(b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let len = u8::try_from(payload.len()).expect("a short payload");
    assert!(len < 126);
    let mut wire = vec![b0, 0x80 | len];
    wire.extend_from_slice(&key);
    let mut body = payload.to_vec();
    apply_mask(&mut body, key, 0);
    wire.extend_from_slice(&body);
    wire
}

#[test]
fn client_frames_are_masked_with_keys_from_its_entropy() {
    let mut next_key = keys();
    let mut conn = client(Config::default());

    conn.send_text("Hello").unwrap();
    let key = next_key();
    assert_eq!(&conn.take_transmit()[..], &masked(0x81, HELLO, key)[..]);

    // Every frame draws a fresh key.
    conn.send_fragment(MessageKind::Text, &b"Hel"[..], false)
        .unwrap();
    conn.send_fragment(MessageKind::Text, &b"lo"[..], true)
        .unwrap();
    conn.send_ping(HELLO).unwrap();
    let mut expected = masked(0x01, b"Hel", next_key());
    expected.extend(masked(0x80, b"lo", next_key()));
    expected.extend(masked(0x89, HELLO, next_key()));
    assert_eq!(&conn.take_transmit()[..], &expected[..]);

    // A large payload is masked in place, or in a copy when the caller
    // still holds the bytes, which must stay untouched.
    for shared in [false, true] {
        let plain = common::filler(65536, 3);
        let payload = Bytes::from(plain.clone());
        let kept = shared.then(|| payload.clone());
        conn.send_binary(payload).unwrap();
        let key = next_key();
        let wire = conn.take_transmit();
        assert_eq!(&wire[..10], &[0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0, 0]);
        assert_eq!(&wire[10..14], &key);
        let mut body = wire[14..].to_vec();
        apply_mask(&mut body, key, 0);
        assert_eq!(body, plain);
        if let Some(kept) = kept {
            assert_eq!(&kept[..], &plain[..]);
        }
    }

    conn.close(CloseCode::GOING_AWAY, "bye").unwrap();
    assert_eq!(
        &conn.take_transmit()[..],
        &masked(0x88, b"\x03\xe9bye", next_key())[..]
    );
}

#[test]
fn a_client_and_a_server_read_each_other() {
    // The sent bytes above, read back by the other role.
    let mut sender = server(Config::default());
    sender.send_text("Hello").unwrap();
    let mut receiver = client(Config::default());
    receiver.receive(&sender.take_transmit());
    assert_eq!(common::events(&mut receiver), [text(HELLO, true)]);

    let mut sender = client(Config::default());
    sender.send_text("Hello").unwrap();
    let mut receiver = server(Config::default());
    receiver.receive(&sender.take_transmit());
    assert_eq!(common::events(&mut receiver), [text(HELLO, true)]);
}
