//! The script both `connection_*` targets run: a [`Connection`] that
//! negotiated permessage-deflate through the real handshakes, fed input in
//! any pieces and driven by commands under a fake clock, with its
//! invariants checked after every step.
//!
//! # Input
//!
//! Four bytes of limits (message limit, write buffer limit, flags), the
//! timers, both ends' permessage-deflate settings, then up to [`MAX_STEPS`]
//! steps, each a tag byte and its operands (see [`Step::read`]).

use std::io::IoSlice;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use ws_proto::frame::{apply_mask, FrameHeader, OpCode, Rsv};
use ws_proto::{CloseCode, Config, Connection, Error, Event, MessageKind, Role};

use crate::{blob, byte, config, flag, handshake, is_close, parse_frames, DeflateParams, Timers};

/// Steps per input: enough to fragment, fill the write buffer and close,
/// few enough for tens of thousands of runs a second.
pub const MAX_STEPS: usize = 48;

/// The most payload one command sends.
const MAX_SEND: usize = 1024;

/// The most bytes one step adds to the input.
const MAX_INPUT: usize = 512;

/// The largest control frame: a 2-byte header (plus a 4-byte mask) and 125
/// bytes of payload.
const MAX_CONTROL_FRAME: usize = 2 + 4 + 125;

/// How far past its limit the write buffer may legitimately be. A send is
/// refused only once the buffer is at the limit, so the frame that crosses
/// it may be a whole data frame (at most [`MAX_SEND`] bytes, which deflate
/// may grow by its block headers and sync flush, plus a 14-byte header) or
/// a Pong. After that, nothing is queued but the one Close, preceded by the
/// one held-back Pong it flushes.
const WRITE_SLACK: usize = (MAX_SEND + MAX_SEND / 8 + 64) + 2 * MAX_CONTROL_FRAME;

/// The masking key of RFC 6455 section 5.7, for frames forged for a server.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The connection's limits, from four bytes.
#[derive(Arbitrary, Debug)]
struct Limits {
    /// In units of 64 bytes, plus one byte: from 1 byte to 16 KiB, so
    /// messages from the peer cross it.
    max_message_size: u8,
    /// In units of 16 bytes, plus one byte.
    write_buffer_limit: u8,
    auto_pong: bool,
    auto_close_reply: bool,
}

