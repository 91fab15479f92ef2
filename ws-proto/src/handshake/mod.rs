//! The opening handshake: an HTTP/1.1 upgrade (RFC 6455 section 4).
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
//!   [`ClientHandshake::into_connection`] hands over the connection.
//!
//! Every failure is a [`HandshakeError`]. On the server side it carries the
//! HTTP status to answer with and a ready response
//! ([`HandshakeError::response`]): write it and close the transport. A
//! request that is plain HTTP (no `Upgrade` header at all) fails with
//! [`HandshakeError::NotUpgrade`], which carries the parsed request so that
//! the application can serve it, say a web page on the same port.
//!
//! The head is read incrementally and never scanned twice, however it is
//! split into reads (tungstenite's CVE-2023-43669 re-parsed it on every
//! read), within the limits of [`HandshakeLimits`].
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

use std::fmt;
use std::ops::Range;

use base64::engine::general_purpose::{GeneralPurpose, PAD, STANDARD};
use base64::{alphabet, Engine};
use bytes::{BufMut, Bytes, BytesMut};
use sha1::{Digest, Sha1};

use crate::config::HandshakeLimits;

mod client;
mod client_request;
mod http2;
mod parts;
mod server;

pub use client::{ClientHandshake, Response};
pub use client_request::{ClientRequest, IntoClientRequest};
pub use http2::PROTOCOL;
pub use server::{Accept, Reject, Request, ServerHandshake};

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

