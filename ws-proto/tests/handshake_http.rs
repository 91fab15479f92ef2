//! The handshake through the `http` crate's types: the RFC 8441 (HTTP/2
//! extended CONNECT) vectors in both roles, its refusals and their
//! statuses, the HTTP/1.1 upgrade from parsed parts deciding as the wire
//! path decides, and the conversions of requests, acceptances and
//! refusals.

#![allow(clippy::unwrap_used)]

use http::{HeaderValue, Method, StatusCode, Version};
use ws_proto::entropy::Seeded;
use ws_proto::handshake::{
    Accept, ClientHandshake, ClientRequest, HandshakeError, IntoClientRequest, Reject,
    ServerHandshake, PROTOCOL,
};
use ws_proto::origin::OriginPolicy;
use ws_proto::{Config, Event};

/// The configuration of the RFC 8441 example: its page comes from
/// `www.example.com` and its socket goes to `server.example.com`.
fn config() -> Config {
    Config::default().with_origin_policy(OriginPolicy::any())
}

/// The request of RFC 8441 section 5.1, as an HTTP/2 server parses it.
fn rfc8441_request() -> http::request::Parts {
    http::Request::connect("https://server.example.com/chat")
        .version(Version::HTTP_2)
        .header("sec-websocket-protocol", "chat, superchat")
        .header("sec-websocket-extensions", "permessage-deflate")
        .header("sec-websocket-version", "13")
        .header("origin", "http://www.example.com")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

/// An HTTP/2 request like `rfc8441_request` with `edit` applied.
fn edited(edit: impl FnOnce(&mut http::request::Parts)) -> http::request::Parts {
    let mut parts = rfc8441_request();
    edit(&mut parts);
    parts
}

#[test]
fn the_rfc_8441_request_is_accepted_with_a_200() {
    let (server, request) =
        ServerHandshake::from_http(config(), &rfc8441_request(), Some(PROTOCOL)).unwrap();
    assert_eq!(request.version(), Version::HTTP_2);
    assert_eq!(request.protocol(), Some("websocket"));
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.host(), Some("server.example.com"));
    assert_eq!(request.subprotocols(), ["chat", "superchat"]);
    assert_eq!(request.extensions()[0].name, "permessage-deflate");
    assert_eq!(request.key(), None);

    let (response, mut connection) = server
        .accept_http(&request, Accept::new().subprotocol("chat"))
        .unwrap();
    // Section 5.1: ":status = 200", "sec-websocket-protocol = chat".
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    for absent in ["upgrade", "connection", "sec-websocket-accept"] {
        assert!(response.headers().get(absent).is_none(), "{absent}");
    }
    #[cfg(feature = "deflate")]
    assert_eq!(
        response.headers()["sec-websocket-extensions"],
        "permessage-deflate"
    );

    // The server's frames are unmasked, as over HTTP/1.1.
    connection.send_text("hi").unwrap();
    let wire = connection.take_transmit();
    assert_eq!(wire[1] & 0x80, 0);
}

#[test]
fn the_rfc_8441_client_request_and_response() {
    let request = ClientRequest::from_url("wss://server.example.com/chat")
        .unwrap()
        .subprotocol("chat")
        .unwrap()
        .subprotocol("superchat")
        .unwrap()
        .origin("http://www.example.com")
        .unwrap();
    let (mut client, connect) =
        ClientHandshake::extended_connect(request, config(), Box::new(Seeded::new(3))).unwrap();
    assert_eq!(connect.method(), Method::CONNECT);
    assert_eq!(connect.version(), Version::HTTP_2);
    assert_eq!(connect.uri(), "https://server.example.com/chat");
    let headers = connect.headers();
    assert_eq!(headers["sec-websocket-version"], "13");
    assert_eq!(headers["sec-websocket-protocol"], "chat, superchat");
    assert_eq!(headers["origin"], "http://www.example.com");
    for absent in ["sec-websocket-key", "upgrade", "connection", "host"] {
        assert!(headers.get(absent).is_none(), "{absent}");
    }

    // The server of this crate reads the request the client made.
    let (parts, ()) = connect.into_parts();
    let (server, seen) = ServerHandshake::from_http(config(), &parts, Some(PROTOCOL)).unwrap();
    assert_eq!(seen.subprotocols(), ["chat", "superchat"]);
    let (answer, mut server_connection) = server
        .accept_http(&seen, Accept::new().subprotocol("chat"))
        .unwrap();

    let (answer, ()) = answer.into_parts();
    let response = client.receive_http(&answer).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.subprotocol(), Some("chat"));
    let mut client_connection = client.into_connection().unwrap();

    // Client frames are masked (RFC 8441 section 5: the framing of RFC
    // 6455 is unchanged) and the two ends read each other.
    client_connection.send_text("Hello").unwrap();
    let wire = client_connection.take_transmit();
    assert_eq!(wire[1] & 0x80, 0x80);
    server_connection.receive(&wire);
    match server_connection.next_event().unwrap() {
        Some(Event::Text { payload, fin: true }) => assert_eq!(&payload[..], b"Hello"),
        other => panic!("unexpected {other:?}"),
    }
}

