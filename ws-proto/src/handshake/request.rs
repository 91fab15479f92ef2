//! The server's view of a request, and how the application answers it:
//! [`Accept`] or [`Reject`] (RFC 6455 section 4.2.2).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use bytes::Bytes;

use super::{
    extension_value, extra_header, http_error, span, write_response, ExtensionOffer,
    HandshakeError, Head,
};

/// Header fields an [`Accept`] may not add: the handshake writes them, or a
/// 101 response may not carry them (RFC 7230 section 3.3.2).
const ACCEPT_RESERVED: &[&str] = &[
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Content-Length",
    "Transfer-Encoding",
];

/// A client's opening handshake, as the application sees it before
/// accepting or rejecting it.
///
/// The head is stored once; header values are views into it. The
/// WebSocket accessors ([`key`](Self::key), [`subprotocols`](Self::subprotocols),
/// [`extensions`](Self::extensions)) are empty on the plain HTTP request
/// that [`HandshakeError::NotUpgrade`] carries.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub(super) head: Head,
    pub(super) method: Range<usize>,
    pub(super) target: Range<usize>,
    pub(super) version: http::Version,
    /// The `:protocol` of an HTTP/2 extended CONNECT (RFC 8441 section 4).
    pub(super) protocol: Option<String>,
    pub(super) key: Option<Range<usize>>,
    pub(super) subprotocols: Vec<String>,
    pub(super) extensions: Vec<ExtensionOffer>,
}

impl Request {
    /// Parses a complete head with `header_count` header lines.
    pub(super) fn parse(
        bytes: Bytes,
        header_count: usize,
        limits: &crate::HandshakeLimits,
    ) -> Result<Request, HandshakeError> {
        let mut headers = vec![httparse::EMPTY_HEADER; header_count];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&bytes) {
            Ok(httparse::Status::Complete(len)) if len == bytes.len() => {}
            Ok(_) => return Err(HandshakeError::MalformedHttp("incomplete request head")),
            Err(e) => return Err(http_error(e, limits)),
        }
        let (Some(method), Some(target), Some(minor_version)) =
            (parsed.method, parsed.path, parsed.version)
        else {
            return Err(HandshakeError::MalformedHttp("incomplete request line"));
        };
        let method = span(&bytes, method.as_bytes());
        let target = span(&bytes, target.as_bytes());
        let head = Head::new(bytes.clone(), parsed.headers);
        let version = if minor_version == 1 {
            http::Version::HTTP_11
        } else {
            http::Version::HTTP_10
        };
        Ok(Request::new(head, method, target, version, None))
    }

    /// A request not validated yet, from its head and the ranges of its
    /// request line.
    pub(super) fn new(
        head: Head,
        method: Range<usize>,
        target: Range<usize>,
        version: http::Version,
        protocol: Option<String>,
    ) -> Request {
        Request {
            head,
            method,
            target,
            version,
            protocol,
            key: None,
            subprotocols: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// The method, `GET` for every request handed out by `receive`.
    pub fn method(&self) -> &str {
        self.head.text(&self.method)
    }

    /// The request-target as sent: a path with an optional query
    /// (`/chat?room=1`), or an absolute URI.
    pub fn target(&self) -> &str {
        self.head.text(&self.target)
    }

    /// The HTTP version: HTTP/1.1 for an upgrade, HTTP/2 (or HTTP/3) for
    /// an extended CONNECT, and HTTP/1.0 only on a plain request carried
    /// by [`HandshakeError::NotUpgrade`].
    pub fn version(&self) -> http::Version {
        self.version
    }

    /// The `:protocol` pseudo-header of an extended CONNECT (RFC 8441
    /// section 4), `websocket` on every such request a handshake hands
    /// out; `None` over HTTP/1.x.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The target without the scheme and authority of an absolute URI.
    fn origin_form(&self) -> &str {
        let target = self.target();
        if target.starts_with('/') {
            return target;
        }
        match target.split_once("://") {
            Some((_, rest)) => rest.find(['/', '?']).map_or("", |i| &rest[i..]),
            // The asterisk or authority form of a plain HTTP request.
            None => target,
        }
    }

    /// The path of the target, without its query: `/chat` for
    /// `/chat?room=1` and for `http://example.com/chat?room=1`. Still
    /// percent-encoded.
    pub fn path(&self) -> &str {
        let target = self.origin_form();
        match &target[..target.find(['?', '#']).unwrap_or(target.len())] {
            "" => "/",
            path => path,
        }
    }

    /// The raw query of the target, after `?` and without it, if there is
    /// one.
    pub fn query(&self) -> Option<&str> {
        let target = self.origin_form();
        let target = &target[..target.find('#').unwrap_or(target.len())];
        target.split_once('?').map(|(_, query)| query)
    }

    /// The query's `name=value` pairs in order, percent-decoded, with `+`
    /// read as a space (the `application/x-www-form-urlencoded` rules).
    /// A pair without `=` has an empty value; empty pairs are skipped;
    /// invalid escapes are kept as they are and invalid UTF-8 is replaced
    /// with U+FFFD.
    pub fn query_params(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        self.query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(name), form_decode(value))
            })
    }

    /// The value of the first header field called `name` (compared
    /// case-insensitively), if there is one and it is UTF-8. For repeated
    /// fields and raw bytes, see [`headers`](Self::headers).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.get(name)
    }

    /// Every header field in order: the name as sent and the raw value
    /// (without surrounding whitespace).
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.head.iter()
    }

    /// The cookies of every `Cookie` header field, as `(name, value)` pairs
    /// in order (RFC 6265 section 5.4: `name=value` pairs separated by
    /// `; `). A value in double quotes is given without them; a pair
    /// without `=` is skipped.
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.head
            .all("Cookie")
            .filter_map(|value| std::str::from_utf8(value).ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let name = name.trim_matches([' ', '\t']);
                let value = value.trim_matches([' ', '\t']);
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(value);
                (!name.is_empty()).then_some((name, value))
            })
    }

    /// The authority the client asked for: the `Host` header field, or
    /// for a request without one (HTTP/2, whose `:authority` replaces it:
    /// RFC 9113 section 8.3.1) the authority of an absolute target.
    pub fn host(&self) -> Option<&str> {
        self.head.get("Host").or_else(|| {
            let (_, rest) = self.target().split_once("://")?;
            Some(&rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())])
                .filter(|a| !a.is_empty())
        })
    }

    /// The `Origin` header field, which browsers send (section 4.2.1, item
    /// 7; section 10.2: a server that serves only some sites checks it).
    pub fn origin(&self) -> Option<&str> {
        self.head.get("Origin")
    }

    /// The subprotocols the client offered, in its order of preference
    /// (section 4.2.1, item 8), from every `Sec-WebSocket-Protocol` field.
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// The extensions the client offered, in order, from every
    /// `Sec-WebSocket-Extensions` field (section 9.1).
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// The `Sec-WebSocket-Key` value; present on every request that
    /// [`ServerHandshake::receive`](super::ServerHandshake::receive) returns.
    pub fn key(&self) -> Option<&str> {
        self.key.as_ref().map(|key| self.head.text(key))
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("target", &self.target())
            .field("version", &self.version())
            .field("protocol", &self.protocol())
            .field("headers", &self.head)
            .finish()
    }
}

