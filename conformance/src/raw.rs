//! A scripted raw peer: exact bytes out, frames in.

use std::io;
use std::net::SocketAddr;

use bytes::BytesMut;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use ws_proto::frame::{apply_mask, FrameHeader, OpCode, Rsv};
use ws_proto::handshake::accept_key;

use crate::harness::{within, Harness};

/// The masking key of RFC 6455 section 5.7, which the raw peer uses for
/// every frame it sends as a client.
pub const CLIENT_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The `Sec-WebSocket-Key` of RFC 6455 section 1.3.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The most bytes an HTTP head the raw peer reads may take.
const MAX_HEAD: usize = 16 << 10;

/// The largest frame the raw peer accepts to read.
const MAX_FRAME: u64 = 64 << 20;

/// A frame to forge, valid or not.
#[derive(Debug, Clone)]
pub struct FrameSpec {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1-3.
    pub rsv: Rsv,
    /// The 4-bit opcode, reserved values included.
    pub opcode: u8,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload, before masking.
    pub payload: Vec<u8>,
    /// A payload length to declare other than the payload's own (the
    /// payload is still written as it is).
    pub declared_len: Option<u64>,
}

impl FrameSpec {
    /// A final, unmasked frame with no reserved bits.
    pub fn new(opcode: OpCode, payload: impl Into<Vec<u8>>) -> Self {
        FrameSpec {
            fin: true,
            rsv: Rsv::NONE,
            opcode: opcode.as_u8(),
            mask: None,
            payload: payload.into(),
            declared_len: None,
        }
    }

    /// The same frame masked with [`CLIENT_KEY`], as a client sends it.
    pub fn masked(mut self) -> Self {
        self.mask = Some(CLIENT_KEY);
        self
    }

    /// The same frame with the FIN bit set to `fin`.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// The same frame with the reserved bits `rsv`.
    pub fn rsv(mut self, rsv: Rsv) -> Self {
        self.rsv = rsv;
        self
    }

    /// The same frame with the raw 4-bit opcode `opcode`.
    pub fn opcode(mut self, opcode: u8) -> Self {
        self.opcode = opcode & 0x0F;
        self
    }

    /// The same frame declaring a payload length of `len`.
    pub fn declared_len(mut self, len: u64) -> Self {
        self.declared_len = Some(len);
        self
    }

    /// The wire bytes of the frame.
    pub fn encode(&self) -> Vec<u8> {
        encode_frame(self)
    }
}

/// The wire bytes of `spec`: the header written by
/// [`FrameHeader::encode`], then the payload masked with
/// [`apply_mask`].
pub fn encode_frame(spec: &FrameSpec) -> Vec<u8> {
    let header = FrameHeader {
        fin: spec.fin,
        rsv: spec.rsv,
        // Any opcode: the nibble is patched below, so reserved opcodes can
        // be forged too.
        opcode: OpCode::Binary,
        mask: spec.mask,
        payload_len: spec.declared_len.unwrap_or(spec.payload.len() as u64),
    };
    let mut out = BytesMut::with_capacity(header.encoded_len() + spec.payload.len());
    header.encode(&mut out);
    out[0] = (out[0] & 0xF0) | (spec.opcode & 0x0F);
    let mut payload = spec.payload.clone();
    if let Some(key) = spec.mask {
        apply_mask(&mut payload, key, 0);
    }
    out.extend_from_slice(&payload);
    out.to_vec()
}

/// A frame the raw peer read, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1-3.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: OpCode,
    /// Whether the frame was masked.
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The close code of a Close frame's body, if it has one.
    pub fn close_code(&self) -> Option<u16> {
        match self.payload[..] {
            [a, b, ..] => Some(u16::from_be_bytes([a, b])),
            _ => None,
        }
    }

    /// The reason of a Close frame's body, as UTF-8 (lossy).
    pub fn close_reason(&self) -> String {
        String::from_utf8_lossy(self.payload.get(2..).unwrap_or_default()).into_owned()
    }
}

