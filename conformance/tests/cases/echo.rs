//! Text and binary messages echoed at every length-encoding boundary
//! (7-bit, 16-bit and 64-bit lengths) and at sizes up to 16 MiB.

use ws_proto::{CloseCode, Config, Message};

use conformance::{binary_payload, echo, pair_with, quiet, text_payload};
use conformance::{within, Harness, Ws};

/// The sizes on either side of each length encoding, and 1 MiB.
const SIZES: [usize; 7] = [0, 1, 125, 126, 65535, 65536, 1 << 20];

/// Limits that let 16 MiB messages through in one frame.
fn big_config() -> Config {
    quiet()
        .with_max_message_size(32 << 20)
        .with_max_frame_size(32 << 20)
}

/// Sends each message to an echo server and checks that the same message
/// comes back, then closes.
async fn round_trips<H: Harness>(messages: Vec<Message>) {
    let (server, mut client) = pair_with::<H>(big_config(), big_config()).await;
    let server = echo::<H>(server);
    for message in messages {
        let len = message.payload().len();
        within::<H, _>("send", client.send(message.clone()))
            .await
            .unwrap_or_else(|e| panic!("[{}] send of {len} bytes: {e}", H::NAME));
        let back = within::<H, _>("recv the echo", client.recv()).await;
        match back {
            Some(Ok(got)) => assert!(
                got == message,
                "[{}] echo of {len} bytes differs (got {} bytes)",
                H::NAME,
                got.payload().len()
            ),
            other => panic!("[{}] echo of {len} bytes: {other:?}", H::NAME),
        }
    }
    close_and_check::<H>(client, server).await;
}

async fn close_and_check<H: Harness>(
    mut client: Ws<H>,
    server: conformance::Task<conformance::EchoStats>,
) {
    within::<H, _>("close", client.close_with(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
    let stats = within::<H, _>("echo task", server).await;
    assert_eq!(stats.error, None, "[{}] echo server failed", H::NAME);
    assert_eq!(
        stats.close.map(|c| (c.code(), c.reason().to_owned())),
        Some((CloseCode::NORMAL, "done".to_owned()))
    );
}

#[test]
fn text_sizes() {
    <crate::Harness as conformance::Harness>::block_on(text_sizes_case::<crate::Harness>());
}

/// Text messages of 0, 1, 125, 126, 65535, 65536 bytes and 1 MiB.
async fn text_sizes_case<H: Harness>() {
    let messages = SIZES
        .iter()
        .map(|&len| Message::text(text_payload(len)))
        .collect();
    round_trips::<H>(messages).await;
}

#[test]
fn binary_sizes() {
    <crate::Harness as conformance::Harness>::block_on(binary_sizes_case::<crate::Harness>());
}

/// Binary messages of 0, 1, 125, 126, 65535, 65536 bytes and 1 MiB.
async fn binary_sizes_case<H: Harness>() {
    let messages = SIZES
        .iter()
        .map(|&len| Message::binary(binary_payload(len)))
        .collect();
    round_trips::<H>(messages).await;
}

#[test]
fn sixteen_mib() {
    <crate::Harness as conformance::Harness>::block_on(sixteen_mib_case::<crate::Harness>());
}

/// A 16 MiB text and a 16 MiB binary message (above the default write
/// buffer limit of 1 MiB, so the whole path of a large send is used).
async fn sixteen_mib_case<H: Harness>() {
    round_trips::<H>(vec![
        Message::text(text_payload(16 << 20)),
        Message::binary(binary_payload(16 << 20)),
    ])
    .await;
}
