//! Heap allocations per message in steady state: a server `Connection`
//! receives masked client frames and echoes each message, read and written
//! the way `ws-driver` does it (a read into the thread's shared 8 KiB buffer
//! while the connection holds no partial frame, straight into the
//! connection's receive buffer otherwise; every queued chunk written).
//! A counting global allocator counts what happens after a warm-up.
//!
//! Then broadcast: a message prepared once (`PreparedMessage`) and sent on
//! every connection of a room, each connection's output written as the
//! driver writes it; counted per delivery, the one encode per message
//! apart.
//!
//! `cargo run --release -p allocs` prints the tables; it exits non-zero if
//! a message that fits the 8 KiB read buffer costs an allocation, or a
//! delivery of a broadcast does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use ws_proto::entropy::Seeded;
use ws_proto::{Config, Connection, Message, PreparedMessage};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// ws-driver's shared read buffer.
const SHARED_READ: usize = 8 << 10;

fn config() -> Config {
    Config::default()
        .with_max_message_size(64 << 20)
        .with_max_frame_size(64 << 20)
}

/// Echoes `count` messages, one in flight: each message's wire bytes
/// arrive as reads of at most the room the driver would offer, and its
/// echo is queued and written out before the next message is sent.
fn echo(
    server: &mut Connection,
    messages: &mut VecDeque<Vec<u8>>,
    count: usize,
    shared: &mut [u8],
) {
    for _ in 0..count {
        let mut socket: VecDeque<u8> = messages.pop_front().expect("enough messages").into();
        let message = loop {
            if let Some(message) = server.next_message().expect("valid frames") {
                break message;
            }
            assert!(!socket.is_empty(), "the message did not come out");
            if server.read_buffer_len() == 0 {
                let n = shared.len().min(socket.len());
                for (dst, src) in shared[..n].iter_mut().zip(socket.drain(..n)) {
                    *dst = src;
                }
                server.receive(&shared[..n]);
            } else {
                let room = server.read_buffer();
                let n = room.len().min(socket.len());
                for (dst, src) in room[..n].iter_mut().zip(socket.drain(..n)) {
                    *dst = src;
                }
                server.commit_read(n);
            }
        };
        server.send(message).expect("send");
        write_out(server);
    }
}

/// Writes everything queued, as one vectored write would.
fn write_out(conn: &mut Connection) {
    while conn.wants_write() {
        let mut slices = [IoSlice::new(&[]); 64];
        let n = conn.transmit_chunks(&mut slices);
        let len: usize = slices[..n].iter().map(|s| s.len()).sum();
        conn.advance_transmit(len);
    }
}

/// Broadcast rounds in a room of `room.len()` members: `senders` messages
/// of `size` bytes a round, each prepared once and sent to every member,
/// whose output is then written out (a member's burst in one write).
/// Returns the allocations and bytes of the deliveries, and those of the
/// encodes, apart.
fn broadcast(room: &mut [Connection], rounds: usize, senders: usize, size: usize) -> [u64; 4] {
    let text = "a".repeat(size);
    let mut deliveries = [0u64; 2];
    let mut encodes = [0u64; 2];
    for _ in 0..rounds {
        for _ in 0..senders {
            let (a0, b0) = (
                ALLOCS.load(Ordering::Relaxed),
                BYTES.load(Ordering::Relaxed),
            );
            let message = PreparedMessage::text(text.clone());
            let (a1, b1) = (
                ALLOCS.load(Ordering::Relaxed),
                BYTES.load(Ordering::Relaxed),
            );
            for member in room.iter_mut() {
                member.send_prepared(&message).expect("send");
            }
            let (a2, b2) = (
                ALLOCS.load(Ordering::Relaxed),
                BYTES.load(Ordering::Relaxed),
            );
            encodes[0] += a1 - a0;
            encodes[1] += b1 - b0;
            deliveries[0] += a2 - a1;
            deliveries[1] += b2 - b1;
        }
        let (a0, b0) = (
            ALLOCS.load(Ordering::Relaxed),
            BYTES.load(Ordering::Relaxed),
        );
        for member in room.iter_mut() {
            write_out(member);
        }
        deliveries[0] += ALLOCS.load(Ordering::Relaxed) - a0;
        deliveries[1] += BYTES.load(Ordering::Relaxed) - b0;
    }
    [deliveries[0], deliveries[1], encodes[0], encodes[1]]
}

