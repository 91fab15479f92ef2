//! One member of the room: its connection, the opening handshake, masked
//! text frames out, and every frame the server sends parsed and checked
//! as it streams in.
//!
//! What a member may receive, in order: the server's welcome (`* welcome,
//! ...`) first; then, while the others join, `* NAME joined ROOM` for each
//! member that joins after it (once each; the generator checks at the end
//! of the joins that of every two members on one server exactly one was
//! told of the other); then, in the rounds, `NAME: TEXT` from every
//! other sender once per round, where TEXT is exactly what that sender sent
//! in that round. Anything else (a second welcome, a notice out of order or
//! during the rounds, a message of the wrong round, from a member that is
//! not a sender or from itself, twice from one sender, a changed byte, a
//! Close) is an error, so that a broken server cannot look fast.

use std::io::{self, Read, Write};
use std::time::Instant;

use base64::Engine;
use loadgen::hist::Histogram;
use mio::net::TcpStream;
use sha1::{Digest, Sha1};

/// The length of every message a sender sends (the benchmark's 64 B).
pub const TEXT_LEN: usize = 64;
/// The largest frame accepted from the server: the welcome of the last of
/// 5,000 members lists the other 4,999 names (about 35 KB), and nothing
/// else comes near.
const MAX_FRAME: usize = 1 << 20;
/// The largest response head accepted.
const MAX_HEAD: usize = 16 << 10;
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A member's name in the room: `m` and its index.
pub fn name(index: u32) -> String {
    format!("m{index}")
}

/// The text sender `slot` sends in `round`, stamped `nanos` after the
/// run's epoch: `r` + round, `s` + slot, `t` + stamp (hexadecimal), then a
/// fixed filler up to [`TEXT_LEN`] bytes. The receiver parses the fields
/// and compares the whole text with the one these fields give.
pub fn text(round: u32, slot: u32, nanos: u64) -> [u8; TEXT_LEN] {
    const FILLER: &[u8] = b"fan-out benchmark filler: abcdefghijklmnopqrstuvwxyz";
    let mut out = [0u8; TEXT_LEN];
    out[0] = b'r';
    hex(&mut out[1..9], u64::from(round));
    out[9] = b' ';
    out[10] = b's';
    hex(&mut out[11..15], u64::from(slot));
    out[15] = b' ';
    out[16] = b't';
    hex(&mut out[17..33], nanos);
    out[33] = b' ';
    out[34..].copy_from_slice(&FILLER[..TEXT_LEN - 34]);
    out
}

/// `value` as `dst.len()` lowercase hexadecimal digits (its low digits).
fn hex(dst: &mut [u8], value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut rest = value;
    for d in dst.iter_mut().rev() {
        *d = DIGITS[(rest & 0xF) as usize];
        rest >>= 4;
    }
}

/// The value of hexadecimal digits, `None` if one is not a digit.
fn unhex(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        let v = (d as char).to_digit(16)?;
        Some(acc << 4 | u64::from(v))
    })
}

/// The room as every member of a run sees it.
pub struct Rules<'a> {
    /// The room's name.
    pub room: &'a str,
    /// How many servers share the room (member `i` is on server `i %
    /// servers`).
    pub servers: u32,
    /// How many members have connected so far.
    pub joined: u32,
    /// The member index of each sender slot.
    pub senders: &'a [u32],
    /// The round being run, `None` while the members join.
    pub round: Option<u32>,
    /// What the text stamps count from.
    pub epoch: Instant,
}

/// What a thread counts as messages arrive.
pub struct Tally<'a> {
    /// Messages of any kind (progress, for the stall limit).
    pub messages: u64,
    /// Deliveries of the current round.
    pub deliveries: u64,
    /// Where the deliveries' latencies go, when the round is measured.
    pub latencies: Option<&'a mut Histogram>,
}

