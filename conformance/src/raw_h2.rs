//! A scripted raw HTTP/2 client (RFC 9113) over cleartext TCP with prior
//! knowledge: exact frames out, frames in, for the abuse cases that h2's
//! own client refuses to send (streams beyond the server's limit, empty
//! DATA frames without end, streams reset as soon as they are opened).
//!
//! Header blocks are written with HPACK literal fields without indexing
//! and without Huffman coding (RFC 7541 section 6.2.2), which every
//! decoder must accept and which need no state. The server's header
//! blocks are not decoded: a case only needs whether a stream got a
//! response, and whether that response is a 200 (see
//! [`Event::Headers`]).
//!
//! Every read is bounded: [`RawH2::next_event`] gives up after the
//! timeout given, and a frame longer than the default
//! `SETTINGS_MAX_FRAME_SIZE` (which this client never raises) is an error
//! before anything is allocated for it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The client connection preface (RFC 9113 section 3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The frame header: 24-bit length, type, flags, 31-bit stream identifier
/// (RFC 9113 section 4.1).
const FRAME_HEADER_LEN: usize = 9;

/// The largest frame a peer may send us: `SETTINGS_MAX_FRAME_SIZE`'s
/// initial value, which we never raise (RFC 9113 section 6.5.2).
const MAX_FRAME_SIZE: usize = 16_384;

/// Frame types (RFC 9113 section 6).
mod kind {
    pub(super) const DATA: u8 = 0x0;
    pub(super) const HEADERS: u8 = 0x1;
    pub(super) const RST_STREAM: u8 = 0x3;
    pub(super) const SETTINGS: u8 = 0x4;
    pub(super) const PING: u8 = 0x6;
    pub(super) const GOAWAY: u8 = 0x7;
    pub(super) const CONTINUATION: u8 = 0x9;
}

/// Frame flags (RFC 9113 section 6).
mod flag {
    pub(super) const END_STREAM: u8 = 0x1;
    /// SETTINGS and PING share the value 0x1 for ACK.
    pub(super) const ACK: u8 = 0x1;
    pub(super) const END_HEADERS: u8 = 0x4;
    pub(super) const PADDED: u8 = 0x8;
    pub(super) const PRIORITY: u8 = 0x20;
}

/// `SETTINGS_MAX_CONCURRENT_STREAMS` (RFC 9113 section 6.5.2).
pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
/// `SETTINGS_MAX_HEADER_LIST_SIZE` (RFC 9113 section 6.5.2).
pub const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;
/// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 section 3).
pub const SETTINGS_ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// Error codes (RFC 9113 section 7).
pub mod reason {
    /// NO_ERROR (0x0).
    pub const NO_ERROR: u32 = 0x0;
    /// CANCEL (0x8).
    pub const CANCEL: u32 = 0x8;
    /// REFUSED_STREAM (0x7): the stream was not processed.
    pub const REFUSED_STREAM: u32 = 0x7;
    /// ENHANCE_YOUR_CALM (0xb): "the endpoint detected that its peer is
    /// exhibiting a behavior that might be generating excessive load".
    pub const ENHANCE_YOUR_CALM: u32 = 0xb;
}

/// What the server sent, one frame at a time. SETTINGS are acknowledged
/// and PINGs answered as they come (RFC 9113 sections 6.5.3 and 6.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server's SETTINGS (not an ACK): identifier and value pairs.
    Settings(Vec<(u16, u32)>),
    /// The server acknowledged our SETTINGS.
    SettingsAck,
    /// A response's HEADERS on `stream` (CONTINUATION frames folded in).
    Headers {
        /// The stream.
        stream: u32,
        /// Whether the block's first field is the static table's
        /// `:status: 200` (RFC 7541 appendix A, index 8): the one byte
        /// every HPACK encoder we know writes for it.
        ok: bool,
        /// END_STREAM: the response ended with its headers.
        end_stream: bool,
    },
    /// DATA on `stream`.
    Data {
        /// The stream.
        stream: u32,
        /// The payload, padding removed.
        payload: Vec<u8>,
        /// END_STREAM.
        end_stream: bool,
    },
    /// RST_STREAM on `stream` with the error code `reason`.
    Reset {
        /// The stream.
        stream: u32,
        /// The error code.
        reason: u32,
    },
    /// GOAWAY (RFC 9113 section 6.8).
    GoAway {
        /// The last stream the server processed or may still process.
        last_stream: u32,
        /// The error code.
        reason: u32,
        /// Opaque debug data, as the server sent it.
        debug: Vec<u8>,
    },
    /// The acknowledgement of our PING with this payload.
    PingAck(u64),
    /// The server closed the connection (or reset it).
    Closed,
}

