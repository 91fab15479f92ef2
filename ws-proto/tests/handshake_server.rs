//! The server side of the HTTP/1.1 upgrade (RFC 6455 section 4.2): the
//! section 1.3 sample, the refusals and their statuses, the limits, the
//! origin check, plain HTTP handed back, and what an acceptance writes.

#![allow(clippy::unwrap_used)]

use ws_proto::handshake::{Accept, HandshakeError, Reject, Request, ServerHandshake};
use ws_proto::{Config, Connection, Event, HandshakeLimits};

/// The client handshake of section 1.3.
const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\
    \r\n";

/// A server that lets the sample's page, on another host than the
/// server, open a socket.
fn rfc_server() -> ServerHandshake {
    let config = Config::default().with_allowed_origins(["http://example.com"]);
    ServerHandshake::new(config)
}

fn with_origin(origins: &[&[u8]], host: &str) -> Vec<u8> {
    let mut request = format!(
        "GET /chat HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n"
    )
    .into_bytes();
    for origin in origins {
        request.extend_from_slice(b"Origin: ");
        request.extend_from_slice(origin);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    request
}

#[test]
fn cross_origin_requests_are_refused_with_403_by_default() {
    let host = "chat.example.com:8080";
    let refused: [&[&[u8]]; 5] = [
        &[b"https://evil.example"],
        &[b"http://chat.example.com"],
        &[b"null"],
        &[
            b"http://chat.example.com:8080",
            b"http://chat.example.com:8080",
        ],
        &[b"http://chat.example.com:8080\xff"],
    ];
    for origins in refused {
        let mut server = ServerHandshake::new(Config::default());
        let error = server.receive(&with_origin(origins, host)).unwrap_err();
        assert!(
            matches!(error, HandshakeError::ForbiddenOrigin(_)),
            "{origins:?}: {error:?}"
        );
        let response = error.response().unwrap();
        assert!(
            response.starts_with(b"HTTP/1.1 403 Forbidden\r\n"),
            "{}",
            String::from_utf8_lossy(&response)
        );
        // Sticky.
        assert_eq!(server.receive(b"").unwrap_err(), error);
    }
    // The RFC's own sample is cross-origin.
    let error = ServerHandshake::new(Config::default())
        .receive(RFC_REQUEST)
        .unwrap_err();
    assert_eq!(
        error,
        HandshakeError::ForbiddenOrigin("http://example.com".into())
    );
}

#[test]
fn same_origin_no_origin_allowed_origins_and_any_origin_pass() {
    let host = "chat.example.com:8080";
    let accepted: [(Config, &[&[u8]]); 5] = [
        (Config::default(), &[]),
        (Config::default(), &[b"http://chat.example.com:8080"]),
        (Config::default(), &[b"https://CHAT.example.com:8080"]),
        (
            Config::default().with_allowed_origins(["*.example.org"]),
            &[b"https://app.example.org"],
        ),
        (
            Config::default().with_any_origin(),
            &[b"https://evil.example", b"\xff\xfe"],
        ),
    ];
    for (config, origins) in accepted {
        let mut server = ServerHandshake::new(config);
        let request = server.receive(&with_origin(origins, host));
        assert!(matches!(request, Ok(Some(_))), "{origins:?}: {request:?}");
    }
}

/// The server handshake of section 1.3, for the subprotocol "chat".
const RFC_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    Sec-WebSocket-Protocol: chat\r\n\
    \r\n";

/// A masked text frame "Hello" (section 5.7).
const MASKED_HELLO: [u8; 11] = [
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
];

/// A valid request with `extra` header lines before the blank line.
fn request_with(extra: &str) -> Vec<u8> {
    format!(
        "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
    .into_bytes()
}

fn receive(bytes: &[u8]) -> Result<Option<Request>, HandshakeError> {
    rfc_server().receive(bytes)
}

/// The error for `bytes`, with its response as text.
fn rejection(bytes: &[u8]) -> (HandshakeError, String) {
    let err = receive(bytes).unwrap_err();
    let response = String::from_utf8(err.response().unwrap().to_vec()).unwrap();
    (err, response)
}

fn assert_hello(connection: &mut Connection) {
    match connection.next_event().unwrap() {
        Some(Event::Text { payload, fin: true }) => assert_eq!(&payload[..], b"Hello"),
        other => panic!("expected the text Hello, got {other:?}"),
    }
}

#[test]
fn rfc_sample_request_is_accepted_with_the_rfc_response() {
    let mut server = rfc_server();
    let request = server.receive(RFC_REQUEST).unwrap().unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.host(), Some("server.example.com"));
    assert_eq!(request.origin(), Some("http://example.com"));
    assert_eq!(request.subprotocols(), ["chat", "superchat"]);
    assert_eq!(request.key(), Some("dGhlIHNhbXBsZSBub25jZQ=="));
    assert!(request.extensions().is_empty());
    let (response, _) = server
        .accept(&request, Accept::new().subprotocol("chat"))
        .unwrap();
    assert_eq!(&response[..], RFC_RESPONSE);
}

#[test]
fn whole_byte_by_byte_and_pipelined_give_the_same_request() {
    let mut with_frame = RFC_REQUEST.to_vec();
    with_frame.extend_from_slice(&MASKED_HELLO);

    let whole = receive(RFC_REQUEST).unwrap().unwrap();

    let mut server = rfc_server();
    let mut found = None;
    for (i, byte) in with_frame.iter().enumerate() {
        if let Some(request) = server.receive(&[*byte]).unwrap() {
            assert!(found.is_none());
            assert_eq!(i + 1, RFC_REQUEST.len(), "returned at the blank line");
            found = Some(request);
        }
    }
    let bytewise = found.unwrap();
    assert_eq!(bytewise, whole);
    assert_eq!(server.buffered(), MASKED_HELLO);
    let (_, mut connection) = server.accept(&bytewise, Accept::new()).unwrap();
    assert_hello(&mut connection);

    // Frames in the same read as the head reach the connection too.
    let mut server = rfc_server();
    let pipelined = server.receive(&with_frame).unwrap().unwrap();
    assert_eq!(pipelined, whole);
    let (_, mut connection) = server.accept(&pipelined, Accept::new()).unwrap();
    assert_hello(&mut connection);
}

#[test]
fn nothing_follows_means_nothing_is_handed_over() {
    let mut server = rfc_server();
    let request = server.receive(RFC_REQUEST).unwrap().unwrap();
    assert!(server.buffered().is_empty());
    let (_, mut connection) = server.accept(&request, Accept::new()).unwrap();
    assert_eq!(connection.next_event().unwrap(), None);
}

#[test]
fn connection_and_upgrade_tokens_are_case_insensitive_lists() {
    for (upgrade, connection) in [
        ("WebSocket", "keep-alive, Upgrade"),
        ("websocket", "upgrade"),
        ("h2c, WEBSOCKET", "UPGRADE,keep-alive"),
        ("websocket", " keep-alive ,  upgrade "),
    ] {
        let bytes = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: {upgrade}\r\nConnection: {connection}\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        assert!(
            receive(bytes.as_bytes()).unwrap().is_some(),
            "{upgrade} / {connection}"
        );
    }
    // Split over two Connection fields.
    let bytes = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n";
    assert!(receive(bytes.as_bytes()).unwrap().is_some());
    // A token contains "upgrade" but is not it.
    let bytes =
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, upgrades\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let (err, response) = rejection(bytes.as_bytes());
    assert_eq!(
        err,
        HandshakeError::InvalidUpgrade {
            header: "Connection"
        }
    );
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(response.contains("\r\nUpgrade: websocket\r\n"));
}

#[test]
fn wrong_method_is_405_with_allow() {
    let mut bytes = request_with("");
    bytes.splice(0..3, b"POST".iter().copied());
    let (err, response) = rejection(&bytes);
    assert_eq!(err, HandshakeError::MethodNotAllowed("POST".to_owned()));
    assert!(response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    assert!(response.contains("\r\nAllow: GET\r\n"));
    assert!(response.contains("\r\nConnection: close\r\n"));
}

#[test]
fn wrong_version_is_426_with_the_supported_version() {
    for version_line in ["Sec-WebSocket-Version: 8\r\n", ""] {
        let bytes = String::from_utf8(request_with(""))
            .unwrap()
            .replace("Sec-WebSocket-Version: 13\r\n", version_line);
        let (err, response) = rejection(bytes.as_bytes());
        assert_eq!(err, HandshakeError::UnsupportedVersion);
        assert_eq!(err.status(), Some(426));
        assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
        assert!(response.contains("\r\nSec-WebSocket-Version: 13\r\n"));
        assert!(response.contains("\r\nUpgrade: websocket\r\n"));
    }
}

#[test]
fn upgrade_to_something_else_is_426() {
    let bytes = String::from_utf8(request_with(""))
        .unwrap()
        .replace("Upgrade: websocket", "Upgrade: h2c");
    let (err, response) = rejection(bytes.as_bytes());
    assert_eq!(err, HandshakeError::InvalidUpgrade { header: "Upgrade" });
    assert!(response.starts_with("HTTP/1.1 426 "));
}

#[test]
fn bad_requests_are_400() {
    let replace = |from: &str, to: &str| {
        String::from_utf8(request_with(""))
            .unwrap()
            .replacen(from, to, 1)
            .into_bytes()
    };
    let cases: Vec<(Vec<u8>, HandshakeError)> = vec![
        (
            replace("Host: h\r\n", ""),
            HandshakeError::MissingHeader("Host"),
        ),
        (
            request_with("Host: other\r\n"),
            HandshakeError::InvalidHeader {
                name: "Host",
                reason: "appears more than once",
            },
        ),
        (
            replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
            HandshakeError::MissingHeader("Sec-WebSocket-Key"),
        ),
        (
            replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j"),
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Key",
                reason: "not the base64 encoding of 16 bytes",
            },
        ),
        (
            request_with("Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"),
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Key",
                reason: "appears more than once",
            },
        ),
        (
            request_with("Sec-WebSocket-Protocol: chat, a b\r\n"),
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Protocol",
                reason: "a subprotocol is not a token",
            },
        ),
        (
            request_with("Sec-WebSocket-Extensions: foo; a=\"1 2\"\r\n"),
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Extensions",
                reason: "quoted parameter value is not a token",
            },
        ),
        (
            replace("GET /chat", "GET chat"),
            HandshakeError::MalformedHttp("request target is neither a path nor an absolute URI"),
        ),
        (
            replace("Host: h\r\n", "Host h\r\n"),
            HandshakeError::MalformedHttp("invalid header name"),
        ),
        (
            replace("HTTP/1.1", "HTTP/2.0"),
            HandshakeError::MalformedHttp("invalid HTTP version"),
        ),
    ];
    for (bytes, expected) in cases {
        let (err, response) = rejection(&bytes);
        assert_eq!(err, expected, "{}", String::from_utf8_lossy(&bytes));
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{response}"
        );
    }
}

