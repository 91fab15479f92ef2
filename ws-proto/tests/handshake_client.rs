//! The client side of the HTTP/1.1 upgrade (RFC 6455 sections 3 and 4.1):
//! URLs, the request it writes, and its checks of the server's answer.

#![allow(clippy::unwrap_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use ws_proto::entropy::{Entropy, Seeded};
use ws_proto::handshake::{
    accept_key, Accept, ClientHandshake, ClientRequest, HandshakeError, ServerHandshake,
};
use ws_proto::{Config, Event};

/// The key [`Seeded::new(seed)`] makes, computed independently.
fn key_for(seed: u64) -> String {
    let mut nonce = [0u8; 16];
    Seeded::new(seed).fill(&mut nonce);
    STANDARD.encode(nonce)
}

fn start(request: ClientRequest) -> (ClientHandshake, Bytes) {
    ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(1)))
}

/// A valid 101 for seed 1 with `extra` header lines.
fn response_with(extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_key(key_for(1).as_bytes())
    )
    .into_bytes()
}

#[test]
fn request_bytes_are_deterministic_for_a_seed() {
    let request = ClientRequest::from_url("ws://example.com:8080/chat?room=1")
        .unwrap()
        .subprotocol("chat")
        .unwrap()
        .subprotocol("superchat")
        .unwrap()
        .extension("permessage-deflate; client_max_window_bits")
        .unwrap()
        .origin("http://example.com")
        .unwrap()
        .header("Cookie", "a=b")
        .unwrap();
    let (_, bytes) = start(request.clone());
    let expected = format!(
        "GET /chat?room=1 HTTP/1.1\r\n\
         Host: example.com:8080\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Origin: http://example.com\r\n\
         Sec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Cookie: a=b\r\n\
         \r\n",
        key_for(1)
    );
    assert_eq!(std::str::from_utf8(&bytes).unwrap(), expected);
    assert_eq!(start(request.clone()).1, bytes);
    let (_, other) = ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(2)));
    assert_ne!(other, bytes);
    assert!(std::str::from_utf8(&other).unwrap().contains(&key_for(2)));
}

#[test]
fn urls_parse_per_section_3() {
    let cases = [
        (
            "ws://example.com",
            "example.com",
            80,
            false,
            "example.com",
            "/",
        ),
        (
            "WS://example.com:80/",
            "example.com",
            80,
            false,
            "example.com",
            "/",
        ),
        (
            "ws://example.com:8080/a/b?c=d",
            "example.com",
            8080,
            false,
            "example.com:8080",
            "/a/b?c=d",
        ),
        (
            "ws://example.com?x",
            "example.com",
            80,
            false,
            "example.com",
            "/?x",
        ),
        (
            "wss://example.com",
            "example.com",
            443,
            true,
            "example.com",
            "/",
        ),
        (
            "wss://example.com:80/",
            "example.com",
            80,
            true,
            "example.com:80",
            "/",
        ),
        (
            "ws://127.0.0.1:9001/",
            "127.0.0.1",
            9001,
            false,
            "127.0.0.1:9001",
            "/",
        ),
        ("wss://[::1]/x", "::1", 443, true, "[::1]", "/x"),
        ("ws://[::1]:9000", "::1", 9000, false, "[::1]:9000", "/"),
        (
            "ws://example.com:/",
            "example.com",
            80,
            false,
            "example.com",
            "/",
        ),
    ];
    for (url, host, port, secure, host_header, target) in cases {
        let r = ClientRequest::from_url(url).unwrap();
        assert_eq!(
            (
                r.host(),
                r.port(),
                r.is_secure(),
                written_host(&r).as_str(),
                r.target()
            ),
            (host, port, secure, host_header, target),
            "{url}"
        );
    }
    for bad in [
        "http://example.com/",
        "example.com/",
        "ws://",
        "ws:///path",
        "ws://example.com/#frag",
        "ws://example.com#",
        "ws://user:pw@example.com/",
        "ws://example.com:99999/",
        "ws://example.com:8o/",
        "ws://exa mple.com/",
        "ws://example.com/a b",
        "ws://example.com/\u{e9}",
        "ws://[::1/",
        "ws://[::1]x/",
        "ws://[example]/",
    ] {
        assert!(
            matches!(
                ClientRequest::from_url(bad),
                Err(HandshakeError::InvalidUrl(_))
            ),
            "{bad}"
        );
    }
    let r = ClientRequest::new("example.com:81", "/p").unwrap();
    assert_eq!(
        (r.host(), r.port(), written_host(&r).as_str()),
        ("example.com", 81, "example.com:81")
    );
    assert!(ClientRequest::new("example.com", "p").is_err());
    assert!(ClientRequest::new("example.com\r\nX: y", "/").is_err());
    assert!(ClientRequest::new("example.com", "/\r\nX: y").is_err());
}

