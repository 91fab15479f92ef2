//! Compressing and inflating message payloads (RFC 7692 section 7.2).

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::negotiate::Agreed;
use super::DeflateConfig;
use crate::close::CloseCode;
use crate::extension::{Extension, ExtensionError, SharedFrames};
use crate::frame::Rsv;
use crate::MessageKind;

/// The empty stored block a sync flush ends with, which section 7.2.1
/// removes from the end of a message and section 7.2.2 appends again.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// zlib refuses a raw deflate stream with a 256-byte window (it turns 8
/// into 9 for zlib streams only). Inflating with 9 accepts everything a
/// window of 8 produces; compressing for a peer limited to 8 uses stored
/// blocks, which refer to no earlier data at all.
const ZLIB_MIN_WINDOW_BITS: u8 = 9;

/// permessage-deflate on one connection: a compressor for what this end
/// sends, a decompressor for what it receives.
pub(crate) struct PerMessageDeflate {
    agreed: Agreed,
    /// Made on the first compressed message each way and dropped when no
    /// context carries over: zlib's state for a 15-bit window is about
    /// 300 KiB, which an idle connection should not hold.
    compress: Option<Compress>,
    decompress: Option<Decompress>,
    level: Compression,
    threshold: usize,
    /// Whether the message being sent is compressed (decided on its first
    /// fragment, section 6: all or none of a message's frames).
    sending_compressed: bool,
    /// The message being received ended its DEFLATE stream with a BFINAL
    /// block (section 7.2.3.4): the rest of it, tail included, is ignored.
    stream_ended: bool,
}

fn error(code: CloseCode, reason: String) -> ExtensionError {
    ExtensionError { reason, code }
}

impl PerMessageDeflate {
    pub(crate) fn new(agreed: Agreed, config: &DeflateConfig) -> Self {
        PerMessageDeflate {
            agreed,
            compress: None,
            decompress: None,
            level: level_for(agreed.send_window_bits, config.level()),
            threshold: config.threshold(),
            sending_compressed: false,
            stream_ended: false,
        }
    }

    /// Inflates `input` onto `out`, which may grow to `max_len` bytes and
    /// not one more: the moment the output would pass it, inflating stops
    /// with close code 1009.
    fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), ExtensionError> {
        loop {
            if out.len() == out.capacity() {
                // Grow with the output, doubling, but never past one byte
                // over the limit (that byte tells "over" from "exactly at").
                let room = (max_len + 1).saturating_sub(out.len());
                let step = out.capacity().max(4 * input.len()).max(1024).min(room);
                if step == 0 {
                    return Err(too_big(max_len));
                }
                out.reserve_exact(step);
            }
            let bits = self.agreed.recv_window_bits.max(ZLIB_MIN_WINDOW_BITS);
            let decompress = self
                .decompress
                .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
            let (in_before, out_before) = (decompress.total_in(), out.len());
            let status = decompress
                .decompress_vec(input, out, FlushDecompress::Sync)
                .map_err(|e| {
                    error(
                        CloseCode::PROTOCOL_ERROR,
                        format!("invalid compressed data: {e}"),
                    )
                })?;
            let consumed = (decompress.total_in() - in_before) as usize;
            input = &input[consumed..];
            if out.len() > max_len {
                return Err(too_big(max_len));
            }
            let has_room = out.len() < out.capacity();
            if status == Status::StreamEnd {
                // A block with BFINAL set ended the stream (section
                // 7.2.3.4): what follows, such as the tail, is not part of
                // it, and the next message starts a new one.
                decompress.reset(false);
                self.stream_ended = true;
                return Ok(());
            }
            if input.is_empty() && has_room {
                return Ok(());
            }
            if consumed == 0 && out.len() == out_before && has_room {
                return Err(error(
                    CloseCode::PROTOCOL_ERROR,
                    "compressed data does not inflate".to_owned(),
                ));
            }
        }
    }
}

/// Ends a message's compressed data as section 7.2.1 asks: "If the
/// resulting data does not end with an empty DEFLATE block with no
/// compression [...], append an empty DEFLATE block with no compression to
/// the tail end", then "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from
/// the tail end."
///
/// `out` is the last fragment's output, which a sync flush ended with that
/// empty block. When it is empty, the compressor had nothing to flush: the
/// message's data so far (an earlier fragment's, or with context takeover
/// the previous message's) already ended on a flushed byte boundary, and
/// those 4 octets are already gone or already sent. Removing nothing would
/// leave the receiver to read the tail it appends as the header of a stored
/// block 0xff00 bytes long. So the fragment carries the empty block minus
/// its 4 octets instead: the single octet 0x00 (BFINAL 0, BTYPE 00, then
/// padding) of section 7.2.3.6, which the appended tail completes.
fn end_message(out: &mut Vec<u8>) -> Result<(), ExtensionError> {
    if out.ends_with(&TAIL) {
        out.truncate(out.len() - TAIL.len());
        Ok(())
    } else if out.is_empty() {
        out.push(0x00);
        Ok(())
    } else {
        // A sync flush that wrote anything ends with the empty block, so
        // this would be a compressor that broke its contract: refuse to
        // put a stream on the wire that the peer cannot inflate.
        Err(error(
            CloseCode::INTERNAL_ERROR,
            "deflate flush did not end with an empty stored block".to_owned(),
        ))
    }
}

