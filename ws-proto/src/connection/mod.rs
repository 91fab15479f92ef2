//! One open WebSocket connection, in either role, as a state machine.

mod drain;
mod message;
mod read_buffer;
mod state;
mod timers;
mod transmit;

use std::io::IoSlice;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::close::{CloseCode, CloseFrame};
use crate::config::Config;
use crate::entropy::Entropy;
use crate::error::{Error, ProtocolError, TimeoutKind, UsageError};
use crate::extension::Extension;
use crate::frame::MAX_CONTROL_PAYLOAD;
use crate::frame::{apply_mask, FrameHeader, OpCode, Rsv};
use crate::utf8::{Utf8Bytes, Utf8Validator};
use crate::MessageKind;

use drain::Drain;
use read_buffer::ReadBuffer;
pub use state::State;
use timers::{Expired, Timers};
use transmit::Transmit;
pub(crate) use transmit::ZERO_COPY_MIN;

/// Which end of the connection this is. It decides the masking rule
/// (section 5.1: clients mask every frame, servers never do) and who
/// closes the transport first (section 7.1.1: the server).
///
/// Exhaustive, unlike the crate's other enums: RFC 6455 has two roles and
/// no extension can add one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that opened the connection.
    Client,
    /// The end that accepted it.
    Server,
}

/// What the peer sent, as [`Connection::next_event`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A piece of a text message: one frame's payload. The bytes received
    /// so far for the message are valid UTF-8 up to a code point that may
    /// be cut at the end of a piece with `fin: false`; with `fin: true`
    /// the whole message is valid.
    Text {
        /// The (unmasked, decoded) payload.
        payload: Bytes,
        /// Whether this piece ends the message.
        fin: bool,
    },
    /// A piece of a binary message: one frame's payload.
    Binary {
        /// The (unmasked, decoded) payload.
        payload: Bytes,
        /// Whether this piece ends the message.
        fin: bool,
    },
    /// A Ping. With [`Config::auto_pong`] on, the Pong is already queued.
    Ping(Bytes),
    /// A Pong.
    Pong(Bytes),
    /// The peer's Close. With [`Config::auto_close_reply`] on, the reply is
    /// already queued; otherwise answer with [`Connection::close`].
    Close(CloseFrame),
}

/// The frame being received: its header, and how much of its payload is
/// already unmasked (and checked, for uncompressed text) in the buffer.
#[derive(Debug, Clone, Copy)]
struct InFrame {
    header: FrameHeader,
    unmasked: usize,
}

/// The data message being received.
#[derive(Debug)]
struct InMessage {
    kind: MessageKind,
    /// The reserved bits of its first frame: non-empty when an extension
    /// encoded it.
    rsv: Rsv,
    /// Payload bytes so far, after decoding.
    len: u64,
    utf8: Utf8Validator,
}

/// The data message being sent in fragments.
#[derive(Debug)]
struct OutMessage {
    kind: MessageKind,
    utf8: Utf8Validator,
}

