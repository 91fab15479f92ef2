//! Helpers shared by the integration tests of `ws-proto`: forging and
//! parsing frames, feeding bytes in every way the API allows, and [`Pair`],
//! a client and a server joined by in-memory queues under a simulated clock.
//!
//! Each test crate uses a subset of these helpers.
#![allow(dead_code)]

use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ws_proto::close::CloseFrame;
use ws_proto::entropy::Seeded;
use ws_proto::frame::{apply_mask, FrameHeader, OpCode, Rsv};
use ws_proto::{
    CloseCode, Config, Connection, Error, Event, ProtocolError, Role, State, UsageError,
};

/// The seed of every client's masking keys, so that runs are reproducible.
pub(crate) const SEED: u64 = 0x5EED;

/// The masking key of RFC 6455 section 5.7, used for forged client frames.
pub(crate) const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A server connection.
pub(crate) fn server(config: Config) -> Connection {
    Connection::server(config)
}

/// A client connection whose masking keys come from `Seeded::new(SEED)`.
pub(crate) fn client(config: Config) -> Connection {
    Connection::client(config, Box::new(Seeded::new(SEED)))
}

/// A connection of `role` with `config`.
pub(crate) fn connection(role: Role, config: Config) -> Connection {
    match role {
        Role::Client => client(config),
        Role::Server => server(config),
    }
}

/// A config with a message limit (the frame limit follows it down).
pub(crate) fn limited(max_message_size: usize) -> Config {
    Config::default().with_max_message_size(max_message_size)
}

// ---- forging frames ------------------------------------------------------

/// Encodes one frame with any header bits, including reserved opcodes
/// (`opcode` is the raw 4-bit value), masking the payload with `mask`.
pub(crate) fn raw_frame(
    fin: bool,
    rsv: Rsv,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) -> Vec<u8> {
    let header = FrameHeader {
        fin,
        rsv,
        // Any opcode encodes the same way; the low nibble is patched below.
        opcode: OpCode::Binary,
        mask,
        payload_len: payload.len() as u64,
    };
    let mut out = Vec::with_capacity(header.encoded_len() + payload.len());
    header.encode(&mut out);
    out[0] = (out[0] & 0xF0) | (opcode & 0x0F);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// A well-formed frame as the peer of a `receiver` sends it: masked with
/// [`KEY`] towards a server, unmasked towards a client.
pub(crate) fn peer_frame(receiver: Role, opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mask = (receiver == Role::Server).then_some(KEY);
    raw_frame(fin, Rsv::NONE, opcode.as_u8(), mask, payload)
}

/// The body of a Close frame: a code in network order, then the reason.
pub(crate) fn close_body(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(reason);
    body
}

// ---- parsing what a connection sent ---------------------------------------

/// One frame read back from a connection's output, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireFrame {
    pub(crate) header: FrameHeader,
    pub(crate) payload: Vec<u8>,
}

impl WireFrame {
    /// The Close frame this is, parsed as a receiver would.
    pub(crate) fn close(&self) -> CloseFrame {
        assert_eq!(
            self.header.opcode,
            OpCode::Close,
            "not a Close frame: {self:?}"
        );
        CloseFrame::parse(Bytes::from(self.payload.clone())).expect("a valid Close body")
    }
}

/// Splits `wire` into frames. Panics unless `wire` is a whole number of
/// well-formed frames, each masked exactly when `sender` is a client.
pub(crate) fn parse_frames(sender: Role, mut wire: &[u8]) -> Vec<WireFrame> {
    let mut frames = Vec::new();
    while !wire.is_empty() {
        let (header, header_len) = FrameHeader::decode(wire)
            .expect("a well-formed header")
            .expect("a whole header");
        assert_eq!(
            header.mask.is_some(),
            sender == Role::Client,
            "masking rule of section 5.1 broken by a {sender:?}: {header:?}"
        );
        let len = usize::try_from(header.payload_len).expect("a length that fits");
        let end = header_len + len;
        assert!(wire.len() >= end, "a truncated frame: {header:?}");
        let mut payload = wire[header_len..end].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        frames.push(WireFrame { header, payload });
        wire = &wire[end..];
    }
    frames
}