/// The status an HTTP/2 server answers `parts` with.
fn refusal(parts: &http::request::Parts, protocol: Option<&str>) -> HandshakeError {
    ServerHandshake::from_http(config(), parts, protocol).unwrap_err()
}

#[test]
fn broken_extended_connects_are_refused_with_the_right_status() {
    let request = rfc8441_request();

    let missing = refusal(&request, None);
    assert_eq!(missing, HandshakeError::MissingHeader(":protocol"));
    assert_eq!(missing.status(), Some(400));

    // RFC 9220 section 3: a protocol the server does not tunnel is 501.
    let wrong = refusal(&request, Some("connect-udp"));
    assert_eq!(
        wrong,
        HandshakeError::UnsupportedProtocol("connect-udp".to_owned())
    );
    assert_eq!(wrong.status(), Some(501));

    let keyed = edited(|p| {
        p.headers.insert(
            "sec-websocket-key",
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
    });
    let keyed = refusal(&keyed, Some(PROTOCOL));
    assert!(
        matches!(
            keyed,
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Key",
                ..
            }
        ),
        "{keyed:?}"
    );
    assert_eq!(keyed.status(), Some(400));

    let version_8 = edited(|p| {
        p.headers
            .insert("sec-websocket-version", HeaderValue::from_static("8"));
    });
    let old = refusal(&version_8, Some(PROTOCOL));
    assert_eq!(old, HandshakeError::UnsupportedVersion);
    let answer = old.http_response(Version::HTTP_2).unwrap();
    assert_eq!(answer.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(answer.headers()["sec-websocket-version"], "13");
    // Connection-specific fields are malformed in HTTP/2 (RFC 9113
    // section 8.2.2).
    assert!(answer.headers().get("upgrade").is_none());
    assert!(answer.headers().get("connection").is_none());

    let get = edited(|p| p.method = Method::GET);
    let get_with_protocol = refusal(&get, Some(PROTOCOL));
    assert_eq!(get_with_protocol.status(), Some(405));
    let answer = get_with_protocol.http_response(Version::HTTP_2).unwrap();
    assert_eq!(answer.headers()["allow"], "CONNECT");
    // A GET without `:protocol` is plain HTTP for the application.
    assert!(matches!(refusal(&get, None), HandshakeError::NotUpgrade(_)));

    let no_authority = edited(|p| p.uri = http::Uri::from_static("/chat"));
    assert_eq!(
        refusal(&no_authority, Some(PROTOCOL)),
        HandshakeError::MissingHeader(":scheme")
    );
}

#[test]
fn an_http2_client_refuses_what_it_did_not_offer() {
    let start = || {
        let request = ClientRequest::from_url("ws://example.com/")
            .unwrap()
            .subprotocol("chat")
            .unwrap();
        let config = Config::default();
        ClientHandshake::extended_connect(request, config, Box::new(Seeded::new(1)))
            .unwrap()
            .0
    };
    let answer = |status: u16, fields: &[(&str, &str)]| {
        let mut response = http::Response::builder()
            .status(status)
            .version(Version::HTTP_2);
        for (name, value) in fields {
            response = response.header(*name, *value);
        }
        response.body(()).unwrap().into_parts().0
    };

    let err = start()
        .receive_http(&answer(200, &[("sec-websocket-protocol", "other")]))
        .unwrap_err();
    assert_eq!(
        err,
        HandshakeError::UnofferedSubprotocol("other".to_owned())
    );

    let err = start()
        .receive_http(&answer(200, &[("sec-websocket-extensions", "x-unoffered")]))
        .unwrap_err();
    assert_eq!(
        err,
        HandshakeError::UnofferedExtension("x-unoffered".to_owned())
    );

    let err = start().receive_http(&answer(403, &[])).unwrap_err();
    assert!(
        matches!(err, HandshakeError::Rejected { status: 403, .. }),
        "{err:?}"
    );

    // A 101 is no answer to an extended CONNECT.
    let err = start().receive_http(&answer(101, &[])).unwrap_err();
    assert!(
        matches!(err, HandshakeError::Rejected { status: 101, .. }),
        "{err:?}"
    );

    let mut client = start();
    client.receive_http(&answer(200, &[])).unwrap();
    let again = client.receive_http(&answer(200, &[])).unwrap_err();
    assert!(matches!(again, HandshakeError::WrongState(_)), "{again:?}");
}

/// Parses a wire request head into the parts an HTTP/1.1 server hands
/// over.
fn parse_parts(wire: &[u8]) -> http::request::Parts {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    parsed.parse(wire).unwrap();
    let mut request = http::Request::builder()
        .method(parsed.method.unwrap())
        .uri(parsed.path.unwrap())
        .version(if parsed.version == Some(1) {
            Version::HTTP_11
        } else {
            Version::HTTP_10
        });
    for header in parsed.headers.iter() {
        request = request.header(header.name, header.value);
    }
    request.body(()).unwrap().into_parts().0
}

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// An HTTP/1.1 upgrade request with `fields` after the request line.
fn upgrade(method: &str, fields: &[&str]) -> Vec<u8> {
    let mut wire = format!("{method} /chat?room=1 HTTP/1.1\r\n");
    for field in fields {
        wire.push_str(field);
        wire.push_str("\r\n");
    }
    wire.push_str("\r\n");
    wire.into_bytes()
}

#[test]
fn the_wire_and_the_parsed_parts_decide_alike() {
    let base = [
        "Host: example.com",
        "Upgrade: websocket",
        "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Version: 13",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut fields = base.to_vec();
        fields.extend_from_slice(extra);
        fields
    }
    let with = |extra| with(&base, extra);
    let key = format!("Sec-WebSocket-Key: {KEY}");
    let cases: Vec<Vec<u8>> = vec![
        upgrade("GET", &with(&[&key])),
        upgrade(
            "GET",
            &with(&[
                &key,
                "Sec-WebSocket-Protocol: chat, superchat",
                "Sec-WebSocket-Extensions: x-foo; a=1, permessage-deflate; client_max_window_bits",
            ]),
        ),
        upgrade(
            "GET",
            &with(&[
                &key,
                "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10",
            ]),
        ),
        upgrade("POST", &with(&[&key])),
        upgrade("GET", &with(&[])),
        upgrade("GET", &with(&["Sec-WebSocket-Key: short"])),
        upgrade("GET", &with(&[&key, "Sec-WebSocket-Extensions: bad;"])),
        upgrade("GET", &with(&[&key, "Origin: http://evil.example"])),
        upgrade("GET", &base[..1]),
        upgrade(
            "GET",
            &[
                "Host: example.com",
                "Upgrade: h2c",
                "Connection: Upgrade",
                &key,
            ],
        ),
        upgrade(
            "GET",
            &[
                "Host: example.com",
                "Upgrade: websocket",
                "Connection: Upgrade",
                &key,
                "Sec-WebSocket-Version: 8",
            ],
        ),
    ];
    for wire in cases {
        let name = String::from_utf8_lossy(&wire).into_owned();
        let mut server = ServerHandshake::new(Config::default());
        let on_wire = server.receive(&wire).map(Option::unwrap);
        let parsed = ServerHandshake::from_http(Config::default(), &parse_parts(&wire), None);
        match (on_wire, parsed) {
            (Ok(request), Ok((from_parts, parsed))) => {
                assert_eq!(request.subprotocols(), parsed.subprotocols(), "{name}");
                assert_eq!(request.extensions(), parsed.extensions(), "{name}");
                let (bytes, _) = server.accept(&request, Accept::new()).unwrap();
                let (answer, _) = from_parts.accept_http(&parsed, Accept::new()).unwrap();
                assert_eq!(answer.status(), StatusCode::SWITCHING_PROTOCOLS, "{name}");
                assert_eq!(
                    answer.headers()["sec-websocket-accept"],
                    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
                );
                let wire_answer = String::from_utf8(bytes.to_vec()).unwrap();
                let extensions = wire_answer
                    .lines()
                    .find_map(|line| line.strip_prefix("Sec-WebSocket-Extensions: "));
                assert_eq!(
                    extensions,
                    answer
                        .headers()
                        .get("sec-websocket-extensions")
                        .map(|v| v.to_str().unwrap()),
                    "{name}"
                );
            }
            (Err(wire_error), Err(parts_error)) => {
                assert_eq!(wire_error.status(), parts_error.status(), "{name}");
                assert_eq!(
                    std::mem::discriminant(&wire_error),
                    std::mem::discriminant(&parts_error),
                    "{name}"
                );
            }
            (on_wire, parsed) => panic!("{name}: the wire gave {on_wire:?}, the parts {parsed:?}"),
        }
    }
}

#[test]
fn an_http1_upgrade_from_parts_is_answered_with_a_101() {
    let wire = upgrade(
        "GET",
        &[
            "Host: example.com",
            "Upgrade: websocket",
            "Connection: Upgrade",
            &format!("Sec-WebSocket-Key: {KEY}"),
            "Sec-WebSocket-Version: 13",
        ],
    );
    let (server, request) =
        ServerHandshake::from_http(Config::default(), &parse_parts(&wire), None).unwrap();
    // The wire answer is for HTTP/1.1 upgrades read from bytes; a request
    // given as parts is answered as parts.
    let accept = Accept::try_from(
        http::Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header("set-cookie", "session=1")
            .body(())
            .unwrap(),
    )
    .unwrap();
    let (answer, _connection) = server.accept_http(&request, accept).unwrap();
    assert_eq!(answer.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(answer.headers()["upgrade"], "websocket");
    assert_eq!(answer.headers()["connection"], "Upgrade");
    assert_eq!(answer.headers()["set-cookie"], "session=1");
}

#[test]
fn an_http2_request_is_not_answered_with_wire_bytes() {
    let (server, request) =
        ServerHandshake::from_http(config(), &rfc8441_request(), Some(PROTOCOL)).unwrap();
    let err = server.accept(&request, Accept::new()).unwrap_err();
    assert!(matches!(err, HandshakeError::WrongState(_)), "{err:?}");
}

#[test]
fn a_wire_request_converts_to_http_with_every_field() {
    let wire = upgrade(
        "GET",
        &[
            "Host: example.com",
            "Upgrade: websocket",
            "Connection: Upgrade",
            &format!("Sec-WebSocket-Key: {KEY}"),
            "Sec-WebSocket-Version: 13",
            "Cookie: a=1",
            "Cookie: b=2",
            "X-Raw: caf\u{e9}",
        ],
    );
    let mut server = ServerHandshake::new(Config::default());
    let request = server.receive(&wire).unwrap().unwrap();
    let converted = request.to_http().unwrap();
    assert_eq!(converted.method(), Method::GET);
    assert_eq!(converted.uri(), "/chat?room=1");
    assert_eq!(converted.version(), Version::HTTP_11);
    let cookies: Vec<_> = converted.headers().get_all("cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(
        converted.headers()["x-raw"].as_bytes(),
        "caf\u{e9}".as_bytes()
    );
    assert_eq!(converted.headers().len(), 8);

    // And back: the same view.
    let (parts, ()) = converted.into_parts();
    let (_, again) = ServerHandshake::from_http(Config::default(), &parts, None).unwrap();
    assert_eq!(again.to_http().unwrap().headers(), &parts.headers);
    assert_eq!(
        again.cookies().collect::<Vec<_>>(),
        [("a", "1"), ("b", "2")]
    );
}

#[test]
fn a_client_takes_urls_uris_and_http_requests() {
    for request in [
        "ws://example.com:8080/chat?x=1"
            .into_client_request()
            .unwrap(),
        String::from("ws://example.com:8080/chat?x=1")
            .into_client_request()
            .unwrap(),
        http::Uri::from_static("ws://example.com:8080/chat?x=1")
            .into_client_request()
            .unwrap(),
    ] {
        assert_eq!(
            (request.host(), request.port(), request.target()),
            ("example.com", 8080, "/chat?x=1")
        );
    }

    let request = http::Request::get("wss://example.com/feed")
        .header("Authorization", "Bearer abc")
        .header("Cookie", "session=1")
        .header("Sec-WebSocket-Protocol", "v2, v1")
        .header("Origin", "https://example.com")
        .body(())
        .unwrap()
        .into_client_request()
        .unwrap();
    let (_, wire) = ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(1)));
    let mut server = ServerHandshake::new(Config::default());
    let seen = server.receive(&wire).unwrap().unwrap();
    assert_eq!(seen.header("authorization"), Some("Bearer abc"));
    assert_eq!(seen.cookies().collect::<Vec<_>>(), [("session", "1")]);
    assert_eq!(seen.subprotocols(), ["v2", "v1"]);
    assert_eq!(seen.origin(), Some("https://example.com"));

    // The caller's misuse: not a GET, a field the handshake writes, a
    // value that is not text.
    let post = http::Request::post("ws://example.com/").body(()).unwrap();
    let err = post.into_client_request().unwrap_err();
    assert!(
        matches!(err, HandshakeError::InvalidHeaderInput { .. }),
        "{err:?}"
    );
    let keyed = http::Request::get("ws://example.com/")
        .header("Sec-WebSocket-Key", KEY)
        .body(())
        .unwrap();
    let err = keyed.into_client_request().unwrap_err();
    assert!(
        matches!(err, HandshakeError::InvalidHeaderInput { .. }),
        "{err:?}"
    );
    let binary = http::Request::get("ws://example.com/")
        .header("X-Bin", HeaderValue::from_bytes(b"\xff").unwrap())
        .body(())
        .unwrap();
    let err = binary.into_client_request().unwrap_err();
    assert!(
        matches!(err, HandshakeError::InvalidHeaderInput { .. }),
        "{err:?}"
    );
    let err = "http://example.com/".into_client_request().unwrap_err();
    assert!(matches!(err, HandshakeError::InvalidUrl(_)), "{err:?}");
}