/// A WebSocket connection after the opening handshake: the sans-IO state
/// machine for one role.
///
/// Its methods fall into four groups; after input or a command, drain in
/// this order: [`next_event`](Self::next_event) until `None`,
/// [`handle_timeout`](Self::handle_timeout) with the current time, then
/// write what [`transmit_chunks`](Self::transmit_chunks) gives and sleep
/// until [`poll_timeout`](Self::poll_timeout) or more input.
///
/// - **Input**: [`receive`](Self::receive) (copies) or
///   [`read_buffer`](Self::read_buffer) + [`commit_read`](Self::commit_read)
///   (the transport reads straight into the connection's buffer);
///   [`receive_eof`](Self::receive_eof); [`handle_timeout`](Self::handle_timeout).
/// - **Events**: [`next_event`](Self::next_event).
/// - **Commands**: [`send_text`](Self::send_text),
///   [`send_binary`](Self::send_binary), [`send_fragment`](Self::send_fragment),
///   [`send_ping`](Self::send_ping), [`send_pong`](Self::send_pong),
///   [`close`](Self::close).
/// - **Drains**: [`transmit_chunks`](Self::transmit_chunks) +
///   [`advance_transmit`](Self::advance_transmit),
///   [`poll_timeout`](Self::poll_timeout),
///   [`should_shutdown`](Self::should_shutdown).
/// - **Lifecycle**: [`state`](Self::state), one [`State`] value: open,
///   closing either way, closed, failed (with its error, while it drains
///   the peer's input) and ended. Once it has [`State::Ended`] and the
///   queued bytes are written, shut the transport down and drop it.
pub struct Connection {
    role: Role,
    config: Config,
    /// Masking keys, for a client.
    entropy: Option<Box<dyn Entropy>>,
    extension: Option<Box<dyn Extension>>,
    read: ReadBuffer,
    in_frame: Option<InFrame>,
    in_message: Option<InMessage>,
    /// The fragments of the message [`Connection::next_message`] is joining.
    assembly: Option<BytesMut>,
    out_message: Option<OutMessage>,
    transmit: Transmit,
    /// The Pong owed for the latest Ping that arrived while the write
    /// buffer was at its limit; see [`Connection::queue_pong`].
    pending_pong: Option<Bytes>,
    /// Where the connection is in its life; a failure's error is sticky
    /// inside it.
    state: State,
    /// Where the peer's frames end while the connection drains its input.
    drain: Drain,
    timers: Timers,
    keepalive_count: u32,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("buffered_in", &self.read.len())
            .field("buffered_out", &self.transmit.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The server end of an accepted connection.
    ///
    /// `config` is taken as it is; the handshakes and the adapters check it
    /// with [`Config::validate`] first. One that fails the check does not
    /// panic the connection, but does what it says (a write buffer limit of
    /// zero refuses every send, say).
    pub fn server(config: Config) -> Self {
        Connection::new(Role::Server, config, None)
    }

    /// The client end of a connection; `entropy` supplies the masking keys.
    pub fn client(config: Config, entropy: Box<dyn Entropy>) -> Self {
        Connection::new(Role::Client, config, Some(entropy))
    }

    fn new(role: Role, config: Config, entropy: Option<Box<dyn Entropy>>) -> Self {
        Connection {
            role,
            timers: Timers::new(&config),
            config,
            entropy,
            extension: None,
            read: ReadBuffer::default(),
            in_frame: None,
            in_message: None,
            assembly: None,
            out_message: None,
            transmit: Transmit::default(),
            pending_pong: None,
            state: State::Open,
            drain: Drain::Blind,
            keepalive_count: 0,
        }
    }

    /// Hands the connection the extension negotiated in the handshake; its
    /// reserved bits become legal on incoming frames.
    pub fn set_extension(&mut self, extension: Box<dyn Extension>) {
        self.extension = Some(extension);
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- input -------------------------------------------------------

    /// Buffers bytes received from the transport. Call
    /// [`next_event`](Self::next_event) until it returns `None` before
    /// feeding more: the buffer holds what it is given.
    pub fn receive(&mut self, data: &[u8]) {
        if self.state.accepts_input() && !data.is_empty() {
            self.read.extend(data);
            self.timers.on_input();
        } else if self.drain.feed(data) {
            self.on_drained_close();
        }
    }

    /// Spare room in the receive buffer for the transport to read into,
    /// then [`commit_read`](Self::commit_read) the count read. Sized for
    /// the frame being received, within fixed bounds (8 to 256 KiB).
    pub fn read_buffer(&mut self) -> &mut [u8] {
        let expected = match self.in_frame {
            Some(f) => (f.header.payload_len as usize).saturating_sub(self.read.len()),
            None => 0,
        };
        self.read.spare(expected)
    }

    /// Marks `n` bytes of [`read_buffer`](Self::read_buffer) as received.
    ///
    /// # Panics
    ///
    /// If `n` is larger than the room `read_buffer` gave.
    pub fn commit_read(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.read.commit(n);
        if self.state.accepts_input() {
            self.timers.on_input();
        } else {
            if self.drain.feed(self.read.data()) {
                self.on_drained_close();
            }
            self.read.clear();
        }
    }

    /// The transport has no more bytes to give (the peer shut down its
    /// write side or the connection was lost).
    pub fn receive_eof(&mut self) {
        self.on_eof();
    }

    /// Tells the connection the time: arms the timers that started since
    /// the last call and acts on those that expired (sends a keepalive
    /// Ping, or fails the connection with [`Error::Timeout`], reported by
    /// the next [`next_event`](Self::next_event)). Returns whether that
    /// changed anything a driver acts on: bytes queued or dropped, or the
    /// [`state`](Self::state).
    ///
    /// Call it with the current time after every batch of input and
    /// commands, and when the deadline of [`poll_timeout`](Self::poll_timeout)
    /// has passed.
    pub fn handle_timeout(&mut self, now: Instant) -> bool {
        let mut changed = false;
        while let Some(expired) = self.timers.tick(now) {
            changed |= match expired {
                Expired::Ping => self.send_keepalive_ping(),
                Expired::Pong => {
                    self.fail(Error::Timeout(TimeoutKind::Keepalive));
                    true
                }
                Expired::Idle => {
                    self.fail(Error::Timeout(TimeoutKind::Idle));
                    true
                }
                Expired::Close => {
                    self.on_close_timeout();
                    true
                }
            };
        }
        changed
    }

    // ---- events ------------------------------------------------------

    /// The next event from the bytes received so far; `Ok(None)` when more
    /// input is needed or the connection has closed.
    ///
    /// A protocol violation returns [`Error::Protocol`] after queueing the
    /// Close frame with the matching code; that error, like a timeout or an
    /// unexpected end of input, is returned again by every later call.
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        if let Some(e) = self.state.error() {
            return Err(e.clone());
        }
        if !self.state.accepts_input() {
            return Ok(None);
        }
        match self.read_frame() {
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) if self.read.has_ended() && self.state.accepts_input() => {
                Err(self.fail(Error::UnexpectedEof))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.fail(Error::Protocol(e))),
        }
    }

