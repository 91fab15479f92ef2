//! WebSockets over HTTP/2 (RFC 8441): the client's extended CONNECT, the
//! stream it opens, and the connections a [`Connector`](crate::Connector)
//! shares between sockets.
//!
//! With [`Connector::with_http2`](crate::Connector::with_http2), a
//! `wss://` connection offers ALPN `h2` beside `http/1.1` (RFC 7301).
//! Then:
//!
//! - The server chose `h2` and its SETTINGS carry
//!   `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` (RFC 8441 section 3): the
//!   WebSocket is a stream of that connection, opened with an extended
//!   CONNECT (`:protocol = websocket`, section 4) and accepted by any 2xx
//!   (section 5). Its bytes run in DATA frames: an [`Http2Stream`].
//! - The server chose `h2` without the setting: a client "MUST NOT send a
//!   CONNECT request with the :protocol pseudo-header" (section 3), so
//!   the connection is closed and the socket opened over HTTP/1.1 on a
//!   new one that offers `http/1.1` only, within the same time limit.
//! - The server chose `http/1.1`, or no protocol: the HTTP/1.1 upgrade
//!   runs on that connection, as without HTTP/2.
//!
//! A connection's frames are read and written by a task of its own, on
//! the adapter's runtime ([`Spawn`](crate::Spawn)); every socket on it is
//! one stream. The connector keeps its live connections by origin (host,
//! port, TLS configuration), and a later socket to the same origin opens
//! a stream on one while it is open and the server's
//! `SETTINGS_MAX_CONCURRENT_STREAMS` leaves room (RFC 9113 sections 5.1.2
//! and 9.1), else dials a new connection that takes its place. A
//! connection closes once its last socket is gone.
//!
//! `ws://` stays on HTTP/1.1: HTTP/2 without TLS (h2c) would need an
//! upgrade of its own (RFC 9113 section 3.1 removed it), which no browser
//! does either.

mod compat;
mod pool;
mod stream;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use h2::client::SendRequest;
use rustls::ClientConfig;
use ws_proto::handshake::{ClientHandshake, ClientRequest, Response, PROTOCOL};
use ws_proto::Config;

/// h2 itself, at the version the stream is made of, for servers that
/// make an [`Http2Stream`] of their own.
pub use h2;
pub use stream::Http2Stream;

pub(crate) use pool::Pool;

use crate::connect::{open_tcp, secure, Network};
use crate::entropy::OsEntropy;
use crate::handshake::request_upgrade;
use crate::{trace, Error, PeerAddr, Proxy, WebSocket};
use compat::TokioCompat;
use pool::{Lease, Origin};

/// The ALPN protocol name of HTTP/2 over TLS (RFC 9113 section 3.2).
pub const ALPN_H2: &[u8] = b"h2";

/// The largest header block we take from the server (h2's default is
/// 16 MiB): a WebSocket's answer is a status and a few fields, and the
/// HTTP/1.1 path's handshake limits are of this order too. A larger block
/// fails the stream, not our memory (RFC 9113 section 10.5.1).
const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;

/// How many streams reset by us h2 remembers at once, to tell their late
/// frames from a protocol error (RFC 9113 section 5.4.2); beyond it the
/// oldest is forgotten. A socket resets its stream only when dropped
/// before its close, so a few suffice, and the memory stays small even
/// when a hostile server makes us reset streams in a loop.
const MAX_CONCURRENT_RESET_STREAMS: usize = 16;

/// How many bytes h2 queues per stream before a write waits: the DATA a
/// socket has written that the connection's task has not put on the wire
/// yet. Large enough for the driver's batched writes, bounded so that a
/// server that never opens its window holds at most this much of ours per
/// socket.
const MAX_SEND_BUFFER_SIZE: usize = 256 * 1024;

/// The most a single write asks h2 for: one send buffer's worth.
const MAX_WRITE: usize = MAX_SEND_BUFFER_SIZE;

