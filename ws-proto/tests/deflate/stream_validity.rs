//! Every compressed message we send is a valid RFC 7692 stream: empty
//! fragments and empty messages included, at every window size, with and
//! without context takeover. Checked three ways: the regressions that
//! found the bug, a round trip through our own receiver for arbitrary
//! fragment sequences, and the same wire bytes inflated by an independent
//! decoder (miniz_oxide, not the zlib-rs we compress with).

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use proptest::prelude::*;
use ws_proto::deflate::DeflateConfig;
use ws_proto::frame::{OpCode, Rsv};
use ws_proto::{Connection, MessageKind, Role};

use super::common::{self, Pair, WireFrame};
use super::{deflate_config, eager, handshake, with_deflate, TAIL};

/// A pair that negotiated permessage-deflate, and which directions reset
/// their compressor after every message (client's, server's), as agreed.
fn negotiated(client: DeflateConfig, server: DeflateConfig) -> (Pair, [bool; 2]) {
    let (client, server, agreed) =
        handshake(with_deflate(Some(client)), with_deflate(Some(server)));
    let agreed = agreed.expect("permessage-deflate was negotiated");
    let resets = [
        agreed.contains("client_no_context_takeover"),
        agreed.contains("server_no_context_takeover"),
    ];
    (Pair::from_connections(client, server), resets)
}

fn window_bits(bits: u8) -> DeflateConfig {
    DeflateConfig::default()
        .with_server_max_window_bits(bits)
        .with_client_max_window_bits(bits)
}

// ---- the reproductions ----------------------------------------------------

/// Sends with `send` from a client to a server that agreed on `settings`
/// both ways; the server, and an independent decoder reading the wire,
/// must both get `expected`.
fn check_client_to_server(
    settings: DeflateConfig,
    send: impl FnOnce(&mut Connection),
    expected: &[Vec<u8>],
) {
    let (mut pair, resets) = negotiated(settings.clone(), settings);
    send(&mut pair.client.conn);
    pair.drive();
    assert_eq!(pair.server.error, None);
    let payloads = |messages: Vec<(bool, Vec<u8>)>| -> Vec<Vec<u8>> {
        messages.into_iter().map(|(_, m)| m).collect()
    };
    assert_eq!(
        payloads(common::messages(&pair.server.take_events())),
        expected
    );
    let independent = independently_inflated(&pair.client.written_frames(), resets[0]);
    assert_eq!(payloads(independent), expected, "inflated by miniz_oxide");
}

#[test]
fn an_empty_final_fragment_after_compressed_data() {
    check_client_to_server(
        DeflateConfig::default(),
        |c| {
            c.send_fragment(MessageKind::Binary, &b"hello"[..], false)
                .unwrap();
            c.send_fragment(MessageKind::Binary, &b""[..], true)
                .unwrap();
            c.send_binary(vec![7; 100]).unwrap();
        },
        &[b"hello".to_vec(), vec![7; 100]],
    );
}

#[test]
fn an_empty_message_after_compressed_data_with_context_takeover() {
    check_client_to_server(
        eager(),
        |c| {
            c.send_text("hello").unwrap();
            c.send_text("").unwrap();
            c.send_text("world").unwrap();
        },
        &[b"hello".to_vec(), Vec::new(), b"world".to_vec()],
    );
}

#[test]
fn an_empty_final_fragment_after_stored_blocks_of_8_bit_windows() {
    // Before the fix this one failed silently: the third message arrived
    // with the raw stored-block bytes around its data.
    check_client_to_server(
        window_bits(8),
        |c| {
            c.send_fragment(MessageKind::Binary, vec![1; 40], false)
                .unwrap();
            c.send_fragment(MessageKind::Binary, &b""[..], true)
                .unwrap();
            c.send_binary(vec![7; 100]).unwrap();
        },
        &[vec![1; 40], vec![7; 100]],
    );
}