    fn read_frame(&mut self) -> Result<Option<Event>, ProtocolError> {
        let frame = match self.in_frame {
            Some(frame) => frame,
            None => {
                let Some((header, header_len)) = FrameHeader::decode(self.read.data())? else {
                    return Ok(None);
                };
                self.check_header(&header)?;
                self.read.advance(header_len);
                // Noted at once: a failure inside the payload must know
                // that the buffer now starts with it (see `fail`).
                let frame = InFrame {
                    header,
                    unmasked: 0,
                };
                self.in_frame = Some(frame);
                frame
            }
        };
        // `check_header` bounded the length by the frame limit, a usize.
        let len = frame.header.payload_len as usize;
        let arrived = self.read.len().min(len);
        if arrived > frame.unmasked {
            let fresh = &mut self.read.data_mut()[frame.unmasked..arrived];
            if let Some(key) = frame.header.mask {
                apply_mask(fresh, key, frame.unmasked);
            }
            // Uncompressed text is checked as it arrives, so invalid UTF-8
            // fails the connection before the frame is complete.
            if let Some(msg) = self.in_message.as_mut() {
                let is_data = !frame.header.opcode.is_control();
                if is_data && msg.kind == MessageKind::Text && msg.rsv.is_empty() {
                    msg.utf8
                        .feed(fresh)
                        .map_err(|_| ProtocolError::InvalidUtf8)?;
                }
            }
        }
        if arrived < len {
            self.in_frame = Some(InFrame {
                unmasked: arrived,
                ..frame
            });
            return Ok(None);
        }
        self.in_frame = None;
        let payload = self.read.split_to(len);
        self.dispatch(frame.header, payload).map(Some)
    }

