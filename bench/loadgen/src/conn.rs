//! One client connection: the opening handshake, masked frames out, and
//! every echo checked byte for byte as it streams in (no reassembly copy).
//!
//! Message `k` of a connection carries `k` as 16 hex digits in its first
//! bytes (the low digits, for messages shorter than 16 bytes), then a fixed
//! pattern: an echo of the wrong message, a stale one, a truncated or a
//! corrupted one all fail the check. Each connection has its own masking
//! key, so the masked pattern is computed once per connection and only
//! the counter is masked per message.
//!
//! Over TLS (`wss://`) the same bytes go through a rustls client session:
//! the socket is read into a buffer of ours once per wakeup and rustls is
//! fed from it (no read per 4 KiB record buffer), and the plaintext is
//! checked as above; what is queued is encrypted in one `write` to the
//! session (one TLS record per burst of small messages) and written with
//! one vectored write.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use mio::net::TcpStream;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};
use sha1::{Digest, Sha1};

/// How many bytes of a message carry its sequence number.
const COUNTER: usize = 16;
/// Messages up to this size (after the counter) are copied into one write
/// buffer; larger ones are written from the connection's masked pattern.
const SMALL: usize = 2 << 10;
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What every connection of a run sends.
pub struct Payload {
    pub size: usize,
    pub text: bool,
    /// The message body; bytes `..prefix_len()` are replaced by the counter.
    pub pattern: Vec<u8>,
}

impl Payload {
    pub fn new(size: usize, text: bool, seed: u64) -> Payload {
        let mut rng = Rng(seed | 1);
        let mut pattern = Vec::with_capacity(size);
        if text {
            // Mostly ASCII with some two- and three-byte characters, as
            // chat text is: a server validates UTF-8 on every byte.
            let words = ["héllo ", "wörld ", "ünïcode ", "✓ ", "plain ascii text "];
            pattern.resize(size.min(COUNTER), b'0');
            while pattern.len() < size {
                let w = words[(rng.next() % words.len() as u64) as usize].as_bytes();
                if pattern.len() + w.len() > size {
                    pattern.push(b'.');
                } else {
                    pattern.extend_from_slice(w);
                }
            }
        } else {
            while pattern.len() < size {
                pattern.extend_from_slice(&rng.next().to_le_bytes());
            }
            pattern.truncate(size);
        }
        Payload {
            size,
            text,
            pattern,
        }
    }

    fn prefix_len(&self) -> usize {
        self.size.min(COUNTER)
    }
}

/// The low `n` hex digits of `seq`, masked with `mask` (the masking key
/// repeated, or zeros), then bytes that are no part of it. Twice per
/// message: no formatting machinery.
fn counter(seq: u64, n: usize, mask: &[u8; COUNTER]) -> [u8; COUNTER] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; COUNTER];
    let mut rest = seq;
    for d in out[..n].iter_mut().rev() {
        *d = HEX[(rest & 0xF) as usize];
        rest >>= 4;
    }
    for (d, m) in out.iter_mut().zip(mask) {
        *d ^= m;
    }
    out
}

/// xorshift64*: masking keys and handshake keys need no cryptography here.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A frame header of up to 14 bytes and a masked counter: what changes
/// from one message of a connection to the next.
type Head = [u8; 14 + COUNTER];

/// One queued outgoing message: its header and masked counter; the masked
/// pattern after it is the connection's `suffix`.
struct Out {
    head: Head,
    head_len: usize,
}

enum State {
    /// Waiting for the 101; the request is sent.
    Handshake {
        buf: Vec<u8>,
        accept: String,
    },
    Open,
}

/// Where the stream parser is.
enum Parse {
    Header,
    /// `remaining` payload bytes of the current frame to come.
    Payload {
        remaining: usize,
        control: bool,
        fin: bool,
    },
}

/// What the run loop learns from a read.
#[derive(Default)]
pub struct Progress {
    /// Echoes completed, with their round-trip times in nanoseconds.
    pub echoes: u32,
    pub handshake_done: bool,
    pub deflate: bool,
}

