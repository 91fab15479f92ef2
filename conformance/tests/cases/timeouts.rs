//! The timers of the `Config`: keepalive Pings, the pong deadline and the
//! idle timeout, against a raw peer that stays silent and against a real
//! peer that answers.

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join;
use ws_driver::Error;
use ws_proto::handshake::Accept;
use ws_proto::{CloseCode, Config, Message, TimeoutKind};

use conformance::RawPeer;
use conformance::{expect_err, pair_with};
use conformance::{within, Harness};

/// Runs a server with `config` against a raw client that completes the
/// handshake and then sends nothing. Returns the server's error, whether
/// its next `recv` was `None`, and the raw peer's view: the Close frame's
/// code and how many Pings came before it.
async fn against_silent_peer<H: Harness>(config: Config) -> (Error, bool, Option<u16>, usize) {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let server = async {
        let tcp = H::accept(&listener).await.expect("accept");
        let mut ws = H::accept_with(tcp, config, |_| Ok(Accept::new()))
            .await
            .expect("server handshake");
        let error = expect_err(H::NAME, ws.recv().await);
        let ended = ws.recv().await.is_none();
        (error, ended)
    };
    let peer = async {
        let mut peer = RawPeer::<H>::client(addr).await;
        let (close, pings) = peer.expect_close().await;
        peer.expect_eof().await;
        (close.close_code(), pings)
    };
    let ((error, ended), (code, pings)) = within::<H, _>("silent peer", join(server, peer)).await;
    (error, ended, code, pings)
}

#[test]
fn keepalive_timeout() {
    <crate::Harness as conformance::Harness>::block_on(keepalive_timeout_case::<crate::Harness>());
}

/// Ping every 100 ms, pong deadline 200 ms, a peer that never answers:
/// the server's `recv` fails with `Timeout(Keepalive)`, and the peer gets
/// the Pings and then a Close 1011.
async fn keepalive_timeout_case<H: Harness>() {
    let config = Config::default()
        .with_ping_interval(Duration::from_millis(100))
        .with_pong_timeout(Duration::from_millis(200));
    let (error, ended, code, pings) = against_silent_peer::<H>(config).await;
    assert!(
        matches!(
            error,
            Error::WebSocket(ws_proto::Error::Timeout(TimeoutKind::Keepalive))
        ),
        "[{}] expected Timeout(Keepalive), got {error:?}",
        H::NAME
    );
    assert!(ended, "[{}] recv after the error must be None", H::NAME);
    assert_eq!(
        code,
        Some(CloseCode::INTERNAL_ERROR.as_u16()),
        "[{}]",
        H::NAME
    );
    assert!(
        pings >= 1,
        "[{}] no keepalive Ping before the Close",
        H::NAME
    );
}

#[test]
fn idle_timeout() {
    <crate::Harness as conformance::Harness>::block_on(idle_timeout_case::<crate::Harness>());
}

/// Idle timeout 200 ms, a peer that sends nothing: the server's `recv`
/// fails with `Timeout(Idle)` and the peer gets a Close 1001.
async fn idle_timeout_case<H: Harness>() {
    let config = Config::default().with_idle_timeout(Duration::from_millis(200));
    let (error, ended, code, pings) = against_silent_peer::<H>(config).await;
    assert!(
        matches!(
            error,
            Error::WebSocket(ws_proto::Error::Timeout(TimeoutKind::Idle))
        ),
        "[{}] expected Timeout(Idle), got {error:?}",
        H::NAME
    );
    assert!(ended, "[{}] recv after the error must be None", H::NAME);
    assert_eq!(code, Some(CloseCode::GOING_AWAY.as_u16()), "[{}]", H::NAME);
    assert_eq!(pings, 0, "[{}] Pings without a ping interval", H::NAME);
}

#[test]
fn keepalive_answered() {
    <crate::Harness as conformance::Harness>::block_on(keepalive_answered_case::<crate::Harness>());
}

/// Keepalive Pings every 50 ms to a real client waiting in `recv`: its
/// auto-pong answers them (the server sees the Pongs with the Pings'
/// payloads) and the connection stays up until the server closes it.
async fn keepalive_answered_case<H: Harness>() {
    let config = Config::default()
        .with_ping_interval(Duration::from_millis(50))
        // Generous, so that a loaded machine does not fail the case.
        .with_pong_timeout(Duration::from_secs(5));
    let (mut server, mut client) = pair_with::<H>(config, Config::default()).await;
    let server_side = async {
        let mut pongs: Vec<Bytes> = Vec::new();
        for _ in 0..3 {
            match server.recv().await {
                Some(Ok(Message::Pong(payload))) => pongs.push(payload),
                other => panic!("[{}] server: expected a Pong, got {other:?}", H::NAME),
            }
        }
        server
            .close_with(CloseCode::NORMAL, "")
            .await
            .expect("close");
        pongs
    };
    let client_side = async {
        let mut pings = Vec::new();
        for _ in 0..10_000 {
            match client.recv().await {
                Some(Ok(Message::Ping(payload))) => pings.push(payload),
                Some(Ok(Message::Close(_))) => {}
                None => return pings,
                other => panic!("[{}] client: unexpected {other:?}", H::NAME),
            }
        }
        panic!("[{}] client: too many messages", H::NAME)
    };
    let (pongs, pings) = within::<H, _>("keepalive", join(server_side, client_side)).await;
    assert!(pings.len() >= 3, "[{}] pings: {pings:?}", H::NAME);
    for pong in &pongs {
        assert_eq!(pong.len(), 4, "[{}] keepalive payload: {pong:?}", H::NAME);
        assert!(
            pings.contains(pong),
            "[{}] Pong {pong:?} for no Ping",
            H::NAME
        );
    }
}