/// Why an opening handshake failed, on either side.
///
/// The variants are sorted by whose fault they are: the peer's HTTP
/// (malformed, over a limit, not a WebSocket upgrade), the server's answer
/// as the client judges it, and the caller's own input. On the server side,
/// [`status`](Self::status) is the HTTP status to answer with and
/// [`response`](Self::response) the whole response; the client side has no
/// one to answer and ignores them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The head is not valid HTTP/1.1 (400).
    MalformedHttp(&'static str),
    /// The head, up to and including its blank line, is longer than
    /// [`HandshakeLimits::max_bytes`] (431).
    HeadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// One line of the head is longer than [`HandshakeLimits::max_line`]:
    /// 414 (URI Too Long) for the request line, 431 for a header line.
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
        /// Whether it was the first line (request line or status line).
        first_line: bool,
    },
    /// More header fields than [`HandshakeLimits::max_headers`] (431).
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The method is not GET (405, with `Allow: GET`). Section 4.2.1, item
    /// 1: "An HTTP/1.1 or higher GET request".
    MethodNotAllowed(String),
    /// HTTP/1.0 (505): the upgrade needs HTTP/1.1 (section 4.1: "The method
    /// of the request MUST be GET, and the HTTP version MUST be at least
    /// 1.1").
    HttpVersionNotSupported,
    /// A request with no `Upgrade` header field at all: plain HTTP, not a
    /// WebSocket handshake (426). It carries the parsed request so the
    /// application can answer it as HTTP instead; the bytes that followed
    /// its head are in [`ServerHandshake::buffered`].
    NotUpgrade(Box<Request>),
    /// `Upgrade` does not name `websocket`, or `Connection` lacks the
    /// `Upgrade` token (426, with `Upgrade: websocket`). Section 4.2.1,
    /// items 3 and 4; section 4.1 for the client's check of the response.
    InvalidUpgrade {
        /// The header field at fault: `Upgrade` or `Connection`.
        header: &'static str,
    },
    /// `Sec-WebSocket-Version` is missing or not 13 (426, with
    /// `Sec-WebSocket-Version: 13`). Section 4.2.2: "the server MUST abort
    /// the WebSocket handshake \[...\] and instead send an appropriate HTTP
    /// error code (such as 426 Upgrade Required) and a
    /// |Sec-WebSocket-Version| header field indicating the version(s) the
    /// server is capable of understanding."
    UnsupportedVersion,
    /// Server side: the request's `Origin` is not one the server's
    /// [`OriginPolicy`](crate::origin::OriginPolicy) accepts (403): a page
    /// of another site tried to open a socket with the user's cookies
    /// (section 10.2). Carries the `Origin` as sent.
    ForbiddenOrigin(String),
    /// A required header field is absent (400): `Host`,
    /// `Sec-WebSocket-Key`, or on the client side `Sec-WebSocket-Accept`.
    MissingHeader(&'static str),
    /// A header field the handshake reads is repeated where it may appear
    /// once, or has a value that breaks its grammar (400).
    InvalidHeader {
        /// The header field.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Client side: the server answered with another status than 101
    /// (section 4.1: "If the status code received from the server is not
    /// 101, the client handles the response per HTTP \[RFC2616\]
    /// procedures"), for example 401, 403 or 404.
    Rejected {
        /// The status code.
        status: u16,
        /// The response head.
        response: Box<Response>,
        /// The bytes received after the head so far: the start of the body
        /// (its `Content-Length` says how much more to read for all of it).
        body: Bytes,
    },
    /// Client side: `Sec-WebSocket-Accept` is not the value the key
    /// requires (section 4.1, item 4).
    AcceptKeyMismatch,
    /// Client side: the server chose a subprotocol the client did not offer
    /// (section 4.1, item 6).
    UnofferedSubprotocol(String),
    /// Client side: the server accepted an extension the client did not
    /// offer (section 4.1, item 5).
    UnofferedExtension(String),
    /// Server side, the caller's fault: the application accepted with a
    /// subprotocol the client did not offer (section 4.2.2: the server
    /// selects "one or none of the acceptable protocols" the client listed).
    /// Answered with 500.
    SubprotocolNotOffered(String),
    /// Server side, the caller's fault: the application accepted an
    /// extension the client did not offer. Answered with 500.
    ExtensionNotOffered(String),
    /// The caller's fault: a header name that is not a token, a value with
    /// a control character (CR or LF would split the message), or a header
    /// field the handshake writes itself.
    InvalidHeaderInput {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The caller's fault: a URL or request target the client cannot use.
    InvalidUrl(&'static str),
    /// The caller's fault: a method called in the wrong state, such as
    /// [`ServerHandshake::accept`] before a request was received.
    WrongState(&'static str),
}

impl HandshakeError {
    /// The HTTP status a server answers this error with, if it is one a
    /// server meets. For [`SubprotocolNotOffered`](Self::SubprotocolNotOffered)
    /// and [`ExtensionNotOffered`](Self::ExtensionNotOffered) it is 500,
    /// since the request was fine and the application erred.
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            HandshakeError::MalformedHttp(_)
            | HandshakeError::MissingHeader(_)
            | HandshakeError::InvalidHeader { .. } => 400,
            HandshakeError::HeadTooLarge { .. } | HandshakeError::TooManyHeaders { .. } => 431,
            HandshakeError::LineTooLong { first_line, .. } => {
                if *first_line {
                    414
                } else {
                    431
                }
            }
            HandshakeError::ForbiddenOrigin(_) => 403,
            HandshakeError::MethodNotAllowed(_) => 405,
            HandshakeError::HttpVersionNotSupported => 505,
            HandshakeError::NotUpgrade(_)
            | HandshakeError::InvalidUpgrade { .. }
            | HandshakeError::UnsupportedVersion => 426,
            HandshakeError::SubprotocolNotOffered(_) | HandshakeError::ExtensionNotOffered(_) => {
                500
            }
            HandshakeError::Rejected { .. }
            | HandshakeError::AcceptKeyMismatch
            | HandshakeError::UnofferedSubprotocol(_)
            | HandshakeError::UnofferedExtension(_)
            | HandshakeError::InvalidHeaderInput { .. }
            | HandshakeError::InvalidUrl(_)
            | HandshakeError::WrongState(_) => return None,
        })
    }

    /// The complete HTTP/1.1 response a server sends for this error, or
    /// `None` when [`status`](Self::status) is `None`: status line, the
    /// headers the status calls for (`Allow: GET` with 405; `Upgrade:
    /// websocket` with 426, and `Sec-WebSocket-Version: 13` when the
    /// version was wrong), `Content-Length`, `Connection: close` and a short
    /// text body. Write it, then close the transport.
    pub fn response(&self) -> Option<Bytes> {
        let (status, mut headers) = self.answer(http::Version::HTTP_11)?;
        match headers.iter_mut().find(|(name, _)| *name == "Connection") {
            Some((_, value)) => *value = "Upgrade, close",
            None => headers.push(("Connection", "close")),
        }
        let body = format!("{}\n", self.explanation());
        Some(write_response(status, &headers, body.as_bytes()))
    }

    /// The response for this error as the `http` crate's type, for an HTTP
    /// server to send on a request of `version`, or `None` when
    /// [`status`](Self::status) is `None`: the status, the headers of
    /// [`response`](Self::response) but those an HTTP/2 response may not
    /// carry (`Upgrade`, `Connection`: RFC 9113 section 8.2.2; a 405 then
    /// allows `CONNECT`, RFC 8441 section 4) and the text body. The server
    /// writes `Content-Length` and closes as its protocol says.
    ///
    /// ```
    /// use ws_proto::handshake::HandshakeError;
    ///
    /// let response = HandshakeError::UnsupportedVersion
    ///     .http_response(http::Version::HTTP_2)
    ///     .expect("a server error");
    /// assert_eq!(response.status(), http::StatusCode::UPGRADE_REQUIRED);
    /// assert_eq!(response.headers()["sec-websocket-version"], "13");
    /// assert!(response.headers().get("upgrade").is_none());
    /// ```
    pub fn http_response(&self, version: http::Version) -> Option<http::Response<Bytes>> {
        let (status, headers) = self.answer(version)?;
        let mut response = http::Response::new(Bytes::from(format!("{}\n", self.explanation())));
        *response.status_mut() = http::StatusCode::from_u16(status).ok()?;
        *response.version_mut() = version;
        // The handshake's own constant fields, so always valid.
        *response.headers_mut() = parts::header_map(headers).ok()?;
        Some(response)
    }

    /// The status and header fields of the answer to this error on a
    /// request of `version`, without `Content-Length` and the closing
    /// `Connection` the wire adds.
    fn answer(&self, version: http::Version) -> Option<(u16, Vec<(&'static str, &'static str)>)> {
        let status = self.status()?;
        let http1 = version <= http::Version::HTTP_11;
        let mut headers = vec![("Content-Type", "text/plain; charset=utf-8")];
        match self {
            HandshakeError::MethodNotAllowed(_) => {
                headers.push(("Allow", if http1 { "GET" } else { "CONNECT" }))
            }
            HandshakeError::NotUpgrade(_)
            | HandshakeError::InvalidUpgrade { .. }
            | HandshakeError::UnsupportedVersion => {
                // RFC 7230 section 6.7: a 426 carries Upgrade, and whoever
                // sends Upgrade lists it in Connection (HTTP/1.1 only).
                if http1 {
                    headers.push(("Upgrade", "websocket"));
                }
                // Section 4.2.2: "a |Sec-WebSocket-Version| header field
                // indicating the version(s) the server is capable of
                // understanding" (kept by RFC 8441 section 5).
                if matches!(self, HandshakeError::UnsupportedVersion) {
                    headers.push(("Sec-WebSocket-Version", "13"));
                }
                if http1 {
                    headers.push(("Connection", "Upgrade"));
                }
            }
            _ => {}
        }
        Some((status, headers))
    }

    /// The body of [`response`](Self::response): fixed text, never the
    /// peer's bytes reflected back.
    fn explanation(&self) -> &'static str {
        match self {
            HandshakeError::MalformedHttp(_) => "Bad Request: malformed HTTP",
            HandshakeError::HeadTooLarge { .. } => "Request Header Fields Too Large",
            HandshakeError::LineTooLong {
                first_line: true, ..
            } => "URI Too Long",
            HandshakeError::LineTooLong { .. } => {
                "Request Header Fields Too Large: a line is too long"
            }
            HandshakeError::TooManyHeaders { .. } => {
                "Request Header Fields Too Large: too many header fields"
            }
            HandshakeError::ForbiddenOrigin(_) => "Forbidden: cross-origin WebSocket request",
            HandshakeError::MethodNotAllowed(_) => {
                "Method Not Allowed: a WebSocket handshake is a GET"
            }
            HandshakeError::HttpVersionNotSupported => {
                "HTTP Version Not Supported: a WebSocket handshake needs HTTP/1.1"
            }
            HandshakeError::NotUpgrade(_) | HandshakeError::InvalidUpgrade { .. } => {
                "Upgrade Required: this is a WebSocket endpoint"
            }
            HandshakeError::UnsupportedVersion => {
                "Upgrade Required: only WebSocket version 13 is supported"
            }
            HandshakeError::MissingHeader(_) => "Bad Request: a required header field is missing",
            HandshakeError::InvalidHeader { .. } => "Bad Request: invalid WebSocket header field",
            _ => "Internal Server Error",
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::MalformedHttp(reason) => write!(f, "malformed HTTP: {reason}"),
            HandshakeError::HeadTooLarge { limit } => {
                write!(f, "HTTP head larger than {limit} bytes")
            }
            HandshakeError::LineTooLong { limit, first_line } => {
                let which = if *first_line { "start" } else { "header" };
                write!(f, "HTTP {which} line longer than {limit} bytes")
            }
            HandshakeError::TooManyHeaders { limit } => {
                write!(f, "more than {limit} HTTP header fields")
            }
            HandshakeError::MethodNotAllowed(method) => {
                write!(f, "method {method} is not GET")
            }
            HandshakeError::HttpVersionNotSupported => f.write_str("HTTP version is not 1.1"),
            HandshakeError::NotUpgrade(request) => write!(
                f,
                "plain HTTP request ({} {}), not a WebSocket upgrade",
                request.method(),
                request.target()
            ),
            HandshakeError::InvalidUpgrade { header } => {
                write!(
                    f,
                    "{header} header field does not ask for a WebSocket upgrade"
                )
            }
            HandshakeError::UnsupportedVersion => {
                f.write_str("Sec-WebSocket-Version is missing or not 13")
            }
            HandshakeError::ForbiddenOrigin(origin) => {
                write!(f, "cross-origin request from {origin:?} refused")
            }
            HandshakeError::MissingHeader(name) => write!(f, "missing {name} header field"),
            HandshakeError::InvalidHeader { name, reason } => {
                write!(f, "invalid {name} header field: {reason}")
            }
            HandshakeError::Rejected { status, .. } => {
                write!(f, "server rejected the handshake with status {status}")
            }
            HandshakeError::AcceptKeyMismatch => {
                f.write_str("Sec-WebSocket-Accept does not match the key sent")
            }
            HandshakeError::UnofferedSubprotocol(name) => {
                write!(
                    f,
                    "server chose subprotocol {name:?}, which was not offered"
                )
            }
            HandshakeError::UnofferedExtension(name) => {
                write!(
                    f,
                    "server accepted extension {name:?}, which was not offered"
                )
            }
            HandshakeError::SubprotocolNotOffered(name) => {
                write!(
                    f,
                    "cannot accept subprotocol {name:?}: the client did not offer it"
                )
            }
            HandshakeError::ExtensionNotOffered(name) => {
                write!(
                    f,
                    "cannot accept extension {name:?}: the client did not offer it"
                )
            }
            HandshakeError::InvalidHeaderInput { name, reason } => {
                write!(f, "cannot send header field {name:?}: {reason}")
            }
            HandshakeError::InvalidUrl(reason) => write!(f, "invalid WebSocket URL: {reason}"),
            HandshakeError::WrongState(reason) => write!(f, "handshake misuse: {reason}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

/// One extension offered by a client, or accepted by a server, in a
/// `Sec-WebSocket-Extensions` header field (section 9.1):
///
/// ```text
/// extension-list = 1#extension
/// extension = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
///
/// Quoted values are unquoted: section 9.1 says "When using the
/// quoted-string syntax variant, the value after quoted-string unescaping
/// MUST conform to the 'token' ABNF", so `a="1"` and `a=1` are the same.
///
/// ```
/// use ws_proto::handshake::ExtensionOffer;
///
/// let offers = ExtensionOffer::parse_list(
///     "permessage-deflate; client_max_window_bits, x-foo; level=\"9\"",
/// )?;
/// assert_eq!(offers[0].name, "permessage-deflate");
/// assert_eq!(offers[0].params, [("client_max_window_bits".to_owned(), None)]);
/// assert_eq!(offers[1].param("level"), Some(Some("9")));
/// assert_eq!(offers[1].to_string(), "x-foo; level=9");
/// # Ok::<(), ws_proto::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionOffer {
    /// The extension's registered token, such as `permessage-deflate`.
    pub name: String,
    /// Its parameters in order, each a name and an optional (unquoted)
    /// value.
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// Parses one `Sec-WebSocket-Extensions` header value into its
    /// extensions, in order. Empty list elements are skipped (RFC 7230
    /// section 7).
    pub fn parse_list(value: &str) -> Result<Vec<ExtensionOffer>, HandshakeError> {
        let mut offers = Vec::new();
        parse_extensions(value.as_bytes(), &mut offers).map_err(|reason| {
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Extensions",
                reason,
            }
        })?;
        Ok(offers)
    }

    /// The value of parameter `name` (compared case-insensitively):
    /// `None` if absent, `Some(None)` if present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

impl fmt::Display for ExtensionOffer {
    /// The offer as a header value, `name; param; param=value`. Values are
    /// tokens (section 9.1), so none needs quoting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            if let Some(value) = value {
                write!(f, "={value}")?;
            }
        }
        Ok(())
    }
}

