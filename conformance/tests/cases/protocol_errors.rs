//! Protocol violations by a raw peer: the connection fails with the
//! matching `ProtocolError`, and the peer reads a Close with the matching
//! code (RFC 6455 section 7.4.1), then the end of the stream.

use std::time::Duration;

use futures_util::future::join;
use ws_proto::frame::{apply_mask, OpCode, Rsv};
use ws_proto::{Config, ProtocolError};

use conformance::{accept_one, connect_to, recv_error};
use conformance::{timeout, within, Harness};
use conformance::{FrameSpec, RawPeer, CLIENT_KEY};

/// A server with `config` reads `bytes` from a raw client after the
/// handshake. Its `recv` must fail with a protocol error whose close code
/// is `code`, then return `None`; the peer must read a Close with `code`
/// and then the end. Returns the error.
async fn server_fails<H: Harness>(
    name: &str,
    config: Config,
    bytes: Vec<u8>,
    code: u16,
) -> ProtocolError {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let mut ws = accept_one::<H>(&listener, config).await;
        recv_error::<H>(&mut ws, name).await
    };
    let peer = async {
        let mut peer = RawPeer::<H>::client(addr).await;
        peer.write(&bytes).await;
        let close = peer.expect_close_code(code).await;
        assert!(
            !close.masked,
            "[{}] {name}: a server Close is not masked",
            H::NAME
        );
    };
    let (error, ()) = within::<H, _>(name, join(server, peer)).await;
    match error {
        ws_driver::Error::WebSocket(ws_proto::Error::Protocol(e)) => {
            assert_eq!(e.close_code().as_u16(), code, "[{}] {name}: {e:?}", H::NAME);
            e
        }
        other => panic!(
            "[{}] {name}: expected a protocol error, got {other:?}",
            H::NAME
        ),
    }
}

#[test]
fn unmasked_client_frame() {
    <crate::Harness as conformance::Harness>::block_on(
        unmasked_client_frame_case::<crate::Harness>(),
    );
}

/// A client frame without a mask: 1002, `UnmaskedFrame`.
async fn unmasked_client_frame_case<H: Harness>() {
    let bytes = FrameSpec::new(OpCode::Text, "hi").encode();
    let e = server_fails::<H>("unmasked", Config::default(), bytes, 1002).await;
    assert_eq!(e, ProtocolError::UnmaskedFrame);
}

#[test]
fn invalid_utf8() {
    <crate::Harness as conformance::Harness>::block_on(invalid_utf8_case::<crate::Harness>());
}

/// Invalid UTF-8 in a text message, in one frame, split across two
/// fragments (a valid lead byte, then a byte that cannot follow it), and
/// in a Close reason: 1007.
async fn invalid_utf8_case<H: Harness>() {
    let one_frame = FrameSpec::new(OpCode::Text, &b"ok \xff"[..])
        .masked()
        .encode();
    let e = server_fails::<H>("one frame", Config::default(), one_frame, 1007).await;
    assert_eq!(e, ProtocolError::InvalidUtf8);

    let mut fragments = FrameSpec::new(OpCode::Text, &b"caf\xc3"[..])
        .fin(false)
        .masked()
        .encode();
    fragments.extend(
        FrameSpec::new(OpCode::Continuation, &b"("[..])
            .masked()
            .encode(),
    );
    let e = server_fails::<H>("across fragments", Config::default(), fragments, 1007).await;
    assert_eq!(e, ProtocolError::InvalidUtf8);

    let close = FrameSpec::new(OpCode::Close, &b"\x03\xe8bad \xff"[..])
        .masked()
        .encode();
    server_fails::<H>("close reason", Config::default(), close, 1007).await;
}

#[test]
fn oversized_message() {
    <crate::Harness as conformance::Harness>::block_on(oversized_message_case::<crate::Harness>());
}

/// A message over `max_message_size` (1 KiB here), declared in one frame
/// header or reached across fragments: 1009, before the payload is read.
async fn oversized_message_case<H: Harness>() {
    let config = Config::default().with_max_message_size(1024);
    let header_only = FrameSpec::new(OpCode::Binary, Vec::new())
        .declared_len(2048)
        .masked()
        .encode();
    let e = server_fails::<H>("one frame", config.clone(), header_only, 1009).await;
    assert!(matches!(e, ProtocolError::MessageTooBig { .. }), "{e:?}");

    let mut fragments = FrameSpec::new(OpCode::Binary, vec![1u8; 600])
        .fin(false)
        .masked()
        .encode();
    fragments.extend(
        FrameSpec::new(OpCode::Continuation, Vec::new())
            .declared_len(600)
            .masked()
            .encode(),
    );
    let e = server_fails::<H>("across fragments", config, fragments, 1009).await;
    assert!(matches!(e, ProtocolError::MessageTooBig { .. }), "{e:?}");
}