enum State {
    /// Waiting for the 101: what came of the response so far and the
    /// `Sec-WebSocket-Accept` it must carry.
    Handshake {
        head: Vec<u8>,
        accept: String,
    },
    Open,
}

/// One client in the room.
pub struct Member {
    /// The connection (registered with the thread's poll under its index
    /// in the thread's share).
    pub stream: TcpStream,
    /// Its index in the run (its name is `m` + index).
    pub index: u32,
    state: State,
    /// The masking key of every frame it sends (RFC 6455 section 5.3: a
    /// client masks every frame; the value does not matter here).
    key: [u8; 4],
    /// The bytes of a frame not yet complete (at most [`MAX_FRAME`] and
    /// its header).
    partial: Vec<u8>,
    /// Frames to send, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    /// The welcome has come.
    pub welcomed: bool,
    /// Join notices received of members on its own server.
    pub notices: u32,
    /// Whom it was told of, a bit per member of the run.
    told: Vec<u64>,
    /// For each sender slot, the round of the last message from it, plus
    /// one (0: none yet).
    heard: Vec<u32>,
}

impl Member {
    /// A connected stream: sends the upgrade request for member `index`
    /// of `room` on `host` (no Origin header, no extension offered).
    pub fn new(
        stream: TcpStream,
        index: u32,
        room: &str,
        host: &str,
        members: u32,
        senders: usize,
        nonce: [u8; 16],
    ) -> io::Result<Member> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let ws_key = b64.encode(nonce);
        let mut sha = Sha1::new();
        sha.update(ws_key.as_bytes());
        sha.update(GUID.as_bytes());
        let accept = b64.encode(sha.finalize());
        let request = format!(
            "GET /ws?name={}&room={room} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {ws_key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            name(index)
        );
        let mut member = Member {
            stream,
            index,
            state: State::Handshake {
                head: Vec::new(),
                accept,
            },
            key: [nonce[0], nonce[5], nonce[10], nonce[15]],
            partial: Vec::new(),
            out: request.into_bytes(),
            out_pos: 0,
            welcomed: false,
            notices: 0,
            told: vec![0; (members as usize).div_ceil(64)],
            heard: vec![0; senders],
        };
        member.flush()?;
        Ok(member)
    }

    /// Queues `text` as one masked text frame; [`flush`](Self::flush)
    /// writes it.
    pub fn queue_text(&mut self, text: &[u8; TEXT_LEN]) {
        self.queue_frame(0x1, text);
    }

    fn queue_frame(&mut self, opcode: u8, payload: &[u8]) {
        // Only short frames leave a member: text of TEXT_LEN bytes and
        // Pongs (at most 125, section 5.5).
        debug_assert!(payload.len() < 126);
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        self.out
            .extend_from_slice(&[0x80 | opcode, 0x80 | payload.len() as u8]);
        self.out.extend_from_slice(&self.key);
        let key = self.key;
        self.out
            .extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    }

    /// Writes what is queued; `Ok(true)` when all of it went out.
    pub fn flush(&mut self) -> io::Result<bool> {
        // Bounded: every pass writes at least one byte or returns.
        while self.out_pos < self.out.len() {
            match (&self.stream).write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads until the socket is drained (a read shorter than `buf`
    /// emptied it; edge-triggered epoll reports the next data), checking
    /// every message against `rules` and counting it in `tally`. `buf` is
    /// the thread's read buffer.
    pub fn on_readable(
        &mut self,
        buf: &mut [u8],
        rules: &Rules<'_>,
        tally: &mut Tally<'_>,
    ) -> Result<(), String> {
        // Bounded by the socket: each pass consumes what one read gave.
        loop {
            let n = match (&self.stream).read(buf) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("read: {e}")),
            };
            let now = rules.epoch.elapsed().as_nanos() as u64;
            if self.partial.is_empty() {
                let used = self.consume(&buf[..n], now, rules, tally)?;
                self.partial.extend_from_slice(&buf[used..n]);
            } else {
                let mut data = std::mem::take(&mut self.partial);
                data.extend_from_slice(&buf[..n]);
                let used = self.consume(&data, now, rules, tally)?;
                data.drain(..used);
                self.partial = data;
            }
            if n < buf.len() {
                return Ok(());
            }
        }
    }

    /// Parses what `data` holds (the response head, then frames); returns
    /// how many bytes it used (the rest is an incomplete frame).
    fn consume(
        &mut self,
        data: &[u8],
        now: u64,
        rules: &Rules<'_>,
        tally: &mut Tally<'_>,
    ) -> Result<usize, String> {
        let mut pos = 0;
        if let State::Handshake { head, accept } = &mut self.state {
            head.extend_from_slice(data);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                if head.len() > MAX_HEAD {
                    return Err("response head over 16 KiB".into());
                }
                return Ok(data.len());
            };
            let text = loadgen::handshake::check_response(&head[..end], accept)?;
            if text
                .lines()
                .any(|l| l.starts_with("sec-websocket-extensions:"))
            {
                return Err("an extension accepted that was not offered".into());
            }
            // What followed the head in this read is frames.
            pos = data.len() - (head.len() - (end + 4));
            self.state = State::Open;
        }
        // Bounded: each pass consumes a whole frame or returns.
        while pos < data.len() {
            let frame = &data[pos..];
            if frame.len() < 2 {
                break;
            }
            let (b0, b1) = (frame[0], frame[1]);
            if b1 & 0x80 != 0 {
                // Section 5.1: a server never masks.
                return Err("a masked frame from the server".into());
            }
            if b0 & 0x70 != 0 {
                return Err(format!("reserved bits set: {b0:#04x}"));
            }
            let (len, header) = match b1 & 0x7F {
                126 if frame.len() >= 4 => (u64::from(u16::from_be_bytes([frame[2], frame[3]])), 4),
                127 if frame.len() >= 10 => (
                    u64::from_be_bytes(frame[2..10].try_into().expect("8 bytes")),
                    10,
                ),
                126 | 127 => break,
                n => (u64::from(n), 2),
            };
            if len > MAX_FRAME as u64 {
                return Err(format!("a frame of {len} bytes"));
            }
            let total = header + len as usize;
            if frame.len() < total {
                break;
            }
            let payload = &frame[header..total];
            // Section 5.5: a control frame has at most 125 bytes (so a
            // Pong's payload fits the short frames a member sends).
            if b0 & 0x08 != 0 && len > 125 {
                return Err(format!("a control frame of {len} bytes"));
            }
            if b0 & 0x80 == 0 {
                return Err("a fragmented message (the room's lines are one frame each)".into());
            }
            match b0 & 0x0F {
                0x1 => {
                    tally.messages += 1;
                    self.on_text(payload, now, rules, tally)?;
                }
                // Section 5.5.2: a Ping is answered with its payload.
                0x9 => self.queue_frame(0xA, payload),
                0xA => {}
                0x8 => {
                    return Err(format!(
                        "the server sent Close: {}",
                        describe_close(payload)
                    ))
                }
                op => return Err(format!("unexpected opcode {op:#x}")),
            }
            pos += total;
        }
        Ok(pos)
    }

    /// Whether it was told of member `other` joining.
    pub fn was_told(&self, other: u32) -> bool {
        self.told
            .get(other as usize / 64)
            .is_some_and(|w| w & (1 << (other % 64)) != 0)
    }

    /// Checks one text message from the server.
    fn on_text(
        &mut self,
        payload: &[u8],
        now: u64,
        rules: &Rules<'_>,
        tally: &mut Tally<'_>,
    ) -> Result<(), String> {
        let text = std::str::from_utf8(payload).map_err(|_| "text that is not UTF-8")?;
        let shown = || text.chars().take(80).collect::<String>();
        if !self.welcomed {
            if !text.starts_with("* welcome, ") {
                return Err(format!("first message not the welcome: {:?}", shown()));
            }
            self.welcomed = true;
            return Ok(());
        }
        if let Some(notice) = text.strip_prefix("* ") {
            let joiner = notice
                .strip_suffix(rules.room)
                .and_then(|n| n.strip_suffix(" joined "))
                .and_then(|n| n.strip_prefix('m'))
                .and_then(|n| n.parse::<u32>().ok());
            let Some(joiner) = joiner else {
                return Err(format!("unexpected notice: {:?}", shown()));
            };
            if rules.round.is_some() {
                return Err(format!("a join notice during the rounds: {:?}", shown()));
            }
            if joiner == self.index || joiner >= rules.joined {
                return Err(format!(
                    "told of m{joiner} joining ({} connected so far)",
                    rules.joined
                ));
            }
            if self.was_told(joiner) {
                return Err(format!("told twice of m{joiner} joining"));
            }
            self.told[joiner as usize / 64] |= 1 << (joiner % 64);
            // Through several servers, a join relayed from another one
            // may come too, or not: only its own server's are counted.
            if joiner % rules.servers == self.index % rules.servers {
                self.notices += 1;
            }
            return Ok(());
        }
        let Some(round) = rules.round else {
            return Err(format!("a message before the rounds: {:?}", shown()));
        };
        // `NAME: TEXT`: the sender's name, then exactly what it sent.
        let (sender, body) = text
            .split_once(": ")
            .and_then(|(n, body)| Some((n.strip_prefix('m')?.parse::<u32>().ok()?, body)))
            .ok_or_else(|| format!("not a NAME: TEXT line: {:?}", shown()))?;
        let body = body.as_bytes();
        let fields = (body.len() == TEXT_LEN)
            .then(|| {
                Some((
                    unhex(&body[1..9])?,
                    unhex(&body[11..15])?,
                    unhex(&body[17..33])?,
                ))
            })
            .flatten();
        let Some((r, slot, stamp)) = fields else {
            return Err(format!(
                "m{sender}'s text is not one the generator sends: {:?}",
                shown()
            ));
        };
        if r != u64::from(round) {
            return Err(format!("m{sender}'s message of round {r} in round {round}"));
        }
        let slot = slot as usize;
        if rules.senders.get(slot) != Some(&sender) || sender == self.index {
            return Err(format!(
                "a message as m{sender} from slot {slot}, to m{}",
                self.index
            ));
        }
        if body != self::text(round, slot as u32, stamp) {
            return Err(format!("m{sender}'s text changed: {:?}", shown()));
        }
        if self.heard[slot] == round + 1 {
            return Err(format!("m{sender}'s message of round {round} twice"));
        }
        self.heard[slot] = round + 1;
        tally.deliveries += 1;
        if let Some(h) = tally.latencies.as_deref_mut() {
            // Stamped and received on the same monotonic clock.
            h.record(now.saturating_sub(stamp));
        }
        Ok(())
    }
}

/// A Close frame's code and reason, for the error.
fn describe_close(payload: &[u8]) -> String {
    match payload {
        [] => "no code".into(),
        [a, b, reason @ ..] => format!(
            "{} {}",
            u16::from_be_bytes([*a, *b]),
            String::from_utf8_lossy(reason)
        ),
        _ => "a one-byte payload".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_read_back() {
        let t = text(0x1234, 99, 0xdead_beef_0042);
        assert_eq!(t.len(), TEXT_LEN);
        assert_eq!(&t[..10], b"r00001234 ");
        assert_eq!(unhex(&t[1..9]), Some(0x1234));
        assert_eq!(unhex(&t[11..15]), Some(99));
        assert_eq!(unhex(&t[17..33]), Some(0xdead_beef_0042));
        assert_eq!(unhex(b"12g4"), None);
    }
}
