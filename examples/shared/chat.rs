//! The chat server that the `chat` examples of every runtime share: one
//! port serves the page (`examples/chat/client.html`, embedded at build
//! time) at `/` and the WebSocket at `/ws`; clients join a room with
//! `/ws?name=alice&room=lobby`; the operator talks to them on stdin. Each
//! example adds only its runtime's listener, spawn, stdin and executor.
//!
//! With `--tls-cert` and `--tls-key` the same port serves the page over
//! `https://` and the socket over `wss://` (the page builds its socket's
//! URL from its own location).
//!
//! Runtime-agnostic: the example accepts with its adapter's
//! `accept_or_http` (or `accept_tls_or_http`) and hands the result to
//! [`Opening::serve`], generic over the driver's socket and runtime; the
//! room registry is a `std` mutex over the members' writing halves, to
//! which a line is offered, encoded once, without waiting. A server
//! that reads HTTP itself (the axum example) calls [`Opening::check`] with
//! the upgrade request it was given, then [`Opening::session`] with the
//! socket, and answers plain HTTP with [`plain_http::answer`].

#[path = "chat_cluster.rs"]
pub(crate) mod cluster;
#[path = "chat_http.rs"]
pub(crate) mod plain_http;
#[path = "chat_rooms.rs"]
mod rooms;
// The server half of it: the flags and the acceptor.
#[allow(dead_code)]
#[path = "tls.rs"]
pub(crate) mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use super::ws::{self, Accept, Config, Message, ReadHalf, Reject, Request, Upgrade, WebSocket};

#[allow(unused_imports)]
pub(crate) use rooms::{Chat, BACKLOG_LIMIT};

/// Where the WebSocket is served; the page is at `/`.
pub(crate) const WS_PATH: &str = "/ws";

/// How long a client that is being closed (too slow, or kicked) may take
/// to finish the closing handshake before its connection is dropped: a
/// client that reads nothing would otherwise hold it open.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:8083),
/// `--tls-cert PEM --tls-key PEM` (the page over `https://` and the
/// socket over `wss://`, with that certificate chain and key), `--redis
/// URL` (share rooms with the other servers on that Redis) and
/// `--threads N` (the tokio chats' worker threads; by default one per
/// core).
pub(crate) struct Args {
    pub(crate) addr: String,
    pub(crate) tls: Option<tls::ServerTls>,
    pub(crate) redis: Option<String>,
    #[allow(dead_code)]
    pub(crate) threads: Option<usize>,
}