/// A peer that speaks WebSocket by hand over a runtime's TCP stream: it
/// writes exactly the bytes a case gives it (forged with
/// [`FrameSpec`]) and reads back frames with [`FrameHeader::decode`].
/// Every read is bounded by [`STEP_TIMEOUT`](crate::STEP_TIMEOUT).
pub struct RawPeer<H: Harness> {
    io: H::Raw,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
    /// Whether it plays the client, whose frames are masked.
    client: bool,
}

impl<H: Harness> RawPeer<H> {
    /// A raw peer on `stream`, before any handshake.
    pub fn new(stream: H::Tcp) -> Self {
        RawPeer {
            io: H::into_raw(stream),
            buf: Vec::new(),
            client: true,
        }
    }

    /// Connects to `addr` without a handshake.
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = within::<H, _>("raw peer: connect", H::connect(addr))
            .await
            .expect("raw peer: connect");
        Self::new(stream)
    }

    /// The upgrade request the raw client sends for `/`.
    pub fn upgrade_request(addr: SocketAddr) -> Vec<u8> {
        format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .into_bytes()
    }

    /// Connects to `addr` as a client and completes the opening
    /// handshake, checking the server's 101 and accept key.
    pub async fn client(addr: SocketAddr) -> Self {
        Self::client_then(addr, &[]).await
    }

    /// Like [`client`](Self::client), writing `extra` right behind the
    /// request in the same write.
    pub async fn client_then(addr: SocketAddr, extra: &[u8]) -> Self {
        let mut peer = Self::connect(addr).await;
        let mut request = Self::upgrade_request(addr);
        request.extend_from_slice(extra);
        peer.write(&request).await;
        let head = peer.read_head().await;
        assert!(
            head.starts_with("HTTP/1.1 101"),
            "[{}] raw client: expected 101, got {head:?}",
            H::NAME
        );
        let expected = format!("sec-websocket-accept: {}", accept_key(KEY.as_bytes()));
        assert!(
            head.to_ascii_lowercase()
                .contains(&expected.to_ascii_lowercase()),
            "[{}] raw client: wrong or missing accept key in {head:?}",
            H::NAME
        );
        peer
    }

    /// Accepts a connection on `listener` as a server and answers its
    /// upgrade request with a 101, followed in the same write by `extra`.
    pub async fn server_then(listener: &H::Listener, extra: &[u8]) -> Self {
        let stream = within::<H, _>("raw server: accept", H::accept(listener))
            .await
            .expect("raw server: accept");
        let mut peer = Self::new(stream);
        peer.client = false;
        let head = peer.read_head().await;
        let key = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-key"))
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_else(|| panic!("[{}] raw server: no key in {head:?}", H::NAME));
        let mut response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(key.as_bytes())
        )
        .into_bytes();
        response.extend_from_slice(extra);
        peer.write(&response).await;
        peer
    }

    /// Writes `bytes` and flushes.
    pub async fn write(&mut self, bytes: &[u8]) {
        self.try_write(bytes).await.expect("raw peer: write");
    }

    /// Writes `bytes` and flushes, reporting a failure (the other side
    /// gave up) instead of panicking.
    pub async fn try_write(&mut self, bytes: &[u8]) -> io::Result<()> {
        within::<H, _>("raw peer: write", async {
            self.io.write_all(bytes).await?;
            self.io.flush().await
        })
        .await
    }

    /// Writes the frame `spec`.
    pub async fn send(&mut self, spec: FrameSpec) {
        self.write(&spec.encode()).await;
    }

    /// Reads what arrives next (at least a byte, unless the stream ended)
    /// and drops it; returns how many bytes that was.
    pub async fn read_some(&mut self) -> io::Result<usize> {
        let n = self.fill().await?;
        self.buf.clear();
        Ok(n)
    }

    /// Reads more bytes into the buffer; `Ok(0)` at the end of the stream.
    async fn fill(&mut self) -> io::Result<usize> {
        let start = self.buf.len();
        self.buf.resize(start + (16 << 10), 0);
        let read = within::<H, _>("raw peer: read", self.io.read(&mut self.buf[start..])).await;
        self.buf.truncate(start + *read.as_ref().unwrap_or(&0));
        read
    }

    /// Reads an HTTP head up to and including its blank line.
    pub async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return String::from_utf8_lossy(&head).into_owned();
            }
            assert!(
                self.buf.len() < MAX_HEAD,
                "[{}] raw peer: head too long",
                H::NAME
            );
            let n = self.fill().await.expect("raw peer: read head");
            assert!(
                n > 0,
                "[{}] raw peer: EOF in head: {:?}",
                H::NAME,
                self.buf_text()
            );
        }
    }

    /// Reads until the end of the stream and returns everything read
    /// (a reset counts as the end).
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        loop {
            assert!(
                self.buf.len() < MAX_HEAD,
                "[{}] raw peer: too much data",
                H::NAME
            );
            match self.fill().await {
                Ok(0) | Err(_) => return std::mem::take(&mut self.buf),
                Ok(_) => {}
            }
        }
    }

    fn buf_text(&self) -> String {
        String::from_utf8_lossy(&self.buf).into_owned()
    }

    /// Reads one frame; `None` at the end of the stream (or a reset)
    /// between frames.
    pub async fn read_frame(&mut self) -> Option<Frame> {
        loop {
            let decoded = FrameHeader::decode(&self.buf)
                .unwrap_or_else(|e| panic!("[{}] raw peer: invalid frame: {e}", H::NAME));
            if let Some((header, header_len)) = decoded {
                assert!(header.payload_len <= MAX_FRAME, "raw peer: frame too long");
                let total = header_len + header.payload_len as usize;
                if self.buf.len() >= total {
                    let mut payload = self.buf[header_len..total].to_vec();
                    self.buf.drain(..total);
                    if let Some(key) = header.mask {
                        apply_mask(&mut payload, key, 0);
                    }
                    return Some(Frame {
                        fin: header.fin,
                        rsv: header.rsv,
                        opcode: header.opcode,
                        masked: header.mask.is_some(),
                        payload,
                    });
                }
            }
            match self.fill().await {
                Ok(n) if n > 0 => {}
                _ if self.buf.is_empty() => return None,
                other => panic!(
                    "[{}] raw peer: stream ended inside a frame ({other:?}, {} bytes left)",
                    H::NAME,
                    self.buf.len()
                ),
            }
        }
    }

    /// Reads frames until a Close, skipping Pings and Pongs (and counting
    /// the Pings); fails on data frames and on the end of the stream.
    pub async fn expect_close(&mut self) -> (Frame, usize) {
        let mut pings = 0;
        for _ in 0..10_000 {
            let frame = self
                .read_frame()
                .await
                .unwrap_or_else(|| panic!("[{}] raw peer: EOF before a Close", H::NAME));
            match frame.opcode {
                OpCode::Close => return (frame, pings),
                OpCode::Ping => pings += 1,
                OpCode::Pong => {}
                _ => panic!("[{}] raw peer: expected a Close, got {frame:?}", H::NAME),
            }
        }
        panic!("[{}] raw peer: no Close in 10000 frames", H::NAME)
    }

    /// Reads a Close and checks its code, answers it as a peer must
    /// (section 5.5.1), then expects the end of the stream. Returns the
    /// Close frame.
    pub async fn expect_close_code(&mut self, code: u16) -> Frame {
        let (frame, _) = self.expect_close().await;
        assert_eq!(
            frame.close_code(),
            Some(code),
            "[{}] raw peer: close code (reason {:?})",
            H::NAME,
            frame.close_reason()
        );
        let mut reply = FrameSpec::new(OpCode::Close, code.to_be_bytes().to_vec());
        if self.client {
            reply = reply.masked();
        }
        // The other end may have closed already: its Close was its last
        // word, and ours may meet a reset.
        let _ = self.try_write(&reply.encode()).await;
        self.expect_eof().await;
        frame
    }

    /// Expects the end of the stream, with no bytes before it.
    pub async fn expect_eof(&mut self) {
        let rest = self.read_to_end().await;
        assert!(
            rest.is_empty(),
            "[{}] raw peer: expected EOF, got {} more bytes",
            H::NAME,
            rest.len()
        );
    }
}
