//! The client's URL parser, `ClientRequest::from_url` (RFC 6455 section 3),
//! on arbitrary strings.
//!
//! Checks: no panic; a URL that parses says the same when written back from
//! its parts (scheme, host, port, target) and parsed again; the request it
//! makes is one a server takes, with the target as the path and query, and
//! a `Host` that names the host, and the port unless it is the default.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_proto::entropy::Seeded;
use ws_proto::handshake::{ClientHandshake, ClientRequest, ServerHandshake};
use ws_proto::Config;
use ws_proto_fuzz::SEED;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(request) = ClientRequest::from_url(url) else {
        return;
    };
    let (secure, port) = (request.is_secure(), request.port());
    let default_port = if secure { 443 } else { 80 };
    let scheme = if secure { "wss" } else { "ws" };
    // An IPv6 address comes without its brackets.
    let host = match request.host() {
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_owned(),
    };
    assert!(request.target().starts_with('/'), "{url:?}");

    let again = format!("{scheme}://{host}:{port}{}", request.target());
    let reparsed = ClientRequest::from_url(&again)
        .unwrap_or_else(|e| panic!("{url:?} written back as {again:?} fails: {e:?}"));
    assert_eq!(
        (
            reparsed.host(),
            reparsed.port(),
            reparsed.is_secure(),
            reparsed.target()
        ),
        (request.host(), port, secure, request.target()),
        "{url:?} written back as {again:?}"
    );

    let target = request.target().to_owned();
    let (_, wire) = ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(SEED)));
    let mut server = ServerHandshake::new(Config::default());
    let received = server
        .receive(&wire)
        .unwrap_or_else(|e| panic!("the request for {url:?} is refused: {e:?}"))
        .expect("the whole request");
    assert_eq!(received.target(), target);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target.as_str(), None),
    };
    assert_eq!((received.path(), received.query()), (path, query));
    let host_header = if port == default_port {
        host
    } else {
        format!("{host}:{port}")
    };
    assert_eq!(received.host(), Some(host_header.as_str()));
});
