//! Property tests: frame headers survive encode then decode; any sequence
//! of messages, fragments and pings sent by one role arrives intact at the
//! other; the same bytes give the same outcome however they are chunked;
//! arbitrary bytes never panic; and the message limit is exact, across
//! fragments, and never truncates.

mod common;

use bytes::Bytes;
use common::{
    connection, drain, feed, filler, limited, messages, parse_frames, text_filler, Feed, Pair,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use ws_proto::close::CloseFrame;
use ws_proto::frame::{FrameError, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};
use ws_proto::MessageKind;
use ws_proto::{Config, Connection, Error, Event, ProtocolError, Role};

const OPCODES: [OpCode; 6] = [
    OpCode::Continuation,
    OpCode::Text,
    OpCode::Binary,
    OpCode::Close,
    OpCode::Ping,
    OpCode::Pong,
];

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Client), Just(Role::Server)]
}

fn peer_of(role: Role) -> Role {
    match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

// ---- (a) headers ----------------------------------------------------------

fn payload_len() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..=125,
        126u64..=0xFFFF,
        0x1_0000u64..=(u64::MAX >> 1),
        select(vec![0, 125, 126, 127, 0xFFFF, 0x1_0000, u64::MAX >> 1]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn header_encode_then_decode(
        fin in any::<bool>(),
        rsv in 0u8..8,
        opcode in select(OPCODES.to_vec()),
        mask in proptest::option::of(any::<[u8; 4]>()),
        payload_len in payload_len(),
        trailer in vec(any::<u8>(), 0..4),
    ) {
        let header = FrameHeader { fin, rsv: Rsv::from_bits(rsv), opcode, mask, payload_len };
        let mut wire = Vec::new();
        header.encode(&mut wire);
        prop_assert_eq!(wire.len(), header.encoded_len());
        prop_assert!(wire.len() <= MAX_HEADER_LEN);
        let expected = if opcode.is_control() && payload_len > 125 {
            Err(FrameError::ControlTooLong)
        } else if opcode.is_control() && !fin {
            Err(FrameError::FragmentedControl)
        } else {
            Ok(Some((header, wire.len())))
        };
        if expected.is_ok() {
            // A header is decoded only once it is all there.
            for cut in 0..wire.len() {
                prop_assert_eq!(FrameHeader::decode(&wire[..cut]), Ok(None));
            }
        }
        let len = wire.len();
        wire.extend_from_slice(&trailer);
        prop_assert_eq!(FrameHeader::decode(&wire), expected);
        prop_assert_eq!(FrameHeader::decode(&wire[..len]), expected);
    }

    #[test]
    fn decoded_headers_are_canonical(bytes in vec(any::<u8>(), 0..=MAX_HEADER_LEN + 2)) {
        match FrameHeader::decode(&bytes) {
            Ok(Some((header, len))) => {
                // Minimal lengths only: re-encoding gives the same bytes.
                let mut again = Vec::new();
                header.encode(&mut again);
                prop_assert_eq!(&again[..], &bytes[..len]);
                prop_assert!(header.payload_len >> 63 == 0);
            }
            Ok(None) => prop_assert!(bytes.len() < MAX_HEADER_LEN),
            Err(_) => {}
        }
    }
}

// ---- (b) messages round trip -----------------------------------------------

/// Something the sender does.
#[derive(Debug, Clone)]
enum Op {
    /// A text or binary message of `len` bytes, whole (`cuts: None`) or
    /// in fragments cut at these points, with a ping after fragment
    /// `ping_after` if any.
    Message {
        text: bool,
        len: usize,
        seed: u64,
        cuts: Option<Vec<Index>>,
        ping_after: Option<Index>,
    },
    Ping(Vec<u8>),
    /// Let the bytes flow (otherwise several sends queue up first).
    Drive,
}

fn message_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..200,
        2 => select(vec![125, 126, 127, 0xFFFF, 0x1_0000, 0x1_0001]),
        1 => 200usize..70_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (
            any::<bool>(),
            message_len(),
            any::<u64>(),
            proptest::option::of(vec(any::<Index>(), 0..6)),
            proptest::option::of(any::<Index>()),
        )
            .prop_map(|(text, len, seed, cuts, ping_after)| Op::Message {
                text,
                len,
                seed,
                cuts,
                ping_after,
            }),
        1 => vec(any::<u8>(), 0..=125).prop_map(Op::Ping),
        2 => Just(Op::Drive),
    ]
}

