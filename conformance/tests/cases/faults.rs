//! Faults on the wire: a real client and a real server of the runtime
//! under test talk through a [`FaultProxy`] that stalls, drips, truncates
//! or resets the connection at one point of the byte stream: inside the
//! request or the 101, inside a frame's header or payload (either way),
//! between two fragments of a message, or inside the Close that answers
//! the other side's.
//!
//! Each case is one point; it runs every [`Fault`] there in turn, each on
//! a fresh connection, with the same script: the server sends a greeting
//! and receives until the end; the client receives the greeting, sends a
//! whole message, then a message in two fragments, then closes. Both ends run with 2 s handshake, idle and
//! close timeouts, and every await is bounded by the timeout that governs
//! it plus a generous margin (5 s). For every fault the case checks:
//!
//! - the proxy reached the point and injected the fault;
//! - both tasks ended and dropped their guards, and (but after a reset,
//!   which leaves the proxy no socket to watch) both ends closed their TCP
//!   connections: nothing leaked;
//! - each way, what one end received is a prefix of what the other sent,
//!   each message once and intact, and every message whose send returned
//!   `Ok` arrived unless the receiving end saw an error;
//! - the errors name the fault: a stall ends in timeouts, a truncation in
//!   unexpected EOF, a reset in `ConnectionReset` (or `BrokenPipe` for a
//!   write). The end whose input was broken gets one; the other may too,
//!   or, after a stall, see the broken end give up (an unexpected EOF). A
//!   drip, slow but within the timeouts, loses nothing and fails nothing.
//!
//! [`close_behind_a_stall`] stalls a message too large for the buffers on
//! the way, and checks that the close timeout still bounds the close.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join;
use ws_driver::Error;
use ws_proto::frame::{FrameHeader, OpCode, Rsv};
use ws_proto::handshake::{Accept, ClientRequest};
use ws_proto::{CloseCode, Config, Message, MessageKind};

use conformance::binary_payload;
use conformance::fault_proxy::{Cut, Direction, Fault, FaultProxy, Offset, CLIENT_RECV_BUFFER};
use conformance::{timeout, within, Harness, Ws, STEP_TIMEOUT};

/// Both ends' handshake timeout. Each timeout is what a stall waits for,
/// and long enough for a drip (some 64 ms of delays) and a whole script
/// on a loaded machine.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Both ends' idle timeout: what ends a connection whose input stalled.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// Both ends' close timeout.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How much longer than its configured timeout a step may take before
/// the case calls it a hang: generous, for a loaded machine.
const MARGIN: Duration = Duration::from_secs(5);

/// How long the client of [`close_behind_a_stall`] waits for a send that
/// cannot complete before it gives up on it (one that could would take
/// milliseconds).
const SEND_PATIENCE: Duration = Duration::from_millis(500);

/// The size of the server's greeting.
const GREETING: usize = 300;

/// The size of the client's first message, sent whole.
const WHOLE: usize = 1000;

/// The size of each of the two fragments of the client's second message.
const FRAGMENT: usize = 100;

/// The most events the server reads before the case calls it a loop.
const MAX_EVENTS: usize = 16;

/// Both ends' configuration: the timeouts above, and no compression, so
/// that frames on the wire are as long as the test computes.
fn config() -> Config {
    Config::default()
        .without_deflate()
        .with_handshake_timeout(HANDSHAKE_TIMEOUT)
        .with_idle_timeout(IDLE_TIMEOUT)
        .with_close_timeout(CLOSE_TIMEOUT)
}

/// The server's one message.
fn greeting() -> Bytes {
    binary_payload(GREETING)
}

/// The client's messages: one sent whole, one sent as two fragments.
fn messages() -> [Bytes; 2] {
    [binary_payload(WHOLE), binary_payload(2 * FRAGMENT)]
}

/// The bytes of a frame with a payload of `len`: a client's (masked) if
/// `masked`, else a server's.
fn frame_len(len: usize, masked: bool) -> usize {
    let header = FrameHeader {
        fin: true,
        rsv: Rsv::NONE,
        opcode: OpCode::Binary,
        mask: masked.then_some([0; 4]),
        payload_len: len as u64,
    };
    header.encoded_len() + len
}

