//! What the peer echo servers share: the `--addr` flag (and the TLS
//! servers' `--tls-cert`/`--tls-key`), a current-thread tokio runtime, a
//! minimal server handshake for fastwebsockets (which otherwise leaves it
//! to hyper), the TLS acceptor of the `wss://` peers, and the raw TCP echo
//! loop of the raw echoes (tokio, smol, and tokio under TLS), so that they
//! differ in the runtime (or the TLS layer) only.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A server's command line.
pub struct Flags {
    /// `--addr HOST:PORT` (default 127.0.0.1:9001).
    pub addr: String,
    /// `--tls-cert PEM --tls-key PEM`: the certificate chain and private
    /// key a `wss://` server presents.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// Parses `--addr`, `--tls-cert` and `--tls-key`. Other flags the
/// benchmark passes to every server (`--threads 1`) are accepted and
/// ignored.
pub fn flags() -> Flags {
    let mut addr = "127.0.0.1:9001".to_owned();
    let (mut cert, mut key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--addr", Some(v)) => addr = v,
            ("--tls-cert", Some(v)) => cert = Some(PathBuf::from(v)),
            ("--tls-key", Some(v)) => key = Some(PathBuf::from(v)),
            ("--threads", Some(v)) if v == "1" => {}
            _ => usage(),
        }
    }
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => usage(),
    };
    Flags { addr, tls }
}

fn usage() -> ! {
    eprintln!("usage: [--addr 127.0.0.1:9001] [--threads 1] [--tls-cert PEM --tls-key PEM]");
    std::process::exit(2);
}

/// `--addr HOST:PORT` (default 127.0.0.1:9001), for the plain servers:
/// TLS flags are refused rather than ignored.
pub fn addr() -> String {
    let flags = flags();
    if flags.tls.is_some() {
        eprintln!("this server does not speak TLS");
        std::process::exit(2);
    }
    flags.addr
}

/// The TLS acceptor of the `wss://` peers, built as ws-driver builds its
/// server configuration (so that both sides of a comparison run the same
/// rustls with the same settings): `ring` chosen explicitly (never a
/// process default), the provider's safe protocol versions (TLS 1.3 and
/// 1.2), no client authentication, ALPN `http/1.1`, rustls' defaults
/// otherwise.
pub fn tls_acceptor(cert: &Path, key: &Path) -> io::Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{crypto::ring, ServerConfig};

    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| io::Error::other(format!("{}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| io::Error::other(format!("{}: {e}", key.display())))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// One thread: every server in the benchmark runs on one.
pub fn current_thread() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
}

/// One thread with tokio's timer as well, as ws-tokio's `echo-server`
/// builds it (`enable_all`): our driver's handshake timeout and keepalive
/// run on it.
pub fn current_thread_with_time() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
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

/// TLS over tokio's stream: `write_all` leaves the last records in
/// rustls' buffer, so the echo flushes them.
impl RawStream for tokio_rustls::server::TlsStream<TcpStream> {
    fn recv<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        AsyncReadExt::read(self, buf)
    }
    async fn send_all<'a>(&'a mut self, buf: &'a [u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(self, buf).await?;
        AsyncWriteExt::flush(self).await
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
