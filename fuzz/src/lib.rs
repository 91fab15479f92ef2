//! Helpers shared by the fuzz targets in `fuzz_targets/`.
//!
//! # Input format
//!
//! Every target reads its input front to back with [`Unstructured`], one
//! byte per small number or flag ([`byte`], [`flag`]) and a length byte
//! before each run of bytes ([`blob`]). Nothing is read from the end of the
//! input (as `arbitrary`'s collections do), so that a seed is simply the
//! concatenation of its fields and `seeds.py` can write the RFC's vectors
//! as inputs that mean what they say.

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use ws_proto::deflate::DeflateConfig;
use ws_proto::entropy::Seeded;
use ws_proto::frame::{apply_mask, FrameHeader, OpCode};
use ws_proto::handshake::{Accept, ClientHandshake, ClientRequest, ServerHandshake};
use ws_proto::{Config, Connection, Role};

pub mod connection;

/// The seed of every client's nonce and masking keys: runs reproduce.
pub const SEED: u64 = 0x5EED;

/// The next byte, 0 once the input is used up.
pub fn byte(u: &mut Unstructured<'_>) -> u8 {
    u8::arbitrary(u).unwrap_or(0)
}

/// The low bit of the next byte.
pub fn flag(u: &mut Unstructured<'_>) -> bool {
    byte(u) & 1 == 1
}

/// A length byte, then that many bytes (fewer if the input ends), at most
/// `max`.
pub fn blob<'a>(u: &mut Unstructured<'a>, max: usize) -> &'a [u8] {
    let want = usize::from(byte(u)).min(max).min(u.len());
    u.bytes(want).unwrap_or_default()
}

/// The rest of the input, after a count byte (taken modulo 8) and that many
/// chunk sizes: the split of the rest into the reads a transport might
/// make. The sizes cycle; a zero is a read of nothing.
pub fn chunked<'a>(u: &mut Unstructured<'a>) -> (Vec<usize>, &'a [u8]) {
    let count = byte(u) % 8;
    let sizes = (0..count).map(|_| usize::from(byte(u))).collect();
    let rest = u.bytes(u.len()).unwrap_or_default();
    (sizes, rest)
}

/// `data` cut into pieces of the sizes `sizes` cycles through (all of it at
/// once when `sizes` is empty). Zero-sized pieces are kept, but at most
/// one between two non-empty ones, so the number of pieces stays within
/// twice the length of `data` plus one.
pub fn pieces<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    if sizes.is_empty() {
        return vec![data];
    }
    let mut out = Vec::new();
    let mut rest = data;
    let mut size = sizes.iter().cycle();
    let mut last_empty = false;
    while !rest.is_empty() {
        let n = match *size.next().unwrap_or(&1) {
            0 if last_empty => 1,
            n => n.min(rest.len()),
        };
        last_empty = n == 0;
        let (piece, tail) = rest.split_at(n);
        out.push(piece);
        rest = tail;
    }
    out
}

/// permessage-deflate settings as raw bytes: every window size from 8 to
/// 15, both takeover settings, any level and a threshold of 0 to 63 bytes.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct DeflateParams {
    client_max_window_bits: u8,
    server_max_window_bits: u8,
    client_no_context_takeover: bool,
    server_no_context_takeover: bool,
    level: u8,
    threshold: u8,
}

impl DeflateParams {
    /// The settings these bytes stand for.
    pub fn config(&self) -> DeflateConfig {
        DeflateConfig::default()
            .with_client_max_window_bits(8 + self.client_max_window_bits % 8)
            .with_server_max_window_bits(8 + self.server_max_window_bits % 8)
            .with_level(u32::from(self.level % 10))
            .with_client_no_context_takeover(self.client_no_context_takeover)
            .with_server_no_context_takeover(self.server_no_context_takeover)
            .with_threshold(usize::from(self.threshold % 64))
    }
}

/// A config with `deflate` and timers short enough for a fake clock that
/// advances in milliseconds (each `Some` at least 1 ms).
pub fn config(deflate: DeflateConfig, timers: &Timers) -> Config {
    let ms = |t: u8| Duration::from_millis(u64::from(t) + 1);
    let mut config = Config::default()
        .with_deflate(deflate)
        .without_keepalive()
        .without_close_timeout()
        .without_idle_timeout();
    if let Some(t) = timers.ping_interval {
        config = config.with_ping_interval(ms(t));
    }
    if let Some(t) = timers.pong_timeout {
        config = config.with_pong_timeout(ms(t));
    }
    if let Some(t) = timers.close_timeout {
        config = config.with_close_timeout(ms(t));
    }
    if let Some(t) = timers.idle_timeout {
        config = config.with_idle_timeout(ms(t));
    }
    config
}

