//! `ServerHandshake` fed arbitrary bytes in arbitrary reads.
//!
//! Checks: no panic; an error is sticky (every later read returns it
//! again) and its response, if any, is a well-formed HTTP/1.1 response with
//! the error's status; a request, once returned, is not returned again; an
//! accepted request is a GET with a key, and its response is a well-formed
//! 101 (RFC 6455 section 4.2.2) with `Upgrade: websocket`, `Connection:
//! Upgrade`, the right `Sec-WebSocket-Accept`, and the subprotocol chosen;
//! the connection it hands over takes the bytes that followed the head.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use ws_proto::handshake::{accept_key, Accept, HandshakeError, ServerHandshake};
use ws_proto::Config;
use ws_proto_fuzz::{chunked, field, pieces, split_head};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (sizes, wire) = chunked(&mut u);
    let mut server = ServerHandshake::new(Config::default());
    let mut request = None;
    let mut error: Option<HandshakeError> = None;
    // One more empty read after the input: the state must hold.
    for piece in pieces(wire, &sizes).into_iter().chain([&[][..]]) {
        let result = server.receive(piece);
        if let Some(first) = &error {
            assert_eq!(result.as_ref(), Err(first), "the error is sticky");
            continue;
        }
        match result {
            Ok(Some(got)) => {
                assert!(request.is_none(), "a second request");
                request = Some(got);
            }
            Ok(None) => {}
            Err(e) => error = Some(e),
        }
    }
    if let Some(e) = error {
        assert!(request.is_none(), "{e:?} after a request");
        if let Some(response) = e.response() {
            let (status_line, fields) = split_head(&response, true);
            let status = e.status().expect("a response has a status");
            assert!(
                status_line.starts_with(&format!("HTTP/1.1 {status} ")),
                "{status_line:?} for {e:?}"
            );
            assert!(field(&fields, "Content-Length").is_some());
        }
        return;
    }
    let Some(request) = request else {
        return;
    };
    assert_eq!(request.method(), "GET");
    let key = request.key().expect("a request has a key").to_owned();
    let mut accept = Accept::new();
    if let Some(first) = request.subprotocols().first() {
        accept = accept.subprotocol(first.clone());
    }
    let (response, mut connection) = server
        .accept(&request, accept)
        .expect("a request that receive returned is accepted");
    let (status_line, fields) = split_head(&response, false);
    assert_eq!(status_line, "HTTP/1.1 101 Switching Protocols");
    assert_eq!(field(&fields, "Upgrade"), Some("websocket"));
    assert_eq!(field(&fields, "Connection"), Some("Upgrade"));
    assert_eq!(
        field(&fields, "Sec-WebSocket-Accept"),
        Some(accept_key(key.as_bytes()).as_str())
    );
    assert_eq!(
        field(&fields, "Sec-WebSocket-Protocol"),
        request.subprotocols().first().map(String::as_str)
    );
    // The bytes after the head are frames; whatever they are, reading them
    // ends (each event consumes input, an error ends the events).
    for _ in 0..=wire.len() {
        if !matches!(connection.next_event(), Ok(Some(_))) {
            break;
        }
    }
});