/// One thing that happens to the connection.
#[derive(Debug)]
enum Step<'a> {
    /// Bytes from the network as they are, queued for delivery.
    Raw(&'a [u8]),
    /// A frame forged from a first header byte (FIN, RSV1-3 and any
    /// opcode, reserved ones too) and a payload, masked when the connection
    /// is a server; queued for delivery.
    Forged { b0: u8, payload: &'a [u8] },
    /// A message the real peer sends, compressed as it negotiated.
    PeerMessage { text: bool, payload: &'a [u8] },
    /// A fragment the real peer sends.
    PeerFragment {
        text: bool,
        fin: bool,
        payload: &'a [u8],
    },
    /// A Ping from the real peer.
    PeerPing(&'a [u8]),
    /// The real peer's Close.
    PeerClose { code: u16, reason: &'a [u8] },
    /// Up to this many queued input bytes reach the connection (0: all of
    /// them), through `receive` or through `read_buffer` + `commit_read`.
    Deliver { max: usize, read_buffer: bool },
    /// A byte of the queued input is flipped: damaged compressed data.
    Corrupt { at: usize, xor: u8 },
    /// `send_text` (or `send_binary`).
    Send { text: bool, payload: &'a [u8] },
    /// `send_fragment`.
    SendFragment {
        text: bool,
        fin: bool,
        payload: &'a [u8],
    },
    /// `send_ping` (or `send_pong`), possibly with too long a payload.
    SendControl { ping: bool, payload: &'a [u8] },
    /// `close`.
    Close { code: u16, reason: &'a [u8] },
    /// The transport writes up to this many bytes (0: all of them).
    Write(usize),
    /// The clock advances by this many milliseconds.
    Tick(u64),
    /// The transport reports the end of input.
    Eof,
}

/// Close codes worth trying: valid ones, reserved ones, and ones a Close
/// frame must never carry (1005, 1006).
const CODES: [u16; 8] = [1000, 1001, 1002, 1005, 1006, 1011, 3000, 4999];

impl<'a> Step<'a> {
    /// A tag byte and its operands.
    fn read(u: &mut Unstructured<'a>) -> Step<'a> {
        let code = |u: &mut Unstructured<'a>| CODES[usize::from(byte(u)) % CODES.len()];
        match byte(u) % 15 {
            0 => Step::Raw(blob(u, MAX_INPUT)),
            1 => Step::Forged {
                b0: byte(u),
                payload: blob(u, MAX_INPUT),
            },
            2 => Step::PeerMessage {
                text: flag(u),
                payload: blob(u, MAX_INPUT),
            },
            3 => {
                let flags = byte(u);
                Step::PeerFragment {
                    text: flags & 1 != 0,
                    fin: flags & 2 != 0,
                    payload: blob(u, MAX_INPUT),
                }
            }
            4 => Step::PeerPing(blob(u, 125)),
            5 => Step::PeerClose {
                code: code(u),
                reason: blob(u, 123),
            },
            6 => {
                let max = byte(u);
                Step::Deliver {
                    max: usize::from(max >> 1) * 4,
                    read_buffer: max & 1 != 0,
                }
            }
            7 => Step::Corrupt {
                at: usize::from(byte(u)),
                xor: byte(u),
            },
            8 => Step::Send {
                text: flag(u),
                payload: blob(u, MAX_SEND),
            },
            9 => {
                let flags = byte(u);
                Step::SendFragment {
                    text: flags & 1 != 0,
                    fin: flags & 2 != 0,
                    payload: blob(u, MAX_SEND),
                }
            }
            10 => Step::SendControl {
                ping: flag(u),
                payload: blob(u, 130),
            },
            11 => Step::Close {
                code: code(u),
                reason: blob(u, 130),
            },
            12 => Step::Write(usize::from(byte(u)) * 16),
            13 => Step::Tick(u64::from(byte(u))),
            _ => Step::Eof,
        }
    }
}

/// The connection under test and what was seen of it.
struct Harness {
    conn: Connection,
    /// The other end of the handshake, which encodes (and compresses) the
    /// peer's messages.
    peer: Connection,
    /// Bytes on their way to `conn`.
    inbound: Vec<u8>,
    /// Everything `conn` wrote, from its first byte.
    sent: Vec<u8>,
    now: Instant,
    max_message_size: usize,
    write_buffer_limit: usize,
    auto_close_reply: bool,
    /// Whether `conn` queued a Close before failing: then a protocol error
    /// queues no second one.
    close_queued: bool,
    /// The message being received: its kind and bytes so far.
    message: Option<(MessageKind, Vec<u8>)>,
    /// The error that ended the connection.
    error: Option<Error>,
}

/// Runs the script in `data` against a connection of `role`.
pub fn run(role: Role, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let limits = Limits::arbitrary(&mut u).unwrap_or(Limits {
        max_message_size: 0,
        write_buffer_limit: 0,
        auto_pong: true,
        auto_close_reply: true,
    });
    let timers = Timers::arbitrary(&mut u).unwrap_or_default();
    let ours = DeflateParams::arbitrary(&mut u).map(|p| p.config());
    let theirs = DeflateParams::arbitrary(&mut u).map(|p| p.config());
    let (Ok(ours), Ok(theirs)) = (ours, theirs) else {
        return;
    };
    let max_message_size = usize::from(limits.max_message_size) * 64 + 1;
    let write_buffer_limit = usize::from(limits.write_buffer_limit) * 16 + 1;
    let conn_config = config(ours, &timers)
        .with_max_message_size(max_message_size)
        .with_write_buffer_limit(write_buffer_limit)
        .with_auto_pong(limits.auto_pong)
        .with_auto_close_reply(limits.auto_close_reply);
    let peer_config = Config::default().with_deflate(theirs);
    let (client, server, agreed) = match role {
        Role::Client => handshake(conn_config, peer_config),
        Role::Server => handshake(peer_config, conn_config),
    };
    assert!(agreed.is_some(), "permessage-deflate was negotiated");
    let (conn, peer) = match role {
        Role::Client => (client, server),
        Role::Server => (server, client),
    };
    let mut h = Harness {
        conn,
        peer,
        inbound: Vec::new(),
        sent: Vec::new(),
        now: Instant::now(),
        max_message_size,
        write_buffer_limit,
        auto_close_reply: limits.auto_close_reply,
        close_queued: false,
        message: None,
        error: None,
    };
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let step = Step::read(&mut u);
        h.step(step);
        // After input or a command: events until none, then the time.
        h.drain_events();
        h.conn.handle_timeout(h.now);
        h.drain_events();
        h.check_write_buffer();
    }
    h.finish();
}

impl Harness {
    fn step(&mut self, step: Step<'_>) {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let kind = |text: bool| {
            if text {
                MessageKind::Text
            } else {
                MessageKind::Binary
            }
        };
        match step {
            Step::Raw(bytes) => self.inbound.extend_from_slice(bytes),
            Step::Forged { b0, payload } => self.forge(b0, payload),
            // The peer's own refusals (a message in progress, closed) are
            // its business: what it does queue is well-formed.
            Step::PeerMessage {
                text: true,
                payload,
            } => {
                let _ = self.peer.send_text(text(payload));
                self.take_peer();
            }
            Step::PeerMessage { payload, .. } => {
                let _ = self.peer.send_binary(Bytes::copy_from_slice(payload));
                self.take_peer();
            }
            Step::PeerFragment {
                text: is_text,
                fin,
                payload,
            } => {
                let payload = match is_text {
                    true => Bytes::from(text(payload)),
                    false => Bytes::copy_from_slice(payload),
                };
                let _ = self.peer.send_fragment(kind(is_text), payload, fin);
                self.take_peer();
            }
            Step::PeerPing(payload) => {
                let _ = self.peer.send_ping(Bytes::copy_from_slice(payload));
                self.take_peer();
            }
            Step::PeerClose { code, reason } => {
                let _ = self.peer.close(CloseCode::new(code), &text(reason));
                self.take_peer();
            }
            Step::Deliver { max, read_buffer } => self.deliver(max, read_buffer),
            Step::Corrupt { at, xor } => {
                if !self.inbound.is_empty() {
                    let at = at % self.inbound.len();
                    self.inbound[at] ^= xor;
                }
            }
            Step::Send {
                text: true,
                payload,
            } => {
                let result = self.conn.send_text(text(payload));
                self.sent_command(result);
            }
            Step::Send { payload, .. } => {
                let result = self.conn.send_binary(Bytes::copy_from_slice(payload));
                self.sent_command(result);
            }
            Step::SendFragment {
                text: is_text,
                fin,
                payload,
            } => {
                // Raw bytes, not made valid: a text fragment that is not
                // UTF-8 must be refused without harm.
                let result =
                    self.conn
                        .send_fragment(kind(is_text), Bytes::copy_from_slice(payload), fin);
                self.sent_command(result);
            }
            Step::SendControl { ping, payload } => {
                let payload = Bytes::copy_from_slice(payload);
                let result = match ping {
                    true => self.conn.send_ping(payload),
                    false => self.conn.send_pong(payload),
                };
                self.sent_command(result);
            }
            Step::Close { code, reason } => {
                let result = self.conn.close(CloseCode::new(code), &text(reason));
                if result.is_ok() {
                    self.close_queued = true;
                }
                self.sent_command(result);
            }
            Step::Write(max) => self.write(max),
            Step::Tick(ms) => self.now += Duration::from_millis(ms),
            Step::Eof => self.conn.receive_eof(),
        }
    }

    fn forge(&mut self, b0: u8, payload: &[u8]) {
        let mask = (self.conn.role() == Role::Server).then_some(KEY);
        let header = FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: Rsv::from_bits(b0 >> 4),
            // Every opcode encodes alike; the real nibble is patched in.
            opcode: OpCode::Binary,
            mask,
            payload_len: payload.len() as u64,
        };
        let start = self.inbound.len();
        header.encode(&mut self.inbound);
        self.inbound[start] = (self.inbound[start] & 0xF0) | (b0 & 0x0F);
        let body = self.inbound.len();
        self.inbound.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.inbound[body..], key, 0);
        }
    }

    fn take_peer(&mut self) {
        let wire = self.peer.take_transmit();
        self.inbound.extend_from_slice(&wire);
    }

    fn deliver(&mut self, max: usize, read_buffer: bool) {
        let n = match max {
            0 => self.inbound.len(),
            max => max.min(self.inbound.len()),
        };
        if read_buffer {
            let room = self.conn.read_buffer();
            let n = n.min(room.len());
            room[..n].copy_from_slice(&self.inbound[..n]);
            self.conn.commit_read(n);
            self.inbound.drain(..n);
        } else {
            self.conn.receive(&self.inbound[..n]);
            self.inbound.drain(..n);
        }
    }

    /// Moves up to `max` written bytes (all for 0) to `sent`, a chunk at a
    /// time as a transport that takes one slice per write would.
    fn write(&mut self, max: usize) {
        let mut budget = if max == 0 { usize::MAX } else { max };
        // Each round writes at least a byte; the queue may gain one
        // held-back Pong on the way.
        let rounds = self.conn.write_buffer_len() + MAX_CONTROL_FRAME + 1;
        for _ in 0..rounds {
            let chunk = self.conn.transmit_chunk();
            if chunk.is_empty() || budget == 0 {
                break;
            }
            let n = chunk.len().min(budget);
            self.sent.extend_from_slice(&chunk[..n]);
            self.conn.advance_transmit(n);
            budget -= n;
        }
    }

    /// A command's result: a fatal error ends the connection as a failed
    /// read does; a usage error leaves it as it was.
    fn sent_command(&mut self, result: Result<(), Error>) {
        if let Err(e) = result {
            if e.is_fatal() {
                self.failed(e);
            }
        }
    }

    fn drain_events(&mut self) {
        // Each event consumes at least a frame header of the input, or is
        // the error that ends all events: the input bounds the loop.
        for _ in 0..=MAX_STEPS * MAX_INPUT {
            match self.conn.next_event() {
                Ok(Some(event)) => self.event(event),
                Ok(None) => return,
                Err(e) => return self.failed(e),
            }
        }
        panic!("next_event never ran out of events");
    }

    fn event(&mut self, event: Event) {
        assert!(self.error.is_none(), "{event:?} after {:?}", self.error);
        let (kind, payload, fin) = match event {
            Event::Text { payload, fin } => (MessageKind::Text, payload, fin),
            Event::Binary { payload, fin } => (MessageKind::Binary, payload, fin),
            Event::Ping(payload) | Event::Pong(payload) => {
                assert!(payload.len() <= 125, "control payload of {}", payload.len());
                return;
            }
            Event::Close(_) => {
                if self.auto_close_reply {
                    self.close_queued = true;
                }
                self.message = None;
                return;
            }
            other => panic!("an event this script does not know: {other:?}"),
        };
        let (message_kind, bytes) = self.message.get_or_insert((kind, Vec::new()));
        assert_eq!(*message_kind, kind, "a fragment changed the message's kind");
        bytes.extend_from_slice(&payload);
        assert!(
            bytes.len() <= self.max_message_size,
            "delivered {} bytes of a message past the limit of {}",
            bytes.len(),
            self.max_message_size
        );
        if fin {
            if kind == MessageKind::Text {
                assert!(
                    std::str::from_utf8(bytes).is_ok(),
                    "a text message that is not UTF-8"
                );
            }
            self.message = None;
        }
    }

    /// The connection reported `error`: it must report it again, and for
    /// a protocol error its last frame must be the Close with its code.
    fn failed(&mut self, error: Error) {
        if let Some(first) = &self.error {
            assert_eq!(&error, first, "the error is sticky");
            return;
        }
        assert_eq!(
            self.conn.next_event(),
            Err(error.clone()),
            "the error is sticky"
        );
        if let Error::Protocol(protocol) = &error {
            if !self.close_queued {
                self.write(0);
                let frames = parse_frames(self.conn.role(), &self.sent);
                let last = frames.last().expect("a Close after a protocol error");
                assert!(
                    is_close(last) && last.payload.len() >= 2,
                    "the last frame is {last:?}, not a Close with a code"
                );
                let code = u16::from_be_bytes([last.payload[0], last.payload[1]]);
                assert_eq!(
                    code,
                    protocol.close_code().as_u16(),
                    "the Close for {protocol:?}"
                );
            }
        }
        self.error = Some(error);
    }

    fn check_write_buffer(&self) {
        let len = self.conn.write_buffer_len();
        assert!(
            len <= self.write_buffer_limit + WRITE_SLACK,
            "{len} bytes queued past the limit of {}",
            self.write_buffer_limit
        );
    }

    /// Writes what is left and checks the whole output: well-formed
    /// frames, at most one Close, nothing after it (RFC 6455 section 5.5.1:
    /// "The application MUST NOT send any more data frames after sending a
    /// Close frame").
    fn finish(mut self) {
        self.write(0);
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(self.conn.transmit_chunks(&mut slices), 0, "all was written");
        let frames = parse_frames(self.conn.role(), &self.sent);
        if let Some(close) = frames.iter().position(is_close) {
            assert_eq!(
                close + 1,
                frames.len(),
                "frames after the Close: {frames:?}"
            );
        }
    }
}