/// The bytes of a message and the fragments to send them in.
fn fragments(text: bool, len: usize, seed: u64, cuts: &[Index]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let data = if text {
        text_filler(len, seed).into_bytes()
    } else {
        filler(len, seed)
    };
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(len + 1)).collect();
    points.sort_unstable();
    let mut ranges = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([len]) {
        ranges.push((start, p));
        start = p;
    }
    (data, ranges)
}

/// Does `op` on `sender` (except [`Op::Drive`]), appending the events the
/// peer must report to `expected`; returns the last ping sent, if any.
fn perform(sender: &mut Connection, op: &Op, expected: &mut Vec<Event>) -> Option<Bytes> {
    let mut last_ping = None;
    match op {
        Op::Message {
            text,
            len,
            seed,
            cuts: None,
            ..
        } => {
            let (data, _) = fragments(*text, *len, *seed, &[]);
            let payload = Bytes::from(data);
            if *text {
                let text = String::from_utf8(payload.to_vec()).expect("text is UTF-8");
                sender.send_text(text).expect("send_text");
                expected.push(Event::Text { payload, fin: true });
            } else {
                sender.send_binary(payload.clone()).expect("send_binary");
                expected.push(Event::Binary { payload, fin: true });
            }
        }
        Op::Message {
            text,
            len,
            seed,
            cuts: Some(cuts),
            ping_after,
        } => {
            let (data, ranges) = fragments(*text, *len, *seed, cuts);
            let kind = if *text {
                MessageKind::Text
            } else {
                MessageKind::Binary
            };
            let ping_at = ping_after.map(|i| i.index(ranges.len()));
            for (i, &(start, end)) in ranges.iter().enumerate() {
                let fin = i + 1 == ranges.len();
                let payload = Bytes::copy_from_slice(&data[start..end]);
                sender
                    .send_fragment(kind, payload.clone(), fin)
                    .expect("send_fragment");
                expected.push(if *text {
                    Event::Text { payload, fin }
                } else {
                    Event::Binary { payload, fin }
                });
                if ping_at == Some(i) {
                    let ping = Bytes::from(vec![i as u8; i % 126]);
                    sender.send_ping(ping.clone()).expect("send_ping");
                    expected.push(Event::Ping(ping.clone()));
                    last_ping = Some(ping);
                }
            }
        }
        Op::Ping(payload) => {
            let ping = Bytes::from(payload.clone());
            sender.send_ping(ping.clone()).expect("send_ping");
            expected.push(Event::Ping(ping.clone()));
            last_ping = Some(ping);
        }
        Op::Drive => {}
    }
    last_ping
}