#[test]
fn http_1_0_upgrade_is_505() {
    let bytes = String::from_utf8(request_with(""))
        .unwrap()
        .replace("HTTP/1.1", "HTTP/1.0");
    let (err, response) = rejection(bytes.as_bytes());
    assert_eq!(err, HandshakeError::HttpVersionNotSupported);
    assert!(response.starts_with("HTTP/1.1 505 HTTP Version Not Supported\r\n"));
}

#[test]
fn limits_give_431_and_414() {
    let config = Config::default().with_handshake_limits(
        HandshakeLimits::default()
            .with_max_headers(10)
            .with_max_line(200)
            .with_max_bytes(1024),
    );
    let receive_with = |config: &Config, bytes: &[u8]| {
        ServerHandshake::new(config.clone()).receive(bytes).unwrap()
    };
    let err_for = |bytes: &[u8]| {
        let mut server = ServerHandshake::new(config.clone());
        let err = server.receive(bytes).unwrap_err();
        // The error is sticky.
        assert_eq!(server.receive(b"more").unwrap_err(), err);
        err
    };

    // Ten header fields are fine, eleven are not.
    assert!(receive_with(&config, &request_with(&"X-A: b\r\n".repeat(5))).is_some());
    let many = request_with(&"X-A: b\r\n".repeat(6));
    let err = err_for(&many);
    assert_eq!(err, HandshakeError::TooManyHeaders { limit: 10 });
    assert_eq!(err.status(), Some(431));
    // Refused before the head ends, once the 11th header is complete.
    let err = err_for(&many[..many.len() - 2]);
    assert_eq!(err, HandshakeError::TooManyHeaders { limit: 10 });

    let large = request_with(&format!("X-A: {}\r\n", "b".repeat(190)).repeat(5));
    let err = err_for(&large);
    assert_eq!(err, HandshakeError::HeadTooLarge { limit: 1024 });
    assert!(err.response().unwrap().starts_with(b"HTTP/1.1 431 "));
    // Also refused when the head never ends.
    let endless = request_with(&format!("X-A: {}\r\n", "b".repeat(190)).repeat(5));
    let err = err_for(&endless[..endless.len() - 2]);
    assert_eq!(err, HandshakeError::HeadTooLarge { limit: 1024 });

    let long_target = format!("GET /{} HTTP/1.1\r\n", "a".repeat(200));
    let err = err_for(long_target.as_bytes());
    assert_eq!(
        err,
        HandshakeError::LineTooLong {
            limit: 200,
            first_line: true
        }
    );
    assert!(err
        .response()
        .unwrap()
        .starts_with(b"HTTP/1.1 414 URI Too Long\r\n"));

    let long_header = request_with(&format!("X-A: {}\r\n", "b".repeat(200)));
    let err = err_for(&long_header);
    assert_eq!(
        err,
        HandshakeError::LineTooLong {
            limit: 200,
            first_line: false
        }
    );
    assert_eq!(err.status(), Some(431));
}

