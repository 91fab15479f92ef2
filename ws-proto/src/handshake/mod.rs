//! The opening handshake: an HTTP/1.1 upgrade (RFC 6455 section 4), or an
//! HTTP/2 extended CONNECT (RFC 8441).
//!
//! Both sides are sans-IO like the rest of the crate: bytes read from the
//! transport go in, bytes to write come out, and once the handshake is done
//! a [`Connection`](crate::Connection) is handed over that has already been
//! fed whatever bytes followed the HTTP head (frames a peer sent right
//! behind its handshake).
//!
//! - Server: a [`ServerHandshake`] buffers the request and yields a
//!   [`Request`] once its head is complete and valid. The application looks
//!   at it (path, query, cookies, origin, offered subprotocols and
//!   extensions) and then either [accepts](ServerHandshake::accept) it with
//!   an [`Accept`] or [rejects](ServerHandshake::reject) it with any HTTP
//!   response built by [`Reject`].
//! - Client: a [`ClientRequest`] describes the request, a
//!   [`ClientHandshake`] writes it and validates the server's answer, and
//!   [`ClientHandshake::into_connection`] hands over the connection. The
//!   request can also be a URL, an `http::Uri` or an `http::Request<()>`
//!   ([`IntoClientRequest`]).
//! - With an HTTP stack that parses HTTP itself (hyper, axum, h2), the
//!   `http` crate's types are the edges:
//!   [`ServerHandshake::from_http`] takes `http::request::Parts` (HTTP/1.1
//!   or HTTP/2) and [`ServerHandshake::accept_http`] gives the
//!   `http::Response` to send; [`ClientHandshake::extended_connect`] builds
//!   the HTTP/2 request and [`ClientHandshake::receive_http`] checks the
//!   parsed answer.
//!
//! Every failure is a [`HandshakeError`], whose [`fault`](HandshakeError::fault)
//! says whose it is. On the server side it carries the
//! HTTP status to answer with and a ready response
//! ([`HandshakeError::response`]): write it and close the transport. A
//! request that is plain HTTP (no `Upgrade` header at all) fails with
//! [`HandshakeError::NotUpgrade`], which carries the parsed request so that
//! the application can serve it, say a web page on the same port.
//!
//! The head is read incrementally and never scanned twice, however it is
//! split into reads (tungstenite's CVE-2023-43669 re-parsed it on every
//! read), within the limits of [`HandshakeLimits`](crate::HandshakeLimits).
//!
//! ```
//! use ws_proto::entropy::Seeded;
//! use ws_proto::handshake::{Accept, ClientHandshake, ClientRequest, ServerHandshake};
//! use ws_proto::Config;
//!
//! // The client writes its request...
//! let request = ClientRequest::from_url("ws://example.com/chat?room=1")?
//!     .subprotocol("chat")?;
//! let (mut client, request_bytes) =
//!     ClientHandshake::new(request, Config::default(), Box::new(Seeded::new(7)));
//!
//! // ...the server reads it (in as many pieces as the transport likes)...
//! let mut server = ServerHandshake::new(Config::default());
//! let request = server.receive(&request_bytes)?.expect("a complete request");
//! assert_eq!(request.path(), "/chat");
//! assert_eq!(request.subprotocols(), ["chat"]);
//!
//! // ...and accepts it, choosing the subprotocol.
//! let (response_bytes, _server_conn) =
//!     server.accept(&request, Accept::new().subprotocol("chat"))?;
//!
//! // The client validates the 101 and takes its connection.
//! let response = client.receive(&response_bytes)?.expect("a complete response");
//! assert_eq!(response.subprotocol(), Some("chat"));
//! let _client_conn = client.into_connection()?;
//! # Ok::<(), ws_proto::handshake::HandshakeError>(())
//! ```

use base64::engine::general_purpose::{GeneralPurpose, PAD, STANDARD};
use base64::{alphabet, Engine};
use sha1::{Digest, Sha1};

mod client;
mod client_request;
mod error;
mod fields;
mod head;
mod http2;
mod offer;
mod parts;
mod request;
mod response;
mod server;
mod write;

pub use client::ClientHandshake;
pub use client_request::{ClientRequest, IntoClientRequest};
pub use error::{Fault, HandshakeError};
pub use http2::PROTOCOL;
pub use offer::ExtensionOffer;
pub use request::{Accept, Reject, Request};
pub use response::Response;
pub use server::ServerHandshake;

use fields::{check_header_input, extension_value, extra_header};
use head::{http_error, span, Field, Head, Reading};
use offer::{is_token, list_elements, parse_extensions};
use write::{put_header, write_response};

/// The GUID of section 1.3, appended to the key to compute the accept value.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Decodes `Sec-WebSocket-Key`. Padding is required but non-zero pad bits
/// are let through: the RFC's own sample key in section 4.1 had them
/// (erratum 3150), and the key is only ever hashed as a string.
const KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    PAD.with_decode_allow_trailing_bits(true),
);

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value.
///
/// Section 1.3: "the server has to take the value (as present in the header
/// field, e.g., the base64-encoded \[RFC4648\] version minus any leading and
/// trailing whitespace) and concatenate this with the Globally Unique
/// Identifier (GUID, \[RFC4122\]) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" \[...\]
/// A SHA-1 hash (160 bits) \[FIPS.180-3\], base64-encoded (see Section 4 of
/// \[RFC4648\]), of this concatenation is then returned".
///
/// ```
/// assert_eq!(
///     ws_proto::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
/// );
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha1.finalize())
}

/// Whether a `Sec-WebSocket-Key` value decodes to 16 bytes (section 4.2.1,
/// item 5).
fn is_valid_key(key: &[u8]) -> bool {
    // 16 bytes are 24 base64 characters; a longer value cannot be one.
    key.len() == 24 && KEY_ENGINE.decode(key).is_ok_and(|raw| raw.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_the_section_1_3_vector() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn keys_must_decode_to_16_bytes() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        // Section 4.1's sample with its non-zero pad bits (erratum 3150).
        assert!(is_valid_key(b"AQIDBAUGBwgJCgsMDQ4PEC=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ")); // unpadded
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZXg=")); // 17 bytes
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25j")); // 15 bytes
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZ!=="));
    }
}
