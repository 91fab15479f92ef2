//! `ClientHandshake` fed an arbitrary response in arbitrary reads, after a
//! request that offers two subprotocols, an extension of its own and
//! permessage-deflate.
//!
//! The first byte chooses whether the input follows a valid head start
//! (status line, `Upgrade`, `Connection` and the right
//! `Sec-WebSocket-Accept`), so that the checks behind the accept key are
//! reached. Checks: no panic, whatever the bytes (0x80-0xFF and control
//! characters in header values included), also in the accessors of the
//! response or of the one a rejection carries; an error is sticky; an
//! accepted response is a 101 whose subprotocol and extensions were
//! offered, and yields a connection.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use ws_proto::entropy::Seeded;
use ws_proto::handshake::{accept_key, ClientHandshake, ClientRequest, HandshakeError, Response};
use ws_proto::Config;
use ws_proto_fuzz::{byte, chunked, pieces, SEED};

const SUBPROTOCOLS: [&str; 2] = ["chat", "superchat"];

/// Every accessor, so that none may panic on what the server sent.
fn read_all(response: &Response) {
    let _ = (response.status(), response.reason(), response.subprotocol());
    for (name, value) in response.headers() {
        let _ = (response.header(name), value.len());
    }
    let _ = response
        .extensions()
        .iter()
        .map(ToString::to_string)
        .count();
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let valid_start = byte(&mut u) & 1 == 1;
    let (sizes, rest) = chunked(&mut u);

    let request = SUBPROTOCOLS
        .iter()
        .try_fold(
            ClientRequest::new("example.com", "/chat").expect("a valid request"),
            |r, p| r.subprotocol(*p),
        )
        .and_then(|r| r.extension("x-foo; level=9"))
        .expect("a valid request");
    let (mut client, request) =
        ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(SEED)));

    let mut wire = Vec::new();
    if valid_start {
        let request = std::str::from_utf8(&request).expect("our request is text");
        let key = request
            .lines()
            .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
            .expect("the request has a key");
        wire.extend_from_slice(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
                accept_key(key.as_bytes())
            )
            .as_bytes(),
        );
    }
    wire.extend_from_slice(rest);

    let mut response = None;
    let mut error: Option<HandshakeError> = None;
    for piece in pieces(&wire, &sizes).into_iter().chain([&[][..]]) {
        let result = client.receive(piece);
        if let Some(first) = &error {
            assert_eq!(result.as_ref(), Err(first), "the error is sticky");
            continue;
        }
        match result {
            Ok(Some(got)) => {
                assert!(response.is_none(), "a second response");
                response = Some(got);
            }
            Ok(None) => {}
            Err(e) => error = Some(e),
        }
    }
    if let Some(e) = error {
        if let HandshakeError::Rejected {
            status, response, ..
        } = &e
        {
            assert_ne!(*status, 101);
            read_all(response);
        }
        let _ = e.to_string();
        return;
    }
    let Some(response) = response else {
        return;
    };
    read_all(&response);
    assert_eq!(response.status(), 101);
    if let Some(chosen) = response.subprotocol() {
        assert!(SUBPROTOCOLS.contains(&chosen), "{chosen:?} was not offered");
    }
    for accepted in response.extensions() {
        assert!(
            ["x-foo", "permessage-deflate"]
                .iter()
                .any(|offered| accepted.name.eq_ignore_ascii_case(offered)),
            "{accepted} was not offered"
        );
    }
    let mut connection = client.into_connection().expect("a connection after a 101");
    // The frames that followed the head: reading them ends.
    for _ in 0..=wire.len() {
        if !matches!(connection.next_event(), Ok(Some(_))) {
            break;
        }
    }
});