/// One frame as read: type, flags, stream and payload (RFC 9113 section
/// 4.1).
struct RawFrame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// A header field for [`RawH2::headers`]: name and value, written as an
/// HPACK literal without indexing.
pub type Field<'a> = (&'a str, &'a str);

/// The raw client: one TCP connection, written and read by the case.
pub struct RawH2 {
    stream: TcpStream,
    /// Bytes read but not yet parsed into frames.
    inbox: Vec<u8>,
    /// Frames to write, flushed by [`flush`](Self::flush).
    outbox: Vec<u8>,
    next_stream: u32,
    next_ping: u64,
    /// A HEADERS block waiting for its CONTINUATION frames:
    /// (stream, first byte seen, END_STREAM).
    partial_headers: Option<(u32, Option<u8>, bool)>,
}

impl RawH2 {
    /// Connects to `addr`, sends the preface and empty SETTINGS, and
    /// returns the server's SETTINGS (acknowledged) once they came: a
    /// server sends them first (RFC 9113 section 3.4).
    pub async fn connect(
        addr: SocketAddr,
        timeout: Duration,
    ) -> io::Result<(RawH2, Vec<(u16, u32)>)> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut client = RawH2 {
            stream,
            inbox: Vec::with_capacity(2 * MAX_FRAME_SIZE),
            outbox: Vec::new(),
            next_stream: 1,
            next_ping: 1,
            partial_headers: None,
        };
        client.outbox.extend_from_slice(PREFACE);
        client.frame(kind::SETTINGS, 0, 0, &[]);
        client.flush().await?;
        match client.next_event(timeout).await? {
            Event::Settings(settings) => Ok((client, settings)),
            other => Err(io::Error::other(format!(
                "the server's first frame was not SETTINGS: {other:?}"
            ))),
        }
    }

    /// The identifier the next [`headers`](Self::headers) opens: odd and
    /// increasing, as a client's must be (RFC 9113 section 5.1.1).
    pub fn next_stream_id(&self) -> u32 {
        self.next_stream
    }

    /// Queues a HEADERS frame opening a new stream with `fields` (pseudo
    /// fields first, RFC 9113 section 8.3), END_STREAM if `end_stream`;
    /// returns the stream's identifier. A block longer than a frame goes
    /// on in CONTINUATION frames (RFC 9113 section 6.10).
    pub fn headers(&mut self, fields: &[Field<'_>], end_stream: bool) -> u32 {
        let id = self.next_stream;
        self.next_stream += 2;
        let mut block = Vec::new();
        for (name, value) in fields {
            literal_field(&mut block, name, value);
        }
        let mut chunks: Vec<&[u8]> = block.chunks(MAX_FRAME_SIZE).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let end_headers = if i == last { flag::END_HEADERS } else { 0 };
            if i == 0 {
                let end_stream = if end_stream { flag::END_STREAM } else { 0 };
                self.frame(kind::HEADERS, end_headers | end_stream, id, chunk);
            } else {
                self.frame(kind::CONTINUATION, end_headers, id, chunk);
            }
        }
        id
    }

    /// Queues a DATA frame on `stream`.
    pub fn data(&mut self, stream: u32, payload: &[u8], end_stream: bool) {
        let flags = if end_stream { flag::END_STREAM } else { 0 };
        self.frame(kind::DATA, flags, stream, payload);
    }

    /// Queues RST_STREAM on `stream` with the error code `reason`.
    pub fn reset(&mut self, stream: u32, reason: u32) {
        self.frame(kind::RST_STREAM, 0, stream, &reason.to_be_bytes());
    }

    /// Queues a PING and returns its payload, which the server's ACK
    /// echoes ([`Event::PingAck`]) after it processed every frame before
    /// it: frames on a connection are processed in order (RFC 9113
    /// section 6.7), so the ACK tells the case the server has seen all it
    /// sent.
    pub fn ping(&mut self) -> u64 {
        let payload = self.next_ping;
        self.next_ping += 1;
        self.frame(kind::PING, 0, 0, &payload.to_be_bytes());
        payload
    }

    /// Writes every queued frame.
    pub async fn flush(&mut self) -> io::Result<()> {
        let result = self.stream.write_all(&self.outbox).await;
        self.outbox.clear();
        result
    }

    /// The next event, within `timeout`. SETTINGS are acknowledged and
    /// PINGs answered on the way. An error if the timeout passes or the
    /// server breaks the frame format.
    pub async fn next_event(&mut self, timeout: Duration) -> io::Result<Event> {
        match tokio::time::timeout(timeout, self.read_event()).await {
            Ok(event) => event,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no frame from the server within {timeout:?}"),
            )),
        }
    }

    async fn read_event(&mut self) -> io::Result<Event> {
        loop {
            while let Some(frame) = self.parse_frame()? {
                if let Some(event) = self.handle(frame).await? {
                    return Ok(event);
                }
            }
            let mut chunk = [0u8; 8192];
            let n = match self.stream.read(&mut chunk).await {
                Ok(0) => return Ok(Event::Closed),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(Event::Closed),
                Err(e) => return Err(e),
            };
            self.inbox.extend_from_slice(&chunk[..n]);
        }
    }

    /// Takes one whole frame off the inbox, if there is one.
    fn parse_frame(&mut self) -> io::Result<Option<RawFrame>> {
        let Some(header) = self.inbox.get(..FRAME_HEADER_LEN) else {
            return Ok(None);
        };
        let len =
            usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
        // RFC 9113 section 4.2: a frame over our SETTINGS_MAX_FRAME_SIZE
        // is the server's error; refuse it before buffering it.
        if len > MAX_FRAME_SIZE {
            return Err(io::Error::other(format!("a frame of {len} bytes")));
        }
        let (kind, flags) = (header[3], header[4]);
        let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
        if self.inbox.len() < FRAME_HEADER_LEN + len {
            return Ok(None);
        }
        let payload = self.inbox[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len].to_vec();
        self.inbox.drain(..FRAME_HEADER_LEN + len);
        Ok(Some(RawFrame {
            kind,
            flags,
            stream,
            payload,
        }))
    }

    async fn handle(&mut self, frame: RawFrame) -> io::Result<Option<Event>> {
        let RawFrame {
            kind,
            flags,
            stream,
            payload,
        } = frame;
        let payload = &payload[..];
        let malformed = || io::Error::other(format!("a malformed frame of type {kind:#x}"));
        Ok(Some(match kind {
            kind::SETTINGS if flags & flag::ACK != 0 => Event::SettingsAck,
            kind::SETTINGS => {
                if payload.len() % 6 != 0 {
                    return Err(malformed());
                }
                let settings = payload
                    .chunks_exact(6)
                    .map(|s| {
                        (
                            u16::from_be_bytes([s[0], s[1]]),
                            u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
                        )
                    })
                    .collect();
                // RFC 9113 section 6.5.3: acknowledge at once.
                self.frame(kind::SETTINGS, flag::ACK, 0, &[]);
                self.flush().await?;
                Event::Settings(settings)
            }
            kind::PING => {
                let data: [u8; 8] = payload.try_into().map_err(|_| malformed())?;
                if flags & flag::ACK != 0 {
                    Event::PingAck(u64::from_be_bytes(data))
                } else {
                    // RFC 9113 section 6.7: answer with the same payload.
                    self.frame(kind::PING, flag::ACK, 0, &data);
                    self.flush().await?;
                    return Ok(None);
                }
            }
            kind::HEADERS => {
                let block = strip_headers_padding(flags, payload).ok_or_else(malformed)?;
                let end_stream = flags & flag::END_STREAM != 0;
                if flags & flag::END_HEADERS == 0 {
                    self.partial_headers = Some((stream, block.first().copied(), end_stream));
                    return Ok(None);
                }
                Event::Headers {
                    stream,
                    ok: block.first() == Some(&0x88),
                    end_stream,
                }
            }
            kind::CONTINUATION => {
                let Some((first_stream, first, end_stream)) = self.partial_headers else {
                    return Err(malformed());
                };
                if first_stream != stream {
                    return Err(malformed());
                }
                let first = first.or_else(|| payload.first().copied());
                if flags & flag::END_HEADERS == 0 {
                    self.partial_headers = Some((stream, first, end_stream));
                    return Ok(None);
                }
                self.partial_headers = None;
                Event::Headers {
                    stream,
                    ok: first == Some(0x88),
                    end_stream,
                }
            }
            kind::DATA => Event::Data {
                stream,
                payload: strip_padding(flags, payload)
                    .ok_or_else(malformed)?
                    .to_vec(),
                end_stream: flags & flag::END_STREAM != 0,
            },
            kind::RST_STREAM => {
                let code: [u8; 4] = payload.try_into().map_err(|_| malformed())?;
                Event::Reset {
                    stream,
                    reason: u32::from_be_bytes(code),
                }
            }
            kind::GOAWAY => {
                if payload.len() < 8 {
                    return Err(malformed());
                }
                Event::GoAway {
                    last_stream: u32::from_be_bytes([
                        payload[0], payload[1], payload[2], payload[3],
                    ]) & 0x7fff_ffff,
                    reason: u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]),
                    debug: payload[8..].to_vec(),
                }
            }
            // WINDOW_UPDATE, PRIORITY and unknown types (RFC 9113 section
            // 5.5: ignored) tell these cases nothing.
            _ => return Ok(None),
        }))
    }

    /// Queues one frame (RFC 9113 section 4.1).
    fn frame(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        debug_assert!(payload.len() <= MAX_FRAME_SIZE);
        let len = payload.len() as u32;
        self.outbox.extend_from_slice(&len.to_be_bytes()[1..]);
        self.outbox.push(kind);
        self.outbox.push(flags);
        self.outbox
            .extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
        self.outbox.extend_from_slice(payload);
    }
}