/// Parses a `Sec-WebSocket-Extensions` value (section 9.1) onto `out`: a
/// hand-written single pass, linear in the length of the value.
fn parse_extensions(value: &[u8], out: &mut Vec<ExtensionOffer>) -> Result<(), &'static str> {
    let mut c = Cursor { s: value, pos: 0 };
    loop {
        c.skip_ows();
        match c.peek() {
            None => return Ok(()),
            Some(b',') => {
                c.pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = c.token().ok_or("expected an extension name")?;
        let mut params = Vec::new();
        loop {
            c.skip_ows();
            if !c.eat(b';') {
                break;
            }
            c.skip_ows();
            let param = c.token().ok_or("expected a parameter name")?;
            c.skip_ows();
            let value = if c.eat(b'=') {
                c.skip_ows();
                Some(if c.peek() == Some(b'"') {
                    c.quoted_token()?
                } else {
                    c.token().ok_or("expected a parameter value")?.to_owned()
                })
            } else {
                None
            };
            params.push((param.to_owned(), value));
        }
        out.push(ExtensionOffer {
            name: name.to_owned(),
            params,
        });
        if !c.eat(b',') && c.peek().is_some() {
            return Err("expected ',' or ';'");
        }
    }
}

/// A position in a header value, for the extension grammar.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.pos += usize::from(hit);
        hit
    }

    /// Skips optional whitespace: `OWS = *( SP / HTAB )` (RFC 7230).
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A non-empty token, or `None` (and nothing consumed).
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        // Token characters are ASCII, so this conversion cannot fail.
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .filter(|t| !t.is_empty())
    }

    /// A quoted-string whose unescaped content is a token (section 9.1).
    fn quoted_token(&mut self) -> Result<String, &'static str> {
        self.pos += 1; // the opening quote
        let mut value = String::new();
        loop {
            let byte = match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => break,
                Some(b'\\') => {
                    self.pos += 1;
                    self.peek().ok_or("unterminated quoted string")?
                }
                Some(byte) => byte,
            };
            if !is_tchar(byte) {
                return Err("quoted parameter value is not a token");
            }
            value.push(char::from(byte));
            self.pos += 1;
        }
        self.pos += 1; // the closing quote
        if value.is_empty() {
            return Err("empty quoted parameter value");
        }
        Ok(value)
    }
}