/// Where in the script a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    /// Inside the client's upgrade request.
    Request,
    /// Inside the server's 101.
    Response,
    /// Inside the header of the client's first frame.
    FrameHeader,
    /// Inside the payload of the client's first frame.
    FramePayload,
    /// Inside the payload of the server's greeting.
    ServerFramePayload,
    /// Between the two fragments of the client's second message.
    BetweenFragments,
    /// Inside the server's Close, which answers the client's.
    ClosingHandshake,
}

impl Point {
    fn cut(self) -> Cut {
        let (direction, offset) = match self {
            Point::Request => (Direction::ToServer, Offset::Head(40)),
            Point::Response => (Direction::ToClient, Offset::Head(40)),
            Point::FrameHeader => (Direction::ToServer, Offset::Body(3)),
            Point::FramePayload => (Direction::ToServer, Offset::Body(WHOLE / 2)),
            Point::ServerFramePayload => (Direction::ToClient, Offset::Body(GREETING / 2)),
            Point::BetweenFragments => (
                Direction::ToServer,
                Offset::Body(frame_len(WHOLE, true) + frame_len(FRAGMENT, true)),
            ),
            // The server sends its greeting, then its Close: one byte
            // after the greeting is inside the Close.
            Point::ClosingHandshake => (
                Direction::ToClient,
                Offset::Body(frame_len(GREETING, false) + 1),
            ),
        };
        Cut { direction, offset }
    }
}

/// Counts the tasks of one connection still alive: each holds a
/// [`Guard`] and drops it when it ends.
#[derive(Debug, Default)]
struct Tally(Arc<AtomicUsize>);

#[derive(Debug)]
struct Guard(Arc<AtomicUsize>);

impl Tally {
    fn guard(&self) -> Guard {
        self.0.fetch_add(1, Ordering::SeqCst);
        Guard(self.0.clone())
    }