fn too_big(max_len: usize) -> ExtensionError {
    error(
        CloseCode::MESSAGE_TOO_BIG,
        format!("message inflates past the {max_len} bytes left under the message limit"),
    )
}

/// The compression level for a window of `2^bits` bytes: `level`, or
/// stored blocks only for a window below zlib's smallest.
fn level_for(bits: u8, level: u32) -> Compression {
    match bits < ZLIB_MIN_WINDOW_BITS {
        true => Compression::none(),
        false => Compression::new(level),
    }
}

/// A raw-deflate compressor for a window of `2^bits` bytes, `bits` as
/// negotiated (8 to 15; zlib's smallest is 9, see [`ZLIB_MIN_WINDOW_BITS`]).
fn compressor(level: Compression, bits: u8) -> Compress {
    Compress::new_with_window_bits(level, false, bits.max(ZLIB_MIN_WINDOW_BITS))
}

/// Compresses all of `input` and ends with a sync flush (section 7.2.1),
/// so that the output ends on a byte boundary with the empty stored block.
fn deflate_sync(compress: &mut Compress, mut input: &[u8]) -> Result<Vec<u8>, ExtensionError> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        let before = compress.total_in();
        compress
            .compress_vec(input, &mut out, FlushCompress::Sync)
            .map_err(|e| error(CloseCode::INTERNAL_ERROR, format!("deflate failed: {e}")))?;
        input = &input[(compress.total_in() - before) as usize..];
        // The flush is complete once all input is taken and the
        // compressor left output space unused.
        if input.is_empty() && out.len() < out.capacity() {
            return Ok(out);
        }
    }
}

/// `payload` compressed as one whole message by a compressor that starts
/// with no context and is dropped after it, for a window of `2^bits`
/// bytes: a message any peer inflates whose agreed window for it is at
/// least that, whatever this end sent it before, as long as this end's
/// own compressor takes no context from one message to the next (a
/// prepared message, sent where no context takeover was agreed).
pub(crate) fn compress_alone(
    payload: &[u8],
    bits: u8,
    level: u32,
) -> Result<Vec<u8>, ExtensionError> {
    let level = level_for(bits, level);
    let mut out = deflate_sync(&mut compressor(level, bits), payload)?;
    end_message(&mut out)?;
    Ok(out)
}

impl Extension for PerMessageDeflate {
    fn reserved_bits(&self) -> Rsv {
        // Section 6: "the "Per-Message Compressed" bit [...] is RSV1".
        Rsv::RSV1
    }

    fn shared_frames(&self) -> SharedFrames {
        match self.agreed.send_no_context_takeover {
            true => SharedFrames::Deflated {
                window_bits: self.agreed.send_window_bits,
            },
            false => SharedFrames::Plain,
        }
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        payload: Bytes,
        first: bool,
        fin: bool,
    ) -> Result<(Bytes, Rsv), ExtensionError> {
        if first {
            self.sending_compressed = !(fin && payload.len() < self.threshold);
        }
        if !self.sending_compressed {
            return Ok((payload, Rsv::NONE));
        }
        let bits = self.agreed.send_window_bits;
        let level = self.level;
        let compress = self.compress.get_or_insert_with(|| compressor(level, bits));
        let mut out = deflate_sync(compress, &payload)?;
        if fin {
            end_message(&mut out)?;
            if self.agreed.send_no_context_takeover {
                self.compress = None;
            }
        }
        let rsv = if first { Rsv::RSV1 } else { Rsv::NONE };
        Ok((Bytes::from(out), rsv))
    }

    fn decode(
        &mut self,
        _rsv: Rsv,
        payload: Bytes,
        fin: bool,
        max_len: usize,
    ) -> Result<Bytes, ExtensionError> {
        let mut out = Vec::new();
        if !self.stream_ended {
            self.inflate(&payload, &mut out, max_len)?;
        }
        if fin {
            // Section 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the
            // tail end of the payload of the message", then inflate.
            if !std::mem::take(&mut self.stream_ended) {
                self.inflate(&TAIL, &mut out, max_len)?;
            }
            if self.agreed.recv_no_context_takeover {
                self.decompress = None;
            }
        }
        Ok(Bytes::from(out))
    }
}
