//! The transmit queue: encoded frames waiting for the transport.
//!
//! Headers and small payloads are copied into one coalescing buffer, so a
//! burst of small messages leaves in one write. A large payload given as
//! `Bytes` is queued as its own chunk without a copy (a server sends it as
//! it is; a client masks it in place when it holds the only reference),
//! after its header, kept inline in the queue, and the adapter writes the
//! chunks with one vectored write. Queueing a large payload shared by many
//! connections (a broadcast) allocates nothing.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::frame::{apply_mask, FrameHeader};

/// Payloads at least this long are queued by reference, not copied.
pub(crate) const ZERO_COPY_MIN: usize = 4 << 10;

/// The longest frame header: 2 bytes, a 64-bit length, a masking key.
const MAX_HEADER: usize = 14;

/// A queued chunk: shared bytes, or the header of the large payload that
/// follows it.
#[derive(Debug)]
enum Chunk {
    Shared(Bytes),
    Header {
        bytes: [u8; MAX_HEADER],
        /// What is left to write of it: `bytes[start..end]`.
        start: u8,
        end: u8,
    },
}

impl Chunk {
    fn header(header: &[u8]) -> Chunk {
        let mut bytes = [0; MAX_HEADER];
        bytes[..header.len()].copy_from_slice(header);
        Chunk::Header {
            bytes,
            start: 0,
            // At most MAX_HEADER.
            end: header.len() as u8,
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Chunk::Shared(bytes) => bytes,
            Chunk::Header { bytes, start, end } => &bytes[usize::from(*start)..usize::from(*end)],
        }
    }

    /// Drops up to `n` bytes from the front; how many it dropped.
    fn advance(&mut self, n: usize) -> usize {
        let step = n.min(self.as_slice().len());
        match self {
            Chunk::Shared(bytes) => bytes.advance(step),
            // `step` is at most the header's length, under MAX_HEADER.
            Chunk::Header { start, .. } => *start += step as u8,
        }
        step
    }
}

#[derive(Debug, Default)]
pub(super) struct Transmit {
    /// Chunks ready to go, in order, before `tail`.
    chunks: VecDeque<Chunk>,
    /// The buffer new headers and small payloads are appended to.
    tail: BytesMut,
    /// Bytes queued in `chunks` and `tail` together.
    len: usize,
}

impl Transmit {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues one frame; `header.payload_len` must equal `payload.len()`.
    /// With `header.mask` set the payload is masked on the way in.
    pub(super) fn push_frame(&mut self, header: FrameHeader, payload: Bytes) {
        debug_assert_eq!(header.payload_len, payload.len() as u64);
        let mut encoded = [0; MAX_HEADER];
        let header_len = header.encoded_len();
        // `&mut [u8]` is a `BufMut` that fills from the front.
        header.encode(&mut &mut encoded[..]);
        let payload = match header.mask {
            None => payload,
            Some(key) if payload.len() < ZERO_COPY_MIN => {
                self.push(&encoded[..header_len], &payload);
                let start = self.tail.len() - payload.len();
                apply_mask(&mut self.tail[start..], key, 0);
                return;
            }
            Some(key) => match payload.try_into_mut() {
                Ok(mut owned) => {
                    apply_mask(&mut owned, key, 0);
                    owned.freeze()
                }
                Err(shared) => {
                    // Someone else still reads these bytes: mask a copy.
                    let mut copy = BytesMut::from(&shared[..]);
                    apply_mask(&mut copy, key, 0);
                    copy.freeze()
                }
            },
        };
        self.push(&encoded[..header_len], &payload);
    }

    /// Queues a frame encoded once for many connections: its header as
    /// bytes, its payload unmasked (a server's frame).
    pub(super) fn push_encoded(&mut self, header: &[u8], payload: &Bytes) {
        self.push(header, payload);
    }

    /// Queues a header and its payload, as they go on the wire: a small
    /// payload is copied next to its header (one write takes a burst of
    /// them), a large one is queued by reference after its header.
    fn push(&mut self, header: &[u8], payload: &Bytes) {
        self.len += header.len() + payload.len();
        if payload.len() < ZERO_COPY_MIN {
            self.tail.extend_from_slice(header);
            self.tail.extend_from_slice(payload);
            return;
        }
        if !self.tail.is_empty() {
            self.chunks
                .push_back(Chunk::Shared(self.tail.split().freeze()));
        }
        self.chunks.push_back(Chunk::header(header));
        self.chunks.push_back(Chunk::Shared(payload.clone()));
    }

