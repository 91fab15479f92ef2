//! ws-proto's codec operations beside the same operations in the peers that
//! expose them, on the same input in one run:
//!
//! - unmasking a payload: `ws_proto::frame::apply_mask` and
//!   `fastwebsockets::unmask`, at 16 B, 1 KiB, 64 KiB and 1 MiB;
//! - parsing a frame header: `ws_proto::frame::FrameHeader::decode` and
//!   tungstenite's `FrameHeader::parse`, for the three length encodings.
//!
//! (tokio-websockets exposes neither; tungstenite's masking is private.)

use std::io::Cursor;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn unmask(c: &mut Criterion) {
    let mut group = c.benchmark_group("unmask");
    for size in [16usize, 1 << 10, 64 << 10, 1 << 20] {
        let mut buf: Vec<u8> = (0..size).map(|i| (i * 31) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("ws-proto", size), &size, |b, _| {
            b.iter(|| ws_proto::frame::apply_mask(black_box(&mut buf), KEY, 0))
        });
        group.bench_with_input(BenchmarkId::new("fastwebsockets", size), &size, |b, _| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), KEY))
        });
    }
    group.finish();
}

fn header(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    // Masked binary frames (as a server receives them) with a 7-bit,
    // 16-bit and 64-bit payload length.
    let heads: [(&str, Vec<u8>); 3] = [
        ("7-bit", [&[0x82, 0x80 | 100][..], &KEY].concat()),
        (
            "16-bit",
            [&[0x82, 0x80 | 126, 0x10, 0x00][..], &KEY].concat(),
        ),
        (
            "64-bit",
            [&[0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0][..], &KEY].concat(),
        ),
    ];
    for (name, head) in &heads {
        group.bench_with_input(BenchmarkId::new("ws-proto", name), head, |b, head| {
            b.iter(|| ws_proto::frame::FrameHeader::decode(black_box(head)))
        });
        group.bench_with_input(BenchmarkId::new("tungstenite", name), head, |b, head| {
            b.iter(|| {
                let mut cursor = Cursor::new(black_box(head.as_slice()));
                tungstenite::protocol::frame::FrameHeader::parse(&mut cursor)
                    .map(|parsed| parsed.map(|(header, len)| (header.opcode, len)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, unmask, header);
criterion_main!(benches);
