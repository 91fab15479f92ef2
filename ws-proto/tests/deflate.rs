//! permessage-deflate (RFC 7692): the section 7.2.3 vectors, negotiation
//! through the real handshakes, round trips for any parameters, and inflate
//! bounded by the message limit.

// Helpers build fixtures that cannot fail; a failure is the test's.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use proptest::prelude::*;
use ws_proto::deflate::DeflateConfig;
use ws_proto::entropy::Seeded;
use ws_proto::frame::{OpCode, Rsv};
use ws_proto::handshake::{Accept, ClientHandshake, ClientRequest, ServerHandshake};
use ws_proto::{CloseCode, Config, Connection, Error, Event, Message, ProtocolError, Role};

use common::{Feed, Pair};

#[path = "deflate/prepared.rs"]
mod prepared;
#[path = "deflate/stream_validity.rs"]
mod stream_validity;

/// The empty stored block's last 4 octets, which section 7.2.1 removes
/// from the end of every compressed message and section 7.2.2 appends.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Compress everything, however short, so that the vectors apply.
fn eager() -> DeflateConfig {
    DeflateConfig::default().with_threshold(0)
}

fn with_deflate(deflate: Option<DeflateConfig>) -> Config {
    match deflate {
        Some(deflate) => Config::default().with_deflate(deflate),
        None => Config::default().without_deflate(),
    }
}

/// Runs both handshakes in memory; returns the connections and the
/// `Sec-WebSocket-Extensions` value of the 101, if any.
fn handshake(client_cfg: Config, server_cfg: Config) -> (Connection, Connection, Option<String>) {
    let request = ClientRequest::new("example.com", "/").unwrap();
    let (mut client, request) =
        ClientHandshake::new(request, client_cfg, Box::new(Seeded::new(common::SEED)));
    let mut server = ServerHandshake::new(server_cfg);
    let offer = server.receive(&request).unwrap().unwrap();
    let (response, server_conn) = server.accept(&offer, Accept::new()).unwrap();
    let answer = client.receive(&response).unwrap().unwrap();
    let extensions = answer.header("Sec-WebSocket-Extensions").map(str::to_owned);
    (client.into_connection().unwrap(), server_conn, extensions)
}

fn deflate_pair(client: DeflateConfig, server: DeflateConfig) -> Pair {
    let (client, server, agreed) =
        handshake(with_deflate(Some(client)), with_deflate(Some(server)));
    assert!(agreed.is_some(), "permessage-deflate was negotiated");
    Pair::from_connections(client, server)
}

/// A client connection that negotiated permessage-deflate with `server`.
fn deflate_client(server: DeflateConfig) -> Connection {
    handshake(with_deflate(Some(eager())), with_deflate(Some(server))).0
}

fn text(events: &[Event]) -> Vec<String> {
    common::messages(events)
        .into_iter()
        .map(|(_, bytes)| String::from_utf8(bytes).unwrap())
        .collect()
}

/// A vector's name, its frames, and the texts they carry.
type Vector = (
    &'static str,
    &'static [&'static [u8]],
    &'static [&'static str],
);

#[test]
fn section_7_2_3_vectors_inflate() {
    let vectors: [Vector; 5] = [
        (
            "7.2.3.1 a message compressed in one frame",
            &[&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]],
            &["Hello"],
        ),
        (
            "7.2.3.1 the same in two fragments",
            &[
                &[0x41, 0x03, 0xf2, 0x48, 0xcd],
                &[0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00],
            ],
            &["Hello"],
        ),
        (
            "7.2.3.2 two messages sharing the window",
            &[
                &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
                &[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00],
            ],
            &["Hello", "Hello"],
        ),
        (
            "7.2.3.3 a stored (uncompressed) block",
            &[&[
                0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ]],
            &["Hello"],
        ),
        (
            "7.2.3.4 a block with BFINAL set",
            &[
                &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
                &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
            ],
            &["Hello", "Hello"],
        ),
    ];
    for (name, frames, expected) in vectors {
        let mut client = deflate_client(DeflateConfig::default());
        let wire: Vec<u8> = frames.concat();
        let feeds = [
            Feed::Whole,
            Feed::ByteByByte,
            Feed::Chunks(vec![3, 1, 7]),
            Feed::ReadBuffer(vec![2, 5]),
        ];
        for how in feeds {
            let mut client = deflate_client(DeflateConfig::default());
            let outcome = common::feed(&mut client, &wire, &how);
            assert_eq!(text(&outcome.events), expected, "{name} fed {how:?}");
            assert!(outcome.error.is_none(), "{name}: {:?}", outcome.error);
        }
        // Uncompressed messages may be mixed in (section 6).
        let plain = [0x81, 0x02, b'h', b'i'];
        let events = common::receive_events(&mut client, &[&wire[..], &plain].concat());
        assert_eq!(
            text(&events).last().map(String::as_str),
            Some("hi"),
            "{name}"
        );
    }
}

