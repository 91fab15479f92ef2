//! Heap allocations per message in steady state: a server `Connection`
//! receives masked client frames and echoes each message, read and written
//! the way `ws-driver` does it (a read into the thread's shared 8 KiB buffer
//! while the connection holds no partial frame, straight into the
//! connection's receive buffer otherwise; every queued chunk written).
//! A counting global allocator counts what happens after a warm-up.
//!
//! `cargo run --release -p allocs` prints a table; it exits non-zero if a
//! message that fits the 8 KiB read buffer costs an allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use ws_proto::entropy::Seeded;
use ws_proto::{Config, Connection, Message};

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
        // Write everything queued, as one vectored write would.
        while server.wants_write() {
            let mut slices = [IoSlice::new(&[]); 64];
            let n = server.transmit_chunks(&mut slices);
            let len: usize = slices[..n].iter().map(|s| s.len()).sum();
            server.advance_transmit(len);
        }
    }
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
        std::process::exit(1);
    }
}
