//! Throughput of the codec: a server decoding masked client frames
//! (header parse, unmask, UTF-8 validation for text) and both roles
//! encoding (a client also masks). Sizes 16 B, 1 KiB, 64 KiB and 1 MiB.
//!
//! `cargo bench -p ws-proto` prints bytes/s for each.

use bytes::Bytes;
use criterion::{black_box, criterion_main, BenchmarkId, Criterion, Throughput};
use ws_proto::entropy::Seeded;
use ws_proto::{Config, Connection, Message};

const SIZES: [usize; 4] = [16, 1 << 10, 64 << 10, 1 << 20];

/// About 1 MiB of messages per iteration, so small sizes measure many frames.
fn batch(size: usize) -> usize {
    ((1 << 20) / size).max(1)
}

fn config() -> Config {
    Config::default().with_write_buffer_limit(64 << 20)
}

fn text_payload(size: usize) -> String {
    // Mostly ASCII with some multi-byte characters, as chat text is.
    "héllo wörld, ünïcode ✓ "
        .chars()
        .cycle()
        .take(size)
        .collect::<String>()[..]
        .char_indices()
        .take_while(|(i, c)| i + c.len_utf8() <= size)
        .map(|(_, c)| c)
        .collect()
}

/// The masked wire bytes of `count` messages, as a client sends them.
fn client_wire(message: &Message, count: usize) -> Bytes {
    let mut client = Connection::client(config(), Box::new(Seeded::new(1)));
    for _ in 0..count {
        client.send(message.clone()).expect("send");
    }
    client.take_transmit()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in SIZES {
        let count = batch(size);
        let cases = [
            ("binary", Message::binary(vec![0xA5; size])),
            ("text", Message::text(text_payload(size))),
        ];
        for (kind, message) in cases {
            let payload_len = message.payload().len();
            let wire = client_wire(&message, count);
            group.throughput(Throughput::Bytes((payload_len * count) as u64));
            group.bench_with_input(BenchmarkId::new(kind, size), &wire, |b, wire| {
                b.iter(|| {
                    let mut server = Connection::server(config());
                    server.receive(wire);
                    let mut seen = 0;
                    while let Some(m) = server.next_message().expect("valid input") {
                        seen += black_box(m).payload().len();
                    }
                    assert_eq!(seen, payload_len * count);
                })
            });
        }
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in SIZES {
        let count = batch(size);
        let payload = Bytes::from(vec![0x5A; size]);
        group.throughput(Throughput::Bytes((size * count) as u64));
        for role in ["server", "client"] {
            group.bench_with_input(BenchmarkId::new(role, size), &payload, |b, payload| {
                let mut conn = match role {
                    "server" => Connection::server(config()),
                    _ => Connection::client(config(), Box::new(Seeded::new(2))),
                };
                b.iter(|| {
                    for _ in 0..count {
                        conn.send_binary(payload.clone()).expect("send");
                        // Drain as a transport would, without copying.
                        let queued = conn.write_buffer_len();
                        conn.advance_transmit(queued);
                    }
                })
            });
        }
    }
    group.finish();
}

/// The group `criterion_main!` runs.
mod group {
    // The function the macro writes is `pub` and carries no docs.
    #![allow(unreachable_pub)]
    criterion::criterion_group!(benches, super::decode, super::encode);
}

criterion_main!(group::benches);