#[test]
fn section_7_2_3_vectors_are_what_we_send() {
    let (_, mut server, _) = handshake(with_deflate(Some(eager())), with_deflate(Some(eager())));
    server.send_text("Hello").unwrap();
    server.send_text("Hello").unwrap();
    assert_eq!(
        &server.take_transmit()[..],
        [
            0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, // 7.2.3.1
            0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00, // 7.2.3.2, shared window
        ]
    );
    // Without context takeover the second message starts afresh.
    let fresh = eager().with_server_no_context_takeover(true);
    let (_, mut server, agreed) = handshake(with_deflate(Some(eager())), with_deflate(Some(fresh)));
    assert!(agreed.unwrap().contains("server_no_context_takeover"));
    server.send_text("Hello").unwrap();
    server.send_text("Hello").unwrap();
    let wire = server.take_transmit();
    assert_eq!(&wire[..9], &wire[9..], "both messages compress alike");
}

#[test]
fn negotiation_through_the_handshakes() {
    // Both sides willing: agreed, and RSV1 on the wire.
    let (mut client, _, agreed) =
        handshake(with_deflate(Some(eager())), with_deflate(Some(eager())));
    assert_eq!(agreed.as_deref(), Some("permessage-deflate"));
    client.send_text("Hello, Hello, Hello").unwrap();
    let frames = common::parse_frames(Role::Client, &client.take_transmit());
    assert_eq!(frames[0].header.rsv, Rsv::RSV1);
    // Either side unwilling: no extension, and no RSV1.
    for (c, s) in [(None, Some(eager())), (Some(eager()), None)] {
        let (mut client, _, agreed) = handshake(with_deflate(c), with_deflate(s));
        assert_eq!(agreed, None);
        client.send_text("Hello, Hello, Hello").unwrap();
        let frames = common::parse_frames(Role::Client, &client.take_transmit());
        assert_eq!(frames[0].header.rsv, Rsv::NONE);
    }
    // Windows and context takeover as asked by the client.
    let asks = eager()
        .with_server_max_window_bits(10)
        .with_client_max_window_bits(9)
        .with_client_no_context_takeover(true);
    let (_, _, agreed) = handshake(with_deflate(Some(asks)), with_deflate(Some(eager())));
    assert_eq!(
        agreed.as_deref(),
        Some(
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; \
             client_max_window_bits=9"
        )
    );
}

#[test]
fn small_messages_and_opted_out_messages_go_uncompressed() {
    let (mut client, _, _) = handshake(Config::default(), Config::default());
    let threshold = DeflateConfig::default().threshold();
    client.send_text("x".repeat(threshold - 1)).unwrap();
    client.send_text("x".repeat(threshold)).unwrap();
    client
        .send_uncompressed(Message::text("y".repeat(1000)))
        .unwrap();
    let rsv: Vec<Rsv> = common::parse_frames(Role::Client, &client.take_transmit())
        .iter()
        .map(|f| f.header.rsv)
        .collect();
    assert_eq!(rsv, [Rsv::NONE, Rsv::RSV1, Rsv::NONE]);
}

#[test]
fn control_frames_and_continuations_never_carry_rsv1() {
    let mut pair = deflate_pair(eager(), eager());
    let client = &mut pair.client.conn;
    client
        .send_fragment(ws_proto::MessageKind::Text, &b"Hello, "[..], false)
        .unwrap();
    client.send_ping(&b"p"[..]).unwrap();
    client
        .send_fragment(ws_proto::MessageKind::Text, &b"Hello!"[..], true)
        .unwrap();
    let frames = common::parse_frames(Role::Client, &client.take_transmit());
    let bits: Vec<(OpCode, Rsv)> = frames
        .iter()
        .map(|f| (f.header.opcode, f.header.rsv))
        .collect();
    assert_eq!(
        bits,
        [
            (OpCode::Text, Rsv::RSV1),
            (OpCode::Ping, Rsv::NONE),
            (OpCode::Continuation, Rsv::NONE)
        ]
    );
    // A peer that sets RSV1 on a continuation or a control frame fails.
    for bad in [
        common::raw_frame(true, Rsv::RSV1, 0x9, None, b""),
        [
            common::raw_frame(false, Rsv::RSV1, 0x1, None, &[0xf2, 0x48]),
            common::raw_frame(true, Rsv::RSV1, 0x0, None, &[0xcd]),
        ]
        .concat(),
    ] {
        let mut client = deflate_client(eager());
        let error = common::receive_error(&mut client, &bad);
        assert!(
            matches!(error, Error::Protocol(ProtocolError::ReservedBits(_))),
            "{error:?}"
        );
    }
}