/// `tchar` of RFC 7230 section 3.2.6: the characters of a token.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is a non-empty token.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// The elements of a comma-separated header list (RFC 7230 section 7),
/// trimmed, without the empty ones.
fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|e| !e.is_empty())
}

/// Checks a header field the caller wants to send: the name a token, the
/// value free of control characters other than HTAB, so that no CR or LF
/// can end the field early and smuggle in another one.
fn check_header_input(name: &str, value: &str) -> Result<(), HandshakeError> {
    let reason = if !is_token(name) {
        "the name is not an HTTP token"
    } else if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        "the value contains a control character such as CR or LF"
    } else {
        return Ok(());
    };
    Err(HandshakeError::InvalidHeaderInput {
        name: name.to_owned(),
        reason,
    })
}

/// Checks an extra header field the caller wants to send (see
/// [`check_header_input`]) and refuses the fields the handshake writes
/// itself, listed in `reserved`.
fn extra_header(
    name: String,
    value: String,
    reserved: &[&str],
) -> Result<(String, String), HandshakeError> {
    check_header_input(&name, &value)?;
    if reserved.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
        return Err(HandshakeError::InvalidHeaderInput {
            name,
            reason: "the handshake sets this header field itself",
        });
    }
    Ok((name, value))
}

/// Checks a `Sec-WebSocket-Extensions` value the caller wants to send
/// against the grammar of section 9.1; it must name an extension.
fn extension_value(value: String) -> Result<String, HandshakeError> {
    check_header_input("Sec-WebSocket-Extensions", &value)?;
    if ExtensionOffer::parse_list(&value)?.is_empty() {
        return Err(HandshakeError::InvalidHeaderInput {
            name: "Sec-WebSocket-Extensions".to_owned(),
            reason: "names no extension",
        });
    }
    Ok(value)
}