    /// Waits (bounded) for every guard to be dropped.
    async fn expect_none_left<H: Harness>(&self, what: &str) {
        for _ in 0..STEP_TIMEOUT.as_millis() / 10 {
            if self.0.load(Ordering::SeqCst) == 0 {
                return;
            }
            H::sleep(Duration::from_millis(10)).await;
        }
        let left = self.0.load(Ordering::SeqCst);
        panic!("{what}: {left} task(s) still alive after both ends finished");
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What one end saw.
#[derive(Debug, Default)]
struct End {
    /// The first error it got, from any call.
    error: Option<Error>,
    /// How many messages its sends accepted (a fragmented message counts
    /// once both fragments were accepted).
    sent: usize,
    /// The data messages it received, in order.
    received: Vec<Message>,
    /// Server: the client's Close arrived.
    saw_close: bool,
}

impl End {
    fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }
}

/// Awaits `future` for at most `limit` (a configured timeout) plus
/// [`MARGIN`]: past that, the step hangs and the case fails.
async fn bounded<H: Harness, F: std::future::Future>(
    what: &str,
    limit: Duration,
    future: F,
) -> F::Output {
    let bound = limit + MARGIN;
    match timeout::<H, F>(bound, future).await {
        Some(out) => out,
        None => panic!("[{}] {what}: not done within {bound:?}", H::NAME),
    }
}

/// Connects to `addr` and runs the client's handshake.
async fn open_client<H: Harness>(addr: SocketAddr) -> Result<Ws<H>, Error> {
    let tcp = within::<H, _>("client: connect", H::connect(addr))
        .await
        .expect("connect to the proxy");
    let request = ClientRequest::new(addr.to_string(), "/").expect("request");
    let handshake = H::client(tcp, request, config());
    let (ws, _) = bounded::<H, _>("client: handshake", HANDSHAKE_TIMEOUT, handshake).await?;
    Ok(ws)
}

/// Closes the client's socket, bounded by the close timeout, and receives
/// until its end.
async fn close_client<H: Harness>(mut ws: Ws<H>, end: &mut End) {
    let close = ws.close_with(CloseCode::NORMAL, "");
    if let Err(e) = bounded::<H, _>("client: close", CLOSE_TIMEOUT, close).await {
        end.fail(e);
    }
    // Whatever the close said, the socket must come to its end.
    for _ in 0..MAX_EVENTS {
        match bounded::<H, _>("client: recv after close", IDLE_TIMEOUT, ws.recv()).await {
            None => return,
            Some(Err(e)) => end.fail(e),
            Some(Ok(message)) => panic!("[{}] client: unexpected {message:?}", H::NAME),
        }
    }
    panic!("[{}] client: no end after {MAX_EVENTS} events", H::NAME)
}

/// The client's script: handshake, the greeting, a whole message, a
/// fragmented one, the close, then `recv` until the end.
async fn client<H: Harness>(addr: SocketAddr, _alive: Guard) -> End {
    let mut end = End::default();
    let mut ws = match open_client::<H>(addr).await {
        Ok(ws) => ws,
        Err(e) => {
            end.fail(e);
            return end;
        }
    };
    match bounded::<H, _>("client: recv the greeting", IDLE_TIMEOUT, ws.recv()).await {
        Some(Ok(message)) => end.received.push(message),
        Some(Err(e)) => end.fail(e),
        None => {}
    }
    if end.error.is_some() {
        // The connection has failed: no send can succeed.
        close_client::<H>(ws, &mut end).await;
        return end;
    }
    let [whole, fragmented] = messages();
    let sends = async {
        ws.send(Message::Binary(whole)).await?;
        end.sent += 1;
        let (first, second) = (fragmented.slice(..FRAGMENT), fragmented.slice(FRAGMENT..));
        ws.send_fragment(MessageKind::Binary, first, false).await?;
        ws.send_fragment(MessageKind::Binary, second, true).await?;
        end.sent += 1;
        Ok(())
    };
    if let Err(e) = bounded::<H, _>("client: sends", IDLE_TIMEOUT, sends).await {
        end.fail(e);
    }
    close_client::<H>(ws, &mut end).await;
    end
}

/// The server's script: accept one connection, send the greeting, and
/// receive until the end.
async fn server<H: Harness>(listener: H::Listener, _alive: Guard) -> End {
    let mut end = End::default();
    let tcp = within::<H, _>("server: accept", H::accept(&listener))
        .await
        .expect("accept the proxy");
    let handshake = H::accept_with(tcp, config(), |_| Ok(Accept::new()));
    let mut ws = match bounded::<H, _>("server: handshake", HANDSHAKE_TIMEOUT, handshake).await {
        Ok(ws) => ws,
        Err(e) => {
            end.fail(e);
            return end;
        }
    };
    let send = ws.send(Message::Binary(greeting()));
    match bounded::<H, _>("server: send the greeting", IDLE_TIMEOUT, send).await {
        Ok(()) => end.sent += 1,
        Err(e) => end.fail(e),
    }
    for _ in 0..MAX_EVENTS {
        match bounded::<H, _>("server: recv", IDLE_TIMEOUT, ws.recv()).await {
            None => return end,
            Some(Ok(Message::Close(_))) => end.saw_close = true,
            Some(Ok(message)) => end.received.push(message),
            Some(Err(e)) => end.fail(e),
        }
    }
    panic!("[{}] server: no end after {MAX_EVENTS} events", H::NAME)
}

/// Whether `e` is the error that `fault` should cause.
fn names(fault: Fault, e: &Error) -> bool {
    let io_kind =
        |kinds: &[io::ErrorKind]| matches!(e, Error::Io(io) if kinds.contains(&io.kind()));
    match fault {
        Fault::Stall => matches!(
            e,
            Error::HandshakeTimeout | Error::WebSocket(ws_proto::Error::Timeout(_))
        ),
        // The opening handshake reports an I/O error of that kind; an
        // open connection, the protocol's own.
        Fault::Truncate => {
            matches!(e, Error::WebSocket(ws_proto::Error::UnexpectedEof))
                || io_kind(&[io::ErrorKind::UnexpectedEof])
        }
        Fault::Reset => io_kind(&[io::ErrorKind::ConnectionReset, io::ErrorKind::BrokenPipe]),
        Fault::Drip => false,
    }
}

/// Runs the script through a proxy that injects `fault` at `point`, and
/// checks what both ends and the proxy saw.
async fn inject<H: Harness>(point: Point, fault: Fault) {
    let what = format!("[{}] {fault:?} at {point:?}", H::NAME);
    let tally = Tally::default();
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let cut = point.cut();
    let proxy = FaultProxy::start(addr, cut, fault).expect("start the fault proxy");
    let server = H::spawn(server::<H>(listener, tally.guard()));
    let client = H::spawn(client::<H>(proxy.addr(), tally.guard()));
    let (server, client) = within::<H, _>("both ends", join(server, client)).await;
    tally.expect_none_left::<H>(&what).await;
    let report = proxy.finish::<H>().await;

    assert!(
        report.injected,
        "{what}: the stream never reached the cut; client {client:?}, server {:?}",
        server.error
    );
    if fault != Fault::Reset {
        assert!(
            report.client_closed && report.server_closed,
            "{what}: an end kept its connection open: {report:?}"
        );
    }

    let to_server = messages().map(Message::Binary);
    let to_client = [Message::Binary(greeting())];
    check_delivery(
        &format!("{what}, to the server"),
        &to_server,
        &client,
        &server,
    );
    check_delivery(
        &format!("{what}, to the client"),
        &to_client,
        &server,
        &client,
    );

    if fault == Fault::Drip {
        assert!(
            client.error.is_none() && server.error.is_none(),
            "{what}: a drip within the timeouts failed: client {:?}, server {:?}",
            client.error,
            server.error
        );
        assert_eq!(
            client.sent,
            to_server.len(),
            "{what}: client sends accepted"
        );
        assert_eq!(
            server.sent,
            to_client.len(),
            "{what}: server sends accepted"
        );
        assert_eq!(
            server.received.len(),
            to_server.len(),
            "{what}: to the server"
        );
        assert_eq!(
            client.received.len(),
            to_client.len(),
            "{what}: to the client"
        );
        assert!(server.saw_close, "{what}: the server got no Close");
        return;
    }
    check_errors(&what, fault, cut.direction, &client, &server);
}

/// Checks one way of the connection: what `receiver` received is a
/// prefix of `sent` (each message once, intact, in order), and every
/// message whose send `sender` saw succeed arrived, unless `receiver` saw
/// an error.
fn check_delivery(what: &str, sent: &[Message], sender: &End, receiver: &End) {
    let received = &receiver.received;
    assert!(
        received.len() <= sent.len() && received[..] == sent[..received.len()],
        "{what}: {} message(s) received that are not what was sent, once each",
        received.len()
    );
    assert!(
        received.len() >= sender.sent || receiver.error.is_some(),
        "{what}: {} send(s) returned Ok, {} arrived, and the receiver saw no error",
        sender.sent,
        received.len()
    );
}

/// Checks the errors after `fault` broke the input of one end (the
/// server's for [`Direction::ToServer`]): that end got an error that names
/// the fault. The other end got none, one that names the fault too, or,
/// after a stall, the unexpected EOF of the broken end giving up: it ends
/// its connection when its own timer fires, and the other end's timer
/// may not have fired yet.
fn check_errors(what: &str, fault: Fault, direction: Direction, client: &End, server: &End) {
    let ((broken_who, broken), (other_who, other)) = match direction {
        Direction::ToServer => (("server", server), ("client", client)),
        Direction::ToClient => (("client", client), ("server", server)),
    };
    match &broken.error {
        Some(e) => assert!(
            names(fault, e),
            "{what}: the {broken_who}, whose input was broken, got {e:?}"
        ),
        None => panic!("{what}: the {broken_who}, whose input was broken, saw no error"),
    }
    if let Some(e) = &other.error {
        let peer_gave_up = fault == Fault::Stall && names(Fault::Truncate, e);
        assert!(
            names(fault, e) || peer_gave_up,
            "{what}: the {other_who} got {e:?}"
        );
    }
}

/// Runs every fault at `point`.
async fn every_fault<H: Harness>(point: Point) {
    for fault in Fault::ALL {
        inject::<H>(point, fault).await;
    }
}

#[test]
fn in_request() {
    <crate::Harness as conformance::Harness>::block_on(in_request_case::<crate::Harness>());
}

/// Every fault inside the client's upgrade request (40 bytes in).
async fn in_request_case<H: Harness>() {
    every_fault::<H>(Point::Request).await;
}

#[test]
fn in_response() {
    <crate::Harness as conformance::Harness>::block_on(in_response_case::<crate::Harness>());
}

/// Every fault inside the server's 101 (40 bytes in).
async fn in_response_case<H: Harness>() {
    every_fault::<H>(Point::Response).await;
}

#[test]
fn in_frame_header() {
    <crate::Harness as conformance::Harness>::block_on(in_frame_header_case::<crate::Harness>());
}

/// Every fault inside the header of the client's first frame.
async fn in_frame_header_case<H: Harness>() {
    every_fault::<H>(Point::FrameHeader).await;
}

#[test]
fn in_frame_payload() {
    <crate::Harness as conformance::Harness>::block_on(in_frame_payload_case::<crate::Harness>());
}

/// Every fault halfway into the payload of the client's first frame.
async fn in_frame_payload_case<H: Harness>() {
    every_fault::<H>(Point::FramePayload).await;
}

#[test]
fn in_server_frame_payload() {
    <crate::Harness as conformance::Harness>::block_on(in_server_frame_payload_case::<
        crate::Harness,
    >());
}

/// Every fault halfway into the payload of the server's greeting.
async fn in_server_frame_payload_case<H: Harness>() {
    every_fault::<H>(Point::ServerFramePayload).await;
}

#[test]
fn between_fragments() {
    <crate::Harness as conformance::Harness>::block_on(between_fragments_case::<crate::Harness>());
}

/// Every fault between the two fragments of the client's second message.
async fn between_fragments_case<H: Harness>() {
    every_fault::<H>(Point::BetweenFragments).await;
}

#[test]
fn in_closing_handshake() {
    <crate::Harness as conformance::Harness>::block_on(
        in_closing_handshake_case::<crate::Harness>(),
    );
}

/// Every fault inside the server's Close, after the client's Close went
/// through.
async fn in_closing_handshake_case<H: Harness>() {
    every_fault::<H>(Point::ClosingHandshake).await;
}

/// More than a stall lets the client's kernel and the proxy take: the
/// client's send buffer at its largest (Linux's `tcp_wmem` maximum; 4 MiB
/// where it cannot be read), the proxy's receive buffer (doubled by the
/// kernel), and a MiB more.
fn more_than_a_stall_takes() -> usize {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|text| text.split_whitespace().last()?.parse().ok())
        .unwrap_or(4 << 20);
    wmem_max + 2 * CLIENT_RECV_BUFFER + (1 << 20)
}