    /// Fills `dst` with the queued chunks in order; returns how many.
    pub(super) fn chunks<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let tail = (!self.tail.is_empty()).then_some(&self.tail[..]);
        let all = self
            .chunks
            .iter()
            .map(Chunk::as_slice)
            .filter(|c| !c.is_empty())
            .chain(tail);
        let mut n = 0;
        for (slot, chunk) in dst.iter_mut().zip(all) {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }

    /// The first queued chunk, for a transport without vectored writes.
    pub(super) fn first_chunk(&self) -> &[u8] {
        self.chunks
            .iter()
            .map(Chunk::as_slice)
            .find(|c| !c.is_empty())
            .unwrap_or(&self.tail[..])
    }

    /// Drops `n` bytes that the transport accepted.
    pub(super) fn advance(&mut self, mut n: usize) {
        assert!(n <= self.len, "advanced past the queued bytes");
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.tail.advance(n);
                break;
            };
            n -= front.advance(n);
            if front.as_slice().is_empty() {
                self.chunks.pop_front();
            }
        }
        if self.len == 0 {
            // Reuse the tail's allocation from its start again.
            self.tail.clear();
        }
    }

    /// Takes everything queued as one buffer (tests and simple drivers).
    pub(super) fn take_all(&mut self) -> BytesMut {
        let mut all = BytesMut::with_capacity(self.len);
        for chunk in self.chunks.drain(..) {
            all.extend_from_slice(chunk.as_slice());
        }
        all.extend_from_slice(&self.tail);
        self.tail.clear();
        self.len = 0;
        all
    }

    /// Drops everything queued (the transport is gone).
    pub(super) fn clear(&mut self) {
        self.chunks.clear();
        self.tail = BytesMut::new();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{OpCode, Rsv};

    fn header(len: usize, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode: OpCode::Binary,
            mask,
            payload_len: len as u64,
        }
    }

    #[test]
    fn large_server_payload_is_queued_by_reference() {
        let big = Bytes::from(vec![7u8; ZERO_COPY_MIN]);
        let mut t = Transmit::default();
        t.push_frame(header(3, None), Bytes::from_static(b"abc"));
        t.push_frame(header(big.len(), None), big.clone());
        let mut slices = [IoSlice::new(&[]); 8];
        let n = t.chunks(&mut slices);
        assert_eq!(n, 3, "the small frame, the header, the payload");
        // The payload chunk is the caller's own allocation.
        assert_eq!(slices[2].as_ptr(), big.as_ptr());
        assert_eq!((slices[0].len(), slices[1].len()), (5, 4));
        assert_eq!(t.len(), 5 + 4 + big.len());
    }

    #[test]
    fn partial_writes_advance_across_chunks() {
        let mut t = Transmit::default();
        let big = Bytes::from(vec![1u8; ZERO_COPY_MIN]);
        t.push_frame(header(big.len(), None), big);
        t.push_frame(header(2, None), Bytes::from_static(b"hi"));
        let expected = {
            let mut copy = Transmit::default();
            copy.push_frame(
                header(ZERO_COPY_MIN, None),
                Bytes::from(vec![1u8; ZERO_COPY_MIN]),
            );
            copy.push_frame(header(2, None), Bytes::from_static(b"hi"));
            copy.take_all()
        };
        let mut written = Vec::new();
        while !t.is_empty() {
            let chunk = t.first_chunk();
            let n = chunk.len().min(1000);
            written.extend_from_slice(&chunk[..n]);
            t.advance(n);
        }
        assert_eq!(written, &expected[..]);
    }

    #[test]
    fn client_payload_is_masked_in_place_or_copied() {
        let key = [1, 2, 3, 4];
        for shared in [false, true] {
            let data = Bytes::from(vec![0u8; ZERO_COPY_MIN]);
            let keep = shared.then(|| data.clone());
            let mut t = Transmit::default();
            t.push_frame(header(data.len(), Some(key)), data);
            let wire = t.take_all();
            assert_eq!(&wire[8..12], &[1, 2, 3, 4]);
            if let Some(original) = keep {
                assert!(
                    original.iter().all(|&b| b == 0),
                    "shared bytes were modified"
                );
            }
        }
    }
}
