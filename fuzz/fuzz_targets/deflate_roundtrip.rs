//! permessage-deflate end to end: a client and a server that negotiated it
//! with arbitrary settings on each side (window bits 8-15, both context
//! takeover settings, level, threshold), one of them sending arbitrary
//! messages as arbitrary fragment sequences (empty fragments and empty
//! messages included, Pings between fragments, some messages sent
//! uncompressed), the wire cut into arbitrary reads.
//!
//! Checks: the receiver gets exactly the messages sent, in order, and
//! nothing else but the Pings; nothing fails on either side.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use ws_proto::{Config, Connection, Message, MessageKind};
use ws_proto_fuzz::{blob, byte, handshake, pieces, DeflateParams};

/// Messages per input.
const MAX_MESSAGES: usize = 12;

/// Fragments per message, the final one included.
const MAX_FRAGMENTS: usize = 6;

/// The most bytes in one message.
const MAX_MESSAGE: usize = 2048;

/// How one message goes out.
enum How {
    /// `send`: one frame, compressed unless under the threshold.
    Whole,
    /// `send_uncompressed`, which section 6 allows for any message.
    Uncompressed,
    /// `send_fragment` with the pieces of these lengths, then the rest as
    /// the final fragment; a Ping after the fragments whose bit is set.
    Fragments { lengths: Vec<usize>, pings: u8 },
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((client, server)) = <(DeflateParams, DeflateParams)>::arbitrary(&mut u) else {
        return;
    };
    let from_client = byte(&mut u) & 1 == 1;
    let read_sizes: Vec<usize> = (0..byte(&mut u) % 4)
        .map(|_| usize::from(byte(&mut u)))
        .collect();
    let (client, server, agreed) = handshake(
        Config::default().with_deflate(client.config()),
        Config::default().with_deflate(server.config()),
    );
    assert!(agreed.is_some(), "permessage-deflate was negotiated");
    let (mut sender, mut receiver) = match from_client {
        true => (client, server),
        false => (server, client),
    };

    for _ in 0..MAX_MESSAGES {
        if u.is_empty() {
            break;
        }
        let kind = byte(&mut u);
        let how = match kind >> 1 & 3 {
            0 => How::Whole,
            1 => How::Uncompressed,
            _ => How::Fragments {
                lengths: (0..byte(&mut u) as usize % MAX_FRAGMENTS)
                    .map(|_| usize::from(byte(&mut u)))
                    .collect(),
                pings: byte(&mut u),
            },
        };
        let payload = blob(&mut u, 255).repeat(1 + usize::from(byte(&mut u) % 8));
        let payload = &payload[..payload.len().min(MAX_MESSAGE)];
        let message = match kind & 1 {
            1 => Message::text(String::from_utf8_lossy(payload).into_owned()),
            _ => Message::binary(Bytes::copy_from_slice(payload)),
        };
        let mut expected = Vec::new();
        send(&mut sender, &message, how, &mut expected);
        expected.push(message);
        deliver(&mut sender, &mut receiver, &read_sizes, &expected);
    }
});

/// Queues `message` as `how` says; the Pings it sends go on `expected`.
fn send(sender: &mut Connection, message: &Message, how: How, expected: &mut Vec<Message>) {
    let sent = match how {
        How::Whole => sender.send(message.clone()),
        How::Uncompressed => sender.send_uncompressed(message.clone()),
        How::Fragments { lengths, pings } => {
            let (kind, bytes) = match message {
                Message::Text(text) => (MessageKind::Text, &text.as_bytes()[..]),
                Message::Binary(data) => (MessageKind::Binary, &data[..]),
                _ => unreachable!("only data messages are sent"),
            };
            // Pieces may cut a code point: only the whole must be UTF-8.
            let mut rest = bytes;
            for (i, len) in lengths.into_iter().enumerate() {
                let (piece, tail) = rest.split_at(len.min(rest.len()));
                rest = tail;
                let piece = Bytes::copy_from_slice(piece);
                sender
                    .send_fragment(kind, piece, false)
                    .expect("a fragment can be sent");
                if pings >> i & 1 == 1 {
                    let ping = Bytes::from(vec![i as u8]);
                    sender.send_ping(ping.clone()).expect("a Ping can be sent");
                    expected.push(Message::Ping(ping));
                }
            }
            sender.send_fragment(kind, Bytes::copy_from_slice(rest), true)
        }
    };
    sent.expect("the message can be sent");
}

/// Moves what `sender` queued to `receiver` in reads of `sizes`, and checks
/// that the messages received are `expected`.
fn deliver(
    sender: &mut Connection,
    receiver: &mut Connection,
    sizes: &[usize],
    expected: &[Message],
) {
    let wire = sender.take_transmit();
    let mut received = Vec::new();
    for piece in pieces(&wire, sizes) {
        receiver.receive(piece);
        // Each message consumes input: the input bounds the loop.
        for _ in 0..=wire.len() {
            match receiver.next_message() {
                Ok(Some(message)) => received.push(message),
                Ok(None) => break,
                Err(e) => panic!("{e:?} after {received:?}, expecting {expected:?}"),
            }
        }
    }
    assert_eq!(received, expected);
    // The receiver's Pongs are not read: its write buffer must not fill.
    let _ = receiver.take_transmit();
}