/// The timers of a [`config`], in milliseconds less one; `None` is off.
#[derive(Arbitrary, Debug, Clone, Copy, Default)]
pub struct Timers {
    /// Keepalive Ping interval.
    pub ping_interval: Option<u8>,
    /// How long a keepalive Ping waits for its Pong.
    pub pong_timeout: Option<u8>,
    /// How long the closing handshake may take.
    pub close_timeout: Option<u8>,
    /// How long the connection may receive nothing.
    pub idle_timeout: Option<u8>,
}

/// Runs both opening handshakes in memory, the client's request and the
/// server's 101 each in one piece. Returns the client and server
/// connections and the `Sec-WebSocket-Extensions` value of the 101.
///
/// Panics if either side refuses the other: both configs are valid, so
/// whatever one side offers or answers, the other must take.
pub fn handshake(client: Config, server: Config) -> (Connection, Connection, Option<String>) {
    let request = ClientRequest::new("example.com", "/").expect("a valid request");
    handshake_for(request, client, server)
}

/// [`handshake`] for a request of the caller's.
pub fn handshake_for(
    request: ClientRequest,
    client: Config,
    server: Config,
) -> (Connection, Connection, Option<String>) {
    let (mut client, request) = ClientHandshake::new(request, client, Box::new(Seeded::new(SEED)));
    let mut server = ServerHandshake::new(server);
    let offer = server
        .receive(&request)
        .expect("the server takes the client's request")
        .expect("the whole request");
    let (response, server) = server
        .accept(&offer, Accept::new())
        .expect("the server accepts its own choice");
    let answer = client
        .receive(&response)
        .expect("the client takes the server's answer to its offer")
        .expect("the whole response");
    let extensions = answer.header("Sec-WebSocket-Extensions").map(str::to_owned);
    let client = client.into_connection().expect("a 101 was received");
    (client, server, extensions)
}

/// A frame read back from what a connection sent, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// The decoded header.
    pub header: FrameHeader,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

/// Splits what a connection of role `sender` wrote into frames, checking
/// that each header is well-formed and follows the masking rule of RFC 6455
/// section 5.1 ("a client MUST mask all frames that it sends to the server
/// [...] A server MUST NOT mask any frames"). A frame cut short at the end
/// is left out: the close timeout drops what was still queued, which may
/// be the tail of a frame partly written.
pub fn parse_frames(sender: Role, mut wire: &[u8]) -> Vec<WireFrame> {
    let mut frames = Vec::new();
    while let Some((header, header_len)) =
        FrameHeader::decode(wire).expect("a connection writes well-formed headers")
    {
        assert_eq!(
            header.mask.is_some(),
            sender == Role::Client,
            "a {sender:?} broke the masking rule: {header:?}"
        );
        let Some(end) = usize::try_from(header.payload_len)
            .ok()
            .and_then(|len| len.checked_add(header_len))
            .filter(|&end| end <= wire.len())
        else {
            break;
        };
        let mut payload = wire[header_len..end].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        frames.push(WireFrame { header, payload });
        wire = &wire[end..];
    }
    frames
}

/// Whether `frame` is a Close.
pub fn is_close(frame: &WireFrame) -> bool {
    frame.header.opcode == OpCode::Close
}

/// Splits an HTTP head we wrote into its start line and header fields,
/// checking that it is well-formed (RFC 7230 section 3): CRLF line ends and
/// no other CR or LF (response splitting), one blank line at the very end
/// (with a body after it when `body` is set), token field names, values
/// without control characters other than HTAB.
pub fn split_head(bytes: &[u8], body: bool) -> (String, Vec<(String, String)>) {
    let text = std::str::from_utf8(bytes).expect("a head we write is UTF-8");
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .expect("a blank line ends the head");
    assert!(body || rest.is_empty(), "bytes after the head: {rest:?}");
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default().to_owned();
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let fields = lines
        .map(|line| {
            assert!(!line.contains(['\r', '\n']), "a bare CR or LF in {line:?}");
            let (name, value) = line.split_once(": ").expect("a `name: value` line");
            assert!(
                !name.is_empty() && name.chars().all(tchar),
                "field name {name:?}"
            );
            assert!(
                !value.chars().any(|c| c.is_ascii_control() && c != '\t'),
                "a control character in {line:?}"
            );
            (name.to_owned(), value.to_owned())
        })
        .collect();
    assert!(!start.contains(['\r', '\n']), "start line {start:?}");
    (start, fields)
}

/// The value of the first field called `name` (any case).
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