/// The fields of an extended CONNECT that opens a WebSocket at `path`
/// (RFC 8441 section 4 and 5): `:method CONNECT`, `:protocol websocket`,
/// `:scheme`, `:path`, `:authority`, and `sec-websocket-version: 13`.
pub fn websocket_connect<'a>(authority: &'a str, path: &'a str) -> [Field<'a>; 6] {
    [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "http"),
        (":path", path),
        (":authority", authority),
        ("sec-websocket-version", "13"),
    ]
}

/// The fields of a plain request (RFC 9113 section 8.3.1).
pub fn request<'a>(method: &'a str, authority: &'a str, path: &'a str) -> [Field<'a>; 4] {
    [
        (":method", method),
        (":scheme", "http"),
        (":path", path),
        (":authority", authority),
    ]
}

/// The value of setting `id` in `settings`, if the server sent it.
pub fn setting(settings: &[(u16, u32)], id: u16) -> Option<u32> {
    settings
        .iter()
        .rev()
        .find(|(i, _)| *i == id)
        .map(|&(_, v)| v)
}

/// A literal header field without indexing, with a new name, neither
/// string Huffman-coded (RFC 7541 section 6.2.2: the 0000 pattern, then
/// the name and the value as string literals, section 5.2).
fn literal_field(block: &mut Vec<u8>, name: &str, value: &str) {
    block.push(0x00);
    for string in [name, value] {
        integer(block, 7, 0x00, string.len());
        block.extend_from_slice(string.as_bytes());
    }
}