#[test]
fn bad_frames() {
    <crate::Harness as conformance::Harness>::block_on(bad_frames_case::<crate::Harness>());
}

/// Frames that break section 5 (reserved bits, reserved opcodes,
/// fragmented or long control frames, continuations out of order, a
/// non-minimal length, invalid Close bodies), each on its own
/// connection: 1002.
async fn bad_frames_case<H: Harness>() {
    let masked = |spec: FrameSpec| spec.masked().encode();
    let mut non_minimal = vec![0x81, 0x80 | 126, 0x00, 0x05];
    non_minimal.extend_from_slice(&CLIENT_KEY);
    let mut hello = b"hello".to_vec();
    apply_mask(&mut hello, CLIENT_KEY, 0);
    non_minimal.extend_from_slice(&hello);
    let mut two_starts = masked(FrameSpec::new(OpCode::Text, "a").fin(false));
    two_starts.extend(masked(FrameSpec::new(OpCode::Text, "b")));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "RSV1 without an extension",
            masked(FrameSpec::new(OpCode::Text, "x").rsv(Rsv::RSV1)),
        ),
        (
            "RSV3 without an extension",
            masked(FrameSpec::new(OpCode::Binary, "x").rsv(Rsv::RSV3)),
        ),
        (
            "reserved data opcode 0x3",
            masked(FrameSpec::new(OpCode::Binary, "x").opcode(0x3)),
        ),
        (
            "reserved control opcode 0xB",
            masked(FrameSpec::new(OpCode::Ping, "x").opcode(0xB)),
        ),
        (
            "fragmented Ping",
            masked(FrameSpec::new(OpCode::Ping, "x").fin(false)),
        ),
        (
            "Ping of 126 bytes",
            masked(FrameSpec::new(OpCode::Ping, vec![0u8; 126])),
        ),
        (
            "continuation without a message",
            masked(FrameSpec::new(OpCode::Continuation, "x")),
        ),
        ("new message inside a fragmented one", two_starts),
        ("16-bit length for 5 bytes", non_minimal),
        (
            "Close with code 1005",
            masked(FrameSpec::new(OpCode::Close, vec![0x03, 0xed])),
        ),
        (
            "Close with code 999",
            masked(FrameSpec::new(OpCode::Close, vec![0x03, 0xe7])),
        ),
        (
            "Close with a 1-byte body",
            masked(FrameSpec::new(OpCode::Close, vec![0x03])),
        ),
    ];
    for (name, bytes) in cases {
        server_fails::<H>(name, Config::default(), bytes, 1002).await;
    }
}

#[test]
fn masked_server_frame() {
    <crate::Harness as conformance::Harness>::block_on(masked_server_frame_case::<crate::Harness>());
}

/// A server frame with a mask: the client fails with `MaskedFrame` and
/// sends a (masked) Close 1002.
async fn masked_server_frame_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let peer = async {
        let mut peer = RawPeer::<H>::server_then(&listener, &[]).await;
        peer.send(FrameSpec::new(OpCode::Text, "masked").masked())
            .await;
        let (close, _) = peer.expect_close().await;
        assert_eq!(close.close_code(), Some(1002), "[{}]", H::NAME);
        assert!(close.masked, "[{}] a client Close must be masked", H::NAME);
        // A failed client waits for the server to close TCP (section
        // 7.1.1), reading on: it has not closed its side.
        let after = timeout::<H, _>(Duration::from_millis(100), peer.read_frame()).await;
        assert!(
            after.is_none(),
            "[{}] the client closed or sent more after its Close: {after:?}",
            H::NAME
        );
        // Dropping the peer closes TCP, as a server does.
    };
    let client = async {
        let mut ws = connect_to::<H>(addr, Config::default()).await;
        recv_error::<H>(&mut ws, "client").await
    };
    let ((), error) = within::<H, _>("masked server frame", join(peer, client)).await;
    assert!(
        matches!(
            error,
            ws_driver::Error::WebSocket(ws_proto::Error::Protocol(ProtocolError::MaskedFrame))
        ),
        "[{}] {error:?}",
        H::NAME
    );
}