#[test]
fn builder_refuses_bad_input() {
    let r = || ClientRequest::new("h", "/").unwrap();
    assert!(r().subprotocol("a b").is_err());
    assert!(r().subprotocol("").is_err());
    assert!(r().extension("foo; a=\"1").is_err());
    assert!(r().extension("foo\r\nX: y").is_err());
    assert!(r().header("X-A", "1\r\nX-B: 2").is_err());
    assert!(r().header("sec-websocket-key", "x").is_err());
    assert!(r().header("Host", "x").is_err());
    assert!(r().origin("a\nb").is_err());
}

#[test]
fn a_valid_101_hands_over_the_connection_and_what_followed() {
    let request = ClientRequest::new("h", "/")
        .unwrap()
        .subprotocol("chat")
        .unwrap()
        .extension("x-foo; a=1")
        .unwrap();
    let mut bytes = response_with(
        "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: x-foo; a=\"2\"\r\n",
    );
    let head_len = bytes.len();
    // An unmasked server frame "Hello" (section 5.7), right behind.
    bytes.extend_from_slice(b"\x81\x05Hello");

    // Whole, and byte by byte.
    for chunk in [bytes.len(), 1] {
        let (mut client, _) = start(request.clone());
        let mut found = None;
        for (i, piece) in bytes.chunks(chunk).enumerate() {
            if let Some(response) = client.receive(piece).unwrap() {
                assert!(found.is_none());
                assert!(chunk > 1 || i + 1 == head_len);
                found = Some(response);
            }
        }
        let response = found.unwrap();
        assert_eq!(response.status(), 101);
        assert_eq!(response.reason(), "Switching Protocols");
        assert_eq!(response.subprotocol(), Some("chat"));
        assert_eq!(response.extensions()[0].param("a"), Some(Some("2")));
        assert_eq!(response.header("upgrade"), Some("websocket"));
        let mut connection = client.into_connection().unwrap();
        match connection.next_event().unwrap() {
            Some(Event::Text { payload, fin: true }) => assert_eq!(&payload[..], b"Hello"),
            other => panic!("expected the text Hello, got {other:?}"),
        }
    }
}

#[test]
fn invalid_101s_fail_the_connection() {
    let offering = || {
        ClientRequest::new("h", "/")
            .unwrap()
            .subprotocol("chat")
            .unwrap()
            .extension("permessage-deflate")
            .unwrap()
    };
    let wrong_accept = String::from_utf8(response_with(""))
        .unwrap()
        .replace(&accept_key(key_for(1).as_bytes()), &accept_key(b"other"));
    let cases: Vec<(ClientRequest, Vec<u8>, HandshakeError)> = vec![
        (offering(), wrong_accept.into_bytes(), HandshakeError::AcceptKeyMismatch),
        (
            offering(),
            String::from_utf8(response_with(""))
                .unwrap()
                .replace("Upgrade: websocket\r\n", "")
                .into_bytes(),
            HandshakeError::InvalidUpgrade { header: "Upgrade" },
        ),
        (
            offering(),
            String::from_utf8(response_with(""))
                .unwrap()
                .replace("Upgrade: websocket", "Upgrade: websocket, h2c")
                .into_bytes(),
            HandshakeError::InvalidUpgrade { header: "Upgrade" },
        ),
        (
            offering(),
            String::from_utf8(response_with(""))
                .unwrap()
                .replace("Connection: Upgrade", "Connection: keep-alive")
                .into_bytes(),
            HandshakeError::InvalidUpgrade {
                header: "Connection",
            },
        ),
        (
            offering(),
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"
                .to_vec(),
            HandshakeError::MissingHeader("Sec-WebSocket-Accept"),
        ),
        (
            offering(),
            response_with("Sec-WebSocket-Protocol: superchat\r\n"),
            HandshakeError::UnofferedSubprotocol("superchat".into()),
        ),
        (
            ClientRequest::new("h", "/").unwrap(),
            response_with("Sec-WebSocket-Protocol: chat\r\n"),
            HandshakeError::UnofferedSubprotocol("chat".into()),
        ),
        (
            offering(),
            response_with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Protocol",
                reason: "appears more than once",
            },
        ),
        (
            offering(),
            response_with("Sec-WebSocket-Extensions: permessage-deflate, x-foo\r\n"),
            HandshakeError::UnofferedExtension("x-foo".into()),
        ),
        (
            offering(),
            String::from_utf8(response_with(""))
                .unwrap()
                .replace("HTTP/1.1", "HTTP/1.0")
                .into_bytes(),
            HandshakeError::HttpVersionNotSupported,
        ),
    ];
    for (request, bytes, expected) in cases {
        let (mut client, _) = start(request);
        let err = client.receive(&bytes).unwrap_err();
        assert_eq!(err, expected, "{}", String::from_utf8_lossy(&bytes));
        // Sticky, and no connection.
        assert_eq!(client.receive(b"x").unwrap_err(), expected);
        assert!(matches!(
            client.into_connection(),
            Err(HandshakeError::WrongState(_))
        ));
    }
}