#[test]
fn plain_http_is_handed_back_as_not_upgrade() {
    let mut server = rfc_server();
    let err = server
        .receive(b"GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\n\r\nGET /next")
        .unwrap_err();
    let HandshakeError::NotUpgrade(request) = &err else {
        panic!("expected NotUpgrade, got {err:?}");
    };
    assert_eq!(request.method(), "GET");
    assert_eq!(request.path(), "/index.html");
    assert_eq!(request.query(), Some("x=1"));
    assert_eq!(request.header("accept"), Some("text/html"));
    assert_eq!(request.key(), None);
    assert_eq!(server.buffered(), b"GET /next");
    assert_eq!(err.status(), Some(426));
    let response = err.response().unwrap();
    assert!(response.starts_with(b"HTTP/1.1 426 Upgrade Required\r\n"));

    // Any method and HTTP/1.0 too: the application decides.
    let err = receive(b"POST /form HTTP/1.0\r\nContent-Length: 0\r\n\r\n").unwrap_err();
    let HandshakeError::NotUpgrade(request) = err else {
        panic!("expected NotUpgrade");
    };
    assert_eq!(
        (request.method(), request.version()),
        ("POST", http::Version::HTTP_10)
    );
}

#[test]
fn query_cookies_and_extensions_are_parsed() {
    let bytes = b"GET http://example.com/a%20b?name=J%C3%BCrgen+M&flag&&x=%zz&k=1=2#frag HTTP/1.1\r\n\
        Host: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Cookie: session=abc; theme=\"dark\"\r\n\
        Cookie: lang=en;novalue;  spaced = yes \r\n\
        Sec-WebSocket-Protocol: v2.chat\r\n\
        Sec-WebSocket-Protocol: v1.chat,\r\n\
        Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate\r\n\
        Sec-WebSocket-Extensions: x-custom; mode=\"fast\"; level=3\r\n\
        \r\n";
    let request = receive(bytes).unwrap().unwrap();
    assert_eq!(request.path(), "/a%20b");
    assert_eq!(
        request.query(),
        Some("name=J%C3%BCrgen+M&flag&&x=%zz&k=1=2")
    );
    let params: Vec<(String, String)> = request
        .query_params()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        params,
        [
            ("name", "Jürgen M"),
            ("flag", ""),
            ("x", "%zz"),
            ("k", "1=2")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let cookies: Vec<_> = request.cookies().collect();
    assert_eq!(
        cookies,
        [
            ("session", "abc"),
            ("theme", "dark"),
            ("lang", "en"),
            ("spaced", "yes")
        ]
    );
    assert_eq!(request.subprotocols(), ["v2.chat", "v1.chat"]);
    let names: Vec<&str> = request
        .extensions()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["permessage-deflate", "permessage-deflate", "x-custom"]
    );
    assert_eq!(
        request.extensions()[0].param("client_max_window_bits"),
        Some(None)
    );
    assert_eq!(request.extensions()[2].param("mode"), Some(Some("fast")));
    assert_eq!(request.extensions()[2].param("level"), Some(Some("3")));
    assert_eq!(request.headers().count(), 11);
    assert_eq!(
        request.headers().nth(6),
        Some(("Cookie", &b"lang=en;novalue;  spaced = yes"[..]))
    );
}