    /// The rules of a header that depend on the connection: masking by
    /// role, reserved bits, continuation order, size limits.
    fn check_header(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        // Section 5.1: a server MUST fail on an unmasked frame, a client on
        // a masked one.
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        let opens_message = matches!(header.opcode, OpCode::Text | OpCode::Binary);
        // Section 5.2: reserved bits only with an extension that defines
        // them, and (as RFC 7692 section 6 has it) only on a message's
        // first frame.
        if !header.rsv.is_empty() {
            let owned = self
                .extension
                .as_ref()
                .map_or(Rsv::NONE, |e| e.reserved_bits());
            if !opens_message || !header.rsv.is_subset_of(owned) {
                return Err(ProtocolError::ReservedBits(header.rsv));
            }
        }
        if header.opcode.is_control() {
            return Ok(());
        }
        // Section 5.4: a message's fragments are never interleaved with
        // another message's.
        match (header.opcode, self.in_message.is_some()) {
            (OpCode::Continuation, false) => return Err(ProtocolError::UnexpectedContinuation),
            (OpCode::Text | OpCode::Binary, true) => {
                return Err(ProtocolError::ExpectedContinuation)
            }
            _ => {}
        }
        let msg = self.in_message.get_or_insert(InMessage {
            kind: if header.opcode == OpCode::Text {
                MessageKind::Text
            } else {
                MessageKind::Binary
            },
            rsv: header.rsv,
            len: 0,
            utf8: Utf8Validator::default(),
        });
        // Uncompressed, the message limit is checked on the declared length,
        // before a byte of the payload is buffered. It comes before the
        // frame limit, which never exceeds it: a message over the limit the
        // caller chose is reported as such (close code 1009 either way,
        // section 7.4.1). Saturating: a length near 2^63 must not wrap
        // past the check.
        if msg.rsv.is_empty() {
            msg.len = msg.len.saturating_add(header.payload_len);
            if msg.len > self.config.max_message_size() as u64 {
                return Err(ProtocolError::MessageTooBig {
                    len: msg.len,
                    max: self.config.max_message_size(),
                });
            }
        }
        if header.payload_len > self.config.max_frame_size() as u64 {
            return Err(ProtocolError::FrameTooBig {
                len: header.payload_len,
                max: self.config.max_frame_size(),
            });
        }
        Ok(())
    }

