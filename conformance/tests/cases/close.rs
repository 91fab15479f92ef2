//! The closing handshake started by either side: both sides see the
//! Close with its code and reason, then `recv` returns `None`, and sends
//! are refused.

use futures_util::future::join;
use ws_proto::{CloseCode, CloseFrame, Message};

use std::time::Duration;

use ws_proto::Config;

use conformance::pair_with;
use conformance::{within, Harness, Ws};

/// A close timeout longer than a step may take: each closing handshake
/// here must end by the peer's Close and the server's TCP shutdown, not
/// by the timer.
fn config() -> Config {
    Config::default().with_close_timeout(Duration::from_secs(60))
}

/// Receives until the end, expecting exactly one Close with `code` and
/// `reason` before it.
async fn close_then_end<H: Harness>(ws: &mut Ws<H>, code: CloseCode, reason: &str, who: &str) {
    match ws.recv().await {
        Some(Ok(Message::Close(frame))) => {
            assert_eq!(frame.code(), code, "[{}] {who}", H::NAME);
            assert_eq!(frame.reason(), reason, "[{}] {who}", H::NAME);
        }
        other => panic!("[{}] {who}: expected a Close, got {other:?}", H::NAME),
    }
    let end = ws.recv().await;
    assert!(
        end.is_none(),
        "[{}] {who}: expected None, got {end:?}",
        H::NAME
    );
    let again = ws.recv().await;
    assert!(
        again.is_none(),
        "[{}] {who}: expected None again, got {again:?}",
        H::NAME
    );
}

async fn sends_refused<H: Harness>(ws: &mut Ws<H>, who: &str) {
    let refused = within::<H, _>("send after close", ws.send(Message::text("late"))).await;
    match refused {
        Err(e) => assert!(e.is_usage(), "[{}] {who}: {e:?}", H::NAME),
        Ok(()) => panic!("[{}] {who}: a send after the close was accepted", H::NAME),
    }
}

#[test]
fn client_initiates() {
    <crate::Harness as conformance::Harness>::block_on(client_initiates_case::<crate::Harness>());
}

/// The client sends a Close (4000, "bye") as a message; the server sees
/// it, the client sees the echo with the same code and reason, and both
/// `recv`s then return `None`.
async fn client_initiates_case<H: Harness>() {
    let (mut server, mut client) = pair_with::<H>(config(), config()).await;
    let code = CloseCode::new(4000);
    let frame = CloseFrame::new(code, "bye").expect("a valid close");
    let client_side = async {
        client
            .send(Message::Close(frame))
            .await
            .expect("send close");
        close_then_end::<H>(&mut client, code, "bye", "client").await;
    };
    let server_side = close_then_end::<H>(&mut server, code, "bye", "server");
    within::<H, _>("close from the client", join(client_side, server_side)).await;
    sends_refused::<H>(&mut client, "client").await;
    sends_refused::<H>(&mut server, "server").await;
}

#[test]
fn server_initiates() {
    <crate::Harness as conformance::Harness>::block_on(server_initiates_case::<crate::Harness>());
}

/// The server calls `close(1001, "restarting")`, which returns once the
/// handshake is done; the client sees the Close, then `None`.
async fn server_initiates_case<H: Harness>() {
    let (mut server, mut client) = pair_with::<H>(config(), config()).await;
    let server_side = async {
        server
            .close_with(CloseCode::GOING_AWAY, "restarting")
            .await
            .expect("close");
        let end = server.recv().await;
        assert!(
            end.is_none(),
            "[{}] server: expected None, got {end:?}",
            H::NAME
        );
    };
    let client_side =
        close_then_end::<H>(&mut client, CloseCode::GOING_AWAY, "restarting", "client");
    within::<H, _>("close from the server", join(server_side, client_side)).await;
    sends_refused::<H>(&mut client, "client").await;
    sends_refused::<H>(&mut server, "server").await;
}