/// Sends `ops` from one end of a pair and checks what the other reports.
fn round_trip(sender_role: Role, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut pair = Pair::default_pair();
    let mut expected = Vec::new();
    let mut last_ping = None;
    for op in ops {
        if let Op::Drive = op {
            pair.drive();
            continue;
        }
        let sender = match sender_role {
            Role::Client => &mut pair.client.conn,
            Role::Server => &mut pair.server.conn,
        };
        last_ping = perform(sender, op, &mut expected).or(last_ping);
    }
    pair.drive();
    let (sender, receiver) = match sender_role {
        Role::Client => (&pair.client, &pair.server),
        Role::Server => (&pair.server, &pair.client),
    };
    prop_assert_eq!(&receiver.error, &None);
    prop_assert_eq!(&sender.error, &None);
    prop_assert_eq!(messages(&receiver.events), messages(&expected));
    prop_assert_eq!(&receiver.events, &expected);
    // Pongs come back for pings; the latest ping is always answered.
    let pongs: Vec<&Bytes> = sender
        .events
        .iter()
        .map(|e| match e {
            Event::Pong(p) => Ok(p),
            other => Err(other),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| TestCaseError::fail(format!("unexpected event {e:?}")))?;
    prop_assert_eq!(pongs.last().copied(), last_ping.as_ref());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn messages_from_a_client_arrive_intact(ops in vec(op(), 0..8)) {
        round_trip(Role::Client, &ops)?;
    }

    #[test]
    fn messages_from_a_server_arrive_intact(ops in vec(op(), 0..8)) {
        round_trip(Role::Server, &ops)?;
    }
}

// ---- (c) chunking invariance, (d) arbitrary input ---------------------------

/// One forged frame, usually well-formed for a receiver of some role.
#[derive(Debug, Clone)]
struct Spec {
    fin: bool,
    rsv: u8,
    opcode: u8,
    /// `None`: masked as the rules want; `Some(m)`: masked iff `m`.
    masked: Option<bool>,
    payload: Vec<u8>,
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    let codes = vec![1000u16, 1001, 1002, 1005, 1006, 999, 3000, 4999, 5000];
    prop_oneof![
        4 => vec(any::<u8>(), 0..40),
        4 => "\\PC{0,30}".prop_map(String::into_bytes),
        2 => (select(codes), "\\PC{0,10}")
            .prop_map(|(code, reason)| common::close_body(code, reason.as_bytes())),
        1 => (0usize..20_000, any::<u64>()).prop_map(|(len, seed)| filler(len, seed)),
        1 => (126usize..2_000, any::<u64>())
            .prop_map(|(len, seed)| text_filler(len, seed).into_bytes()),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop_oneof![3 => Just(true), 1 => Just(false)],
        prop_oneof![12 => Just(0u8), 1 => 0u8..8],
        prop_oneof![12 => select(vec![0u8, 1, 2, 8, 9, 10]), 1 => 0u8..16],
        prop_oneof![12 => Just(None), 1 => any::<bool>().prop_map(Some)],
        payload(),
    )
        .prop_map(|(fin, rsv, opcode, masked, payload)| Spec {
            fin,
            rsv,
            opcode,
            masked,
            payload,
        })
}

/// The wire bytes of `specs` towards `receiver`, then `tail`.
fn wire(receiver: Role, specs: &[Spec], tail: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for s in specs {
        let masked = s.masked.unwrap_or(receiver == Role::Server);
        let mask = masked.then_some(common::KEY);
        wire.extend(common::raw_frame(
            s.fin,
            Rsv::from_bits(s.rsv),
            s.opcode,
            mask,
            &s.payload,
        ));
    }
    wire.extend_from_slice(tail);
    wire
}

fn config(small: bool) -> Config {
    if small {
        limited(4096)
    } else {
        Config::default()
    }
}

/// The outcome of `wire` fed `how`, then of the end of input.
fn outcome(
    receiver: Role,
    small: bool,
    wire: &[u8],
    how: &Feed,
) -> (common::Outcome, (Vec<Event>, Option<Error>)) {
    let mut conn = connection(receiver, config(small));
    let out = feed(&mut conn, wire, how);
    conn.receive_eof();
    (out, drain(&mut conn))
}

/// Checks what a connection may produce from any input: only protocol
/// errors (and an unexpected EOF after the end of input), the Close for
/// an error queued with its code, well-formed output, valid text.
fn check_sane(
    receiver: Role,
    out: &common::Outcome,
    at_eof: &(Vec<Event>, Option<Error>),
) -> Result<(), TestCaseError> {
    let frames = parse_frames(receiver, &out.transmit);
    for f in &frames {
        prop_assert!(matches!(f.header.opcode, OpCode::Pong | OpCode::Close));
    }
    match &out.error {
        None => {}
        Some(Error::Protocol(e)) => {
            let close = frames.last().map(|f| f.header.opcode);
            prop_assert_eq!(close, Some(OpCode::Close));
            let close = CloseFrame::parse(Bytes::from(frames[frames.len() - 1].payload.clone()));
            prop_assert_eq!(close.map(|c| c.code()), Ok(e.close_code()));
        }
        Some(other) => prop_assert!(false, "not a protocol error: {:?}", other),
    }
    match &at_eof.1 {
        None | Some(Error::UnexpectedEof) => {}
        Some(e) => prop_assert_eq!(Some(e), out.error.as_ref()),
    }
    let mut all = out.events.clone();
    all.extend(at_eof.0.iter().cloned());
    for event in &all {
        if let Event::Ping(p) | Event::Pong(p) = event {
            prop_assert!(p.len() <= 125);
        }
    }
    // Every text message that ended is valid UTF-8.
    let mut text: Option<Vec<u8>> = None;
    for event in &all {
        if let Event::Text { payload, fin } = event {
            let bytes = text.get_or_insert_with(Vec::new);
            bytes.extend_from_slice(payload);
            if *fin {
                prop_assert!(std::str::from_utf8(bytes).is_ok());
                text = None;
            }
        }
    }
    Ok(())
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(prop_oneof![3 => 1usize..20, 1 => 20usize..5_000], 1..20)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chunking_does_not_change_the_outcome(
        receiver in role(),
        small in any::<bool>(),
        specs in vec(spec(), 0..8),
        tail in prop_oneof![3 => Just(Vec::new()), 1 => vec(any::<u8>(), 0..10)],
        chunks in chunk_sizes(),
        reads in chunk_sizes(),
    ) {
        let wire = wire(receiver, &specs, &tail);
        let whole = outcome(receiver, small, &wire, &Feed::Whole);
        check_sane(receiver, &whole.0, &whole.1)?;
        for how in [
            Feed::ByteByByte,
            Feed::Chunks(chunks.clone()),
            Feed::ReadBuffer(reads.clone()),
            Feed::ReadBuffer(vec![usize::MAX]),
        ] {
            let other = outcome(receiver, small, &wire, &how);
            prop_assert_eq!(&other, &whole, "fed {:?}", how);
        }
    }

    #[test]
    fn chunking_does_not_change_what_valid_streams_deliver(
        sender_role in role(),
        ops in vec(op(), 0..6),
        chunks in chunk_sizes(),
        reads in chunk_sizes(),
    ) {
        let mut sender = connection(sender_role, Config::default());
        let mut expected = Vec::new();
        for op in &ops {
            perform(&mut sender, op, &mut expected);
        }
        let wire = sender.take_transmit();
        let receiver = peer_of(sender_role);
        let whole = outcome(receiver, false, &wire, &Feed::Whole);
        prop_assert_eq!(&whole.0.events, &expected);
        prop_assert_eq!(&whole.0.error, &None);
        for how in [
            Feed::Chunks(chunks.clone()),
            Feed::ReadBuffer(reads.clone()),
            Feed::ReadBuffer(vec![usize::MAX]),
        ] {
            let other = outcome(receiver, false, &wire, &how);
            prop_assert_eq!(&other, &whole, "fed {:?}", how);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        receiver in role(),
        small in any::<bool>(),
        bytes in vec(any::<u8>(), 0..2048),
        chunks in chunk_sizes(),
    ) {
        for how in [Feed::Whole, Feed::Chunks(chunks.clone())] {
            let (out, at_eof) = outcome(receiver, small, &bytes, &how);
            check_sane(receiver, &out, &at_eof)?;
        }
    }

    #[test]
    fn mutated_frames_never_panic(
        receiver in role(),
        specs in vec(spec(), 1..6),
        flips in vec((any::<Index>(), any::<u8>()), 1..6),
        chunks in chunk_sizes(),
    ) {
        let mut bytes = wire(receiver, &specs, &[]);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let (out, at_eof) = outcome(receiver, false, &bytes, &Feed::Chunks(chunks));
        check_sane(receiver, &out, &at_eof)?;
        let whole = outcome(receiver, false, &bytes, &Feed::Whole);
        prop_assert_eq!(whole, (out, at_eof));
    }
}

// ---- (e) the message limit --------------------------------------------------

/// A message sent to a connection with a message limit, and what it did.
struct Limited {
    data: Vec<u8>,
    /// The fragments the message was sent in, as ranges of `data`.
    ranges: Vec<(usize, usize)>,
    conn: Connection,
    events: Vec<Event>,
    error: Option<Error>,
}

/// Sends a message of `len` bytes from the peer of `receiver`, whole or in
/// fragments cut at `cuts`, to a `receiver` limited to `max` bytes.
fn send_to_limited(
    receiver: Role,
    max: usize,
    text: bool,
    len: usize,
    cuts: Option<&[Index]>,
) -> Limited {
    let (data, ranges) = fragments(text, len, len as u64, cuts.unwrap_or(&[]));
    let mut sender = connection(peer_of(receiver), Config::default());
    let kind = if text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    };
    match cuts {
        None if text => sender
            .send_text(String::from_utf8(data.clone()).expect("UTF-8"))
            .expect("send"),
        None => sender.send_binary(data.clone()).expect("send"),
        Some(_) => {
            for (i, &(start, end)) in ranges.iter().enumerate() {
                sender
                    .send_fragment(kind, data[start..end].to_vec(), i + 1 == ranges.len())
                    .expect("send_fragment");
            }
        }
    }
    let mut conn = connection(receiver, limited(max));
    conn.receive(&sender.take_transmit());
    let (events, error) = drain(&mut conn);
    Limited {
        data,
        ranges,
        conn,
        events,
        error,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_message_limit_is_exact_and_never_truncates(
        receiver in role(),
        max in prop_oneof![125usize..300, 300usize..20_000],
        text in any::<bool>(),
        cuts in proptest::option::of(vec(any::<Index>(), 0..6)),
    ) {
        // Exactly at the limit: delivered whole.
        let Limited { data, events, error, .. } = send_to_limited(receiver, max, text, max, cuts.as_deref());
        prop_assert_eq!(error, None);
        prop_assert_eq!(messages(&events), vec![(text, data)]);

        // One byte over: refused with 1009 when the total passes the limit.
        let Limited { data, ranges, mut conn, events, error } =
            send_to_limited(receiver, max, text, max + 1, cuts.as_deref());
        let expected = Error::Protocol(ProtocolError::MessageTooBig { len: max as u64 + 1, max });
        prop_assert_eq!(error.as_ref(), Some(&expected));
        common::expect_close_sent(&mut conn, ws_proto::CloseCode::MESSAGE_TOO_BIG);
        prop_assert_eq!(conn.next_event(), Err(expected));
        // Only whole fragments before the one that crossed the limit were
        // delivered; the message never ended, nothing was cut short.
        let crossing = ranges.iter().position(|&(_, end)| end > max).expect("a fragment crosses");
        let delivered: Vec<u8> = events
            .iter()
            .map(|e| match e {
                Event::Text { payload, fin: false } | Event::Binary { payload, fin: false } => Ok(payload.clone()),
                other => Err(other.clone()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TestCaseError::fail(format!("unexpected event {e:?}")))?
            .concat();
        prop_assert_eq!(events.len(), crossing);
        prop_assert_eq!(&delivered[..], &data[..ranges[crossing].0]);
    }
}