    fn dispatch(&mut self, header: FrameHeader, payload: Bytes) -> Result<Event, ProtocolError> {
        match header.opcode {
            OpCode::Ping => {
                if self.config.auto_pong() && self.state == State::Open {
                    self.queue_pong(payload.clone());
                }
                Ok(Event::Ping(payload))
            }
            OpCode::Pong => Ok(Event::Pong(payload)),
            OpCode::Close => {
                let frame = CloseFrame::parse(payload).map_err(ProtocolError::InvalidClose)?;
                self.on_peer_close(&frame);
                Ok(Event::Close(frame))
            }
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                self.data_event(payload, header.fin)
            }
        }
    }

    fn data_event(&mut self, payload: Bytes, fin: bool) -> Result<Event, ProtocolError> {
        let Some(mut msg) = self.in_message.take() else {
            // check_header opened the message for every data frame.
            return Err(ProtocolError::UnexpectedContinuation);
        };
        let payload = match self.extension.as_mut() {
            Some(ext) if !msg.rsv.is_empty() => {
                let max = self.config.max_message_size() as u64;
                let room = max.saturating_sub(msg.len) as usize;
                let decoded = ext.decode(msg.rsv, payload, fin, room).map_err(|e| {
                    // By the `Extension::decode` contract, 1009 means the
                    // output would pass `room`: the message is over the
                    // limit, and reported as an uncompressed one is, naming
                    // the configured limit (section 7.4.1).
                    if e.code == CloseCode::MESSAGE_TOO_BIG {
                        ProtocolError::MessageTooBig {
                            len: max.saturating_add(1),
                            max: max as usize,
                        }
                    } else {
                        ProtocolError::Extension {
                            reason: e.reason,
                            code: e.code,
                        }
                    }
                })?;
                msg.len += decoded.len() as u64;
                if msg.len > max {
                    return Err(ProtocolError::MessageTooBig {
                        len: msg.len,
                        max: max as usize,
                    });
                }
                if msg.kind == MessageKind::Text {
                    msg.utf8
                        .feed(&decoded)
                        .map_err(|_| ProtocolError::InvalidUtf8)?;
                }
                decoded
            }
            _ => payload,
        };
        if fin && msg.kind == MessageKind::Text {
            msg.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        let kind = msg.kind;
        if !fin {
            self.in_message = Some(msg);
        }
        Ok(match kind {
            MessageKind::Text => Event::Text { payload, fin },
            MessageKind::Binary => Event::Binary { payload, fin },
        })
    }

    // ---- commands ----------------------------------------------------

    /// Queues a text message in one frame.
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), Error> {
        self.send_message(MessageKind::Text, text.into().into_bytes(), true)
    }

    /// Queues a binary message in one frame. A large `Bytes` payload is
    /// queued without a copy.
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.send_message(MessageKind::Binary, data.into(), true)
    }

    pub(super) fn send_message(
        &mut self,
        kind: MessageKind,
        payload: Bytes,
        compress: bool,
    ) -> Result<(), Error> {
        self.check_can_send()?;
        if self.out_message.is_some() {
            return Err(UsageError::MessageInProgress.into());
        }
        self.queue_data(kind, payload, true, true, compress)
    }

    /// Queues one fragment of a message (section 5.4): the first call
    /// starts a message of `kind`, later calls with the same `kind`
    /// continue it, and `fin` ends it. Control frames and pongs may be
    /// sent between fragments; another message may not.
    ///
    /// Text fragments may cut a code point; the fragments together must be
    /// valid UTF-8, which is checked as they come
    /// ([`UsageError::InvalidUtf8`] refuses the offending fragment).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: impl Into<Bytes>,
        fin: bool,
    ) -> Result<(), Error> {
        self.check_can_send()?;
        let payload = payload.into();
        let first = match &self.out_message {
            None => true,
            Some(out) if out.kind == kind => false,
            Some(_) => return Err(UsageError::MessageInProgress.into()),
        };
        let mut out = self.out_message.take().unwrap_or(OutMessage {
            kind,
            utf8: Utf8Validator::default(),
        });
        if kind == MessageKind::Text {
            let mut check = out.utf8.clone();
            let valid = check
                .feed(&payload)
                .and_then(|()| if fin { check.finish() } else { Ok(()) });
            if valid.is_err() {
                if !first {
                    self.out_message = Some(out);
                }
                return Err(UsageError::InvalidUtf8.into());
            }
            out.utf8 = check;
        }
        if !fin {
            self.out_message = Some(out);
        }
        self.queue_data(kind, payload, first, fin, true)
    }

    /// Queues a Ping with up to 125 bytes of payload.
    pub fn send_ping(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send_control(OpCode::Ping, payload.into())
    }

    /// Queues an unsolicited Pong, a unidirectional heartbeat (section
    /// 5.5.3), with up to 125 bytes of payload.
    pub fn send_pong(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send_control(OpCode::Pong, payload.into())
    }

    fn send_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), Error> {
        self.check_can_send()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(UsageError::ControlTooLong.into());
        }
        self.queue_frame(opcode, true, Rsv::NONE, payload);
        Ok(())
    }

    /// Starts the closing handshake (section 7.1.2) with `code` and
    /// `reason`, or answers the peer's Close when the automatic reply is
    /// off. Nothing may be sent after it.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let frame = CloseFrame::new(code, reason).map_err(UsageError::InvalidClose)?;
        self.close_with(frame)
    }

    /// Like [`close`](Self::close), with a Close frame that carries no code
    /// (the peer will report 1005).
    pub fn close_without_code(&mut self) -> Result<(), Error> {
        self.close_with(CloseFrame::empty())
    }

    fn close_with(&mut self, frame: CloseFrame) -> Result<(), Error> {
        if !self.state.may_send() {
            return Err(UsageError::Closed.into());
        }
        self.queue_close(frame);
        self.on_close_queued();
        Ok(())
    }

    fn check_can_send(&self) -> Result<(), UsageError> {
        if !self.state.may_send() {
            return Err(UsageError::Closed);
        }
        if self.is_write_buffer_full() {
            return Err(UsageError::WriteBufferFull);
        }
        Ok(())
    }

    /// Queues a keepalive Ping; whether it did.
    fn send_keepalive_ping(&mut self) -> bool {
        if self.state != State::Open {
            return false;
        }
        // A peer that has not read what is queued would not read the Ping
        // either, and queueing one per interval past the limit would grow
        // the write buffer without bound (the limit that Pongs and data
        // obey). The Ping is held back; the pong deadline armed with it
        // still runs, so a peer that also sends nothing times out as one
        // that never answered.
        if self.is_write_buffer_full() {
            return false;
        }
        self.keepalive_count = self.keepalive_count.wrapping_add(1);
        let payload = Bytes::copy_from_slice(&self.keepalive_count.to_be_bytes());
        self.queue_frame(OpCode::Ping, true, Rsv::NONE, payload);
        true
    }

    /// Queues one data frame, through the extension unless `compress` is
    /// off (then the message goes out as it is, which permessage-deflate
    /// allows for any message).
    fn queue_data(
        &mut self,
        kind: MessageKind,
        payload: Bytes,
        first: bool,
        fin: bool,
        compress: bool,
    ) -> Result<(), Error> {
        let (payload, rsv) = match self.extension.as_mut() {
            Some(ext) if compress => match ext.encode(kind, payload, first, fin) {
                Ok(encoded) => encoded,
                // The encoder's state is lost: nothing more can be sent.
                Err(e) => {
                    let error = ProtocolError::Extension {
                        reason: e.reason,
                        code: CloseCode::INTERNAL_ERROR,
                    };
                    return Err(self.fail(Error::Protocol(error)));
                }
            },
            _ => (payload, Rsv::NONE),
        };
        let opcode = match (first, kind) {
            (false, _) => OpCode::Continuation,
            (true, MessageKind::Text) => OpCode::Text,
            (true, MessageKind::Binary) => OpCode::Binary,
        };
        let rsv = if first { rsv } else { Rsv::NONE };
        self.queue_frame(opcode, fin, rsv, payload);
        Ok(())
    }

    fn queue_close(&mut self, frame: CloseFrame) {
        self.flush_pending_pong();
        self.queue_frame(OpCode::Close, true, Rsv::NONE, frame.encode());
    }

    fn queue_frame(&mut self, opcode: OpCode, fin: bool, rsv: Rsv, payload: Bytes) {
        let mask = self.entropy.as_mut().map(|entropy| {
            let mut key = [0; 4];
            entropy.fill(&mut key);
            key
        });
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        self.transmit.push_frame(header, payload);
    }

    /// Answers a Ping (section 5.5.2). Below the write buffer limit every
    /// Ping gets its Pong at once. At the limit the peer is not reading
    /// what we send, and queueing a Pong per Ping would let it grow the
    /// buffer without bound (CVE-2020-35896): the Pong is held back instead,
    /// later Pings replace it (section 5.5.3 allows answering only the most
    /// recent), and it is queued once the buffer has drained.
    fn queue_pong(&mut self, payload: Bytes) {
        if self.transmit.len() < self.config.write_buffer_limit() {
            self.pending_pong = None;
            self.queue_frame(OpCode::Pong, true, Rsv::NONE, payload);
        } else {
            self.pending_pong = Some(payload);
        }
    }

    fn flush_pending_pong(&mut self) {
        if let Some(payload) = self.pending_pong.take() {
            self.queue_frame(OpCode::Pong, true, Rsv::NONE, payload);
        }
    }

    /// Queues the held-back Pong only once everything before it was
    /// written: an adapter asks for chunks on every write attempt, also
    /// while the transport accepts nothing.
    fn queue_pong_if_drained(&mut self) {
        if self.transmit.is_empty() {
            self.flush_pending_pong();
        }
    }

    // ---- drains ------------------------------------------------------

    /// Fills `dst` with the queued bytes, in order, as slices for one
    /// vectored write; returns how many slices it filled. Write them, then
    /// call [`advance_transmit`](Self::advance_transmit) with the count
    /// written (a partial write is fine).
    #[must_use]
    pub fn transmit_chunks<'a>(&'a mut self, dst: &mut [IoSlice<'a>]) -> usize {
        self.queue_pong_if_drained();
        self.transmit.chunks(dst)
    }

    /// The first queued chunk, for a transport that writes one slice at a
    /// time; empty when nothing is queued.
    #[must_use]
    pub fn transmit_chunk(&mut self) -> &[u8] {
        self.queue_pong_if_drained();
        self.transmit.first_chunk()
    }

    /// Drops `n` bytes that the transport accepted.
    ///
    /// # Panics
    ///
    /// If `n` is more than is queued.
    pub fn advance_transmit(&mut self, n: usize) {
        self.transmit.advance(n);
    }

    /// Takes every queued byte as one buffer, copying; handy in tests and
    /// simple blocking drivers.
    #[must_use]
    pub fn take_transmit(&mut self) -> Bytes {
        self.flush_pending_pong();
        self.transmit.take_all().freeze()
    }

    /// Whether bytes wait to be written.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.transmit.is_empty() || self.pending_pong.is_some()
    }

    /// How many encoded bytes wait in the write buffer.
    #[must_use]
    pub fn write_buffer_len(&self) -> usize {
        self.transmit.len()
    }

    /// How many received bytes wait in the receive buffer: a frame (or
    /// part of one) not yet handed out. While it is 0 a driver may read
    /// into a buffer of its own, shared by its connections, and hand the
    /// bytes over with [`receive`](Self::receive), so that an idle
    /// connection holds no receive buffer.
    #[must_use]
    pub fn read_buffer_len(&self) -> usize {
        self.read.len()
    }

    /// Whether [`handle_timeout`](Self::handle_timeout) has anything to
    /// arm or fire. False while no timer is configured or running (no
    /// keepalive, no idle timeout, no closing handshake under way); a
    /// driver may then skip reading the clock.
    #[must_use]
    pub fn needs_time(&self) -> bool {
        self.timers.is_active()
    }

    /// Whether a send would be refused with
    /// [`UsageError::WriteBufferFull`]: the backpressure signal.
    #[must_use]
    pub fn is_write_buffer_full(&self) -> bool {
        self.transmit.len() >= self.config.write_buffer_limit()
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout)
    /// has work to do, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The peer's Close frame, if one is among the bytes received but not
    /// yet handed out as events: for a driver whose write failed because
    /// the peer closed the connection, to say why without consuming the
    /// messages before it. Only complete frames are looked at; nothing
    /// changes.
    #[must_use]
    pub fn peek_close(&self) -> Option<CloseFrame> {
        if !self.state.accepts_input() {
            return None;
        }
        let mut rest = self.read.data();
        if let Some(frame) = self.in_frame {
            rest = rest.get(usize::try_from(frame.header.payload_len).ok()?..)?;
        }
        loop {
            let (header, header_len) = FrameHeader::decode(rest).ok()??;
            let len = usize::try_from(header.payload_len).ok()?;
            let frame = rest.get(..header_len.checked_add(len)?)?;
            if header.opcode == OpCode::Close {
                let mut body = frame[header_len..].to_vec();
                if let Some(key) = header.mask {
                    apply_mask(&mut body, key, 0);
                }
                return CloseFrame::parse(Bytes::from(body)).ok();
            }
            rest = &rest[frame.len()..];
        }
    }

    /// Where the connection is in its life: open, closing, closed, failed
    /// (with its error) or ended.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether the closing handshake is over or the connection failed: no
    /// event or send follows, though a failed or closed connection may
    /// still read (and discard) input before it has [`State::Ended`].
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(
            self.state,
            State::Closed(_) | State::Failed(_) | State::Ended(_)
        )
    }

    /// The error that ended the connection, if one did.
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        self.state.error()
    }
}
