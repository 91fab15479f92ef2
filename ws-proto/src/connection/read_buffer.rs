//! The receive buffer: bytes from the transport waiting to be parsed.
//!
//! The adapter reads straight into [`ReadBuffer::spare`] and commits what
//! it read, so bytes are copied once, from the kernel into this buffer;
//! payloads leave it as `Bytes` split off its front, sharing the allocation.
//! The spare tail stays initialised between reads, so handing it out costs
//! no zeroing after the first time and needs no `unsafe`.

use bytes::{Buf, Bytes, BytesMut};

/// The spare room offered for one read when no large frame is expected.
const READ_CHUNK: usize = 8 << 10;
/// The most spare room offered for one read while a large frame arrives.
const MAX_READ_CHUNK: usize = 256 << 10;
/// Room offered beyond the rest of the frame being received. A read that
/// finds only that frame's bytes then comes back short of the room given,
/// which tells a transport that the socket is drained (tokio then waits
/// for readiness without another read that would find it empty); room of
/// exactly the frame's size costs one empty read per large message.
const SLACK: usize = 1 << 10;

#[derive(Debug, Default)]
pub(super) struct ReadBuffer {
    /// `buf[..filled]` holds received bytes; `buf[filled..]` is spare room.
    buf: BytesMut,
    filled: usize,
    /// The transport gave its last byte: what is buffered is all there is.
    ended: bool,
}

impl ReadBuffer {
    /// The received bytes not yet consumed.
    pub(super) fn data(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    pub(super) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.filled]
    }

    pub(super) fn len(&self) -> usize {
        self.filled
    }

    /// Room to read into, sized for `expected` more bytes (the rest of the
    /// frame being received, if known) and a little more: at least 8 KiB,
    /// at most 256 KiB, whatever the peer declared.
    pub(super) fn spare(&mut self, expected: usize) -> &mut [u8] {
        let want = expected
            .saturating_add(SLACK)
            .clamp(READ_CHUNK, MAX_READ_CHUNK);
        if self.buf.len() - self.filled < want {
            self.buf.resize(self.filled + want, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// Marks `n` bytes of the spare room as received.
    pub(super) fn commit(&mut self, n: usize) {
        assert!(
            self.filled + n <= self.buf.len(),
            "committed more bytes than the spare room holds"
        );
        self.filled += n;
    }

    /// Copies `data` in, whatever its size: these are bytes the caller
    /// holds, not a length a peer declared.
    pub(super) fn extend(&mut self, data: &[u8]) {
        self.buf.truncate(self.filled);
        self.buf.extend_from_slice(data);
        self.filled = self.buf.len();
    }

    /// Drops `n` consumed bytes from the front.
    pub(super) fn advance(&mut self, n: usize) {
        self.buf.advance(n);
        self.filled -= n;
        self.release_if_empty();
    }

    /// Takes the first `n` bytes without copying them.
    pub(super) fn split_to(&mut self, n: usize) -> Bytes {
        let out = self.buf.split_to(n).freeze();
        self.filled -= n;
        self.release_if_empty();
        out
    }

    /// Notes that no byte will follow what is buffered.
    pub(super) fn end(&mut self) {
        self.ended = true;
    }

    /// Whether the transport gave its last byte.
    pub(super) fn has_ended(&self) -> bool {
        self.ended
    }

    /// Drops every byte received; used once the connection has ended.
    pub(super) fn clear(&mut self) {
        self.buf = BytesMut::new();
        self.filled = 0;
    }

    /// An idle connection should not pin a large buffer: once everything
    /// received is consumed, a buffer grown for a big frame is let go.
    fn release_if_empty(&mut self) {
        if self.filled == 0 && self.buf.capacity() > 2 * READ_CHUNK {
            self.buf = BytesMut::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_split_without_disturbing_the_rest() {
        let mut rb = ReadBuffer::default();
        rb.extend(b"hello world");
        assert_eq!(rb.split_to(5), Bytes::from_static(b"hello"));
        rb.advance(1);
        assert_eq!(rb.data(), b"world");
        let spare = rb.spare(0);
        assert!(spare.len() >= READ_CHUNK);
        spare[..2].copy_from_slice(b"!!");
        rb.commit(2);
        assert_eq!(rb.data(), b"world!!");
    }

    #[test]
    fn extend_takes_more_than_one_read_chunk() {
        let mut rb = ReadBuffer::default();
        let big = vec![9u8; MAX_READ_CHUNK * 3];
        rb.extend(&big);
        assert_eq!(rb.data(), &big[..]);
    }

    #[test]
    fn spare_room_is_bounded_whatever_is_expected() {
        let mut rb = ReadBuffer::default();
        assert!(rb.spare(usize::MAX).len() <= MAX_READ_CHUNK);
    }
}
