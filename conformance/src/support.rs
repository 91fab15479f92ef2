//! Building blocks the cases share: connected pairs, an echo server,
//! payloads, and a tokio server on a thread of its own.

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::future::join;
use ws_driver::Error;
use ws_proto::handshake::{Accept, ClientRequest};
use ws_proto::{CloseFrame, Config, Message};

use crate::harness::{within, Harness, Task, Ws};

/// The most messages an echo loop handles before it gives up.
const MAX_ECHO: usize = 100_000;

/// A server and a client WebSocket connected over loopback TCP, both with
/// the default configuration.
pub async fn pair<H: Harness>() -> (Ws<H>, Ws<H>) {
    pair_with::<H>(quiet(), quiet()).await
}

/// The defaults without keepalive, for cases that read exact sequences of
/// messages: a keepalive Ping every 20 s would show up in any such case
/// that a loaded machine makes run longer than that. Keepalive has cases
/// of its own (`timeouts`).
pub fn quiet() -> Config {
    Config::default().without_keepalive()
}

/// A server (first) and a client (second) WebSocket connected over
/// loopback TCP, with the configurations given.
pub async fn pair_with<H: Harness>(server: Config, client: Config) -> (Ws<H>, Ws<H>) {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server_side = accept_one::<H>(&listener, server);
    let client_side = connect_to::<H>(addr, client);
    within::<H, _>("handshake of a pair", join(server_side, client_side)).await
}

/// Receives until the connection's error, which is returned, and checks
/// that the socket then ends: the error comes once.
pub async fn recv_error<H: Harness>(ws: &mut Ws<H>, who: &str) -> Error {
    let error = expect_err(H::NAME, ws.recv().await);
    let end = ws.recv().await;
    assert!(
        end.is_none(),
        "[{}] {who}: recv after the error: {end:?}",
        H::NAME
    );
    error
}

/// Accepts one connection on `listener` and completes the server's
/// handshake with `config`, accepting the request.
pub async fn accept_one<H: Harness>(listener: &H::Listener, config: Config) -> Ws<H> {
    let tcp = H::accept(listener).await.expect("accept");
    H::accept_with(tcp, config, |_| Ok(Accept::new()))
        .await
        .expect("server handshake")
}

/// Connects to `addr` and completes the client's handshake with `config`.
pub async fn connect_to<H: Harness>(addr: SocketAddr, config: Config) -> Ws<H> {
    let tcp = H::connect(addr).await.expect("connect");
    let request = ClientRequest::new(addr.to_string(), "/").expect("request");
    H::client(tcp, request, config)
        .await
        .expect("client handshake")
        .0
}

/// What an [`echo`] loop saw.
#[derive(Debug, Default)]
pub struct EchoStats {
    /// Data messages echoed.
    pub echoed: usize,
    /// Payloads of the Pings received (each answered by auto-pong).
    pub pings: Vec<Bytes>,
    /// Payloads of the Pongs received.
    pub pongs: Vec<Bytes>,
    /// The peer's Close, if one came.
    pub close: Option<CloseFrame>,
    /// The error that ended the loop, if one did.
    pub error: Option<String>,
}

/// Spawns a task that echoes every data message on `ws` with `send` until
/// `recv` returns `None` or an error, and reports what it saw.
pub fn echo<H: Harness>(mut ws: Ws<H>) -> Task<EchoStats> {
    H::spawn(async move {
        let mut stats = EchoStats::default();
        for _ in 0..MAX_ECHO {
            match within::<H, _>("echo: recv", ws.recv()).await {
                None => return stats,
                Some(Ok(Message::Ping(payload))) => stats.pings.push(payload),
                Some(Ok(Message::Pong(payload))) => stats.pongs.push(payload),
                Some(Ok(Message::Close(frame))) => stats.close = Some(frame),
                Some(Ok(message)) => {
                    if let Err(e) = within::<H, _>("echo: send", ws.send(message)).await {
                        stats.error = Some(e.to_string());
                        return stats;
                    }
                    stats.echoed += 1;
                }
                Some(Err(e)) => {
                    stats.error = Some(e.to_string());
                    return stats;
                }
            }
        }
        panic!("[{}] echo: more than {MAX_ECHO} messages", H::NAME)
    })
}

/// Binds a listener and spawns a task that accepts one WebSocket with
/// `config` and echoes it (see [`echo`]). Returns the address to connect
/// to and the task.
pub async fn serve_one<H: Harness>(config: Config) -> (SocketAddr, Task<EchoStats>) {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let task = H::spawn(async move {
        let tcp = within::<H, _>("serve_one: accept", H::accept(&listener))
            .await
            .expect("accept");
        let ws = within::<H, _>(
            "serve_one: handshake",
            H::accept_with(tcp, config, |_| Ok(Accept::new())),
        )
        .await
        .expect("server handshake");
        echo::<H>(ws).await
    });
    (addr, task)
}

/// `len` printable ASCII characters from a xorshift generator seeded with
/// `seed`: text that permessage-deflate cannot shrink much, so that a
/// reader that does not keep up is found out after a few MiB, not
/// hundreds.
pub fn noise_text(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect()
}

/// A text payload of exactly `len` bytes, mixing one- to four-byte UTF-8
/// sequences so that code points straddle frame and read boundaries.
pub fn text_payload(len: usize) -> String {
    const BLOCK: &str = "The quick brown f\u{f6}x \u{2014} jumps \u{1F600} over 13 lazy dogs. ";
    let mut text = BLOCK.repeat(len / BLOCK.len());
    while text.len() < len {
        text.push('x');
    }
    text
}

/// A binary payload of `len` bytes in a pattern that does not repeat
/// every 4 bytes (so a masking-key error would show).
pub fn binary_payload(len: usize) -> Bytes {
    let pattern: Vec<u8> = (0..251u8).collect();
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        let take = (len - data.len()).min(pattern.len());
        data.extend_from_slice(&pattern[..take]);
    }
    Bytes::from(data)
}

/// Runs `task` on a current-thread tokio runtime on a thread of its own,
/// whatever runtime the case uses: the other end of the cross-runtime
/// cases.
pub fn tokio_thread<F, Fut>(task: F) -> std::thread::JoinHandle<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(task())
    })
}

/// The error of a `recv` that must have failed.
pub fn expect_err<T: std::fmt::Debug>(name: &str, item: Option<Result<T, Error>>) -> Error {
    match item {
        Some(Err(e)) => e,
        other => panic!("[{name}] expected an error, got {other:?}"),
    }
}
