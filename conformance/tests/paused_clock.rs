//! On tokio, the connection's timers run on tokio's clock: with the clock paused,
//! `tokio::time::advance` alone drives keepalive and close timeouts, and
//! no test waits for real seconds.

use std::time::Duration;

use tokio::io::{duplex, DuplexStream};
use tokio::time::{advance, Instant};
use ws_tokio::{proto::Error as ProtoError, Accept, ClientRequest, Config, Error, Message};
use ws_tokio::{CloseCode, TimeoutKind, WebSocket};

const PING: Duration = Duration::from_secs(20);
const PONG: Duration = Duration::from_secs(20);
const CLOSE: Duration = Duration::from_secs(10);

fn config() -> Config {
    Config::default()
        .with_ping_interval(PING)
        .with_pong_timeout(PONG)
        .with_close_timeout(CLOSE)
}

/// A server and a client joined by an in-memory pipe.
async fn pair() -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    let (a, b) = duplex(1 << 20);
    let server = ws_tokio::accept_with(a, config(), |_| Ok(Accept::new()));
    let request = ClientRequest::new("example.com", "/").expect("request");
    let client = ws_tokio::client(b, request, config().without_keepalive());
    let (server, client) = tokio::join!(server, client);
    (server.expect("server"), client.expect("client").0)
}

/// Lets spawned tasks run without moving the clock.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn keepalive_times_out_on_the_paused_clock() {
    let (mut server, mut client) = pair().await;
    let start = Instant::now();
    let server = tokio::spawn(async move { server.recv().await });
    settle().await;
    // Just before the ping is due, nothing has happened.
    advance(PING - Duration::from_millis(1)).await;
    settle().await;
    assert!(!server.is_finished());
    // The ping goes out; the client, not reading, does not answer it.
    advance(Duration::from_millis(1)).await;
    settle().await;
    advance(PONG).await;
    settle().await;
    // The server failed with 1011: the client reads the Ping, then the
    // Close, and its echo ends the server's drain.
    assert!(matches!(client.recv().await, Some(Ok(Message::Ping(_)))));
    match client.recv().await {
        Some(Ok(Message::Close(frame))) => assert_eq!(frame.code(), CloseCode::INTERNAL_ERROR),
        other => panic!("expected the Close, got {other:?}"),
    }
    // Reading on sends the client's echo; the server then ends, and so
    // does the client's stream.
    let (end, error) = tokio::join!(client.recv(), server);
    assert!(end.is_none(), "{end:?}");
    let error = error.expect("server task");
    assert!(
        matches!(
            error,
            Some(Err(Error::WebSocket(ProtoError::Timeout(
                TimeoutKind::Keepalive
            ))))
        ),
        "{error:?}"
    );
    assert_eq!(
        Instant::now() - start,
        PING + PONG,
        "only the paused clock moved"
    );
}

#[tokio::test(start_paused = true)]
async fn close_times_out_on_the_paused_clock() {
    let (mut server, _client) = pair().await;
    let start = Instant::now();
    // The client never reads: no reply comes.
    let close = tokio::spawn(async move { server.close_with(CloseCode::NORMAL, "").await });
    settle().await;
    advance(CLOSE - Duration::from_millis(1)).await;
    settle().await;
    assert!(!close.is_finished(), "the close timeout has not passed");
    advance(Duration::from_millis(1)).await;
    let closed = close.await.expect("close task");
    assert!(
        matches!(
            closed,
            Err(Error::WebSocket(ProtoError::Timeout(TimeoutKind::Close)))
        ),
        "{closed:?}"
    );
    assert_eq!(Instant::now() - start, CLOSE);
}