/// The reason phrase of the common statuses; empty for others, which
/// RFC 7230 section 3.1.2 allows.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Appends `name: value\r\n`.
fn put_header(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

/// A whole response: status line, `headers`, `Content-Length`, blank line,
/// `body`. The headers must have been checked already.
fn write_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(128 + body.len());
    out.put_slice(format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes());
    for (name, value) in headers {
        put_header(&mut out, name, value);
    }
    put_header(&mut out, "Content-Length", &body.len().to_string());
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.freeze()
}

/// Collects an HTTP head from reads of any size, looking at each byte once.
///
/// Every byte is scanned exactly once for the line ends, and the state of
/// the scan (where the current line began, how many lines came before) is
/// kept between reads, so a peer that sends one byte at a time costs time
/// linear in the size of the head. The limits are checked as the bytes
/// arrive, so a head over a limit is refused as soon as it passes it, not
/// when it ends. Only a complete head is handed to `httparse`, once.
#[derive(Debug, Default)]
struct HeadReader {
    /// The bytes received; once the head is split off, those that followed.
    buf: BytesMut,
    /// Bytes of `buf` before this were scanned already.
    scanned: usize,
    /// Where the line being scanned began.
    line_start: usize,
    /// Lines completed so far, not counting blank lines before the first.
    lines: usize,
    /// Whether the head was split off, leaving what followed it in `buf`.
    complete: bool,
    /// Bytes looked at in total, so tests can prove linearity.
    #[cfg(test)]
    bytes_scanned: usize,
}

