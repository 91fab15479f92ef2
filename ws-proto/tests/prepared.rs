//! Prepared messages (encoded once, sent on many connections) without an
//! extension: the bytes each role puts on the wire, the payload shared by
//! reference, and the rules `send` obeys.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::IoSlice;

use bytes::Bytes;
use ws_proto::frame::{OpCode, Rsv};
use ws_proto::{Config, Connection, Error, Event, MessageKind, PreparedMessage, UsageError};

fn server() -> Connection {
    common::server(Config::default().without_deflate())
}

fn client() -> Connection {
    common::client(Config::default().without_deflate())
}

#[test]
fn a_server_sends_the_same_bytes_as_send_for_every_size() {
    // Each length form of section 5.2: 7-bit, 16-bit and 64-bit.
    for len in [0, 1, 125, 126, 4095, 4096, 65535, 65536, 70_000] {
        let text = common::text_filler(len, len as u64);
        let prepared = PreparedMessage::text(text.clone());
        let mut by_send = server();
        by_send.send_text(text.clone()).unwrap();
        let expected = by_send.take_transmit();
        for _ in 0..2 {
            let mut conn = server();
            conn.send_prepared(&prepared).unwrap();
            assert_eq!(conn.take_transmit(), expected, "text of {len} bytes");
        }
        let binary = PreparedMessage::binary(Bytes::from(text.into_bytes()));
        let mut conn = server();
        conn.send_prepared(&binary).unwrap();
        let frames = common::sent_frames(&mut conn);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].header.opcode, OpCode::Binary);
        assert_eq!(frames[0].payload.len(), len);
    }
}

#[test]
fn a_large_payload_is_queued_by_reference_on_every_connection() {
    let payload = Bytes::from(common::filler(64 << 10, 7));
    let prepared = PreparedMessage::binary(payload.clone());
    for _ in 0..3 {
        let mut conn = server();
        conn.send_prepared(&prepared).unwrap();
        let mut slices = [IoSlice::new(&[]); 4];
        let n = conn.transmit_chunks(&mut slices);
        assert_eq!(n, 2, "the header, then the payload");
        assert_eq!(slices[1].as_ptr(), payload.as_ptr(), "no copy");
        assert_eq!(slices[1].len(), payload.len());
    }
}

#[test]
fn small_prepared_frames_are_batched_with_other_frames() {
    let prepared = PreparedMessage::text("hi");
    let mut conn = server();
    conn.send_text("one").unwrap();
    conn.send_prepared(&prepared).unwrap();
    conn.send_prepared(&prepared).unwrap();
    conn.send_text("two").unwrap();
    let mut slices = [IoSlice::new(&[]); 4];
    assert_eq!(conn.transmit_chunks(&mut slices), 1, "one buffer");
    let payloads: Vec<Vec<u8>> = common::sent_frames(&mut conn)
        .into_iter()
        .map(|f| f.payload)
        .collect();
    assert_eq!(payloads, [&b"one"[..], b"hi", b"hi", b"two"]);
}

#[test]
fn a_client_masks_each_copy_with_its_own_key() {
    let prepared = PreparedMessage::text("hello, room");
    let mut keys = Vec::new();
    let mut conn = client();
    for _ in 0..2 {
        conn.send_prepared(&prepared).unwrap();
    }
    let wire = conn.take_transmit();
    for frame in common::parse_frames(ws_proto::Role::Client, &wire) {
        assert_eq!(frame.payload, b"hello, room");
        assert_eq!(frame.header.rsv, Rsv::NONE);
        keys.push(frame.header.mask.unwrap());
    }
    assert_ne!(keys[0], keys[1], "a fresh key per frame");
    assert_eq!(
        &prepared.payload()[..],
        b"hello, room",
        "the shared payload is unmasked"
    );
    // And a server reads it.
    let mut peer = server();
    let events = common::receive_events(&mut peer, &wire);
    assert_eq!(
        events[0],
        Event::Text {
            payload: Bytes::from_static(b"hello, room"),
            fin: true
        }
    );
}

#[test]
fn sending_obeys_the_rules_of_send() {
    let prepared = PreparedMessage::text("x");
    // Inside a fragmented message.
    let mut conn = server();
    conn.send_fragment(MessageKind::Text, "par", false).unwrap();
    assert!(matches!(
        conn.send_prepared(&prepared),
        Err(Error::Usage(UsageError::MessageInProgress))
    ));
    // After our Close.
    let mut conn = server();
    conn.close(ws_proto::CloseCode::NORMAL, "").unwrap();
    assert!(matches!(
        conn.send_prepared(&prepared),
        Err(Error::Usage(UsageError::Closed))
    ));
    // At the write buffer limit.
    let mut conn = common::server(Config::default().with_write_buffer_limit(16));
    let big = PreparedMessage::binary(vec![0u8; 32]);
    conn.send_prepared(&big).unwrap();
    assert!(matches!(
        conn.send_prepared(&prepared),
        Err(Error::Usage(UsageError::WriteBufferFull))
    ));
    assert_eq!(
        conn.write_buffer_len(),
        34,
        "the refused frame was not queued"
    );
}