#[test]
fn accept_writes_extensions_and_headers() {
    let bytes = request_with("Sec-WebSocket-Extensions: permessage-deflate, x-foo\r\n");
    let mut server = rfc_server();
    let request = server.receive(&bytes).unwrap().unwrap();
    let accept = Accept::new()
        .extension("permessage-deflate; server_no_context_takeover")
        .unwrap()
        .extension("x-foo")
        .unwrap()
        .header("Set-Cookie", "a=b")
        .unwrap();
    let (response, _) = server.accept(&request, accept).unwrap();
    let response = std::str::from_utf8(&response).unwrap();
    assert!(response.ends_with(
        "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover, x-foo\r\n\
         Set-Cookie: a=b\r\n\r\n"
    ));
    assert!(!response.contains("Sec-WebSocket-Protocol"));
}

#[test]
fn accept_refuses_what_was_not_offered() {
    let bytes = request_with("Sec-WebSocket-Protocol: chat\r\n");
    let accept_with = |accept: Accept| {
        let mut server = rfc_server();
        let request = server.receive(&bytes).unwrap().unwrap();
        server.accept(&request, accept).unwrap_err()
    };
    let err = accept_with(Accept::new().subprotocol("superchat"));
    assert_eq!(
        err,
        HandshakeError::SubprotocolNotOffered("superchat".into())
    );
    assert_eq!(err.status(), Some(500));
    let err = accept_with(Accept::new().extension("permessage-deflate").unwrap());
    assert_eq!(
        err,
        HandshakeError::ExtensionNotOffered("permessage-deflate".into())
    );

    // A request from another handshake, and no request at all.
    let other = receive(RFC_REQUEST).unwrap().unwrap();
    let other_key = String::from_utf8(request_with(""))
        .unwrap()
        .replace("dGhlIHNhbXBsZSBub25jZQ==", "AQIDBAUGBwgJCgsMDQ4PEA==");
    let mut server = rfc_server();
    server.receive(other_key.as_bytes()).unwrap().unwrap();
    assert!(matches!(
        server.accept(&other, Accept::new()),
        Err(HandshakeError::WrongState(_))
    ));
    let server = rfc_server();
    assert!(matches!(
        server.accept(&other, Accept::new()),
        Err(HandshakeError::WrongState(_))
    ));
}