/// Our initial stream window (RFC 9113 section 6.9.2; the protocol's
/// default is 65,535 bytes): what the server may send on one socket
/// before it waits for our WINDOW_UPDATE. A 1 MiB message (the size
/// Python's websockets defaults to) then arrives without a round trip per
/// 64 KiB; what the server sends is held only up to this much while the
/// socket is not read.
const STREAM_WINDOW: u32 = 1024 * 1024;

/// Our connection window (RFC 9113 section 6.9.1): what the server may
/// send on all sockets of a connection together before it waits for our
/// WINDOW_UPDATE, and so the most a connection buffers for sockets that
/// do not read. Four streams' windows: a few busy sockets share a
/// connection without stalling each other.
const CONNECTION_WINDOW: u32 = 4 * STREAM_WINDOW;

/// The h2 client with our limits.
fn builder() -> h2::client::Builder {
    let mut builder = h2::client::Builder::new();
    builder
        .max_header_list_size(MAX_HEADER_LIST_SIZE)
        .max_concurrent_reset_streams(MAX_CONCURRENT_RESET_STREAMS)
        .max_send_buffer_size(MAX_SEND_BUFFER_SIZE)
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        // A WebSocket client has no use for pushed responses (RFC 9113
        // section 8.4): SETTINGS_ENABLE_PUSH = 0 forbids them.
        .enable_push(false);
    builder
}

/// An h2 error as the I/O error the driver reports: a reset stream is
/// the tunnel's reset (RFC 8441 section 4, a TCP RST).
fn io_error(e: h2::Error) -> io::Error {
    let kind = if e.is_reset() {
        io::ErrorKind::ConnectionReset
    } else {
        e.get_io().map_or(io::ErrorKind::Other, io::Error::kind)
    };
    io::Error::new(kind, e)
}