impl HeadReader {
    /// Adds `data`. Returns the complete head, up to and including its
    /// blank line, once it is there; the bytes after it stay in `buf`.
    fn push(
        &mut self,
        data: &[u8],
        limits: &HandshakeLimits,
    ) -> Result<Option<Bytes>, HandshakeError> {
        self.buf.extend_from_slice(data);
        while let Some(i) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            let end = self.scanned + i;
            #[cfg(test)]
            {
                self.bytes_scanned += i + 1;
            }
            self.scanned = end + 1;
            let line = &self.buf[self.line_start..end];
            let len = line.strip_suffix(b"\r").unwrap_or(line).len();
            self.check_line(len, limits)?;
            self.line_start = end + 1;
            if len > 0 {
                self.lines += 1;
                // The first line is the request or status line.
                if self.lines > limits.max_headers() + 1 {
                    return Err(HandshakeError::TooManyHeaders {
                        limit: limits.max_headers(),
                    });
                }
            } else if self.lines > 0 {
                // The blank line that ends the head. (Blank lines before the
                // first line are skipped, here and by httparse: RFC 7230
                // section 3.5.)
                if self.scanned > limits.max_bytes() {
                    return Err(HandshakeError::HeadTooLarge {
                        limit: limits.max_bytes(),
                    });
                }
                self.complete = true;
                return Ok(Some(self.buf.split_to(self.scanned).freeze()));
            }
        }
        #[cfg(test)]
        {
            self.bytes_scanned += self.buf.len() - self.scanned;
        }
        self.scanned = self.buf.len();
        // The unfinished line may already be too long (a CR at its end may
        // belong to the line end, so it does not count).
        let partial = &self.buf[self.line_start..];
        self.check_line(partial.strip_suffix(b"\r").unwrap_or(partial).len(), limits)?;
        if self.buf.len() > limits.max_bytes() {
            return Err(HandshakeError::HeadTooLarge {
                limit: limits.max_bytes(),
            });
        }
        Ok(None)
    }

    fn check_line(&self, len: usize, limits: &HandshakeLimits) -> Result<(), HandshakeError> {
        if len > limits.max_line() {
            return Err(HandshakeError::LineTooLong {
                limit: limits.max_line(),
                first_line: self.lines == 0,
            });
        }
        Ok(())
    }

    /// The bytes that followed the head; empty until it is complete.
    fn rest(&self) -> &[u8] {
        if self.complete {
            &self.buf
        } else {
            &[]
        }
    }

    /// The number of header lines of the head: a bound for `httparse`.
    fn header_count(&self) -> usize {
        self.lines.saturating_sub(1)
    }
}

