//! What the tests of sockets inside HTTP servers share: an HTTP/2 client
//! that opens a WebSocket with an extended CONNECT (RFC 8441 section 5)
//! over the `h2` crate, and raw HTTP/1.1 exchanges for the requests our
//! client never sends.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_driver::http2::Http2Stream;
use ws_driver::SocketStream;
use ws_proto::entropy::Seeded;
use ws_proto::handshake::{ClientHandshake, ClientRequest, PROTOCOL};
use ws_proto::Config;

/// Generous bound for any one step: progress, not speed, is tested.
pub const STEP: Duration = Duration::from_secs(30);

/// `work` within [`STEP`] on tokio, or a panic naming `what`.
pub async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    within_on::<ws_tokio::Runtime, T>(what, work).await
}

/// `work` within [`STEP`] on the timer of the runtime `R`, or a panic
/// naming `what`.
pub async fn within_on<R: ws_driver::Runtime, T>(what: &str, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let mut timer = std::pin::pin!(R::timer(R::now() + STEP));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        if timer.as_mut().poll(cx).is_ready() {
            panic!("{what}: no progress within {STEP:?}");
        }
        Poll::Pending
    })
    .await
}

/// A WebSocket over one HTTP/2 stream, driven by the same driver.
pub type H2Socket = ws_driver::WebSocket<SocketStream<Http2Stream>, ws_tokio::Runtime>;

/// An HTTP/2 connection (h2c with prior knowledge, RFC 9113 section
/// 3.3) to `addr`, once the server's SETTINGS were read: a plain GET of
/// `/` is answered first, so that the client knows whether the server
/// enabled extended CONNECT. Returns the handle and the GET's status.
pub async fn h2_connect(addr: SocketAddr) -> (h2::client::SendRequest<Bytes>, u16) {
    let tcp = within("TCP connect", TcpStream::connect(addr))
        .await
        .expect("TCP connect");
    let (send, connection) = within("HTTP/2 handshake", h2::client::handshake(tcp))
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut send = within("HTTP/2 ready", send.ready())
        .await
        .expect("HTTP/2 ready");
    let get = http::Request::get(format!("http://{addr}/"))
        .body(())
        .expect("GET");
    let (response, _) = send.send_request(get, true).expect("send GET");
    let response = within("GET over HTTP/2", response)
        .await
        .expect("GET response");
    (send, response.status().as_u16())
}

/// A client request for `path` on `addr`, offering `protocols`.
pub fn ws_request(addr: SocketAddr, path: &str, protocols: &[&str]) -> ClientRequest {
    let mut request = ClientRequest::from_url(&format!("ws://{addr}{path}")).expect("request");
    for protocol in protocols {
        request = request.subprotocol(*protocol).expect("subprotocol");
    }
    request
}

/// Opens a WebSocket for `request` on a new stream of `send` with an
/// extended CONNECT: the response's head, and the socket when the server
/// answered 200.
pub async fn h2_websocket(
    send: &mut h2::client::SendRequest<Bytes>,
    request: ClientRequest,
) -> (http::response::Parts, Option<H2Socket>) {
    let (mut handshake, mut connect) =
        ClientHandshake::extended_connect(request, Config::default(), Box::new(Seeded::new(7)))
            .expect("extended CONNECT");
    connect
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static(PROTOCOL));
    let (parts, stream) = send_connect(send, connect).await;
    let Some((send_stream, recv)) = stream else {
        return (parts, None);
    };
    handshake.receive_http(&parts).expect("the server's answer");
    let conn = handshake.into_connection().expect("connection");
    let io = SocketStream::plain(Http2Stream::new(send_stream, recv));
    (parts, Some(H2Socket::from_parts(io, conn)))
}

/// Sends `request` as a stream kept open for data, and reads the answer's
/// head; the stream's halves when it is a 2xx.
pub async fn send_connect(
    send: &mut h2::client::SendRequest<Bytes>,
    request: http::Request<()>,
) -> (
    http::response::Parts,
    Option<(h2::SendStream<Bytes>, h2::RecvStream)>,
) {
    let mut ready = within("stream ready", send.clone().ready())
        .await
        .expect("stream ready");
    let (response, send_stream) = ready.send_request(request, false).expect("send CONNECT");
    let response = within("CONNECT response", response)
        .await
        .expect("CONNECT response");
    let (parts, recv) = response.into_parts();
    if parts.status.is_success() {
        (parts, Some((send_stream, recv)))
    } else {
        (parts, None)
    }
}

/// Sends `head` (a whole HTTP/1.1 request) on a new connection to `addr`
/// and returns the response head, read up to its blank line (at most
/// 64 KiB).
pub async fn raw_http1(addr: SocketAddr, head: &str) -> String {
    let mut tcp = within("TCP connect", TcpStream::connect(addr))
        .await
        .expect("TCP connect");
    tcp.write_all(head.as_bytes()).await.expect("write request");
    let mut response = Vec::new();
    let mut buf = [0; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        assert!(response.len() < 64 << 10, "a response head over 64 KiB");
        let n = within("read response", tcp.read(&mut buf))
            .await
            .expect("read response");
        assert!(n > 0, "the server closed before answering: {response:?}");
        response.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&response).into_owned()
}

/// Sends `request` (a whole HTTP/1.1 request with `Connection: close`) on
/// a new connection to `addr` and reads the response to the end of the
/// connection (at most 64 KiB).
pub async fn raw_http1_to_end(addr: SocketAddr, request: &str) -> String {
    let mut tcp = within("TCP connect", TcpStream::connect(addr))
        .await
        .expect("TCP connect");
    tcp.write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut response = Vec::new();
    let mut limited = (&mut tcp).take(64 << 10);
    within("read response", limited.read_to_end(&mut response))
        .await
        .expect("read response");
    String::from_utf8_lossy(&response).into_owned()
}