#[test]
fn refusals_convert_both_ways() {
    let response = http::Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header("www-authenticate", "Basic realm=\"chat\"")
        .header("content-length", "99")
        .body("log in first\n")
        .unwrap();
    let reject = Reject::try_from(response).unwrap();
    assert_eq!(reject.status(), 401);
    let back: http::Response<bytes::Bytes> = reject.try_into().unwrap();
    assert_eq!(back.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(back.headers()["www-authenticate"], "Basic realm=\"chat\"");
    // The body decides the length.
    assert!(back.headers().get("content-length").is_none());
    assert_eq!(&back.body()[..], b"log in first\n");

    let not_an_acceptance = http::Response::builder()
        .status(StatusCode::FORBIDDEN)
        .body(())
        .unwrap();
    assert!(Accept::try_from(not_an_acceptance).is_err());
}

mod round_trip {
    use super::*;
    use proptest::prelude::*;

    /// A header name the handshake does not read: a token.
    fn name() -> impl Strategy<Value = String> {
        "x-[a-z0-9!#$%&'*+.^_`|~-]{1,12}"
    }

    /// A header value as the `http` crate takes it: visible ASCII, spaces
    /// and tabs inside, bytes 0x80-0xFF, no surrounding whitespace (which
    /// both paths trim).
    fn value() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![0x21u8..=0x7e, 0x80u8..=0xff, Just(b' '), Just(b'\t')],
            0..24,
        )
        .prop_map(|v| v.trim_ascii().to_vec())
    }

    proptest! {
        /// An `http::Request` through the server's view and back is the
        /// same request, whatever extra fields it holds, in both forms.
        #[test]
        fn requests_survive_the_view(
            fields in proptest::collection::vec((name(), value()), 0..12),
            http2 in any::<bool>(),
        ) {
            let mut request = if http2 {
                http::Request::connect("https://example.com/chat?room=1")
                    .version(Version::HTTP_2)
            } else {
                http::Request::get("/chat?room=1")
                    .header("host", "example.com")
                    .header("upgrade", "websocket")
                    .header("connection", "Upgrade")
                    .header("sec-websocket-key", KEY)
            }
            .header("sec-websocket-version", "13");
            for (name, value) in &fields {
                request = request.header(name.as_str(), HeaderValue::from_bytes(value).unwrap());
            }
            let (parts, ()) = request.body(()).unwrap().into_parts();
            let protocol = http2.then_some(PROTOCOL);
            let (_, view) = ServerHandshake::from_http(Config::default(), &parts, protocol).unwrap();
            for (name, value) in &fields {
                prop_assert!(view.headers().any(|(n, v)| n == name && v == &value[..]));
            }
            let back = view.to_http().unwrap();
            prop_assert_eq!(back.method(), &parts.method);
            prop_assert_eq!(back.uri(), &parts.uri);
            prop_assert_eq!(back.version(), parts.version);
            prop_assert_eq!(back.headers(), &parts.headers);
            // And again, from the view's own conversion.
            let (again, ()) = back.into_parts();
            let (_, view_again) = ServerHandshake::from_http(Config::default(), &again, protocol).unwrap();
            prop_assert_eq!(view_again.headers().collect::<Vec<_>>(), view.headers().collect::<Vec<_>>());
        }
    }
}
