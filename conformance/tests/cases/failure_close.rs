//! The Close of a failed connection reaches a peer that is still sending.
//!
//! An end that fails a connection (section 7.1.7) sends the Close with the
//! matching code; if it then dropped the socket with the peer's bytes
//! still unread, the kernel would answer the peer's next segment with a
//! reset, and the peer, whose writes now fail, would report 1006 instead
//! of the code (Node's `ws` and Python's `websockets` clients do). Here a
//! raw peer breaks the protocol and then keeps writing megabytes: every
//! one of its writes must succeed, and it must then read the Close with
//! the code and a clean end of the stream.
//!
//! The other way round, [`peer_close_explains_a_failed_send`]: the peer
//! sends its Close and drops the connection while we are still sending;
//! the send fails with the peer's Close, code and reason, not a bare
//! broken pipe.

use std::time::Duration;

use futures_util::future::join;
use ws_driver::Error;
use ws_proto::frame::OpCode;
use ws_proto::{CloseCode, Config, Message, ProtocolError};

use conformance::{accept_one, binary_payload, connect_to, recv_error};
use conformance::{within, Harness};
use conformance::{FrameSpec, RawPeer};

/// The size of each frame the raw peer writes after its violation.
const FRAME: usize = 64 << 10;

/// How many such frames it writes: 4 MiB, more than the socket buffers on
/// the way hold, so that the writes complete only if the failing end
/// reads them.
const FRAMES: usize = 64;

/// The message limit of the case where a message is too big.
const MAX_MESSAGE: usize = 64 << 10;

/// Writes [`FRAMES`] valid data frames, or (`raw`) as many bytes of one
/// frame's payload, each write of which must be accepted.
async fn keep_sending<H: Harness>(peer: &mut RawPeer<H>, frames: Frames, who: &str) {
    let chunk = match frames {
        Frames::Masked => FrameSpec::new(OpCode::Binary, vec![0x5a; FRAME])
            .masked()
            .encode(),
        Frames::Unmasked => FrameSpec::new(OpCode::Binary, vec![0x5a; FRAME]).encode(),
        Frames::Payload => vec![0x5a; FRAME],
    };
    for i in 0..FRAMES {
        if let Err(e) = peer.try_write(&chunk).await {
            panic!(
                "[{}] {who}: write {i} after the violation failed ({e}): the failing end \
                 dropped the connection with input unread",
                H::NAME
            );
        }
    }
}

/// What the raw peer writes after its violation.
#[derive(Clone, Copy)]
enum Frames {
    /// A client's frames.
    Masked,
    /// A server's frames.
    Unmasked,
    /// The payload of the frame whose header was the violation.
    Payload,
}

/// A server reads `violation` from a raw client that then keeps sending:
/// the client's writes all succeed, it reads the Close with `code` and the
/// end of the stream, and the server's `recv` fails with a protocol error
/// of that code.
async fn server_fails_a_sending_client<H: Harness>(
    name: &str,
    config: Config,
    violation: Vec<u8>,
    then: Frames,
    code: u16,
) -> ProtocolError {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let mut ws = accept_one::<H>(&listener, config).await;
        recv_error::<H>(&mut ws, name).await
    };
    let peer = async {
        let mut peer = RawPeer::<H>::client(addr).await;
        peer.write(&violation).await;
        keep_sending(&mut peer, then, name).await;
        // The server shut its side down after its Close.
        peer.expect_close_code(code).await;
    };
    let (error, ()) = within::<H, _>(name, join(server, peer)).await;
    match error {
        Error::WebSocket(ws_proto::Error::Protocol(e)) => {
            assert_eq!(e.close_code().as_u16(), code, "[{}] {name}", H::NAME);
            e
        }
        other => panic!(
            "[{}] {name}: expected a protocol error, got {other:?}",
            H::NAME
        ),
    }
}

#[test]
fn invalid_utf8_reaches_a_sending_client() {
    <crate::Harness as conformance::Harness>::block_on(
        invalid_utf8_reaches_a_sending_client_case::<crate::Harness>(),
    );
}

/// Invalid UTF-8, then 4 MiB more: the client reads 1007.
async fn invalid_utf8_reaches_a_sending_client_case<H: Harness>() {
    let violation = FrameSpec::new(OpCode::Text, &b"ok \xff"[..])
        .masked()
        .encode();
    let e = server_fails_a_sending_client::<H>(
        "1007",
        Config::default(),
        violation,
        Frames::Masked,
        1007,
    )
    .await;
    assert_eq!(e, ProtocolError::InvalidUtf8);
}

