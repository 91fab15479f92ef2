//! Prepared messages on connections that negotiated permessage-deflate:
//! compressed once where no context takeover lets a frame be shared,
//! compressed by the connection itself where it keeps a context or agreed
//! a smaller window, and read back the same by every peer.

use super::{eager, handshake, text, with_deflate};
use ws_proto::deflate::DeflateConfig;
use ws_proto::frame::Rsv;
use ws_proto::{Connection, Role};

use crate::common;
use ws_proto::PreparedMessage;

fn sharing(bits: u8) -> DeflateConfig {
    eager()
        .with_server_no_context_takeover(true)
        .with_server_max_window_bits(bits)
}

/// A client and a server that negotiated permessage-deflate.
struct Pair {
    client: Connection,
    server: Connection,
}

fn deflate_pair(client: DeflateConfig, server: DeflateConfig) -> Pair {
    let (client, server, agreed) =
        handshake(with_deflate(Some(client)), with_deflate(Some(server)));
    assert!(agreed.is_some(), "permessage-deflate was negotiated");
    Pair { client, server }
}

/// Sends `prepared` on the pair's server, then a plain `send`, and checks
/// what the client reads; returns the server's first frame.
fn send_and_read(pair: &mut Pair, prepared: &PreparedMessage, after: &str) -> common::WireFrame {
    pair.server.send_prepared(prepared).unwrap();
    pair.server.send_text(after.to_owned()).unwrap();
    let wire = pair.server.take_transmit();
    let frames = common::parse_frames(Role::Server, &wire);
    let events = common::receive_events(&mut pair.client, &wire);
    let expected = String::from_utf8(prepared.payload().to_vec()).unwrap();
    assert_eq!(text(&events), [expected, after.to_owned()]);
    frames[0].clone()
}

#[test]
fn no_context_takeover_shares_one_compressed_frame() {
    let message = common::text_filler(4000, 3).repeat(2);
    let prepared = PreparedMessage::text(message.clone()).with_deflate(&sharing(15));
    assert!(prepared.is_deflated());
    let mut frames = Vec::new();
    for _ in 0..3 {
        let mut pair = deflate_pair(eager(), sharing(15));
        // Twice on one connection: the second must not lean on the first.
        frames.push(send_and_read(&mut pair, &prepared, "after"));
        frames.push(send_and_read(&mut pair, &prepared, "again"));
    }
    for frame in &frames {
        assert_eq!(frame.header.rsv, Rsv::RSV1, "compressed");
        assert!(frame.payload.len() < message.len() / 2);
        assert_eq!(frame.payload, frames[0].payload, "the same bytes for all");
    }
}

#[test]
fn a_connection_with_context_takeover_compresses_it_itself() {
    let message = common::text_filler(3000, 5).repeat(3);
    let prepared = PreparedMessage::text(message.clone()).with_deflate(&sharing(15));
    let mut pair = deflate_pair(eager(), eager());
    let first = send_and_read(&mut pair, &prepared, "next");
    let second = send_and_read(&mut pair, &prepared, "next");
    assert_eq!(first.header.rsv, Rsv::RSV1);
    // The second refers back to the first through the kept context.
    assert!(second.payload.len() < first.payload.len());
}

#[test]
fn a_message_prepared_uncompressed_goes_out_plain_beside_compressed_ones() {
    let message = common::text_filler(5000, 9);
    let prepared = PreparedMessage::text(message);
    for server in [eager(), sharing(15)] {
        let mut pair = deflate_pair(eager(), server);
        pair.server
            .send_text("warm the context".repeat(10))
            .unwrap();
        let _ = common::receive_events(&mut pair.client, &pair.server.take_transmit());
        let frame = send_and_read(&mut pair, &prepared, "and after it");
        assert_eq!(frame.header.rsv, Rsv::NONE, "uncompressed (section 6)");
    }
}

#[test]
fn a_smaller_agreed_window_gets_its_own_compression() {
    let message = common::text_filler(6000, 11);
    let prepared = PreparedMessage::text(message).with_deflate(&sharing(15));
    // The client limits the server's window to 10 bits: a frame made for
    // 15 could refer further back than its inflater keeps.
    let client = eager().with_server_max_window_bits(10);
    let mut pair = deflate_pair(client, sharing(15));
    let frame = send_and_read(&mut pair, &prepared, "fine");
    assert_eq!(frame.header.rsv, Rsv::RSV1);
    let shared_len = {
        let mut pair = deflate_pair(eager(), sharing(15));
        send_and_read(&mut pair, &prepared, "x").payload.len()
    };
    assert_ne!(frame.payload.len(), shared_len, "compressed for its window");
}

#[test]
fn under_the_threshold_nothing_is_compressed() {
    let config = sharing(15).with_threshold(1024);
    let prepared = PreparedMessage::text("short".repeat(10)).with_deflate(&config);
    assert!(!prepared.is_deflated());
    let mut pair = deflate_pair(eager(), config);
    let frame = send_and_read(&mut pair, &prepared, "y");
    assert_eq!(frame.header.rsv, Rsv::NONE);
}
