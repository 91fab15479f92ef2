//! Header values with bytes 0x80-0xFF, cut UTF-8 sequences and control
//! characters, in a request and in a response: the handshake refuses or
//! accepts, and every accessor of what it hands out answers, without a
//! panic and without reading such bytes as `&str` unchecked (Deno
//! CVE-2026-55517 crashed clients on exactly this). The same values come
//! in through the `http` crate's parsed parts too, over HTTP/1.1 and as an
//! HTTP/2 extended CONNECT.

#![allow(clippy::unwrap_used)]

use http::HeaderValue;
use ws_proto::entropy::Seeded;
use ws_proto::handshake::{
    Accept, ClientHandshake, ClientRequest, Request, Response, ServerHandshake, PROTOCOL,
};
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
                    assert!(inspect_response(&response) > 0);
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

/// `parts` with `name: value` appended, if the `http` crate takes the
/// value at all (it refuses control characters but HTAB).
fn with_field<T>(
    parts: &T,
    fields: impl Fn(&mut T) -> &mut http::HeaderMap,
    name: &str,
    value: &[u8],
) -> Option<T>
where
    T: Clone,
{
    let value = HeaderValue::from_bytes(value).ok()?;
    let mut parts = parts.clone();
    let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
    fields(&mut parts).append(name, value);
    Some(parts)
}

/// The valid requests of both forms, as an HTTP server parses them.
fn parsed_requests() -> Vec<(http::request::Parts, Option<&'static str>)> {
    let request = ClientRequest::new("example.com", "/chat?room=1").unwrap();
    let (_, wire) =
        ClientHandshake::new(request.clone(), Config::default(), Box::new(Seeded::new(1)));
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut parsed = httparse::Request::new(&mut headers);
    parsed.parse(&wire).unwrap();
    let mut upgrade = http::Request::get(parsed.path.unwrap());
    for header in parsed.headers.iter() {
        upgrade = upgrade.header(header.name, header.value);
    }
    let upgrade = upgrade.body(()).unwrap().into_parts().0;
    let (_, connect) =
        ClientHandshake::extended_connect(request, Config::default(), Box::new(Seeded::new(1)))
            .unwrap();
    vec![(upgrade, None), (connect.into_parts().0, Some(PROTOCOL))]
}

#[test]
fn hostile_parsed_request_header_values_never_panic() {
    let mut accepted = 0;
    for (valid, protocol) in parsed_requests() {
        for name in NAMES {
            for value in VALUES {
                let Some(parts) = with_field(&valid, |p| &mut p.headers, name, value) else {
                    continue;
                };
                let config = Config::default().with_any_origin();
                match ServerHandshake::from_http(config, &parts, protocol) {
                    Ok((server, request)) => {
                        inspect_request(&request);
                        if *name == "X-Anything" && std::str::from_utf8(value).is_err() {
                            // Raw bytes are there, but never as text.
                            assert_eq!(request.header(name), None);
                            assert!(request.headers().any(|(_, v)| v == *value));
                        }
                        let (response, _) = server.accept_http(&request, Accept::new()).unwrap();
                        assert!(
                            response.status().is_informational() || response.status().is_success()
                        );
                        accepted += 1;
                    }
                    Err(error) => {
                        let _ = error.to_string();
                        let answer = error.http_response(parts.version).unwrap();
                        assert!(answer.status().is_client_error(), "{name}: {value:?}");
                    }
                }
            }
        }
    }
    assert!(accepted > 0);
}

/// Reads everything a response exposes.
fn inspect_response(response: &Response) -> usize {
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
    seen
}

#[test]
fn hostile_parsed_response_header_values_never_panic() {
    let request = ClientRequest::new("example.com", "/")
        .unwrap()
        .subprotocol("chat")
        .unwrap();
    let mut accepted = 0;
    for http2 in [false, true] {
        for name in NAMES {
            for value in VALUES {
                let entropy = Box::new(Seeded::new(1));
                let (mut client, parts) = if http2 {
                    let (client, connect) = ClientHandshake::extended_connect(
                        request.clone(),
                        Config::default(),
                        entropy,
                    )
                    .unwrap();
                    (client, connect.into_parts().0)
                } else {
                    let (client, wire) =
                        ClientHandshake::new(request.clone(), Config::default(), entropy);
                    let mut server = ServerHandshake::new(Config::default());
                    let offer = server.receive(&wire).unwrap().unwrap();
                    (client, offer.to_http().unwrap().into_parts().0)
                };
                let protocol = http2.then_some(PROTOCOL);
                let (server, offer) =
                    ServerHandshake::from_http(Config::default(), &parts, protocol).unwrap();
                let (answer, _) = server.accept_http(&offer, Accept::new()).unwrap();
                let Some(answer) =
                    with_field(&answer.into_parts().0, |p| &mut p.headers, name, value)
                else {
                    continue;
                };
                match client.receive_http(&answer) {
                    Ok(response) => {
                        inspect_response(&response);
                        client.into_connection().unwrap();
                        accepted += 1;
                    }
                    Err(error) => {
                        let _ = error.to_string();
                        // Sticky.
                        assert_eq!(client.receive_http(&answer).unwrap_err(), error);
                    }
                }
            }
        }
    }
    assert!(accepted > 0);
}
