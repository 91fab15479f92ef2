//! Header values with bytes 0x80-0xFF, cut UTF-8 sequences and control
//! characters, in a request and in a response: the handshake refuses or
//! accepts, and every accessor of what it hands out answers, without a
//! panic and without reading such bytes as `&str` unchecked (Deno
//! CVE-2026-55517 crashed clients on exactly this).

#![allow(clippy::unwrap_used)]

use ws_proto::entropy::Seeded;
use ws_proto::handshake::{Accept, ClientHandshake, ClientRequest, Request, ServerHandshake};
use ws_proto::Config;

/// The header fields the handshake reads, and one it does not.
const NAMES: &[&str] = &[
    "Host",
    "Upgrade",
    "Connection",
    "Origin",
    "Cookie",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "X-Anything",
];

/// Values no well-behaved peer sends.
const VALUES: &[&[u8]] = &[
    b"\x80",
    b"\xff\xfe",
    b"chat\xc3",
    b"caf\xc3\xa9",
    b"\xe2\x80",
    b"permessage-deflate; x=\"\xff\"",
    b"a\x01b",
    b"a\x7fb",
    b"a\tb",
    b"\xf0\x9f\x92",
];

/// `head` (ending in a blank line) with `name: value` added before its end.
fn with_header(head: &[u8], name: &str, value: &[u8]) -> Vec<u8> {
    let end = head.len() - 2;
    let mut out = head[..end].to_vec();
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// Reads everything a request exposes.
fn inspect_request(request: &Request) -> usize {
    let mut seen = request.path().len() + request.target().len();
    seen += request.query().map_or(0, str::len);
    seen += request
        .query_params()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>();
    seen += request
        .cookies()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>();
    seen += request
        .headers()
        .map(|(n, v)| n.len() + v.len())
        .sum::<usize>();
    seen += request
        .subprotocols()
        .iter()
        .map(String::len)
        .sum::<usize>();
    seen += request.extensions().len();
    for name in NAMES {
        seen += request.header(name).map_or(0, str::len);
    }
    seen += request.origin().map_or(0, str::len) + request.host().map_or(0, str::len);
    seen
}

#[test]
fn hostile_request_header_values_never_panic() {
    let request = ClientRequest::new("example.com", "/chat?room=1").unwrap();
    let (_, valid) = ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(1)));
    for name in NAMES {
        for value in VALUES {
            let bytes = with_header(&valid, name, value);
            let mut server = ServerHandshake::new(Config::default().with_any_origin());
            match server.receive(&bytes) {
                Ok(Some(request)) => {
                    inspect_request(&request);
                    // Accepting answers with nothing taken from the bytes.
                    let (response, _) = server.accept(&request, Accept::new()).unwrap();
                    assert!(response.starts_with(b"HTTP/1.1 101 "));
                }
                Ok(None) => panic!("{name}: {value:?}: a complete head was not read"),
                Err(error) => {
                    let _ = error.to_string();
                    if let Some(response) = error.response() {
                        assert!(response.starts_with(b"HTTP/1.1 4"), "{name}: {value:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn hostile_response_header_values_never_panic() {
    let request = ClientRequest::new("example.com", "/")
        .unwrap()
        .subprotocol("chat")
        .unwrap();
    for name in NAMES {
        for value in VALUES {
            let (mut client, request_bytes) =
                ClientHandshake::new(request.clone(), Config::default(), Box::new(Seeded::new(1)));
            let mut server = ServerHandshake::new(Config::default());
            let offer = server.receive(&request_bytes).unwrap().unwrap();
            let (response, _) = server.accept(&offer, Accept::new()).unwrap();
            let bytes = with_header(&response, name, value);
            match client.receive(&bytes) {
                Ok(Some(response)) => {
                    let mut seen = response.reason().len();
                    seen += response
                        .headers()
                        .map(|(n, v)| n.len() + v.len())
                        .sum::<usize>();
                    seen += response.subprotocol().map_or(0, str::len);
                    seen += response.extensions().len();
                    for name in NAMES {
                        seen += response.header(name).map_or(0, str::len);
                    }
                    assert!(seen > 0);
                    client.into_connection().unwrap();
                }
                Ok(None) => panic!("{name}: {value:?}: a complete head was not read"),
                Err(error) => {
                    let _ = error.to_string();
                    // Sticky.
                    assert_eq!(client.receive(b"").unwrap_err(), error);
                }
            }
        }
    }
}