/// Section 7.2.3.6: the empty fragment that ends such a message is the one
/// octet 0x00, whatever came before it.
#[test]
fn an_empty_end_is_the_single_octet_of_section_7_2_3_6() {
    let (mut pair, _) = negotiated(eager(), eager());
    let client = &mut pair.client.conn;
    client
        .send_fragment(MessageKind::Text, &b"Hello"[..], false)
        .unwrap();
    client
        .send_fragment(MessageKind::Text, &b""[..], true)
        .unwrap();
    client.send_text("").unwrap();
    let frames = common::sent_frames(client);
    let payloads: Vec<&[u8]> = frames.iter().map(|f| &f.payload[..]).collect();
    assert_eq!(
        payloads,
        [
            // "Hello" with the sync flush's empty block, which is not the
            // end of the message and so stays.
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff][..],
            &[0x00],
            &[0x00],
        ]
    );
}

// ---- any fragments, both directions ---------------------------------------

/// How one message goes out.
#[derive(Debug, Clone)]
struct Outgoing {
    from_client: bool,
    text: bool,
    payload: Vec<u8>,
    /// `None`: one `send_text`/`send_binary`. Otherwise the cut points,
    /// in any order and repeated, so fragments may be empty, the first and
    /// the last included.
    cuts: Option<Vec<usize>>,
}

impl Outgoing {
    fn fragments(&self) -> Vec<&[u8]> {
        let Some(cuts) = &self.cuts else {
            return vec![&self.payload[..]];
        };
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (self.payload.len() + 1)).collect();
        cuts.sort_unstable();
        let mut start = 0;
        let mut pieces = Vec::new();
        for cut in cuts {
            pieces.push(&self.payload[start..cut]);
            start = cut;
        }
        pieces.push(&self.payload[start..]);
        pieces
    }

    fn send(&self, conn: &mut Connection) {
        let kind = if self.text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        if self.cuts.is_none() {
            let result = if self.text {
                let text = String::from_utf8(self.payload.clone()).unwrap();
                conn.send_text(text)
            } else {
                conn.send_binary(self.payload.clone())
            };
            return result.unwrap();
        }
        let pieces = self.fragments();
        for (i, piece) in pieces.iter().enumerate() {
            conn.send_fragment(kind, piece.to_vec(), i + 1 == pieces.len())
                .unwrap();
        }
    }
}

fn outgoing() -> impl Strategy<Value = Outgoing> {
    let text = prop_oneof![
        Just(String::new()),
        ".{0,40}",
        (0usize..3000, any::<u64>()).prop_map(|(len, seed)| common::text_filler(len, seed)),
        (0usize..3000).prop_map(|len| "abcab".repeat(len / 5)),
    ]
    .prop_map(|s| (true, s.into_bytes()));
    let binary = prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..300),
        (0usize..20_000, any::<u64>()).prop_map(|(len, seed)| common::filler(len, seed)),
        (0usize..20_000).prop_map(|len| vec![0x55; len]),
    ]
    .prop_map(|b| (false, b));
    (
        any::<bool>(),
        prop_oneof![text, binary],
        proptest::option::of(proptest::collection::vec(any::<usize>(), 0..5)),
    )
        .prop_map(|(from_client, (text, payload), cuts)| Outgoing {
            from_client,
            text,
            payload,
            cuts,
        })
}

/// Any parameters, with the threshold at 0 (everything compressed, empty
/// messages too), at its default, or anywhere between.
fn settings() -> impl Strategy<Value = DeflateConfig> {
    let default = DeflateConfig::default().threshold();
    (
        deflate_config(),
        prop_oneof![Just(0), Just(default), 0..=default],
    )
        .prop_map(|(config, threshold)| config.with_threshold(threshold))
}

