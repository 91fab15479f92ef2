//! What the peer echo servers share: the `--addr` flag, a current-thread
//! tokio runtime, and a minimal server handshake for fastwebsockets (which
//! otherwise leaves it to hyper).

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