/// An HPACK integer with an N-bit prefix (RFC 7541 section 5.1); `high`
/// holds the bits above the prefix in the first byte (the H bit of a
/// string literal, 0 for no Huffman).
fn integer(block: &mut Vec<u8>, prefix_bits: u32, high: u8, mut value: usize) {
    let max = (1usize << prefix_bits) - 1;
    if value < max {
        block.push(high | value as u8);
        return;
    }
    block.push(high | max as u8);
    value -= max;
    while value >= 128 {
        block.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    block.push(value as u8);
}

/// The payload without its padding: Pad Length, then the data, then that
/// many bytes of padding (RFC 9113 section 6.1).
fn strip_padding(flags: u8, payload: &[u8]) -> Option<&[u8]> {
    if flags & flag::PADDED == 0 {
        return Some(payload);
    }
    let (&pad, rest) = payload.split_first()?;
    rest.get(..rest.len().checked_sub(usize::from(pad))?)
}

/// A HEADERS payload's header block fragment: padding and the priority
/// fields removed (RFC 9113 section 6.2).
fn strip_headers_padding(flags: u8, payload: &[u8]) -> Option<&[u8]> {
    let block = strip_padding(flags, payload)?;
    if flags & flag::PRIORITY != 0 {
        block.get(5..)
    } else {
        Some(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpack_integers_of_rfc_7541_appendix_c1() {
        // C.1.1: 10 with a 5-bit prefix; C.1.2: 1337 with a 5-bit prefix.
        let mut out = Vec::new();
        integer(&mut out, 5, 0, 10);
        assert_eq!(out, [0x0a]);
        out.clear();
        integer(&mut out, 5, 0, 1337);
        assert_eq!(out, [0x1f, 0x9a, 0x0a]);
    }

    #[test]
    fn literal_field_as_rfc_7541_appendix_c2_1() {
        // C.2.1 writes "custom-key: custom-header" with indexing (0x40);
        // without indexing (0x00) the rest of its bytes are the same.
        let mut out = Vec::new();
        literal_field(&mut out, "custom-key", "custom-header");
        let mut expected = vec![0x00, 0x0a];
        expected.extend_from_slice(b"custom-key");
        expected.push(0x0d);
        expected.extend_from_slice(b"custom-header");
        assert_eq!(out, expected);
    }

    #[test]
    fn padding_is_checked() {
        assert_eq!(
            strip_padding(flag::PADDED, &[2, b'a', 0, 0]),
            Some(&b"a"[..])
        );
        assert_eq!(strip_padding(flag::PADDED, &[4, b'a', 0, 0]), None);
        assert_eq!(strip_padding(flag::PADDED, &[]), None);
        assert_eq!(
            strip_headers_padding(flag::PRIORITY, &[0, 0, 0, 0, 0, 0x88]),
            Some(&[0x88][..])
        );
    }
}