/// Takes everything `conn` queued and parses it into frames.
pub(crate) fn sent_frames(conn: &mut Connection) -> Vec<WireFrame> {
    let wire = conn.take_transmit();
    parse_frames(conn.role(), &wire)
}

/// Takes what `conn` queued and checks that it ends with a Close frame
/// carrying `code`; returns that Close.
pub(crate) fn expect_close_sent(conn: &mut Connection, code: CloseCode) -> CloseFrame {
    let frames = sent_frames(conn);
    let last = frames.last().expect("a Close frame was queued");
    let close = last.close();
    assert_eq!(close.code(), code, "close code sent: {close:?}");
    close
}

// ---- feeding bytes -------------------------------------------------------

/// Events until `Ok(None)`, or the error that ended them.
pub(crate) fn drain(conn: &mut Connection) -> (Vec<Event>, Option<Error>) {
    let mut events = Vec::new();
    loop {
        match conn.next_event() {
            Ok(Some(event)) => events.push(event),
            Ok(None) => return (events, None),
            Err(e) => return (events, Some(e)),
        }
    }
}

/// Events until `Ok(None)`; panics on an error.
pub(crate) fn events(conn: &mut Connection) -> Vec<Event> {
    match drain(conn) {
        (events, None) => events,
        (events, Some(e)) => panic!("unexpected error {e:?} after {events:?}"),
    }
}

/// Feeds `wire` in one piece and returns the events; panics on an error.
pub(crate) fn receive_events(conn: &mut Connection, wire: &[u8]) -> Vec<Event> {
    conn.receive(wire);
    events(conn)
}

/// Feeds `wire` in one piece and returns the error it must cause, after
/// checking that it is sticky.
pub(crate) fn receive_error(conn: &mut Connection, wire: &[u8]) -> Error {
    conn.receive(wire);
    let (_, error) = drain(conn);
    let error = error.expect("the input is refused");
    assert_eq!(conn.next_event(), Err(error.clone()), "the error is sticky");
    error
}

/// How bytes are handed to a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Feed {
    /// One call to `receive`.
    Whole,
    /// One `receive` per byte.
    ByteByByte,
    /// `receive` in pieces of these sizes, cycled (zeros count as one).
    Chunks(Vec<usize>),
    /// `read_buffer` + `commit_read` in pieces of at most these sizes.
    ReadBuffer(Vec<usize>),
}

/// All a connection produced from some input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) events: Vec<Event>,
    pub(crate) error: Option<Error>,
    /// Everything queued for sending at the end (pongs, the Close).
    pub(crate) transmit: Bytes,
}

/// Hands `wire` to `conn` as `how` says, draining events after every
/// piece as the API asks. Once an error comes, the rest is still fed and
/// every later call must return the same error.
pub(crate) fn feed(conn: &mut Connection, wire: &[u8], how: &Feed) -> Outcome {
    let mut out = Outcome {
        events: Vec::new(),
        error: None,
        transmit: Bytes::new(),
    };
    let collect = |conn: &mut Connection, out: &mut Outcome| {
        let (events, error) = drain(conn);
        if let Some(first) = &out.error {
            assert!(events.is_empty(), "events after the error: {events:?}");
            assert_eq!(error.as_ref(), Some(first), "the error is sticky");
        }
        out.events.extend(events);
        out.error = out.error.take().or(error);
    };
    let sizes: Vec<usize> = match how {
        Feed::Whole => vec![wire.len().max(1)],
        Feed::ByteByByte => vec![1],
        Feed::Chunks(sizes) | Feed::ReadBuffer(sizes) if !sizes.is_empty() => {
            sizes.iter().map(|&n| n.max(1)).collect()
        }
        Feed::Chunks(_) | Feed::ReadBuffer(_) => vec![1],
    };
    let mut rest = wire;
    let mut size = sizes.iter().cycle();
    while !rest.is_empty() {
        let want = (*size.next().expect("a cycle never ends")).min(rest.len());
        let (piece, tail) = match how {
            Feed::ReadBuffer(_) => {
                let room = conn.read_buffer();
                assert!(!room.is_empty(), "read_buffer offers no room");
                let n = want.min(room.len());
                room[..n].copy_from_slice(&rest[..n]);
                conn.commit_read(n);
                rest.split_at(n)
            }
            _ => {
                conn.receive(&rest[..want]);
                rest.split_at(want)
            }
        };
        debug_assert!(!piece.is_empty());
        rest = tail;
        collect(conn, &mut out);
    }
    collect(conn, &mut out);
    out.transmit = conn.take_transmit();
    out
}

