//! What the peer echo servers share: the `--addr` flag, a current-thread
//! tokio runtime, a minimal server handshake for fastwebsockets (which
//! otherwise leaves it to hyper), and the raw TCP echo loop of both raw
//! echoes (tokio and smol), so that they differ in the runtime only.

use std::future::Future;
use std::io;

use base64::Engine;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `--addr HOST:PORT` (default 127.0.0.1:9001). Other flags the benchmark
/// passes to every server (`--threads 1`) are accepted and ignored.
pub fn addr() -> String {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--addr", Some(v)) => addr = v,
            ("--threads", Some(v)) if v == "1" => {}
            _ => {
                eprintln!("usage: [--addr 127.0.0.1:9001] [--threads 1]");
                std::process::exit(2);
            }
        }
    }
    addr
}

/// One thread: every server in the benchmark runs on one.
pub fn current_thread() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
}

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Reads an upgrade request and answers 101; no extension is accepted.
pub async fn server_handshake(stream: &mut TcpStream) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let key = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 8192 {
            return Err(io::Error::other("request head too long"));
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf).map_err(io::Error::other)? {
            httparse::Status::Partial => continue,
            httparse::Status::Complete(len) => {
                if len != buf.len() {
                    // The client waits for the 101 before sending frames.
                    return Err(io::Error::other("bytes after the request head"));
                }
                let key = req
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
                    .ok_or_else(|| io::Error::other("no Sec-WebSocket-Key"))?;
                break key.value.to_vec();
            }
        }
    };
    let mut sha = Sha1::new();
    sha.update(&key);
    sha.update(GUID.as_bytes());
    let accept = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(response.as_bytes()).await
}

/// A TCP stream of either runtime, as the raw echo uses it.
pub trait RawStream {
    fn recv<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a;
    fn send_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a;
}

impl RawStream for TcpStream {
    fn recv<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        AsyncReadExt::read(self, buf)
    }
    fn send_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        AsyncWriteExt::write_all(self, buf)
    }
}

impl RawStream for smol::net::TcpStream {
    fn recv<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        smol::io::AsyncReadExt::read(self, buf)
    }
    fn send_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        smol::io::AsyncWriteExt::write_all(self, buf)
    }
}

/// Read, then write back all of it, until the peer closes or an error:
/// no framing, so the cost per message is the runtime's and the kernel's.
/// 64 KiB per read: a burst of small messages, or many segments of a large
/// one, in one system call.
pub async fn raw_echo(mut stream: impl RawStream) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match stream.recv(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if stream.send_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}
