//! One runtime against another: the harness's client against a tokio
//! server, and the harness's server against a tokio client, each tokio end
//! on a thread and runtime of its own.

use bytes::Bytes;
use ws_proto::handshake::Accept;
use ws_proto::{CloseCode, Message};

use conformance::{binary_payload, echo, quiet, text_payload, tokio_thread};
use conformance::{within, Harness, STEP_TIMEOUT};

/// The messages each side sends, and expects back.
fn script() -> Vec<Message> {
    vec![
        Message::text("hello from the other runtime"),
        Message::binary(binary_payload(100_000)),
        Message::text(text_payload(70_000)),
        Message::Ping(Bytes::from_static(b"are you there")),
    ]
}

/// What an echo answers to `message`.
fn answer(message: &Message) -> Message {
    match message {
        Message::Ping(payload) => Message::Pong(payload.clone()),
        other => other.clone(),
    }
}

async fn tokio_step<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STEP_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("[tokio peer] timed out: {what}"))
}

#[test]
fn client_against_tokio_server() {
    <crate::Harness as conformance::Harness>::block_on(client_against_tokio_server_case::<
        crate::Harness,
    >());
}

/// The harness's client, through `connect_with`, against a tokio echo
/// server: every message of the script comes back, then the client
/// closes and the server sees its Close.
async fn client_against_tokio_server_case<H: Harness>() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("address");
    let server = tokio_thread(move || async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let (tcp, _) = tokio_step("accept", listener.accept())
            .await
            .expect("accept");
        let mut ws = tokio_step(
            "handshake",
            ws_tokio::accept_with(tcp, quiet(), |_| Ok(Accept::new())),
        )
        .await
        .expect("tokio server handshake");
        let mut echoed = 0;
        let mut close = None;
        for _ in 0..1000 {
            match tokio_step("server recv", ws.recv()).await {
                None => return (echoed, close),
                Some(Ok(Message::Close(frame))) => close = Some(frame.code()),
                Some(Ok(message)) if message.is_data() => {
                    tokio_step("server send", ws.send(message))
                        .await
                        .expect("tokio server send");
                    echoed += 1;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("[tokio server] {e}"),
            }
        }
        panic!("[tokio server] too many messages")
    });

    let url = format!("ws://{addr}/interop");
    let (mut client, _) = within::<H, _>("connect", H::connect_url(&url, quiet()))
        .await
        .expect("connect to the tokio server");
    for message in script() {
        within::<H, _>("send", client.send(message.clone()))
            .await
            .expect("send");
        let back = within::<H, _>("recv", client.recv()).await;
        assert!(
            back.as_ref()
                .is_some_and(|b| b.as_ref().is_ok_and(|b| *b == answer(&message))),
            "[{}] against tokio: wrong answer to a {:?}-byte message",
            H::NAME,
            message.payload().len()
        );
    }
    within::<H, _>("close", client.close_with(CloseCode::NORMAL, ""))
        .await
        .expect("close");
    let (echoed, close) = server.join().expect("the tokio server panicked");
    assert_eq!(echoed, 3);
    assert_eq!(close, Some(CloseCode::NORMAL));
}

#[test]
fn server_against_tokio_client() {
    <crate::Harness as conformance::Harness>::block_on(server_against_tokio_client_case::<
        crate::Harness,
    >());
}

/// The harness's server against a tokio client that connects by URL, sends
/// the script, checks the answers and closes.
async fn server_against_tokio_client_case<H: Harness>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let client = tokio_thread(move || async move {
        let url = format!("ws://{addr}/interop");
        let (mut ws, _) = tokio_step("connect", ws_tokio::connect_with(&url, quiet()))
            .await
            .expect("tokio client connect");
        for message in script() {
            tokio_step("client send", ws.send(message.clone()))
                .await
                .expect("tokio client send");
            let back = tokio_step("client recv", ws.recv()).await;
            assert!(
                back.as_ref()
                    .is_some_and(|b| b.as_ref().is_ok_and(|b| *b == answer(&message))),
                "[tokio client] wrong answer to a {:?}-byte message",
                message.payload().len()
            );
        }
        tokio_step("client close", ws.close_with(CloseCode::NORMAL, "bye"))
            .await
            .expect("tokio client close");
    });
    let tcp = within::<H, _>("accept", H::accept(&listener))
        .await
        .expect("accept");
    let ws = within::<H, _>(
        "handshake",
        H::accept_with(tcp, quiet(), |_| Ok(Accept::new())),
    )
    .await
    .expect("server handshake");
    let stats = within::<H, _>("echo", echo::<H>(ws)).await;
    client.join().expect("the tokio client panicked");
    assert_eq!(stats.error, None, "[{}]", H::NAME);
    assert_eq!(stats.echoed, 3);
    assert_eq!(stats.pings.len(), 1);
    assert_eq!(
        stats.close.map(|c| (c.code(), c.reason().to_owned())),
        Some((CloseCode::NORMAL, "bye".to_owned()))
    );
}