/// A client connection whose messages inflate to `len` zero bytes: a
/// compressed bomb of a few hundred bytes per MiB.
fn zeros_from_server(len: usize, fragments: usize) -> Vec<u8> {
    let (_, mut server, _) = handshake(with_deflate(Some(eager())), with_deflate(Some(eager())));
    let zeros = vec![0u8; len];
    let step = len.div_ceil(fragments.max(1)).max(1);
    let mut chunks = zeros.chunks(step).peekable();
    if len == 0 {
        server.send_binary(Bytes::new()).unwrap();
    }
    while let Some(chunk) = chunks.next() {
        let fin = chunks.peek().is_none();
        server
            .send_fragment(ws_proto::MessageKind::Binary, chunk.to_vec(), fin)
            .unwrap();
    }
    server.take_transmit().to_vec()
}

fn limited_deflate_client(limit: usize) -> Connection {
    let config = with_deflate(Some(eager())).with_max_message_size(limit);
    handshake(config, with_deflate(Some(eager()))).0
}

#[test]
fn a_bomb_fails_with_1009_as_soon_as_it_passes_the_limit() {
    const LIMIT: usize = 64 << 10;
    // 64 MiB of zeros: about 64 KiB on the wire, far over the limit.
    let wire = zeros_from_server(64 << 20, 1);
    assert!(
        wire.len() < 128 << 10,
        "the bomb is small: {} bytes",
        wire.len()
    );
    let mut client = limited_deflate_client(LIMIT);
    let error = common::receive_error(&mut client, &wire);
    match &error {
        Error::Protocol(e) => assert_eq!(e.close_code(), CloseCode::MESSAGE_TOO_BIG),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    common::expect_close_sent(&mut client, CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn over_the_limit_is_one_error_compressed_or_not() {
    const LIMIT: usize = 10_000;
    let expected = Error::Protocol(ProtocolError::MessageTooBig {
        len: LIMIT as u64 + 1,
        max: LIMIT,
    });
    let compressed = zeros_from_server(LIMIT + 1, 1);
    let plain = common::peer_frame(Role::Client, OpCode::Binary, true, &[0; LIMIT + 1]);
    for (what, wire) in [("compressed", compressed), ("uncompressed", plain)] {
        let mut client = limited_deflate_client(LIMIT);
        let error = common::receive_error(&mut client, &wire);
        assert_eq!(error, expected, "{what}");
        assert_eq!(
            error.to_string(),
            "protocol error: message of at least 10001 bytes exceeds the limit of 10000",
            "{what}"
        );
        // RFC 6455 section 7.4.1: 1009 for a message too big to process.
        common::expect_close_sent(&mut client, CloseCode::MESSAGE_TOO_BIG);
    }
}

#[test]
fn the_limit_counts_inflated_bytes_exactly() {
    const LIMIT: usize = 100_000;
    for fragments in [1, 7] {
        let wire = zeros_from_server(LIMIT, fragments);
        let events = common::receive_events(&mut limited_deflate_client(LIMIT), &wire);
        let total: usize = common::messages(&events).iter().map(|(_, m)| m.len()).sum();
        assert_eq!(
            total, LIMIT,
            "exactly the limit passes, whole ({fragments} fragments)"
        );

        let wire = zeros_from_server(LIMIT + 1, fragments);
        let mut client = limited_deflate_client(LIMIT);
        let (events, error) = common::drain({
            client.receive(&wire);
            &mut client
        });
        let delivered: usize = events
            .iter()
            .map(|e| match e {
                Event::Binary { payload, .. } => payload.len(),
                _ => 0,
            })
            .sum();
        assert!(delivered < LIMIT, "nothing past the limit is delivered");
        let error = error.expect("one byte over fails");
        assert!(
            matches!(&error, Error::Protocol(e) if e.close_code() == CloseCode::MESSAGE_TOO_BIG),
            "{error:?}"
        );
    }
}

#[test]
fn corrupt_compressed_data_fails_the_connection() {
    let mut client = deflate_client(eager());
    // 0xff starts a block of reserved type 3.
    let wire = common::raw_frame(true, Rsv::RSV1, 0x2, None, &[0xff, 0xff, 0xff]);
    let error = common::receive_error(&mut client, &wire);
    assert!(
        matches!(&error, Error::Protocol(ProtocolError::Extension { code, .. }) if *code == CloseCode::PROTOCOL_ERROR),
        "{error:?}"
    );
}

#[test]
fn invalid_utf8_is_found_after_inflating() {
    let (_, mut server, _) = handshake(with_deflate(Some(eager())), with_deflate(Some(eager())));
    // Sent as binary, relabelled as text below: the bytes are not UTF-8.
    server.send_binary(vec![0xff; 64]).unwrap();
    let mut wire = server.take_transmit().to_vec();
    wire[0] = (wire[0] & 0xf0) | 0x1;
    let mut client = deflate_client(eager());
    let error = common::receive_error(&mut client, &wire);
    assert_eq!(error, Error::Protocol(ProtocolError::InvalidUtf8));
}

fn deflate_config() -> impl Strategy<Value = DeflateConfig> {
    (
        8u8..=15,
        8u8..=15,
        any::<bool>(),
        any::<bool>(),
        0u32..=9,
        0usize..64,
    )
        .prop_map(
            |(server_bits, client_bits, server_nct, client_nct, level, threshold)| {
                DeflateConfig::default()
                    .with_server_max_window_bits(server_bits)
                    .with_client_max_window_bits(client_bits)
                    .with_server_no_context_takeover(server_nct)
                    .with_client_no_context_takeover(client_nct)
                    .with_level(level)
                    .with_threshold(threshold)
            },
        )
}

/// Compressible and incompressible payloads alike.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2000),
        (0usize..40_000, any::<u64>()).prop_map(|(len, seed)| common::filler(len, seed)),
        (0usize..40_000).prop_map(|len| b"abcab".repeat(len / 5 + 1)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Many messages each way on one connection, whole or in fragments:
    /// what arrives is what was sent, for every parameter set.
    #[test]
    fn round_trips_for_any_parameters(
        client_cfg in deflate_config(),
        server_cfg in deflate_config(),
        messages in proptest::collection::vec((payload(), 1usize..4, any::<bool>()), 1..8),
    ) {
        let mut pair = deflate_pair(client_cfg, server_cfg);
        for (data, fragments, from_client) in &messages {
            let sender = if *from_client { &mut pair.client.conn } else { &mut pair.server.conn };
            let step = data.len().div_ceil(*fragments).max(1);
            let pieces: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(step).collect() };
            for (i, piece) in pieces.iter().enumerate() {
                sender
                    .send_fragment(ws_proto::MessageKind::Binary, piece.to_vec(), i + 1 == pieces.len())
                    .unwrap();
            }
            pair.drive();
        }
        let sent = |from_client: bool| -> Vec<Vec<u8>> {
            messages.iter().filter(|m| m.2 == from_client).map(|m| m.0.clone()).collect()
        };
        let got = |events: &[Event]| -> Vec<Vec<u8>> {
            common::messages(events).into_iter().map(|(_, m)| m).collect()
        };
        prop_assert_eq!(got(&pair.server.take_events()), sent(true));
        prop_assert_eq!(got(&pair.client.take_events()), sent(false));
    }
}

#[test]
fn extension_names_compare_ignoring_ascii_case_in_both_roles() {
    // A client that offers the extension by hand in another case gets our
    // server's lower-case answer, and takes it (RFC 6455 section 9.1:
    // extension names are tokens).
    let request = ClientRequest::new("example.com", "/")
        .unwrap()
        .extension("Permessage-Deflate")
        .unwrap();
    let (mut client, request) =
        ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(1)));
    let mut server = ServerHandshake::new(with_deflate(Some(eager())));
    let offer = server.receive(&request).unwrap().unwrap();
    let (response, _) = server.accept(&offer, Accept::new()).unwrap();
    let answer = client.receive(&response).unwrap().unwrap();
    assert_eq!(
        answer.header("Sec-WebSocket-Extensions"),
        Some("permessage-deflate")
    );
    assert!(client.into_connection().is_ok());

    // A server that answers our built-in offer in another case: agreed,
    // and the connection inflates what that server compresses.
    let request = ClientRequest::new("example.com", "/").unwrap();
    let (mut client, request) = ClientHandshake::new(
        request,
        with_deflate(Some(eager())),
        Box::new(Seeded::new(1)),
    );
    let mut server = ServerHandshake::new(with_deflate(Some(eager())));
    let offer = server.receive(&request).unwrap().unwrap();
    let (response, mut server) = server.accept(&offer, Accept::new()).unwrap();
    let response = String::from_utf8(response.to_vec())
        .unwrap()
        .replace("permessage-deflate", "PerMessage-Deflate");
    client.receive(response.as_bytes()).unwrap().unwrap();
    let mut client = client.into_connection().unwrap();
    server.send_text("Hello, Hello, Hello").unwrap();
    let events = common::receive_events(&mut client, &server.take_transmit());
    assert_eq!(text(&events), ["Hello, Hello, Hello"]);
}