#[test]
fn close_behind_a_stall() {
    <crate::Harness as conformance::Harness>::block_on(
        close_behind_a_stall_case::<crate::Harness>(),
    );
}

/// A stall inside a message too large for the buffers between the client
/// and the stall: the client's `send` cannot complete, and it gives up on
/// it after a while (the message stays queued). Its `close` must still
/// end within the close timeout (plus the margin), cleanly or with
/// `Timeout(Close)`, though the Close cannot be written: the close
/// timeout covers the bytes queued before the Close too. The server sees
/// its idle timeout; nothing leaks.
async fn close_behind_a_stall_case<H: Harness>() {
    let what = format!("[{}] close behind a stall", H::NAME);
    let tally = Tally::default();
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let cut = Cut {
        direction: Direction::ToServer,
        offset: Offset::Body(WHOLE / 2),
    };
    let proxy = FaultProxy::start(addr, cut, Fault::Stall).expect("start the fault proxy");
    let server = H::spawn(server::<H>(listener, tally.guard()));
    let proxy_addr = proxy.addr();
    let alive = tally.guard();
    let client = H::spawn(async move {
        let _alive = alive;
        let mut end = End::default();
        let mut ws = open_client::<H>(proxy_addr)
            .await
            .expect("client handshake");
        let big = Message::Binary(binary_payload(more_than_a_stall_takes()));
        let send = timeout::<H, _>(SEND_PATIENCE, ws.send(big)).await;
        assert!(
            send.is_none(),
            "[{}] a send larger than the buffers completed into a stall: {send:?}",
            H::NAME
        );
        close_client::<H>(ws, &mut end).await;
        end
    });
    let (server, client) = within::<H, _>("both ends", join(server, client)).await;
    tally.expect_none_left::<H>(&what).await;
    let report = proxy.finish::<H>().await;
    assert!(report.injected, "{what}: the stream never reached the cut");
    assert!(
        report.client_closed && report.server_closed,
        "{what}: an end kept its connection open: {report:?}"
    );
    assert!(server.received.is_empty(), "{what}: {:?}", server.received);
    check_errors(&what, Fault::Stall, cut.direction, &client, &server);
}