impl Args {
    pub(crate) fn parse() -> Args {
        let mut addr = "127.0.0.1:8083".to_owned();
        let (mut redis, mut threads) = (None, None);
        let mut tls = tls::ServerFlags::default();
        let mut argv = std::env::args().skip(1);
        while let Some(flag) = argv.next() {
            match (flag.as_str(), argv.next()) {
                ("--addr", Some(value)) => addr = value,
                ("--redis", Some(value)) => redis = Some(value),
                ("--threads", Some(value)) => match value.parse() {
                    Ok(n) if n > 0 => threads = Some(n),
                    _ => usage(),
                },
                (flag, Some(value)) if tls.take(flag, &value) => {}
                _ => usage(),
            }
        }
        match tls.finish() {
            Ok(tls) => Args {
                addr,
                tls,
                redis,
                threads,
            },
            Err(e) => {
                eprintln!("chat: {e}");
                usage()
            }
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: chat [--addr 127.0.0.1:8083] [--tls-cert CERT.pem --tls-key KEY.pem] \
         [--redis redis://127.0.0.1:6379] [--threads N]"
    );
    std::process::exit(2)
}

/// Where the chat's own lines (joins, leaves, refusals) go: through
/// `tracing`, at `info`, when the example is built with the `tracing`
/// feature (the adapters' examples are); to stdout otherwise.
pub(crate) fn log_line(line: &str) {
    #[cfg(feature = "tracing")]
    tracing::info!(target: "chat", "{line}");
    #[cfg(not(feature = "tracing"))]
    println!("{line}");
}

/// Installs the console's log subscriber (with the `tracing` feature):
/// `RUST_LOG` filters what is shown (`RUST_LOG=debug` adds each
/// connection's span and events), by default `info`, the chat's own
/// lines.
pub(crate) fn init_logging() {
    #[cfg(feature = "tracing")]
    {
        use tracing_subscriber::EnvFilter;
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
}

/// What the server prints when it starts: `secure` with TLS.
pub(crate) fn banner(runtime: &str, addr: SocketAddr, secure: bool) -> String {
    let (http, ws) = match secure {
        true => ("https", "wss"),
        false => ("http", "ws"),
    };
    format!(
        "chat ({runtime}) on {http}://{addr}/ (WebSocket at {ws}://{addr}{WS_PATH}?name=NAME&room=ROOM)\n\
         console: a line goes to every client; /to NAME text, /kick NAME [reason], /list, /help"
    )
}

/// The connection settings: chat messages are small, so the message
/// limit is too (a 1009 close for a larger one); the write buffer holds
/// what the chat lets wait for a client ([`BACKLOG_LIMIT`]), and a client
/// being closed has [`CLOSE_GRACE`] to answer. The rest are the library's
/// defaults: keepalive (a Ping every 20 s, 1011 when no Pong comes within
/// 20 s) finds dead clients, only pages served from this server's own
/// address may open a socket (403 for any other `Origin`), and
/// permessage-deflate is on (lines are sent uncompressed: each is encoded
/// once for the whole room, and too short to gain from it).
pub(crate) fn config() -> Config {
    Config::default()
        .with_max_message_size(64 << 10)
        .with_write_buffer_limit(BACKLOG_LIMIT + (64 << 10))
        .with_close_timeout(CLOSE_GRACE)
}

/// Who asked to join, from the upgrade request.
struct Hello {
    name: String,
    room: String,
    /// The HTTP version of the upgrade, as [`version_name`] writes it.
    version: &'static str,
}

/// How the chat writes an HTTP version: `HTTP/1.1`, and `HTTP/2` (RFC 9113
/// has no minor version; the `http` crate's `Debug` says `HTTP/2.0`).
pub(crate) fn version_name(version: ::http::Version) -> &'static str {
    match version {
        ::http::Version::HTTP_09 => "HTTP/0.9",
        ::http::Version::HTTP_10 => "HTTP/1.0",
        ::http::Version::HTTP_11 => "HTTP/1.1",
        ::http::Version::HTTP_2 => "HTTP/2",
        ::http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP (a version the chat does not know)",
    }
}

/// One TCP connection from `peer`, while its first request is read: the
/// example calls its adapter's `accept_or_http` (or `accept_tls_or_http`) with
/// [`check`](Self::check) as the callback, then hands what it found to
/// [`serve`](Self::serve).
pub(crate) struct Opening {
    chat: Arc<Chat>,
    peer: SocketAddr,
    hello: Option<Hello>,
}

impl Opening {
    pub(crate) fn new(chat: &Arc<Chat>, peer: SocketAddr) -> Opening {
        Opening {
            chat: chat.clone(),
            peer,
            hello: None,
        }
    }

    /// The handshake callback: logs the upgrade request (address, path,
    /// query, cookies, headers) and accepts it on [`WS_PATH`], taking the
    /// name and room from the query and noting the HTTP version (an
    /// HTTP/1.1 Upgrade, or an HTTP/2 extended CONNECT); a 404 elsewhere.
    pub(crate) fn check(&mut self, request: &Request) -> Result<Accept, Reject> {
        let peer = self.peer;
        self.chat.log(&describe(peer, request));
        if request.path() != WS_PATH {
            self.chat
                .log(&format!("{peer}: no WebSocket at {}: 404", request.path()));
            let body = format!("no WebSocket here; it is at {WS_PATH}\n");
            return Err(Reject::new(404)
                .header("Content-Type", "text/plain; charset=utf-8")
                .map_or_else(|_| Reject::new(404), |r| r.body(body)));
        }
        let param = |key: &str| {
            request
                .query_params()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        self.hello = Some(Hello {
            name: param("name"),
            room: param("room"),
            version: version_name(request.version()),
        });
        Ok(Accept::new())
    }

    /// Serves what `accept_or_http` found: a chat session on a WebSocket;
    /// for plain HTTP, the page or an error, written with `respond` (the
    /// runtime's write-all and close) on the stream. Never panics on what
    /// the peer sent; failures are logged.
    pub(crate) async fn serve<S, I, T, F, Fut>(
        self,
        found: Result<Upgrade<WebSocket<S, I>, T>, ws::Error>,
        respond: F,
    ) where
        S: 'static,
        I: ws::Transport + Send + 'static,
        F: FnOnce(T, Vec<u8>) -> Fut,
        Fut: Future<Output = std::io::Result<()>>,
    {
        match found {
            Ok(Upgrade::WebSocket(ws)) => self.session(ws).await,
            Ok(Upgrade::Http(request, stream)) => {
                let (chat, peer) = (self.chat, self.peer);
                let answer = plain_http::answer(
                    &chat,
                    peer,
                    request.method(),
                    request.target(),
                    request.path(),
                );
                if let Err(e) = respond(stream, answer.to_http1()).await {
                    chat.log(&format!("[http] {peer}: could not answer: {e}"));
                }
            }
            // A form of upgrade this chat was not written for.
            Ok(_) => self.chat.log(&format!(
                "{}: an upgrade the chat does not serve",
                self.peer
            )),
            Err(e) => self.chat.log(&format!("{}: {e}", self.peer)),
        }
    }

    /// The chat session on `ws`, the socket of the upgrade that
    /// [`check`](Self::check) accepted, until either side ends it.
    pub(crate) async fn session<S, I>(self, ws: WebSocket<S, I>)
    where
        S: 'static,
        I: ws::Transport + Send + 'static,
    {
        let Opening { chat, peer, hello } = self;
        match hello {
            Some(hello) => session(&chat, ws, peer, hello).await,
            None => chat.log(&format!("{peer}: accepted, but not by the chat")),
        }
    }
}

/// The handshake request as the server logs it: client address, request
/// line, query parameters, cookies, the extensions offered and every
/// header, one block.
fn describe(peer: SocketAddr, request: &Request) -> String {
    let mut out = format!(
        "[open] {peer} {} {} {}",
        request.method(),
        request.target(),
        version_name(request.version())
    );
    out.push_str(&format!("\n  path: {}", request.path()));
    for (key, value) in request.query_params() {
        out.push_str(&format!("\n  query: {key}={value}"));
    }
    for (name, value) in request.cookies() {
        out.push_str(&format!("\n  cookie: {name}={value}"));
    }
    for offer in request.extensions() {
        out.push_str(&format!("\n  extension offered: {offer}"));
    }
    for (name, value) in request.headers() {
        out.push_str(&format!(
            "\n  header: {name}: {}",
            String::from_utf8_lossy(value)
        ));
    }
    out
}

/// One client in the chat: joins its room with the writing half of its
/// socket (the room offers it what is said there), hands what the client
/// says to the room, and reads until the connection ends. Reading also
/// writes: the driver flushes what the room queued whenever this task
/// polls it.
async fn session<S, I>(chat: &Chat, ws: WebSocket<S, I>, peer: SocketAddr, hello: Hello)
where
    S: 'static,
    I: ws::Transport + Send + 'static,
{
    let (mut reader, writer) = ws.into_split();
    let joined = chat.join(
        &hello.name,
        &hello.room,
        peer,
        hello.version,
        Box::new(writer),
    );
    let why = read_loop(chat, joined.id, &mut reader).await;
    if !chat.leave(joined.id, &why) {
        // The server had closed it (too slow, or kicked): how it ended.
        chat.log(&format!("{} ({peer}): {why}", joined.name));
    }
}

/// Reads what the client says and hands it to its room, until the
/// connection ends; why it ended. Pings are answered by the driver while
/// it reads, and a Close is echoed (or, after the server's own, its
/// answer awaited, for at most [`CLOSE_GRACE`]): it reads on after the
/// Close until the driver ends the stream.
async fn read_loop<S, I>(chat: &Chat, id: u64, reader: &mut ReadHalf<S, I>) -> String
where
    I: ws::Transport,
{
    let mut why = "connection ended without a Close".to_owned();
    while let Some(message) = reader.recv().await {
        match message {
            Ok(Message::Text(text)) => chat.say(id, &text),
            Ok(Message::Binary(data)) => chat.note(
                id,
                &format!("sent {} bytes of binary (ignored)", data.len()),
            ),
            Ok(Message::Close(frame)) => {
                why = format!("closed by the client: {} {}", frame.code(), frame.reason())
            }
            Ok(_) => {}
            Err(e) => return format!("connection failed: {e}"),
        }
    }
    why
}

/// The operator console: runs each line of `lines` (the server's stdin)
/// with [`Chat::command`]. When stdin ends (no terminal, or Ctrl-D) the
/// server runs on without a console.
pub(crate) async fn console<L, E>(chat: Arc<Chat>, lines: L)
where
    L: Stream<Item = Result<String, E>>,
    E: std::fmt::Display,
{
    let mut lines = pin!(lines);
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) => chat.command(&line),
            Err(e) => {
                chat.log(&format!("console: cannot read stdin: {e}"));
                break;
            }
        }
    }
    chat.log("console: stdin closed; the server runs on without a console");
}