/// Inflates what one end wrote with an independent raw-deflate decoder,
/// appending the 4-octet tail to each compressed message as section 7.2.2
/// says, and resetting between messages when that end's compressor does.
fn independently_inflated(frames: &[WireFrame], resets: bool) -> Vec<(bool, Vec<u8>)> {
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut messages = Vec::new();
    let mut open: Option<(bool, bool, Vec<u8>)> = None;
    for frame in frames {
        let (text, compressed, mut payload) = match (frame.header.opcode, open.take()) {
            (OpCode::Text | OpCode::Binary, None) => (
                frame.header.opcode == OpCode::Text,
                frame.header.rsv == Rsv::RSV1,
                Vec::new(),
            ),
            (OpCode::Continuation, Some(open)) => open,
            (opcode, _) if opcode.is_control() => continue,
            (opcode, open) => panic!("{opcode:?} frame with a message open: {open:?}"),
        };
        payload.extend_from_slice(&frame.payload);
        if !frame.header.fin {
            open = Some((text, compressed, payload));
            continue;
        }
        if compressed {
            payload.extend_from_slice(&TAIL);
            payload = inflate_all(&mut state, &payload);
            if resets {
                state.reset(DataFormat::Raw);
            }
        }
        messages.push((text, payload));
    }
    assert!(open.is_none(), "a message did not end");
    messages
}

fn inflate_all(state: &mut InflateState, mut input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buffer = vec![0; 16 << 10];
    loop {
        let result = inflate(state, input, &mut buffer, MZFlush::None);
        input = &input[result.bytes_consumed..];
        out.extend_from_slice(&buffer[..result.bytes_written]);
        match result.status {
            Ok(MZStatus::Ok) | Err(MZError::Buf) => {}
            other => panic!(
                "not a valid deflate stream: {other:?} after {} bytes",
                out.len()
            ),
        }
        let stalled = result.bytes_consumed == 0 && result.bytes_written == 0;
        if input.is_empty() && result.bytes_written < buffer.len() || stalled {
            assert!(input.is_empty(), "{} bytes not inflated", input.len());
            return out;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary messages as arbitrary fragment sequences both ways: our
    /// receiver and an independent decoder both get exactly what was sent.
    #[test]
    fn any_fragments_of_any_messages_arrive_exactly(
        client_cfg in settings(),
        server_cfg in settings(),
        outgoing in proptest::collection::vec(outgoing(), 1..12),
    ) {
        let (mut pair, resets) = negotiated(client_cfg, server_cfg);
        for message in &outgoing {
            let sender = if message.from_client { &mut pair.client } else { &mut pair.server };
            message.send(&mut sender.conn);
            pair.drive();
        }
        prop_assert_eq!(&pair.client.error, &None);
        prop_assert_eq!(&pair.server.error, &None);
        for (from_client, receiver_events, sender_frames, resets) in [
            (true, pair.server.take_events(), pair.client.written_frames(), resets[0]),
            (false, pair.client.take_events(), pair.server.written_frames(), resets[1]),
        ] {
            let sent: Vec<(bool, Vec<u8>)> = outgoing
                .iter()
                .filter(|m| m.from_client == from_client)
                .map(|m| (m.text, m.payload.clone()))
                .collect();
            prop_assert_eq!(&common::messages(&receiver_events), &sent);
            prop_assert_eq!(&independently_inflated(&sender_frames, resets), &sent);
        }
    }
}

/// Our receiver agrees with the independent decoder on a peer's stream
/// that uses both legal ways to end a message after a flush.
#[test]
fn both_ways_of_ending_an_empty_fragment_inflate() {
    // "Hello" flushed, then the end as an empty stored block minus its
    // tail (0x00), and the same message ended with a whole stored block
    // left in place (section 7.2.1 strips only the last 4 octets).
    let wire = [
        common::raw_frame(
            false,
            Rsv::RSV1,
            0x1,
            None,
            &[
                0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
            ],
        ),
        common::raw_frame(true, Rsv::NONE, 0x0, None, &[0x00]),
        common::raw_frame(
            true,
            Rsv::RSV1,
            0x1,
            None,
            &[0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
        ),
    ]
    .concat();
    let mut client = super::deflate_client(eager());
    let events = common::receive_events(&mut client, &wire);
    let texts: Vec<Vec<u8>> = common::messages(&events)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(texts, [b"Hello".to_vec(), b"Hello".to_vec()]);
    let frames = common::parse_frames(Role::Server, &wire);
    let independent: Vec<Vec<u8>> = independently_inflated(&frames, false)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(independent, texts);
}