#[test]
fn builders_refuse_header_injection_and_reserved_fields() {
    let injected = Accept::new().header("X-A", "1\r\nX-B: 2").unwrap_err();
    assert!(matches!(
        injected,
        HandshakeError::InvalidHeaderInput { .. }
    ));
    assert!(Accept::new().header("Sec-WebSocket-Accept", "x").is_err());
    assert!(Accept::new().header("content-length", "0").is_err());
    assert!(Accept::new().extension("x; a=\"1\r\n\"").is_err());
    assert!(Accept::new().extension(" , ").is_err());
    assert!(Reject::new(400).header("Content-Length", "5").is_err());
    assert!(Reject::new(400).header("X", "a\nb").is_err());
}

#[test]
fn reject_builds_any_response() {
    let server = rfc_server();
    let response = server.reject(
        Reject::new(302)
            .header("Location", "/login")
            .unwrap()
            .body("moved"),
    );
    assert_eq!(
        &response[..],
        b"HTTP/1.1 302 Found\r\nLocation: /login\r\nConnection: close\r\n\
          Content-Length: 5\r\n\r\nmoved"
    );
    let server = rfc_server();
    let response = server.reject(Reject::new(499).header("connection", "keep-alive").unwrap());
    assert_eq!(
        &response[..],
        b"HTTP/1.1 499 \r\nconnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(Reject::new(101).status(), 500);
}

/// A TLS ClientHello sent to a plain port is refused with 400 at its first
/// byte, not held until a line end that never comes; the leading blank
/// lines RFC 9112 section 2.2 lets a server skip are still skipped.
#[test]
fn bytes_that_cannot_start_http_are_refused_at_once() {
    // A TLS 1.2 record header: handshake (22), version 3.1, length.
    let client_hello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];
    let (error, response) = rejection(&client_hello);
    assert!(
        matches!(error, HandshakeError::MalformedHttp(_)),
        "{error:?}"
    );
    assert!(response.starts_with("HTTP/1.1 400 "), "{response}");

    let mut handshake = rfc_server();
    assert_eq!(
        handshake.receive(b"\r\n\r\nGET /chat HTTP/1.1\r\n"),
        Ok(None)
    );
}

#[test]
fn an_invalid_config_is_refused_with_500_before_the_request_is_read() {
    let invalid = Config::default().with_max_frame_size(0);
    let mut server = ServerHandshake::new(invalid.clone());
    let error = server.receive(RFC_REQUEST).unwrap_err();
    let HandshakeError::Config(config_error) = &error else {
        panic!("expected a config error, got {error:?}");
    };
    assert_eq!(config_error.setting(), "max_frame_size");
    assert_eq!(error.status(), Some(500));
    let response = error.response().unwrap();
    assert!(response.starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
    assert!(server.buffered().is_empty(), "nothing was read");
    // The refusal is final.
    assert_eq!(server.receive(b"").unwrap_err(), error);

    // The same over the http crate's types, as hyper hands them over.
    let (parts, ()) = http::Request::get("http://example.com/chat")
        .header("host", "example.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap()
        .into_parts();
    let refused = ServerHandshake::from_http(invalid, &parts, None).unwrap_err();
    assert_eq!(refused, error);
    assert!(ServerHandshake::from_http(Config::default(), &parts, None).is_ok());
}