/// Feeds `wire` to fresh connections from `make` whole, byte by byte and
/// through the read buffer; each must report the events `before`, then
/// fail with `expected` (whose close code must be `code`), queue a Close
/// frame with `code` and a reason naming the error, and stay failed.
pub(crate) fn check_failure(
    make: &dyn Fn() -> Connection,
    wire: &[u8],
    before: &[Event],
    expected: ProtocolError,
    code: u16,
) {
    assert_eq!(expected.close_code(), CloseCode::new(code), "{expected:?}");
    let error = Error::Protocol(expected.clone());
    for how in [Feed::Whole, Feed::ByteByByte, Feed::ReadBuffer(vec![3])] {
        let mut conn = make();
        let role = conn.role();
        let out = feed(&mut conn, wire, &how);
        assert_eq!(out.events, before, "{role:?} {how:?}");
        assert_eq!(out.error.as_ref(), Some(&error), "{role:?} {how:?}");
        // The Close is the last frame queued (a pong may precede it).
        let frames = parse_frames(role, &out.transmit);
        let close = frames.last().expect("a Close is queued").close();
        assert_eq!(close.code(), CloseCode::new(code), "{role:?} {how:?}");
        assert!(!close.reason().is_empty());
        assert!(
            expected.to_string().starts_with(close.reason()),
            "the reason {:?} names the error",
            close.reason()
        );
        assert_failed_for_good(&mut conn, &error);
    }
}

/// A failed connection: the same error again, closed, input drained
/// (read and ignored) until the peer ends the transport, sends refused,
/// nothing more queued. A server shuts its write side down at once (the
/// peer then closes and the drain ends), a client waits for the server
/// (section 7.1.1); both end with the transport.
pub(crate) fn assert_failed_for_good(conn: &mut Connection, error: &Error) {
    assert_eq!(conn.next_event(), Err(error.clone()));
    assert_eq!(conn.error(), Some(error));
    assert!(error.is_fatal());
    assert!(conn.is_closed());
    assert_eq!(conn.state(), &State::Failed(error.clone()));
    assert_eq!(conn.should_shutdown(), conn.role() == Role::Server);
    conn.receive(&peer_frame(conn.role(), OpCode::Text, true, b"late"));
    assert_eq!(conn.read_buffer_len(), 0, "drained input is not kept");
    assert_eq!(conn.next_event(), Err(error.clone()));
    assert_eq!(conn.send_text("x"), Err(Error::Usage(UsageError::Closed)));
    assert_eq!(
        conn.close(CloseCode::NORMAL, ""),
        Err(Error::Usage(UsageError::Closed))
    );
    assert!(conn.take_transmit().is_empty(), "nothing more is sent");
    conn.receive_eof();
    assert_eq!(conn.state(), &State::Ended(Err(error.clone())));
    assert!(conn.should_shutdown());
    assert_eq!(conn.next_event(), Err(error.clone()));
}