/// `base` offering the protocols of `alpn`, in our order of preference.
fn offering(base: &ClientConfig, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut config = base.clone();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// How an extended CONNECT on a pooled connection failed.
enum Attempt {
    /// The connection took no new stream (closed, going away): dial anew.
    Connection(Error),
    /// The stream was opened and failed, or was refused: final.
    Stream(Error),
}

impl<E: Into<Error>> From<E> for Attempt {
    fn from(e: E) -> Self {
        Attempt::Stream(e.into())
    }
}

/// Opens `request`, a `wss://` URL, over HTTP/2 when the server offers
/// extended CONNECT, else over HTTP/1.1 (see the [module](self)).
pub(crate) async fn connect<R: Network>(
    pool: &Arc<Pool>,
    tls: Arc<ClientConfig>,
    via: Option<Proxy>,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<R::Stream, R>, Response), Error> {
    let origin = Origin::new(request.host(), request.port(), tls.clone());
    if let Some((send, peer, lease)) = pool.checkout(&origin) {
        match extended_connect(send, request.clone(), config.clone()).await {
            Ok(opened) => return opened.into_socket::<R>(peer, lease),
            Err(Attempt::Stream(e)) => return Err(e),
            // Closed or going away since we last looked: dial anew.
            Err(Attempt::Connection(_)) => pool.discard(&lease),
        }
    }

    let tcp = open_tcp::<R>(&request, via.as_ref()).await?;
    let peer = PeerAddr::peer_addr(&tcp).ok();
    let h2_or_http11 = offering(&tls, &[ALPN_H2, crate::tls::ALPN_HTTP11]);
    let stream = secure::<R>(tcp, &request, h2_or_http11).await?;
    if R::alpn(&stream) != Some(ALPN_H2) {
        return request_upgrade(stream, request, config).await;
    }
    let Some((send, closed)) = handshake::<R>(stream).await? else {
        // Section 3: no extended CONNECT without the setting. Our handle
        // dropped, h2 ends that connection (a GOAWAY, no stream opened);
        // the socket goes over HTTP/1.1 on a new one.
        let tcp = open_tcp::<R>(&request, via.as_ref()).await?;
        let http11 = offering(&tls, &[crate::tls::ALPN_HTTP11]);
        let stream = secure::<R>(tcp, &request, http11).await?;
        return request_upgrade(stream, request, config).await;
    };
    let lease = pool.insert(origin, send.clone(), peer, closed);
    match extended_connect(send, request, config).await {
        Ok(opened) => opened.into_socket::<R>(peer, lease),
        Err(Attempt::Stream(e) | Attempt::Connection(e)) => Err(e),
    }
}

/// Starts HTTP/2 on `stream` (whose ALPN is `h2`), runs the connection on
/// a task of its own, and waits for the server's SETTINGS: the handle for
/// new streams and the flag its task raises when it ends, or `None` when
/// the server did not enable extended CONNECT.
async fn handshake<R: Network>(
    stream: R::Stream,
) -> Result<Option<(SendRequest<Bytes>, Arc<AtomicBool>)>, Error> {
    let (send, mut connection) = builder()
        .handshake::<_, Bytes>(TokioCompat(stream))
        .await
        .map_err(io_error)?;
    let mut ping = connection
        .ping_pong()
        .ok_or_else(|| io::Error::other("h2 gave no PING handle"))?;
    let closed = Arc::new(AtomicBool::new(false));
    let ended = closed.clone();
    R::spawn(async move {
        // The connection's end (a GOAWAY, the server gone) reaches its
        // sockets as the end or reset of their streams, and the pool
        // through the flag.
        let _ = connection.await;
        ended.store(true, Ordering::Release);
    });
    // The server's SETTINGS is the first frame it sends (RFC 9113 section
    // 3.4), and h2 applies it before it reads the next one: once the
    // answer to our PING is in, the setting of section 3 is known.
    ping.ping(h2::Ping::opaque()).await.map_err(io_error)?;
    Ok(send
        .is_extended_connect_protocol_enabled()
        .then_some((send, closed)))
}

/// An extended CONNECT the server accepted.
struct Opened {
    send: h2::SendStream<Bytes>,
    recv: h2::RecvStream,
    conn: ws_proto::Connection,
    response: Response,
}

impl Opened {
    /// The socket on the stream.
    fn into_socket<R: Network>(
        self,
        peer: Option<SocketAddr>,
        lease: Lease,
    ) -> Result<(WebSocket<R::Stream, R>, Response), Error> {
        trace::peer!(peer);
        trace::negotiated!(
            self.response.subprotocol(),
            self.response.header("sec-websocket-extensions")
        );
        let stream = Http2Stream::pooled(self.send, self.recv, peer, lease);
        let Some(stream) = R::http2(stream) else {
            let unsupported = io::Error::new(
                io::ErrorKind::Unsupported,
                "the adapter has no HTTP/2 stream type (its `http2` feature)",
            );
            return Err(unsupported.into());
        };
        Ok((WebSocket::from_parts(stream, self.conn), self.response))
    }
}

/// Sends the extended CONNECT of `request` on `send` and checks the
/// answer (RFC 8441 section 5).
async fn extended_connect(
    send: SendRequest<Bytes>,
    request: ClientRequest,
    config: Config,
) -> Result<Opened, Attempt> {
    let entropy = OsEntropy::new()?;
    let (mut handshake, mut connect) =
        ClientHandshake::extended_connect(request, config, Box::new(entropy))?;
    // Section 4: the `:protocol` pseudo-header, which h2 takes from the
    // request's extensions.
    connect
        .extensions_mut()
        .insert(h2::ext::Protocol::from(PROTOCOL));
    let refused = |e| Attempt::Connection(io_error(e).into());
    let mut send = send.ready().await.map_err(refused)?;
    let (answer, send) = send.send_request(connect, false).map_err(refused)?;
    let (parts, recv) = answer.await.map_err(io_error)?.into_parts();
    // Any 2xx opens the tunnel, anything else is a rejection with its
    // status (RFC 9110 section 9.3.6), as the HTTP/1.1 path's non-101.
    let response = handshake
        .receive_http(&parts)
        .inspect_err(trace::handshake_failed)?;
    let conn = handshake
        .into_connection()
        .inspect_err(trace::handshake_failed)?;
    Ok(Opened {
        send,
        recv,
        conn,
        response,
    })
}