/// A connection's TLS session and the ciphertext read but not yet given
/// to it.
struct Tls {
    session: ClientConnection,
    /// Ciphertext from the socket; `pos..len` not yet given to rustls.
    net: Vec<u8>,
    pos: usize,
    len: usize,
    /// The last socket read was shorter than `net`: it emptied the
    /// socket, so this wakeup reads no more once `net` is used up.
    drained: bool,
}

/// What a TLS connection needs: the client configuration (its trust
/// roots) and the name the server's certificate must carry.
#[derive(Clone)]
pub struct TlsClient {
    pub config: Arc<ClientConfig>,
    pub name: ServerName<'static>,
}

pub struct Conn {
    pub stream: TcpStream,
    /// `wss://`: the TLS session every byte goes through.
    tls: Option<Box<Tls>>,
    state: State,
    payload: Arc<Payload>,
    /// Raw TCP: no handshake, and the echo is the masked frame as sent.
    raw: bool,
    key: [u8; 4],
    /// `key` repeated over the counter bytes.
    key_stream: [u8; COUNTER],
    /// The frame header (the same for every message of the connection),
    /// followed by room for the counter; `head_len` bytes before it.
    head: Head,
    head_len: usize,
    /// `pattern[prefix_len..]` masked with `key`.
    suffix: Vec<u8>,
    rbuf: Vec<u8>,
    /// Unparsed bytes (a partial header) at the front of `rbuf`.
    rlen: usize,
    parse: Parse,
    /// Bytes of the current message checked so far.
    msg_off: usize,
    /// The expected counter bytes of the message being received.
    expect_prefix: [u8; COUNTER],
    pub next_send: u64,
    pub next_recv: u64,
    sent_at: VecDeque<Instant>,
    out: VecDeque<Out>,
    /// Small messages are copied into one buffer instead, so that a burst
    /// leaves in one plain write (cheaper for the kernel than a vectored
    /// write of many tiny slices).
    small: Vec<u8>,
    /// Bytes of `out.front()` already written.
    out_pos: usize,
}

