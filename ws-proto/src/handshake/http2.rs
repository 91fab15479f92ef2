//! The HTTP/2 form of the opening handshake: an extended CONNECT (RFC 8441
//! sections 4 and 5; HTTP/3 bootstraps the same way, RFC 9220).
//!
//! A browser opens a WebSocket as a stream of an HTTP/2 connection once the
//! server advertised `SETTINGS_ENABLE_CONNECT_PROTOCOL`: the method is
//! `CONNECT`, the `:protocol` pseudo-header names `websocket`, and the
//! server answers 200. `Upgrade`, `Connection`, `Sec-WebSocket-Key` and
//! `Sec-WebSocket-Accept` are not used; the subprotocol and extension
//! negotiation is that of RFC 6455 unchanged.

use std::borrow::Cow;

use super::parts::header_map;
use super::{ClientRequest, HandshakeError, Request};

/// The `:protocol` of a WebSocket extended CONNECT: RFC 8441 section 4
/// adds the pseudo-header to name the protocol of the tunnel, from the
/// Upgrade Token registry, and section 5 uses `websocket`.
pub const PROTOCOL: &str = "websocket";

/// Validates an HTTP/2 (or HTTP/3) request as an extended CONNECT that
/// bootstraps a WebSocket.
pub(super) fn validate(request: Request) -> Result<Request, HandshakeError> {
    // A request with no `:protocol` that is no CONNECT is plain HTTP, for
    // the application to serve, as a request without `Upgrade` is on the
    // HTTP/1.1 path.
    let protocol = match (request.method(), request.protocol()) {
        ("CONNECT", Some(protocol)) => protocol,
        (_, None) if request.method() != "CONNECT" => {
            return Err(HandshakeError::NotUpgrade(Box::new(request)))
        }
        // Section 4: an extended CONNECT is a CONNECT that carries
        // `:protocol`; without it this is a CONNECT to a proxy.
        (_, None) => return Err(HandshakeError::MissingHeader(":protocol")),
        // Section 4 defines `:protocol` for the CONNECT method only.
        (method, Some(_)) => return Err(HandshakeError::MethodNotAllowed(method.to_owned())),
    };
    // Section 5: the WebSocket tunnel's `:protocol` is `websocket`,
    // compared like the Upgrade token it replaces (RFC 6455 section 4.2.1,
    // item 3). Another protocol is one this server does not implement:
    // RFC 9220 section 3 answers it with 501.
    if !protocol.eq_ignore_ascii_case(PROTOCOL) {
        return Err(HandshakeError::UnsupportedProtocol(protocol.to_owned()));
    }
    // Section 4: with `:protocol`, the `:scheme` and `:path` of the target
    // must be there too, and `:authority` names it (RFC 9113 section
    // 8.3.1).
    let Some((scheme, rest)) = request.target().split_once("://") else {
        return Err(HandshakeError::MissingHeader(":scheme"));
    };
    if scheme.is_empty() {
        return Err(HandshakeError::MissingHeader(":scheme"));
    }
    let path_at = rest.find(['/', '?']).unwrap_or(rest.len());
    if path_at == 0 {
        return Err(HandshakeError::MissingHeader(":authority"));
    }
    if !rest[path_at..].starts_with('/') {
        return Err(HandshakeError::MissingHeader(":path"));
    }
    // Section 5 keeps RFC 6455's version check (section 4.2.1, item 6).
    if request.head.single("Sec-WebSocket-Version")? != Some(b"13") {
        return Err(HandshakeError::UnsupportedVersion);
    }
    // Section 5: the key and accept fields are not processed, "as that
    // functionality has been superseded by the :protocol pseudo-header
    // field": a key is an HTTP/1.1 handshake sent on the wrong stream.
    if request.head.all("Sec-WebSocket-Key").next().is_some() {
        return Err(HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Key",
            reason: "not used over HTTP/2 (RFC 8441 section 5)",
        });
    }
    Ok(request)
}

/// The extended CONNECT request of section 5 for `request`: `:scheme`,
/// `:authority` and `:path` in the URI, `Sec-WebSocket-Version: 13`, the
/// offers and the extra headers; no `Sec-WebSocket-Key`, no `Upgrade`,
/// no `Connection` (connection-specific fields are malformed in HTTP/2:
/// RFC 9113 section 8.2.2).
pub(super) fn connect_request(
    request: &ClientRequest,
) -> Result<http::Request<()>, HandshakeError> {
    // Section 5: the scheme is that of the HTTP connection: `https` for a
    // secure WebSocket, `http` otherwise.
    let scheme = if request.is_secure() { "https" } else { "http" };
    let uri = format!("{scheme}://{}{}", request.host_header, request.target())
        .parse::<http::Uri>()
        .map_err(|_| HandshakeError::InvalidUrl("the URL is not a valid HTTP/2 target"))?;
    let fields = std::iter::once(("Sec-WebSocket-Version", Cow::Borrowed("13")))
        .chain(request.offer_fields());
    let mut connect = http::Request::new(());
    *connect.method_mut() = http::Method::CONNECT;
    *connect.uri_mut() = uri;
    *connect.version_mut() = http::Version::HTTP_2;
    *connect.headers_mut() = header_map(fields)?;
    Ok(connect)
}
