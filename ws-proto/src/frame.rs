//! The frame format of RFC 6455 section 5.2: opcodes, headers, masking.
//!
//! This module is public so that tests, fuzzers and tools can forge exact
//! frames, valid or not. [`Connection`](crate::Connection) uses it to read
//! and write; its checks that depend on the connection (the role's masking
//! rule, reserved bits owned by an extension, continuation order) live there.
//!
//! ```
//! use ws_proto::frame::{FrameHeader, OpCode};
//!
//! // The unmasked "Hello" of section 5.7.
//! let wire = b"\x81\x05Hello";
//! let (header, len) = FrameHeader::decode(wire).unwrap().unwrap();
//! assert_eq!((header.opcode, header.fin, header.payload_len, len), (OpCode::Text, true, 5, 2));
//! ```

use std::fmt;

use bytes::BufMut;

/// The largest control frame payload (section 5.5: "All control frames
/// MUST have a payload length of 125 bytes or less").
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The largest frame header: 2 bytes, an 8-byte length, a 4-byte mask.
pub const MAX_HEADER_LEN: usize = 14;

/// A frame's opcode (section 5.2), limited to those RFC 6455 defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: begins or answers the closing handshake.
    Close,
    /// 0x9: a ping.
    Ping,
    /// 0xA: a pong.
    Pong,
}

impl OpCode {
    /// The opcode for a 4-bit value, or `None` for the reserved ones
    /// (0x3-0x7 and 0xB-0xF), which a receiver must reject (section 5.2).
    pub fn from_u8(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    /// The 4-bit wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Control frames are those with the high opcode bit set (section 5.5).
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

/// A frame header that broke a rule of section 5.2 or 5.5, found while
/// decoding it. Each is a protocol error (close code 1002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// A reserved opcode.
    UnknownOpCode(u8),
    /// A 64-bit length with its most significant bit set (section 5.2).
    LengthMsbSet,
    /// A length not in the shortest form (section 5.2: "the minimal number
    /// of bytes MUST be used to encode the length").
    NonMinimalLength,
    /// A control frame with more than 125 bytes of payload (section 5.5).
    ControlTooLong,
    /// A control frame without FIN (section 5.5: never fragmented).
    FragmentedControl,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::UnknownOpCode(op) => write!(f, "reserved opcode {op:#x}"),
            FrameError::LengthMsbSet => f.write_str("64-bit payload length with the top bit set"),
            FrameError::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            FrameError::ControlTooLong => f.write_str("control frame payload over 125 bytes"),
            FrameError::FragmentedControl => f.write_str("fragmented control frame"),
        }
    }
}

impl std::error::Error for FrameError {}

/// The reserved bits RSV1-3 of a header, as the low three bits of a byte
/// (RSV1 = 0b100, RSV2 = 0b010, RSV3 = 0b001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rsv(u8);

impl Rsv {
    /// No reserved bit.
    pub const NONE: Rsv = Rsv(0);
    /// RSV1, which permessage-deflate uses (RFC 7692 section 6).
    pub const RSV1: Rsv = Rsv(0b100);
    /// RSV2.
    pub const RSV2: Rsv = Rsv(0b010);
    /// RSV3.
    pub const RSV3: Rsv = Rsv(0b001);

    /// The bits from the low three bits of `bits`; higher bits are dropped.
    pub const fn from_bits(bits: u8) -> Self {
        Rsv(bits & 0b111)
    }

    /// The bits as the low three bits of a byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `self` is also in `other`.
    pub const fn is_subset_of(self, other: Rsv) -> bool {
        self.0 & !other.0 == 0
    }

    /// The union of two sets of bits.
    pub const fn union(self, other: Rsv) -> Rsv {
        Rsv(self.0 | other.0)
    }

    /// The bits in both sets.
    pub const fn intersection(self, other: Rsv) -> Rsv {
        Rsv(self.0 & other.0)
    }
}