/// Joins the payloads of data events into messages, checking that the
/// fragments of each message share one kind. Control events are skipped.
pub(crate) fn messages(events: &[Event]) -> Vec<(bool, Vec<u8>)> {
    let mut done = Vec::new();
    let mut open: Option<(bool, Vec<u8>)> = None;
    for event in events {
        let (is_text, payload, fin) = match event {
            Event::Text { payload, fin } => (true, payload, *fin),
            Event::Binary { payload, fin } => (false, payload, *fin),
            _ => continue,
        };
        let (kind, mut bytes) = open.take().unwrap_or((is_text, Vec::new()));
        assert_eq!(kind, is_text, "a fragment changed the message kind");
        bytes.extend_from_slice(payload);
        if fin {
            done.push((kind, bytes));
        } else {
            open = Some((kind, bytes));
        }
    }
    assert!(open.is_none(), "a message did not end");
    done
}

/// Deterministic filler bytes of length `len` from `seed`.
pub(crate) fn filler(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// Deterministic valid UTF-8 of exactly `len` bytes from `seed`, mixing
/// one- to four-byte code points so that fragment cuts land inside them.
pub(crate) fn text_filler(len: usize, seed: u64) -> String {
    const PIECES: [&str; 6] = ["a", "Z", "é", "€", "𝄞", " "];
    let mut text = String::with_capacity(len);
    for b in filler(len, seed) {
        let piece = PIECES[usize::from(b) % PIECES.len()];
        if text.len() + piece.len() > len {
            break;
        }
        text.push_str(piece);
    }
    while text.len() < len {
        text.push('a');
    }
    text
}

// ---- two connections and a clock -----------------------------------------

/// One end of a [`Pair`]: a connection, what it reported, and the state of
/// its side of the simulated transport.
pub(crate) struct Endpoint {
    pub(crate) conn: Connection,
    /// Every event reported, in order.
    pub(crate) events: Vec<Event>,
    /// The error that ended the connection, once reported.
    pub(crate) error: Option<Error>,
    /// Bytes written to the transport that the peer has not read yet.
    pub(crate) in_flight: Vec<u8>,
    /// Every byte this end wrote to the transport, delivered or not.
    pub(crate) written: Vec<u8>,
    /// The transport accepts none of this end's writes (its peer never
    /// reads): writes are attempted and accept zero bytes.
    pub(crate) blocked: bool,
    /// This end's bytes are lost on the way (a dead peer or network).
    pub(crate) drop_output: bool,
    /// This end stops reading its input (it reads only while `true`).
    pub(crate) reading: bool,
    /// Shut the transport down when `should_shutdown` says so.
    pub(crate) auto_shutdown: bool,
    /// This end has shut its transport down; the peer reads EOF after the
    /// bytes in flight.
    pub(crate) shut_down: bool,
    /// This end has read EOF.
    pub(crate) saw_eof: bool,
}

impl Endpoint {
    fn new(conn: Connection) -> Self {
        Endpoint {
            conn,
            events: Vec::new(),
            error: None,
            in_flight: Vec::new(),
            written: Vec::new(),
            blocked: false,
            drop_output: false,
            reading: true,
            auto_shutdown: true,
            shut_down: false,
            saw_eof: false,
        }
    }

    /// Takes the events reported so far.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The Close events reported so far.
    pub(crate) fn closes(&self) -> Vec<CloseFrame> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Close(frame) => Some(frame.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every frame this end wrote, parsed.
    pub(crate) fn written_frames(&self) -> Vec<WireFrame> {
        parse_frames(self.conn.role(), &self.written)
    }

    /// Drains events into `self.events`; whether anything new came.
    fn poll_events(&mut self) -> bool {
        if self.error.is_some() {
            return false;
        }
        let (events, error) = drain(&mut self.conn);
        let progress = !events.is_empty() || error.is_some();
        self.events.extend(events);
        self.error = error;
        progress
    }

    /// Writes what the connection queued to the transport, vectored, as an
    /// adapter would; whether bytes moved.
    fn write(&mut self) -> bool {
        if self.shut_down {
            return false;
        }
        let mut moved = false;
        loop {
            let mut slices = [IoSlice::new(&[]); 4];
            let n = self.conn.transmit_chunks(&mut slices);
            if n == 0 {
                break;
            }
            if self.blocked {
                // The write would block: nothing is accepted.
                self.conn.advance_transmit(0);
                break;
            }
            let mut written = 0;
            for slice in &slices[..n] {
                self.written.extend_from_slice(slice);
                if !self.drop_output {
                    self.in_flight.extend_from_slice(slice);
                }
                written += slice.len();
            }
            self.conn.advance_transmit(written);
            moved = true;
        }
        if self.auto_shutdown
            && !self.shut_down
            && self.conn.should_shutdown()
            && !self.conn.wants_write()
        {
            self.shut_down = true;
            moved = true;
        }
        moved
    }
}

/// Moves `from`'s bytes in flight into `to`, then EOF once `from` has shut
/// down; whether anything moved.
fn deliver(from: &mut Endpoint, to: &mut Endpoint) -> bool {
    if !to.reading {
        return false;
    }
    let mut progress = false;
    if !from.in_flight.is_empty() {
        let bytes = std::mem::take(&mut from.in_flight);
        to.conn.receive(&bytes);
        to.poll_events();
        progress = true;
    }
    if from.shut_down && !to.saw_eof {
        to.saw_eof = true;
        to.conn.receive_eof();
        to.poll_events();
        progress = true;
    }
    progress
}

/// The most steps [`Pair::drive`] takes before it declares a livelock.
const MAX_STEPS: usize = 1000;

/// A client and a server joined by in-memory queues, under a simulated
/// clock that moves only when a test says so.
pub(crate) struct Pair {
    pub(crate) client: Endpoint,
    pub(crate) server: Endpoint,
    /// The simulated time; starts at a fixed `Instant` and only moves by
    /// [`Pair::advance`].
    pub(crate) now: Instant,
    start: Instant,
}

impl Pair {
    /// A client with `client_cfg` and a server with `server_cfg`, told the
    /// starting time (which arms their timers).
    pub(crate) fn new(client_cfg: Config, server_cfg: Config) -> Self {
        Pair::from_connections(client(client_cfg), server(server_cfg))
    }

    /// Two default connections.
    pub(crate) fn default_pair() -> Self {
        Pair::new(Config::default(), Config::default())
    }

    /// A pair of connections built by the caller (e.g. with extensions).
    pub(crate) fn from_connections(client: Connection, server: Connection) -> Self {
        assert_eq!((client.role(), server.role()), (Role::Client, Role::Server));
        let start = Instant::now();
        let mut pair = Pair {
            client: Endpoint::new(client),
            server: Endpoint::new(server),
            now: start,
            start,
        };
        pair.tick();
        pair
    }

    /// How far the simulated clock has moved.
    pub(crate) fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves the clock; nothing else happens until the next step.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    fn tick(&mut self) {
        self.client.conn.handle_timeout(self.now);
        self.server.conn.handle_timeout(self.now);
        // A timer may have failed a connection.
        self.client.poll_events();
        self.server.poll_events();
    }

    /// One round: timers, writes both ways, reads both ways, timers again.
    /// Returns whether anything happened.
    pub(crate) fn step(&mut self) -> bool {
        self.tick();
        let mut progress = self.client.write();
        progress |= self.server.write();
        progress |= deliver(&mut self.client, &mut self.server);
        progress |= deliver(&mut self.server, &mut self.client);
        self.tick();
        progress
    }

    /// Steps until nothing happens; panics after [`MAX_STEPS`] rounds.
    pub(crate) fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            if !self.step() {
                return;
            }
        }
        panic!("the pair did not become quiescent in {MAX_STEPS} steps");
    }

    /// The earliest deadline of either connection.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [
            self.client.conn.poll_timeout(),
            self.server.conn.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Moves the clock to the next deadline (if it is at most `limit`
    /// away) and drives; returns whether there was one.
    pub(crate) fn advance_to_next_deadline(&mut self, limit: Duration) -> bool {
        match self.next_deadline() {
            Some(at) if at <= self.now + limit => {
                self.now = self.now.max(at);
                self.drive();
                true
            }
            _ => false,
        }
    }
}
