//! Messages encoded once and sent on many connections: broadcast.
//!
//! A chat room, a pub/sub topic or a game tick sends one message to every
//! subscriber. Encoding it once per receiver repeats the same work N
//! times: the frame header, UTF-8 validation for text, and with
//! permessage-deflate the compression, the costliest step of all. A
//! [`PreparedMessage`] does each once, and
//! [`Connection::send_prepared`](crate::Connection::send_prepared) queues
//! the result on a connection without encoding anything again (the model
//! is uWebSockets' `publishPrepared`).
//!
//! What a connection sends of it depends on what it negotiated:
//!
//! - no extension, or permessage-deflate with a compression context kept
//!   between messages: the plain frame (RFC 7692 section 6 lets any
//!   message go out uncompressed; only a connection's own compressor may
//!   add to its context), unless the message was prepared compressed, in
//!   which case the connection compresses it with its own context;
//! - permessage-deflate with no context takeover on this end: the frame
//!   compressed once, when the message was prepared with
//!   [`with_deflate`](PreparedMessage::with_deflate) and the window it was
//!   compressed for fits the one agreed; the plain frame otherwise;
//! - a client: every frame of a client is masked with a key of its own
//!   (RFC 6455 section 5.3), so a client masks its copy of the payload; the
//!   rest is still done once;
//! - any other extension encodes the payload itself.
//!
//! The frame's payload is shared `Bytes`: sending copies a small payload
//! into the connection's write buffer next to the other frames queued
//! there (one write takes a burst of them, as uWebSockets corks small
//! publishes) and queues a large one by reference.
//!
//! ```
//! use ws_proto::{Config, Connection, PreparedMessage};
//!
//! let mut room: Vec<Connection> = (0..3)
//!     .map(|_| Connection::server(Config::default()))
//!     .collect();
//! let notice = PreparedMessage::text("alice joined");
//! for member in &mut room {
//!     member.send_prepared(&notice)?;
//! }
//! assert_eq!(&room[2].take_transmit()[..], b"\x81\x0calice joined");
//! # Ok::<(), ws_proto::Error>(())
//! ```

use bytes::Bytes;

use crate::frame::{FrameHeader, OpCode, Rsv};
use crate::utf8::Utf8Bytes;
use crate::MessageKind;

/// The longest header of an unmasked frame: 2 bytes and a 64-bit length.
const MAX_SERVER_HEADER: usize = 10;

/// A text or binary message encoded once, to be sent on many connections
/// with [`Connection::send_prepared`](crate::Connection::send_prepared).
/// Cheap to clone: the payloads are shared.
#[derive(Debug, Clone)]
pub struct PreparedMessage {
    kind: MessageKind,
    /// The frame without any extension: header and payload.
    plain: Frame,
    /// The frame compressed once by permessage-deflate, when asked for and
    /// smaller.
    deflated: Option<Deflated>,
}

/// A server's frame: its header, encoded, and its payload.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    header: [u8; MAX_SERVER_HEADER],
    header_len: u8,
    pub(crate) payload: Bytes,
}

#[derive(Debug, Clone)]
struct Deflated {
    /// The window it was compressed for.
    window_bits: u8,
    frame: Frame,
}

impl Frame {
    fn new(kind: MessageKind, rsv: Rsv, payload: Bytes) -> Frame {
        let header = FrameHeader {
            fin: true,
            rsv,
            opcode: match kind {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            },
            mask: None,
            payload_len: payload.len() as u64,
        };
        if payload.len() >= crate::connection::ZERO_COPY_MIN {
            // Connections queue a payload this large by reference. `Bytes`
            // made from a `Vec` allocates its shared counter at the first
            // clone: have it now, with the encode, so that no delivery
            // allocates.
            drop(payload.clone());
        }
        let mut bytes = [0; MAX_SERVER_HEADER];
        let header_len = header.encoded_len();
        // `&mut [u8]` is a `BufMut` that fills from the front.
        header.encode(&mut &mut bytes[..]);
        Frame {
            header: bytes,
            // At most MAX_SERVER_HEADER.
            header_len: header_len as u8,
            payload,
        }
    }

    /// The encoded header.
    pub(crate) fn header(&self) -> &[u8] {
        &self.header[..usize::from(self.header_len)]
    }

    /// The frame's length on the wire.
    fn len(&self) -> usize {
        self.header().len() + self.payload.len()
    }
}

impl PreparedMessage {
    /// A text message. Its UTF-8 was checked when the [`Utf8Bytes`] were
    /// made, once for every receiver.
    pub fn text(text: impl Into<Utf8Bytes>) -> PreparedMessage {
        PreparedMessage::new(MessageKind::Text, text.into().into_bytes())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> PreparedMessage {
        PreparedMessage::new(MessageKind::Binary, data.into())
    }

    fn new(kind: MessageKind, payload: Bytes) -> PreparedMessage {
        PreparedMessage {
            kind,
            plain: Frame::new(kind, Rsv::NONE, payload),
            deflated: None,
        }
    }

    /// Also compresses the message once for permessage-deflate (RFC 7692),
    /// with `config`'s level, for a window of `config`'s
    /// [`server_max_window_bits`](crate::deflate::DeflateConfig::server_max_window_bits):
    /// servers that agreed no context takeover for what they send
    /// (`server_no_context_takeover`, which a server may choose for itself
    /// with [`DeflateConfig::with_server_no_context_takeover`]) and a window
    /// at least that large send this frame as it is. Others compress the
    /// message themselves. A message under `config`'s threshold, or one
    /// that does not get smaller, stays uncompressed for all, as each
    /// connection would decide.
    ///
    /// [`DeflateConfig::with_server_no_context_takeover`]: crate::deflate::DeflateConfig::with_server_no_context_takeover
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, config: &crate::deflate::DeflateConfig) -> PreparedMessage {
        let payload = &self.plain.payload;
        if payload.len() < config.threshold() {
            return self;
        }
        let bits = config.server_max_window_bits();
        // Compressing fails only if the compressor breaks its contract;
        // then the message simply goes out uncompressed.
        let Ok(compressed) = crate::deflate::compress_alone(payload, bits, config.level()) else {
            return self;
        };
        if compressed.len() < payload.len() {
            self.deflated = Some(Deflated {
                window_bits: bits,
                frame: Frame::new(self.kind, Rsv::RSV1, Bytes::from(compressed)),
            });
        }
        self
    }

    /// Whether it is a text or a binary message.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The message's payload, as given (uncompressed).
    pub fn payload(&self) -> &Bytes {
        &self.plain.payload
    }

    /// The length of the uncompressed frame on the wire, header included.
    pub fn frame_len(&self) -> usize {
        self.plain.len()
    }

    /// Whether a compressed frame was made (see
    /// [`with_deflate`](Self::with_deflate)).
    pub fn is_deflated(&self) -> bool {
        self.deflated.is_some()
    }

    /// The plain frame.
    pub(crate) fn plain(&self) -> &Frame {
        &self.plain
    }

    /// The compressed frame, if one was made for a window that fits
    /// `window_bits`: one compressed for a smaller window only refers to
    /// data as far back as that, which a larger window holds too.
    pub(crate) fn deflated_for(&self, window_bits: u8) -> Option<&Frame> {
        self.deflated
            .as_ref()
            .filter(|d| d.window_bits <= window_bits)
            .map(|d| &d.frame)
    }
}