/// The broadcast table; whether a delivery allocated.
fn broadcast_table() -> bool {
    let mut failed = false;
    println!();
    println!("| members | message | allocations per delivery | bytes per delivery | allocations per encode |");
    println!("|---:|---|---:|---:|---:|");
    for (members, size) in [
        (100, 64),
        (1000, 64),
        (5000, 64),
        (1000, 1024),
        (100, 16 << 10),
    ] {
        let senders = 100;
        // Room for a round of large messages between writes.
        let config = config().with_write_buffer_limit(4 << 20);
        let mut room: Vec<Connection> = (0..members)
            .map(|_| Connection::server(config.clone()))
            .collect();
        broadcast(&mut room, 3, senders, size);
        let rounds = 5;
        let [allocs, bytes, encode_allocs, _] = broadcast(&mut room, rounds, senders, size);
        let deliveries = (rounds * senders * members) as f64;
        let encodes = (rounds * senders) as f64;
        println!(
            "| {members} | {size} B text | {:.3} | {:.1} | {:.1} |",
            allocs as f64 / deliveries,
            bytes as f64 / deliveries,
            encode_allocs as f64 / encodes
        );
        failed |= allocs > 0;
    }
    failed
}

fn main() {
    let mut failed = false;
    println!("| message | read via | allocations per message | bytes allocated per message |");
    println!("|---|---|---:|---:|");
    for (size, text) in [
        (16, false),
        (16, true),
        (1024, false),
        (1024, true),
        (4000, false),
        (8000, false),
        (65536, false),
        (65536, true),
        (1 << 20, false),
    ] {
        let payload: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let message = if text {
            Message::text(String::from_utf8(payload).expect("ascii"))
        } else {
            Message::binary(Bytes::from(payload))
        };
        let warmup = 50;
        let measured = if size >= 1 << 20 { 50 } else { 1000 };
        let mut client = Connection::client(config(), Box::new(Seeded::new(7)));
        let mut wire = VecDeque::new();
        for _ in 0..warmup + measured {
            client.send(message.clone()).expect("send");
            wire.push_back(client.take_transmit().to_vec());
        }
        let mut server = Connection::server(config());
        let mut shared = vec![0u8; SHARED_READ];
        echo(&mut server, &mut wire, warmup, &mut shared);
        let (a0, b0) = (
            ALLOCS.load(Ordering::Relaxed),
            BYTES.load(Ordering::Relaxed),
        );
        echo(&mut server, &mut wire, measured, &mut shared);
        let allocs = (ALLOCS.load(Ordering::Relaxed) - a0) as f64 / measured as f64;
        let bytes = (BYTES.load(Ordering::Relaxed) - b0) as f64 / measured as f64;
        let kind = if text { "text" } else { "binary" };
        let via = if size + 14 <= SHARED_READ {
            "one read"
        } else {
            "several reads"
        };
        println!("| {size} B {kind} | {via} | {allocs:.2} | {bytes:.0} |");
        if size + 14 <= SHARED_READ && allocs > 0.0 {
            failed = true;
        }
    }
    if failed {
        eprintln!("allocations in steady state for a message that fits the read buffer");
    }
    let broadcast_failed = broadcast_table();
    if broadcast_failed {
        eprintln!("allocations in steady state for a delivery of a broadcast");
    }
    if failed || broadcast_failed {
        std::process::exit(1);
    }
}