/// Decodes a query component: `+` is a space, `%XX` a byte.
fn form_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                    // Two hex digits make a value below 256.
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// How to accept a request: the subprotocol and extensions chosen, and
/// extra header fields for the 101 response.
///
/// ```
/// use ws_proto::handshake::Accept;
///
/// let accept = Accept::new()
///     .subprotocol("chat")
///     .extension("permessage-deflate; server_no_context_takeover")?
///     .header("Set-Cookie", "session=1; HttpOnly")?;
/// assert!(Accept::new().header("X-Evil", "a\r\nSet-Cookie: x=1").is_err());
/// # let _ = accept;
/// # Ok::<(), ws_proto::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Accept {
    pub(super) subprotocol: Option<String>,
    pub(super) extensions: Vec<String>,
    pub(super) headers: Vec<(String, String)>,
}

impl Accept {
    /// An acceptance with no subprotocol, no extension, no extra header.
    pub fn new() -> Self {
        Accept::default()
    }

    /// Chooses the subprotocol to speak, one of
    /// [`Request::subprotocols`]; [`ServerHandshake::accept`](super::ServerHandshake::accept) refuses any
    /// other.
    pub fn subprotocol(mut self, name: impl Into<String>) -> Self {
        self.subprotocol = Some(name.into());
        self
    }

    /// Adds a `Sec-WebSocket-Extensions` value accepting one or more
    /// offered extensions with their response parameters, such as
    /// `permessage-deflate; server_no_context_takeover`. Checked against
    /// the grammar of section 9.1 here, and against the offers in
    /// [`ServerHandshake::accept`](super::ServerHandshake::accept). Several calls are joined into one field
    /// in the order made.
    pub fn extension(mut self, value: impl Into<String>) -> Result<Self, HandshakeError> {
        self.extensions.push(extension_value(value.into())?);
        Ok(self)
    }

    /// Adds a header field to the 101 response, such as `Set-Cookie`.
    /// Refuses a name that is not a token, a value with CR, LF or another
    /// control character (response splitting), and the fields the
    /// handshake writes itself.
    pub fn header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, HandshakeError> {
        self.headers
            .push(extra_header(name.into(), value.into(), ACCEPT_RESERVED)?);
        Ok(self)
    }
}

/// An HTTP response refusing the handshake: any status, headers and body.
///
/// `Content-Length` is always set from the body, and `Connection: close`
/// unless a `Connection` field was added.
///
/// ```
/// use ws_proto::handshake::Reject;
///
/// let reject = Reject::new(401)
///     .header("WWW-Authenticate", "Basic realm=\"chat\"")?
///     .body("log in first\n");
/// assert_eq!(reject.status(), 401);
/// # Ok::<(), ws_proto::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Reject {
    pub(super) status: http::StatusCode,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Bytes,
}

impl Reject {
    /// A response with `status` and an empty body. A status outside
    /// 200-599 (a 1xx would tell the client to keep waiting) is sent as 500.
    pub fn new(status: u16) -> Self {
        Reject {
            status: http::StatusCode::from_u16(status)
                .ok()
                .filter(|status| (200..=599).contains(&status.as_u16()))
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// The status that will be sent.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// Adds a header field. Refuses a name that is not a token, a value
    /// with CR, LF or another control character, and `Content-Length` or
    /// `Transfer-Encoding`, which the body decides.
    pub fn header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, HandshakeError> {
        let reserved = ["Content-Length", "Transfer-Encoding"];
        self.headers
            .push(extra_header(name.into(), value.into(), &reserved)?);
        Ok(self)
    }

    /// Sets the body (add a `Content-Type` with [`header`](Self::header)).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    pub(super) fn encode(&self) -> Bytes {
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Connection"))
        {
            headers.push(("Connection", "close"));
        }
        write_response(self.status.as_u16(), &headers, &self.body)
    }
}