#[test]
fn too_big_reaches_a_sending_client() {
    <crate::Harness as conformance::Harness>::block_on(too_big_reaches_a_sending_client_case::<
        crate::Harness,
    >());
}

/// A message declared over the limit, its payload streaming on: the
/// client reads 1009.
async fn too_big_reaches_a_sending_client_case<H: Harness>() {
    let config = Config::default().with_max_message_size(MAX_MESSAGE);
    // The header of a 4 MiB frame; its payload follows, which the server
    // skips to find the client's Close behind it.
    let violation = FrameSpec::new(OpCode::Binary, Vec::new())
        .masked()
        .declared_len((FRAMES * FRAME) as u64)
        .encode();
    let e =
        server_fails_a_sending_client::<H>("1009", config, violation, Frames::Payload, 1009).await;
    assert!(matches!(e, ProtocolError::MessageTooBig { .. }), "{e:?}");
}

#[test]
fn client_code_reaches_a_sending_server() {
    <crate::Harness as conformance::Harness>::block_on(
        client_code_reaches_a_sending_server_case::<crate::Harness>(),
    );
}

/// A client reads invalid UTF-8 from a raw server that keeps sending: the
/// server's writes all succeed and it reads the client's Close (1007);
/// the client waits for the server to close TCP (section 7.1.1), then its
/// `recv` fails with the error.
async fn client_code_reaches_a_sending_server_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let peer = async {
        let violation = FrameSpec::new(OpCode::Text, &b"ok \xff"[..]).encode();
        let mut peer = RawPeer::<H>::server_then(&listener, &violation).await;
        keep_sending(&mut peer, Frames::Unmasked, "server").await;
        let (close, _) = peer.expect_close().await;
        assert_eq!(close.close_code(), Some(1007), "[{}]", H::NAME);
        assert!(close.masked, "[{}] a client Close is masked", H::NAME);
        // Dropping the peer closes TCP, as a server does.
    };
    let client = async {
        let mut ws = connect_to::<H>(addr, Config::default()).await;
        recv_error::<H>(&mut ws, "client").await
    };
    let ((), error) = within::<H, _>("client fails", join(peer, client)).await;
    assert!(
        matches!(
            error,
            Error::WebSocket(ws_proto::Error::Protocol(ProtocolError::InvalidUtf8))
        ),
        "[{}] {error:?}",
        H::NAME
    );
}

#[test]
fn peer_close_explains_a_failed_send() {
    <crate::Harness as conformance::Harness>::block_on(peer_close_explains_a_failed_send_case::<
        crate::Harness,
    >());
}

/// A raw server takes the start of a large message, answers with a Close
/// (1009, "too big") and drops the connection unread: the client's send
/// fails with [`Error::PeerClosed`] carrying that code and reason.
async fn peer_close_explains_a_failed_send_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let peer = async {
        let mut peer = RawPeer::<H>::server_then(&listener, &[]).await;
        // Some of the message, then the verdict.
        let _ = peer.read_some().await;
        let mut body = 1009u16.to_be_bytes().to_vec();
        body.extend_from_slice(b"too big");
        peer.send(FrameSpec::new(OpCode::Close, body)).await;
        // Dropped with the message unread: the client's writes meet a
        // reset.
    };
    let client = async {
        let mut ws = connect_to::<H>(addr, Config::default()).await;
        // Far more than the socket buffers hold: the send is still writing
        // when the reset comes.
        let big = Message::Binary(binary_payload(32 << 20));
        let sent = ws.send(big).await;
        // Give the reset time to arrive whatever the scheduling, then
        // send again if the first send fit in the buffers after all.
        match sent {
            Ok(()) => {
                H::sleep(Duration::from_millis(50)).await;
                ws.send(Message::binary(vec![0; 1 << 20])).await
            }
            err => err,
        }
    };
    let ((), sent) = within::<H, _>("peer closes during a send", join(peer, client)).await;
    match sent {
        Err(Error::PeerClosed(frame)) => {
            assert_eq!(frame.code(), CloseCode::MESSAGE_TOO_BIG, "[{}]", H::NAME);
            assert_eq!(frame.reason(), "too big", "[{}]", H::NAME);
        }
        other => panic!("[{}] expected the peer's Close, got {other:?}", H::NAME),
    }
}
