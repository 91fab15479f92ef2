//! What a failed connection does with the peer's input (see
//! [`State::Failed`](super::State::Failed)): it processes none of it
//! (section 7.1.7), but follows the frame boundaries to see the peer's
//! Close go by. A Close is the last frame a peer sends (section 5.5.1), so
//! once it is in, the connection can end with no input left unread, on any
//! transport: also where the write side cannot be shut down to tell the
//! peer to close first. Nothing is buffered but one frame header.

use crate::frame::{FrameHeader, OpCode, MAX_HEADER_LEN};

#[derive(Debug)]
pub(super) enum Drain {
    /// On a frame boundary once `skip` payload bytes have passed; the next
    /// header is collected in `header[..len]`. `closing`: the payload
    /// being skipped is the peer's Close.
    Frames {
        skip: u64,
        header: [u8; MAX_HEADER_LEN],
        len: usize,
        closing: bool,
    },
    /// Everything is dropped until the input ends: the peer's Close went
    /// by, or the framing is lost (the failure was a header that cannot be
    /// read).
    Blind,
}

impl Drain {
    /// A drain whose input starts `skip` bytes before a frame boundary.
    pub(super) fn skipping(skip: u64) -> Self {
        Drain::Frames {
            skip,
            header: [0; MAX_HEADER_LEN],
            len: 0,
            closing: false,
        }
    }

    /// Passes over `data`; returns whether the peer's Close ended in it.
    pub(super) fn feed(&mut self, mut data: &[u8]) -> bool {
        loop {
            let Drain::Frames {
                skip,
                header,
                len,
                closing,
            } = self
            else {
                return false;
            };
            let passed = usize::try_from(*skip).map_or(data.len(), |s| s.min(data.len()));
            *skip -= passed as u64;
            data = &data[passed..];
            if *skip == 0 && *closing {
                *self = Drain::Blind;
                return true;
            }
            if data.is_empty() {
                return false;
            }
            let take = (MAX_HEADER_LEN - *len).min(data.len());
            header[*len..*len + take].copy_from_slice(&data[..take]);
            match FrameHeader::decode(&header[..*len + take]) {
                Ok(None) => {
                    *len += take;
                    return false;
                }
                Ok(Some((frame, header_len))) => {
                    data = &data[header_len - *len..];
                    *skip = frame.payload_len;
                    *len = 0;
                    *closing = frame.opcode == OpCode::Close;
                }
                Err(_) => {
                    *self = Drain::Blind;
                    return false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked frame header with a payload of `len`.
    fn frame(opcode: u8, len: usize) -> Vec<u8> {
        let mut f = vec![0x80 | opcode];
        match len {
            0..=125 => f.push(0x80 | len as u8),
            126..=0xFFFF => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&[1, 2, 3, 4]);
        f.extend(std::iter::repeat_n(0xAA, len));
        f
    }

    #[test]
    fn the_close_is_found_past_frames_of_every_size_in_any_chunking() {
        let mut wire = vec![0x55; 7]; // the rest of the failing frame
        for len in [0, 5, 125, 126, 70_000] {
            wire.extend(frame(0x2, len));
        }
        wire.extend(frame(0x8, 2));
        for chunk in [1, 3, 13, 1000, wire.len()] {
            let mut drain = Drain::skipping(7);
            let ends: Vec<bool> = wire.chunks(chunk).map(|c| drain.feed(c)).collect();
            assert_eq!(ends.iter().filter(|&&e| e).count(), 1, "chunks of {chunk}");
            assert_eq!(ends.last(), Some(&true), "the Close ends the input");
        }
    }

    #[test]
    fn a_close_still_arriving_is_not_the_end() {
        let close = frame(0x8, 10);
        let mut drain = Drain::skipping(0);
        assert!(!drain.feed(&close[..close.len() - 1]));
        assert!(drain.feed(&close[close.len() - 1..]));
        assert!(
            !drain.feed(&frame(0x8, 0)),
            "after the Close, nothing counts"
        );
    }

    #[test]
    fn an_unreadable_header_drains_blind() {
        // Opcode 3 is reserved: the framing is lost.
        let mut drain = Drain::skipping(0);
        assert!(!drain.feed(&[0x83, 0x80, 0, 0, 0, 0]));
        assert!(matches!(drain, Drain::Blind));
        assert!(!drain.feed(&frame(0x8, 0)));
    }
}
