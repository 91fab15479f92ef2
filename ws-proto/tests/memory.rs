//! Memory under a peer's floods, measured with a counting allocator: a
//! message of a million empty fragments, or of a hundred thousand 1-byte
//! fragments, costs what its payload costs and never more than the message
//! limit, in either role (undici CVE-2026-12151: a server's flood of
//! fragments grew the client's memory without bound; Node ws paid 15 times
//! the size of 1-byte fragments).
//!
//! The allocator counts every live byte of the process, so this file holds
//! one test, which runs its cases one after the other.

// The counting allocator forwards to the system allocator; that needs
// `unsafe` (the `GlobalAlloc` contract), here and nowhere else.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ws_proto::frame::{OpCode, Rsv};
use ws_proto::{CloseCode, Connection, Error, Message, Role};

/// Live heap bytes, and the most there were since the last reset.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

impl Counting {
    fn grew(by: usize) {
        let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
}

// SAFETY: every call forwards to `System` with the caller's arguments, so
// `System`'s guarantees are the caller's; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received (see the impl).
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Counting::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received (see the impl).
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            Counting::grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most the heap grew while `work` ran, in bytes.
fn peak_growth<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = work();
    (result, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

/// The wire bytes of one data frame from the peer of `receiver`.
fn frame(receiver: Role, opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mask = (receiver == Role::Server).then_some(common::KEY);
    common::raw_frame(fin, Rsv::NONE, opcode, mask, payload)
}

/// Feeds `frames` (the frame count, and the frame for each index) in reads
/// of up to 64 KiB, taking every message as it completes; returns the
/// messages and the error, if any.
fn flood(
    conn: &mut Connection,
    count: usize,
    frame_at: impl Fn(usize) -> Vec<u8>,
) -> (Vec<Message>, Option<Error>) {
    let mut messages = Vec::new();
    let mut chunk = Vec::with_capacity(64 << 10);
    for i in 0..count {
        chunk.extend_from_slice(&frame_at(i));
        if chunk.len() < (64 << 10) - 16 && i + 1 < count {
            continue;
        }
        conn.receive(&chunk);
        chunk.clear();
        loop {
            match conn.next_message() {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => break,
                Err(e) => return (messages, Some(e)),
            }
        }
    }
    (messages, None)
}

#[test]
fn fragment_floods_cost_their_payload_and_stop_at_the_limit() {
    const LIMIT: usize = 64 << 10;
    // Reads of 64 KiB, a receive buffer of as much, and the message being
    // assembled (which doubles as it grows): what a flood may cost.
    const BOUND: usize = 4 * LIMIT + (64 << 10);
    for role in [Role::Client, Role::Server] {
        // A million empty continuations between a 1-byte start and the end:
        // nothing to keep, so nothing grows.
        let mut conn = common::connection(role, common::limited(LIMIT));
        const EMPTY: usize = 1_000_000;
        let ((messages, error), grew) = peak_growth(|| {
            flood(&mut conn, EMPTY + 2, |i| match i {
                0 => frame(role, 0x2, false, b"x"),
                i if i == EMPTY + 1 => frame(role, 0x0, true, b""),
                _ => frame(role, 0x0, false, b""),
            })
        });
        assert_eq!(error, None, "{role:?}");
        assert_eq!(messages, [Message::binary(&b"x"[..])], "{role:?}");
        assert!(grew < BOUND, "{role:?}: {grew} bytes for empty fragments");

        // 1-byte fragments past the limit: 1009 once it passes, with the
        // memory of the limit and not of the fragments' count.
        let mut conn = common::connection(role, common::limited(LIMIT));
        let ((messages, error), grew) = peak_growth(|| {
            flood(&mut conn, 2 * LIMIT, |i| {
                let opcode = if i == 0 { 0x2 } else { 0x0 };
                frame(role, opcode, false, b"y")
            })
        });
        assert!(messages.is_empty(), "{role:?}");
        match error {
            Some(Error::Protocol(e)) => {
                assert_eq!(e.close_code(), CloseCode::MESSAGE_TOO_BIG, "{role:?}")
            }
            other => panic!("{role:?}: expected 1009, got {other:?}"),
        }
        assert!(grew < BOUND, "{role:?}: {grew} bytes for 1-byte fragments");
        let frames = common::sent_frames(&mut conn);
        assert_eq!(frames.last().map(|f| f.header.opcode), Some(OpCode::Close));
    }
}