/// The masked frame header of every message of `payload` with `key`, and
/// its length.
fn frame_head(payload: &Payload, key: [u8; 4]) -> (Head, usize) {
    let len = payload.size;
    let mut head = [0u8; 14 + COUNTER];
    head[0] = 0x80 | if payload.text { 0x1 } else { 0x2 };
    let mut i = 2;
    if len < 126 {
        head[1] = 0x80 | len as u8;
    } else if len <= 0xFFFF {
        head[1] = 0x80 | 126;
        head[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        i = 4;
    } else {
        head[1] = 0x80 | 127;
        head[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        i = 10;
    }
    head[i..i + 4].copy_from_slice(&key);
    (head, i + 4)
}

impl Conn {
    /// A connected stream: sends the upgrade request (or nothing, raw);
    /// with `tls`, the ClientHello first (the request waits in the session
    /// until the handshake is done).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        stream: TcpStream,
        payload: Arc<Payload>,
        raw: bool,
        deflate: bool,
        rng: &mut Rng,
        rbuf_size: usize,
        host: &str,
        tls: Option<&TlsClient>,
    ) -> io::Result<Conn> {
        let key: [u8; 4] = rng.next().to_le_bytes()[..4]
            .try_into()
            .expect("four bytes");
        let key_stream = std::array::from_fn(|j| key[j % 4]);
        let p = payload.prefix_len();
        let suffix = payload.pattern[p..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[(p + i) % 4])
            .collect();
        let (head, head_len) = frame_head(&payload, key);
        let tls = match tls {
            Some(t) => {
                let mut session = ClientConnection::new(t.config.clone(), t.name.clone())
                    .map_err(io::Error::other)?;
                // What is queued is bounded by the messages in flight: let
                // the session take all of it (and the request before the
                // handshake is done).
                session.set_buffer_limit(None);
                Some(Box::new(Tls {
                    session,
                    net: vec![0; rbuf_size],
                    pos: 0,
                    len: 0,
                    drained: false,
                }))
            }
            None => None,
        };
        let mut conn = Conn {
            stream,
            tls,
            state: State::Open,
            payload,
            raw,
            key,
            key_stream,
            head,
            head_len,
            suffix,
            rbuf: vec![0; rbuf_size],
            rlen: 0,
            parse: Parse::Header,
            msg_off: 0,
            expect_prefix: [0; COUNTER],
            next_send: 0,
            next_recv: 0,
            sent_at: VecDeque::new(),
            out: VecDeque::new(),
            small: Vec::new(),
            out_pos: 0,
        };
        if !raw {
            let mut nonce = [0u8; 16];
            nonce[..8].copy_from_slice(&rng.next().to_le_bytes());
            nonce[8..].copy_from_slice(&rng.next().to_le_bytes());
            let b64 = base64::engine::general_purpose::STANDARD;
            let ws_key = b64.encode(nonce);
            let mut sha = Sha1::new();
            sha.update(ws_key.as_bytes());
            sha.update(GUID.as_bytes());
            let accept = b64.encode(sha.finalize());
            let ext = if deflate {
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            } else {
                ""
            };
            let request = format!(
                "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: {ws_key}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
            );
            if let Some(tls) = &mut conn.tls {
                tls.session.writer().write_all(request.as_bytes())?;
            } else {
                // Small enough for an empty socket buffer: one write takes it.
                let n = (&conn.stream).write(request.as_bytes())?;
                if n != request.len() {
                    return Err(io::Error::other("short write of the upgrade request"));
                }
            }
            conn.state = State::Handshake {
                buf: Vec::new(),
                accept,
            };
        }
        // The ClientHello (an empty socket buffer takes it; if not, the
        // next flush writes the rest).
        conn.flush()?;
        Ok(conn)
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open)
    }

    /// Queues the next message; written by [`flush`](Self::flush).
    pub fn queue_send(&mut self, now: Instant) {
        let (i, n) = (self.head_len, self.payload.prefix_len());
        let mut head = self.head;
        head[i..i + COUNTER].copy_from_slice(&counter(self.next_send, n, &self.key_stream));
        if self.suffix.len() <= SMALL {
            if self.small.is_empty() {
                self.out_pos = 0;
            }
            self.small.extend_from_slice(&head[..i + n]);
            self.small.extend_from_slice(&self.suffix);
        } else {
            self.out.push_back(Out {
                head,
                head_len: i + n,
            });
        }
        self.sent_at.push_back(now);
        self.next_send += 1;
    }

    /// Writes what is queued; `Ok(true)` when all of it went out.
    pub fn flush(&mut self) -> io::Result<bool> {
        if self.tls.is_some() {
            return self.flush_tls();
        }
        // Bounded: every pass writes at least one byte or returns.
        while self.out_pos < self.small.len() {
            match (&self.stream).write(&self.small[self.out_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(w) => self.out_pos += w,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if !self.small.is_empty() {
            self.small.clear();
            self.out_pos = 0;
        }
        // Bounded: every pass writes at least one byte or returns.
        while !self.out.is_empty() {
            let mut slices: [IoSlice<'_>; 64] = [IoSlice::new(&[]); 64];
            let mut n = 0;
            let mut skip = self.out_pos;
            for out in &self.out {
                if n + 2 > slices.len() {
                    break;
                }
                for part in [&out.head[..out.head_len], &self.suffix[..]] {
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    slices[n] = IoSlice::new(&part[skip..]);
                    skip = 0;
                    n += 1;
                }
            }
            let written = match (&self.stream).write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(w) => w,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.advance_out(written);
        }
        Ok(true)
    }

    /// TLS: encrypts what is queued (the small messages in one record,
    /// unless over 16 KiB) and writes what the session has to send.
    fn flush_tls(&mut self) -> io::Result<bool> {
        let tls = self.tls.as_mut().expect("a TLS connection");
        let mut writer = tls.session.writer();
        if !self.small.is_empty() {
            writer.write_all(&self.small[self.out_pos..])?;
            self.small.clear();
            self.out_pos = 0;
        }
        for out in self.out.drain(..) {
            writer.write_all(&out.head[..out.head_len])?;
            writer.write_all(&self.suffix)?;
        }
        // Bounded: every pass writes at least one byte or returns.
        while tls.session.wants_write() {
            match tls.session.write_tls(&mut &self.stream) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// The next bytes of the stream into `rbuf[rlen..]`: `Some((n,
    /// drained))`, `drained` when this read emptied the socket (so the
    /// caller reads no more this wakeup), or `None` when there is nothing
    /// more to read now.
    fn read_some(&mut self) -> Result<Option<(usize, bool)>, String> {
        let Some(tls) = self.tls.as_mut() else {
            let room = self.rbuf.len() - self.rlen;
            // Bounded: an interrupted read is retried.
            loop {
                return match (&self.stream).read(&mut self.rbuf[self.rlen..]) {
                    Ok(0) => Err("the server closed the connection".into()),
                    Ok(n) => Ok(Some((n, n < room))),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(format!("read: {e}")),
                };
            }
        };
        // Bounded: each pass gives rustls some ciphertext, or reads the
        // socket (once per wakeup unless the read filled `net`), or returns.
        loop {
            match tls.session.reader().read(&mut self.rbuf[self.rlen..]) {
                Ok(0) => return Err("the server closed the TLS session".into()),
                Ok(n) => return Ok(Some((n, false))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("TLS read: {e}")),
            }
            if tls.pos < tls.len {
                let mut rest = &tls.net[tls.pos..tls.len];
                let n = tls
                    .session
                    .read_tls(&mut rest)
                    .map_err(|e| format!("TLS: {e}"))?;
                tls.pos += n;
                tls.session
                    .process_new_packets()
                    .map_err(|e| format!("TLS: {e}"))?;
                continue;
            }
            if tls.drained {
                tls.drained = false;
                return Ok(None);
            }
            match (&self.stream).read(&mut tls.net) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => {
                    tls.drained = n < tls.net.len();
                    tls.pos = 0;
                    tls.len = n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    fn advance_out(&mut self, mut written: usize) {
        let msg_len = |o: &Out| o.head_len + self.suffix.len();
        while written > 0 {
            let Some(front) = self.out.front() else { break };
            let left = msg_len(front) - self.out_pos;
            if written >= left {
                written -= left;
                self.out.pop_front();
                self.out_pos = 0;
            } else {
                self.out_pos += written;
                written = 0;
            }
        }
    }

    /// Reads until the socket is drained, checking every byte. Echoes
    /// completed are counted in `progress` and their round-trip times
    /// given to `rtt` (nanoseconds).
    ///
    /// A read shorter than the buffer emptied the socket's receive queue,
    /// and epoll (edge-triggered) reports the next data that arrives: so
    /// that read is the last one, without the read that would only return
    /// `WouldBlock`, one system call per wakeup saved (tokio does the same).
    pub fn on_readable(
        &mut self,
        progress: &mut Progress,
        rtt: &mut dyn FnMut(u64),
    ) -> Result<(), String> {
        // A new wakeup: the socket is to be read again (the last one may
        // have returned before its reads were done: the handshake's end).
        if let Some(tls) = &mut self.tls {
            tls.drained = false;
        }
        // Bounded by the socket: each pass consumes what one read gave.
        loop {
            let Some((n, drained)) = self.read_some()? else {
                return Ok(());
            };
            let now = Instant::now();
            let end = self.rlen + n;
            let mut pos = 0;
            if let State::Handshake { buf, accept } = &mut self.state {
                buf.extend_from_slice(&self.rbuf[..end]);
                let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    if buf.len() > 16 << 10 {
                        return Err("response head over 16 KiB".into());
                    }
                    self.rlen = 0;
                    if drained {
                        return Ok(());
                    }
                    continue;
                };
                let head = loadgen::handshake::check_response(&buf[..head_end], accept)?;
                progress.deflate = head
                    .lines()
                    .any(|l| l.starts_with("sec-websocket-extensions:") && l.contains("deflate"));
                progress.handshake_done = true;
                let extra = buf.len() - (head_end + 4);
                if extra > 0 {
                    return Err("frames before the first message was sent".into());
                }
                self.state = State::Open;
                self.rlen = 0;
                return Ok(());
            }
            self.parse_frames(&mut pos, end, now, progress, rtt)?;
            // Keep a partial header for the next read.
            self.rbuf.copy_within(pos..end, 0);
            self.rlen = end - pos;
            if drained {
                return Ok(());
            }
        }
    }

    fn parse_frames(
        &mut self,
        pos: &mut usize,
        end: usize,
        now: Instant,
        progress: &mut Progress,
        rtt: &mut dyn FnMut(u64),
    ) -> Result<(), String> {
        let size = self.payload.size;
        while *pos < end {
            match self.parse {
                Parse::Header => {
                    let data = &self.rbuf[*pos..end];
                    if data.len() < 2 {
                        return Ok(());
                    }
                    let (b0, b1) = (data[0], data[1]);
                    let masked = b1 & 0x80 != 0;
                    let ext = match b1 & 0x7F {
                        126 => 2,
                        127 => 8,
                        _ => 0,
                    };
                    let need = 2 + ext + if masked { 4 } else { 0 };
                    if data.len() < need {
                        return Ok(());
                    }
                    let len = match ext {
                        0 => (b1 & 0x7F) as u64,
                        2 => u16::from_be_bytes([data[2], data[3]]) as u64,
                        _ => u64::from_be_bytes(data[2..10].try_into().expect("8 bytes")),
                    };
                    if masked != self.raw {
                        return Err(format!("frame masked: {masked}, expected {}", self.raw));
                    }
                    if masked && data[2 + ext..need] != self.key {
                        return Err("raw echo: masking key changed".into());
                    }
                    if b0 & 0x70 != 0 {
                        return Err(format!("reserved bits set: {b0:#04x}"));
                    }
                    let fin = b0 & 0x80 != 0;
                    let opcode = b0 & 0x0F;
                    let control = opcode & 0x8 != 0;
                    if control {
                        if opcode == 0x8 {
                            return Err("the server sent Close".into());
                        }
                        if len > 125 || !fin {
                            return Err("bad control frame".into());
                        }
                    } else {
                        let want = if self.payload.text { 0x1 } else { 0x2 };
                        let first = self.msg_off == 0;
                        if (first && opcode != want) || (!first && opcode != 0) {
                            return Err(format!("opcode {opcode:#x} at offset {}", self.msg_off));
                        }
                        if self.msg_off as u64 + len > size as u64 {
                            return Err(format!("echo longer than the {size} bytes sent"));
                        }
                        if first {
                            if self.next_recv >= self.next_send {
                                return Err("an echo nobody asked for".into());
                            }
                            let mask = if self.raw {
                                &self.key_stream
                            } else {
                                &[0; COUNTER]
                            };
                            self.expect_prefix =
                                counter(self.next_recv, self.payload.prefix_len(), mask);
                        }
                    }
                    *pos += need;
                    self.parse = Parse::Payload {
                        remaining: len as usize,
                        control,
                        fin,
                    };
                }
                Parse::Payload {
                    remaining,
                    control,
                    fin,
                } => {
                    let take = remaining.min(end - *pos);
                    if !control {
                        self.check(*pos, take)?;
                        self.msg_off += take;
                    }
                    *pos += take;
                    let remaining = remaining - take;
                    if remaining > 0 {
                        self.parse = Parse::Payload {
                            remaining,
                            control,
                            fin,
                        };
                        return Ok(());
                    }
                    self.parse = Parse::Header;
                    if !control && fin {
                        if self.msg_off != size {
                            return Err(format!("echo of {} bytes, {size} sent", self.msg_off));
                        }
                        self.msg_off = 0;
                        self.next_recv += 1;
                        let sent = self.sent_at.pop_front().expect("one per message in flight");
                        rtt(now.duration_since(sent).as_nanos() as u64);
                        progress.echoes += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks `len` payload bytes at `rbuf[at..]` against the message at
    /// offset `msg_off`.
    fn check(&self, at: usize, len: usize) -> Result<(), String> {
        let got = &self.rbuf[at..at + len];
        let p = self.payload.prefix_len();
        let mut off = self.msg_off;
        let mut got = got;
        if off < p {
            let k = (p - off).min(got.len());
            if got[..k] != self.expect_prefix[off..off + k] {
                return Err(format!(
                    "message {}: wrong counter bytes at offset {off}",
                    self.next_recv
                ));
            }
            got = &got[k..];
            off += k;
        }
        if !got.is_empty() {
            let want = if self.raw {
                &self.suffix[off - p..off - p + got.len()]
            } else {
                &self.payload.pattern[off..off + got.len()]
            };
            if got != want {
                let i = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                return Err(format!(
                    "message {}: wrong byte at offset {}",
                    self.next_recv,
                    off + i
                ));
            }
        }
        Ok(())
    }
}