/// A decoded or to-be-encoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of its message.
    pub fin: bool,
    /// RSV1-3.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present on every client-to-server frame.
    pub mask: Option<[u8; 4]>,
    /// The payload length as declared. Never trust it for an allocation.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Decodes a header from the start of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` does not hold the whole header yet,
    /// and the header with its encoded length otherwise. Checks the rules a
    /// header carries on its own: known opcode, minimal and 63-bit length,
    /// control frames short and unfragmented.
    pub fn decode(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, FrameError> {
        let [b0, b1, ..] = *buf else {
            return Ok(None);
        };
        let opcode = OpCode::from_u8(b0 & 0x0F).ok_or(FrameError::UnknownOpCode(b0 & 0x0F))?;
        let fin = b0 & 0x80 != 0;
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        if opcode.is_control() {
            // Section 5.5: "All control frames MUST have a payload length of
            // 125 bytes or less and MUST NOT be fragmented."
            if len7 > 125 {
                return Err(FrameError::ControlTooLong);
            }
            if !fin {
                return Err(FrameError::FragmentedControl);
            }
        }
        let len_bytes = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
        if buf.len() < header_len {
            return Ok(None);
        }
        let payload_len = match len_bytes {
            0 => u64::from(len7),
            2 => {
                let n = u64::from(u16::from_be_bytes([buf[2], buf[3]]));
                if n < 126 {
                    return Err(FrameError::NonMinimalLength);
                }
                n
            }
            _ => {
                let mut be = [0; 8];
                be.copy_from_slice(&buf[2..10]);
                let n = u64::from_be_bytes(be);
                // Section 5.2: "the most significant bit MUST be 0".
                if n >> 63 != 0 {
                    return Err(FrameError::LengthMsbSet);
                }
                if n <= u64::from(u16::MAX) {
                    return Err(FrameError::NonMinimalLength);
                }
                n
            }
        };
        let mask = masked.then(|| {
            let at = 2 + len_bytes;
            [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]
        });
        let header = FrameHeader {
            fin,
            rsv: Rsv::from_bits(b0 >> 4),
            opcode,
            mask,
            payload_len,
        };
        Ok(Some((header, header_len)))
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Appends the header to `dst` in its minimal encoding. The payload
    /// itself (masked if a mask is set) is the caller's to append.
    pub fn encode(&self, dst: &mut impl BufMut) {
        let b0 = u8::from(self.fin) << 7 | self.rsv.bits() << 4 | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        dst.put_u8(b0);
        match self.payload_len {
            n @ 0..=125 => dst.put_u8(mask_bit | n as u8),
            n @ 126..=0xFFFF => {
                dst.put_u8(mask_bit | 126);
                dst.put_u16(n as u16);
            }
            n => {
                dst.put_u8(mask_bit | 127);
                dst.put_u64(n);
            }
        }
        if let Some(key) = self.mask {
            dst.put_slice(&key);
        }
    }
}

/// XORs `buf` with the masking key `key` (section 5.3), as if `buf` began
/// `offset` bytes into the payload. Masking and unmasking are the same
/// operation, so applying it twice gives the input back.
///
/// Long payloads go 64 bytes at a time against a precomputed pattern, a
/// loop that the compiler turns into SIMD instructions; what is left (all
/// of a small message) goes eight bytes at a time, then byte by byte. All
/// in safe code.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // The key as it stands at `offset`: rotated so that byte 0 of `buf`
    // meets key byte `offset % 4`.
    let key = u32::from_be_bytes(key)
        .rotate_left(8 * (offset % 4) as u32)
        .to_be_bytes();
    let eight = [
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ];
    let mut blocks = buf.chunks_exact_mut(64);
    if blocks.len() > 0 {
        let mut pattern = [0u8; 64];
        for part in pattern.chunks_exact_mut(8) {
            part.copy_from_slice(&eight);
        }
        for block in &mut blocks {
            for (b, p) in block.iter_mut().zip(pattern) {
                *b ^= p;
            }
        }
    }
    // 64 and 8 are multiples of 4: the key's phase is the same below.
    let word = u64::from_ne_bytes(eight);
    let mut words = blocks.into_remainder().chunks_exact_mut(8);
    for chunk in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    for (b, k) in words.into_remainder().iter_mut().zip(eight) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(buf: &[u8]) -> (FrameHeader, usize) {
        FrameHeader::decode(buf).unwrap().unwrap()
    }

    #[test]
    fn section_5_7_headers() {
        // A single-frame unmasked text message.
        let (h, n) = decode_all(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(
            (h.fin, h.opcode, h.mask, h.payload_len, n),
            (true, OpCode::Text, None, 5, 2)
        );
        // A single-frame masked text message.
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let (h, n) = decode_all(&masked);
        assert_eq!(
            (h.mask, h.payload_len, n),
            (Some([0x37, 0xfa, 0x21, 0x3d]), 5, 6)
        );
        let mut payload = masked[6..].to_vec();
        apply_mask(&mut payload, h.mask.unwrap(), 0);
        assert_eq!(payload, b"Hello");
        // 256 bytes binary in a single unmasked frame.
        let (h, n) = decode_all(&[0x82, 0x7E, 0x01, 0x00]);
        assert_eq!((h.opcode, h.payload_len, n), (OpCode::Binary, 256, 4));
        // 64 KiB binary in a single unmasked frame.
        let (h, n) = decode_all(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!((h.payload_len, n), (65536, 10));
    }

    #[test]
    fn encode_is_the_inverse_of_decode() {
        for len in [0u64, 125, 126, 0xFFFF, 0x10000, 1 << 40] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let h = FrameHeader {
                    fin: len % 2 == 0,
                    rsv: Rsv::RSV1,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len: len,
                };
                let mut out = Vec::new();
                h.encode(&mut out);
                assert_eq!(out.len(), h.encoded_len());
                assert_eq!(decode_all(&out), (h, out.len()));
                for cut in 0..out.len() {
                    assert_eq!(FrameHeader::decode(&out[..cut]), Ok(None));
                }
            }
        }
    }

    #[test]
    fn malformed_headers_are_rejected() {
        assert_eq!(
            FrameHeader::decode(&[0x83, 0]),
            Err(FrameError::UnknownOpCode(3))
        );
        assert_eq!(
            FrameHeader::decode(&[0x8B, 0]),
            Err(FrameError::UnknownOpCode(0xB))
        );
        assert_eq!(
            FrameHeader::decode(&[0x89, 126]),
            Err(FrameError::ControlTooLong)
        );
        assert_eq!(
            FrameHeader::decode(&[0x09, 0]),
            Err(FrameError::FragmentedControl)
        );
        assert_eq!(
            FrameHeader::decode(&[0x82, 126, 0, 125]),
            Err(FrameError::NonMinimalLength)
        );
        assert_eq!(
            FrameHeader::decode(&[0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(FrameError::NonMinimalLength)
        );
        assert_eq!(
            FrameHeader::decode(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(FrameError::LengthMsbSet)
        );
    }

    #[test]
    fn mask_matches_bytewise_definition_at_every_offset() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        for offset in 0..8 {
            for len in [0, 1, 3, 7, 8, 15, 16, 63, 64, 65, 71, 72, 130, 300] {
                let mut fast = data[..len].to_vec();
                apply_mask(&mut fast, key, offset);
                let slow: Vec<u8> = data[..len]
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ key[(i + offset) % 4])
                    .collect();
                assert_eq!(fast, slow, "offset {offset} len {len}");
            }
        }
    }
}