#[test]
fn other_statuses_are_rejections_with_the_response() {
    let (mut client, _) = start(ClientRequest::new("h", "/").unwrap());
    let err = client
        .receive(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nX-Why: origin\r\n\r\nForb")
        .unwrap_err();
    let HandshakeError::Rejected {
        status,
        response,
        body,
    } = err
    else {
        panic!("expected a rejection, got {err:?}");
    };
    assert_eq!(status, 403);
    assert_eq!((response.status(), response.reason()), (403, "Forbidden"));
    assert_eq!(response.header("x-why"), Some("origin"));
    assert_eq!(response.header("content-length"), Some("9"));
    assert_eq!(&body[..], b"Forb");
    assert_eq!(
        HandshakeError::Rejected {
            status,
            response,
            body
        }
        .status(),
        None
    );

    let (mut client, _) = start(ClientRequest::new("h", "/").unwrap());
    let err = client.receive(b"HTTP/1.1 404 \r\n\r\n").unwrap_err();
    assert!(matches!(err, HandshakeError::Rejected { status: 404, .. }));
}

#[test]
fn response_limits_apply() {
    let (mut client, _) = start(ClientRequest::new("h", "/").unwrap());
    let mut bytes = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
    bytes.extend_from_slice("X-A: b\r\n".repeat(101).as_bytes());
    let err = client.receive(&bytes).unwrap_err();
    assert_eq!(err, HandshakeError::TooManyHeaders { limit: 100 });
    let (mut client, _) = start(ClientRequest::new("h", "/").unwrap());
    let err = client
        .receive(b"HTTP/1.1 101 OK\r\nX-A\r\n\r\n")
        .unwrap_err();
    assert!(matches!(err, HandshakeError::MalformedHttp(_)));
}

#[test]
fn client_and_server_agree() {
    let request = ClientRequest::from_url("ws://localhost:9001/echo")
        .unwrap()
        .subprotocol("a")
        .unwrap()
        .subprotocol("b")
        .unwrap()
        .extension("permessage-deflate; client_max_window_bits")
        .unwrap();
    let (mut client, request_bytes) = start(request);
    let mut server = ServerHandshake::new(Config::default());
    let request = server.receive(&request_bytes).unwrap().unwrap();
    assert_eq!(request.host(), Some("localhost:9001"));
    assert_eq!(request.key(), Some(key_for(1).as_str()));
    let accept = Accept::new()
        .subprotocol("b")
        .extension("permessage-deflate; client_max_window_bits=15")
        .unwrap();
    let (response_bytes, _) = server.accept(&request, accept).unwrap();
    let response = client.receive(&response_bytes).unwrap().unwrap();
    assert_eq!(response.subprotocol(), Some("b"));
    assert_eq!(
        response.extensions()[0].param("client_max_window_bits"),
        Some(Some("15"))
    );
    assert!(client.into_connection().is_ok());
}

/// The `Host` field the request writes.
fn written_host(request: &ClientRequest) -> String {
    let (_, wire) =
        ClientHandshake::new(request.clone(), Config::default(), Box::new(Seeded::new(1)));
    String::from_utf8(wire.to_vec())
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("Host: "))
        .unwrap()
        .to_owned()
}