/// Maps an `httparse` error to the handshake's.
fn http_error(e: httparse::Error, limits: &HandshakeLimits) -> HandshakeError {
    HandshakeError::MalformedHttp(match e {
        httparse::Error::TooManyHeaders => {
            return HandshakeError::TooManyHeaders {
                limit: limits.max_headers(),
            }
        }
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status code",
        httparse::Error::Token => "invalid method or target",
        httparse::Error::Version => "invalid HTTP version",
    })
}

/// One header field of a stored head, as byte ranges into it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: Range<usize>,
    value: Range<usize>,
}

/// A parsed HTTP head kept as one buffer and the ranges of its header
/// fields within it: no allocation per field.
#[derive(Clone, PartialEq, Eq)]
struct Head {
    bytes: Bytes,
    fields: Vec<Field>,
}

/// The range `part` occupies inside `whole`, where `httparse` found it
/// (an empty range if `part` is not a subslice, which it always is).
fn span(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    match start.checked_add(part.len()) {
        Some(end) if end <= whole.len() => start..end,
        _ => 0..0,
    }
}

impl Head {
    fn new(bytes: Bytes, headers: &[httparse::Header<'_>]) -> Head {
        let fields = headers
            .iter()
            .map(|h| Field {
                name: span(&bytes, h.name.as_bytes()),
                value: span(&bytes, h.value.trim_ascii()),
            })
            .collect();
        Head { bytes, fields }
    }

    /// Text at `range`, which was checked to be UTF-8 when it was parsed.
    fn text(&self, range: &Range<usize>) -> &str {
        std::str::from_utf8(&self.bytes[range.clone()]).unwrap_or_default()
    }

    /// All fields in order, names as sent (tokens, so ASCII).
    fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields
            .iter()
            .map(|f| (self.text(&f.name), &self.bytes[f.value.clone()]))
    }

    /// The values of every field called `name`, case-insensitively.
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first value of `name`, if it is UTF-8.
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The only value of `name`: `Ok(None)` if absent, an error if repeated.
    fn single(&self, name: &'static str) -> Result<Option<&[u8]>, HandshakeError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(HandshakeError::InvalidHeader {
                name,
                reason: "appears more than once",
            });
        }
        Ok(first)
    }

    /// Whether the comma-separated lists of every `name` field hold
    /// `token`, compared case-insensitively.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.all(name)
            .flat_map(list_elements)
            .any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
    }

    /// The subprotocols listed in every `Sec-WebSocket-Protocol` field, in
    /// order. Section 4.1: "The elements that comprise this value MUST be
    /// non-empty strings with characters in the range U+0021 to U+007E not
    /// including separator characters as defined in \[RFC2616\]", that is,
    /// tokens.
    fn subprotocols(&self) -> Result<Vec<String>, HandshakeError> {
        self.all("Sec-WebSocket-Protocol")
            .flat_map(list_elements)
            .map(|e| match std::str::from_utf8(e) {
                Ok(p) if is_token(p) => Ok(p.to_owned()),
                _ => Err(HandshakeError::InvalidHeader {
                    name: "Sec-WebSocket-Protocol",
                    reason: "a subprotocol is not a token",
                }),
            })
            .collect()
    }

    /// The extensions of every `Sec-WebSocket-Extensions` field, in order;
    /// section 9.1: "Note that like other HTTP header fields, this header
    /// field MAY be split or combined across multiple lines".
    fn extensions(&self) -> Result<Vec<ExtensionOffer>, HandshakeError> {
        let mut offers = Vec::new();
        for value in self.all("Sec-WebSocket-Extensions") {
            parse_extensions(value, &mut offers).map_err(|reason| {
                HandshakeError::InvalidHeader {
                    name: "Sec-WebSocket-Extensions",
                    reason,
                }
            })?;
        }
        Ok(offers)
    }
}

impl fmt::Debug for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(n, v)| (n, String::from_utf8_lossy(v))))
            .finish()
    }
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

    #[test]
    fn extension_lists_parse_per_section_9_1() {
        let offers = ExtensionOffer::parse_list(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10 , \
             ,x-webkit;a=\"quo\\ted\";b, foo",
        )
        .unwrap();
        assert_eq!(offers.len(), 3);
        assert_eq!(offers[0].name, "permessage-deflate");
        assert_eq!(
            offers[0].params,
            [
                ("client_max_window_bits".to_owned(), None),
                ("server_max_window_bits".to_owned(), Some("10".to_owned())),
            ]
        );
        assert_eq!(offers[1].param("A"), Some(Some("quoted")));
        assert_eq!(offers[1].param("b"), Some(None));
        assert_eq!(offers[1].param("c"), None);
        assert_eq!(offers[2].to_string(), "foo");
        assert!(ExtensionOffer::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn malformed_extension_lists_are_refused() {
        for bad in [
            "foo;",
            "foo; =1",
            "foo; a=",
            "foo; a=\"1",
            "foo; a=\"\"",
            "foo; a=\"1 2\"",
            "foo bar",
            "foo; a=1 b",
            "; a",
            "foo; a=\"x\\",
        ] {
            let err = ExtensionOffer::parse_list(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    HandshakeError::InvalidHeader {
                        name: "Sec-WebSocket-Extensions",
                        ..
                    }
                ),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn header_input_refuses_response_splitting() {
        assert!(check_header_input("X-Ok", "a value\twith tab").is_ok());
        for (name, value) in [
            ("X-Bad", "a\r\nSet-Cookie: evil=1"),
            ("X-Bad", "a\nb"),
            ("X-Bad", "nul\0"),
            ("X Bad", "v"),
            ("X-Bad\r\n", "v"),
            ("", "v"),
        ] {
            assert!(
                matches!(
                    check_header_input(name, value),
                    Err(HandshakeError::InvalidHeaderInput { .. })
                ),
                "{name:?}: {value:?}"
            );
        }
    }

    #[test]
    fn error_responses_are_complete_http() {
        let response = HandshakeError::MissingHeader("Host").response().unwrap();
        let text = std::str::from_utf8(&response).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
        assert!(head.contains("\r\nConnection: close"));
        assert!(!body.is_empty());
        assert_eq!(HandshakeError::AcceptKeyMismatch.status(), None);
        assert_eq!(HandshakeError::AcceptKeyMismatch.response(), None);
    }

    fn limits(max_bytes: usize, max_headers: usize, max_line: usize) -> HandshakeLimits {
        HandshakeLimits::default()
            .with_max_bytes(max_bytes)
            .unwrap()
            .with_max_headers(max_headers)
            .unwrap()
            .with_max_line(max_line)
            .unwrap()
    }

    #[test]
    fn head_reader_splits_the_head_from_what_follows() {
        let mut reader = HeadReader::default();
        let limits = HandshakeLimits::default();
        assert_eq!(
            reader.push(b"\r\nGET / HTTP/1.1\r\nA: b\r", &limits),
            Ok(None)
        );
        let head = reader.push(b"\n\r\nrest", &limits).unwrap().unwrap();
        assert_eq!(&head[..], b"\r\nGET / HTTP/1.1\r\nA: b\r\n\r\n");
        assert_eq!(&reader.buf[..], b"rest");
        assert_eq!(reader.header_count(), 1);
    }

    #[test]
    fn head_reader_enforces_limits_as_bytes_arrive() {
        let limits = limits(300, 8, 64);
        let mut reader = HeadReader::default();
        let err = reader.push(&[b'a'; 65], &limits).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::LineTooLong {
                limit: 64,
                first_line: true
            }
        );
        // Exactly 64 bytes plus a CR still fits.
        let mut reader = HeadReader::default();
        let mut line = vec![b'a'; 64];
        line.push(b'\r');
        assert_eq!(reader.push(&line, &limits), Ok(None));

        let mut reader = HeadReader::default();
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend_from_slice(&[b'b'; 65]);
        let err = reader.push(&head, &limits).unwrap_err();
        assert_eq!(err.status(), Some(431));

        let mut reader = HeadReader::default();
        let head = format!("GET / HTTP/1.1\r\n{}", "a: b\r\n".repeat(9));
        let err = reader.push(head.as_bytes(), &limits).unwrap_err();
        assert_eq!(err, HandshakeError::TooManyHeaders { limit: 8 });

        let mut reader = HeadReader::default();
        let head = format!(
            "GET / HTTP/1.1\r\n{}",
            "a: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n".repeat(7)
        );
        let err = reader.push(head.as_bytes(), &limits).unwrap_err();
        assert_eq!(err, HandshakeError::HeadTooLarge { limit: 300 });
    }
}
