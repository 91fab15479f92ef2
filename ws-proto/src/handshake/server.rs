//! The server side of the opening handshake (RFC 6455 section 4.2).

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::parts::header_map;
use super::{
    accept_key, is_valid_key, put_header, span, Accept, ExtensionOffer, HandshakeError, Reading,
    Reject, Request,
};
use crate::extension::{self, Extension};
use crate::frame::Rsv;
use crate::origin::OriginPolicy;
use crate::{Config, Connection};

/// The server side of the opening handshake.
///
/// Feed it what the transport reads with [`receive`](Self::receive) until
/// it returns a [`Request`]; then [`accept`](Self::accept) or
/// [`reject`](Self::reject) it.
///
/// ```
/// use ws_proto::handshake::{Reject, ServerHandshake};
/// use ws_proto::Config;
///
/// let mut server = ServerHandshake::new(Config::default());
/// let request = server
///     .receive(b"GET /admin HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///                Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///                Sec-WebSocket-Version: 13\r\n\r\n")?
///     .expect("a complete request");
/// assert_eq!(request.path(), "/admin");
/// // No cookie, no entry.
/// assert!(request.cookies().all(|(name, _)| name != "session"));
/// let response = server.reject(Reject::new(403).body("Forbidden\n"));
/// assert!(response.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// # Ok::<(), ws_proto::handshake::HandshakeError>(())
/// ```
pub struct ServerHandshake {
    config: Config,
    /// Why `config` fails [`Config::validate`], found once when the
    /// handshake is made and returned by every `receive`.
    refused: Option<HandshakeError>,
    /// Keeps the `Sec-WebSocket-Key` of the request handed out (none for
    /// an HTTP/2 extended CONNECT, RFC 8441 section 5).
    reading: Reading<Option<String>>,
    /// Runs of `httparse`, so tests can prove the head is parsed once.
    #[cfg(test)]
    parses: usize,
}

impl fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandshake")
            .field("state", &self.reading.name())
            .field("buffered", &self.reading.reader.buf.len())
            .finish()
    }
}

impl ServerHandshake {
    /// A handshake that reads within `config`'s
    /// [`handshake_limits`](Config::handshake_limits) and hands `config` on
    /// to the connection. A `config` that fails [`Config::validate`] makes
    /// [`receive`](Self::receive) refuse with [`HandshakeError::Config`]
    /// before it reads a byte.
    pub fn new(config: Config) -> Self {
        ServerHandshake {
            refused: config.validate().err().map(HandshakeError::Config),
            config,
            reading: Reading::new(),
            #[cfg(test)]
            parses: 0,
        }
    }

    /// Feeds bytes read from the transport.
    ///
    /// Returns `Ok(None)` while the request head is incomplete and the
    /// validated [`Request`] once it is complete. Bytes past the head are
    /// kept for the connection, as are bytes fed after the request was
    /// returned (an adapter normally stops reading at that point). Each
    /// byte is scanned once and the head parsed once, however the request
    /// is split.
    ///
    /// An error is final and is returned again by later calls. On error,
    /// write [`HandshakeError::response`] (or, for
    /// [`HandshakeError::NotUpgrade`], serve the plain HTTP request) and
    /// close the transport.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<Request>, HandshakeError> {
        if let Some(refused) = &self.refused {
            return Err(refused.clone());
        }
        let limits = self.config.handshake_limits();
        let Some(head) = self.reading.push(data, limits)? else {
            return Ok(None);
        };
        #[cfg(test)]
        {
            self.parses += 1;
        }
        let result = Request::parse(head, self.reading.reader.header_count(), limits)
            .and_then(validate)
            .and_then(|request| check_origin(request, self.config.origin_policy()))
            .map(|request| {
                let key = request.key().map(str::to_owned);
                (request, key)
            });
        self.reading.settle(result).map(Some)
    }

    /// The bytes received past the end of the request head: the first
    /// frames once a request was returned, or the body or next request of
    /// a plain HTTP request refused with [`HandshakeError::NotUpgrade`].
    /// Empty while the head is incomplete.
    pub fn buffered(&self) -> &[u8] {
        self.reading.reader.rest()
    }

    /// A handshake for a request an HTTP server already parsed: an
    /// HTTP/1.1 upgrade (RFC 6455 section 4.2.1) when `parts.version` is
    /// HTTP/1.x, an extended CONNECT (RFC 8441 sections 4 and 5) when it
    /// is HTTP/2 (or HTTP/3, which RFC 9220 bootstraps the same way).
    ///
    /// `protocol` is the request's `:protocol` pseudo-header, which the
    /// `http` crate has no field for: h2 and hyper carry it in
    /// `parts.extensions` as `h2::ext::Protocol` (re-exported as
    /// `hyper::ext::Protocol`), so pass
    /// `parts.extensions.get::<hyper::ext::Protocol>().map(|p| p.as_str())`.
    /// It is ignored on HTTP/1.x.
    ///
    /// The request is validated and negotiated exactly as one read by
    /// [`receive`](Self::receive); answer it with
    /// [`accept_http`](Self::accept_http) or with an error's
    /// [`http_response`](HandshakeError::http_response). A request that is
    /// plain HTTP fails with [`HandshakeError::NotUpgrade`], as on the wire;
    /// a `config` that fails [`Config::validate`] with
    /// [`HandshakeError::Config`] (500) before the request is looked at.
    ///
    /// ```
    /// use ws_proto::handshake::{Accept, ServerHandshake};
    /// use ws_proto::Config;
    ///
    /// // What an HTTP/2 server hands over for a browser's WebSocket stream.
    /// let (parts, ()) = http::Request::connect("https://example.com/chat")
    ///     .version(http::Version::HTTP_2)
    ///     .header("sec-websocket-version", "13")
    ///     .header("sec-websocket-protocol", "chat")
    ///     .body(())?
    ///     .into_parts();
    /// let (server, request) =
    ///     ServerHandshake::from_http(Config::default(), &parts, Some("websocket"))?;
    /// assert_eq!(request.path(), "/chat");
    /// let (response, _connection) =
    ///     server.accept_http(&request, Accept::new().subprotocol("chat"))?;
    /// assert_eq!(response.status(), http::StatusCode::OK);
    /// assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_http(
        config: Config,
        parts: &http::request::Parts,
        protocol: Option<&str>,
    ) -> Result<(ServerHandshake, Request), HandshakeError> {
        config.validate()?;
        let limits = config.handshake_limits();
        if parts.headers.len() > limits.max_headers() {
            return Err(HandshakeError::TooManyHeaders {
                limit: limits.max_headers(),
            });
        }
        let request = Request::from_http(parts, protocol);
        let request = check_origin(validate(request)?, config.origin_policy())?;
        let key = request.key().map(str::to_owned);
        let handshake = ServerHandshake {
            config,
            refused: None,
            reading: Reading::received(key),
            #[cfg(test)]
            parses: 0,
        };
        Ok((handshake, request))
    }

    /// Accepts `request`, the one [`receive`](Self::receive) returned.
    ///
    /// Returns the `101 Switching Protocols` response to write (section
    /// 4.2.2: `Upgrade: websocket`, `Connection: Upgrade`,
    /// `Sec-WebSocket-Accept`, then the chosen subprotocol and extensions
    /// and the extra headers of `response`), and the server [`Connection`],
    /// which has already received the bytes that followed the request
    /// head. Write the response before any frame the connection produces.
    ///
    /// Fails, without a connection, if no request was received, if
    /// `request` came from another handshake, if it is an HTTP/2 request
    /// (answer those with [`accept_http`](Self::accept_http)), or if
    /// `response` chose a subprotocol or extension the client did not
    /// offer; such an error's [`response`](HandshakeError::response) is a
    /// 500.
    pub fn accept(
        self,
        request: &Request,
        response: Accept,
    ) -> Result<(Bytes, Connection), HandshakeError> {
        let Some(accept_value) = self.check_accept(request, &response)? else {
            return Err(HandshakeError::WrongState(
                "an HTTP/2 request is answered with accept_http",
            ));
        };
        let (extensions, extension) = negotiate_extensions(&self.config, request, &response);

        let mut out = BytesMut::with_capacity(256);
        out.put_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        put_header(&mut out, "Upgrade", "websocket");
        put_header(&mut out, "Connection", "Upgrade");
        put_header(&mut out, "Sec-WebSocket-Accept", &accept_value);
        if let Some(chosen) = &response.subprotocol {
            put_header(&mut out, "Sec-WebSocket-Protocol", chosen);
        }
        if !extensions.is_empty() {
            put_header(&mut out, "Sec-WebSocket-Extensions", &extensions);
        }
        for (name, value) in &response.headers {
            put_header(&mut out, name, value);
        }
        out.put_slice(b"\r\n");
        Ok((out.freeze(), self.into_connection(extension)))
    }

    /// Accepts `request` like [`accept`](Self::accept), answering with the
    /// `http` crate's response for an HTTP server to send: `101 Switching
    /// Protocols` with `Sec-WebSocket-Accept` for an HTTP/1.1 upgrade,
    /// `200 OK` for an HTTP/2 extended CONNECT (RFC 8441 section 5, with
    /// no accept key), each with the chosen
    /// subprotocol, extensions and extra headers.
    pub fn accept_http(
        self,
        request: &Request,
        response: Accept,
    ) -> Result<(http::Response<()>, Connection), HandshakeError> {
        let accept_value = self.check_accept(request, &response)?;
        let (extensions, extension) = negotiate_extensions(&self.config, request, &response);
        let mut fields: Vec<(&str, Cow<'_, str>)> = Vec::new();
        let status = match accept_value {
            Some(accept_value) => {
                fields.push(("Upgrade", Cow::Borrowed("websocket")));
                fields.push(("Connection", Cow::Borrowed("Upgrade")));
                fields.push(("Sec-WebSocket-Accept", Cow::Owned(accept_value)));
                http::StatusCode::SWITCHING_PROTOCOLS
            }
            None => http::StatusCode::OK,
        };
        if let Some(chosen) = &response.subprotocol {
            fields.push(("Sec-WebSocket-Protocol", Cow::Borrowed(chosen)));
        }
        if !extensions.is_empty() {
            fields.push(("Sec-WebSocket-Extensions", Cow::Borrowed(&extensions)));
        }
        for (name, value) in &response.headers {
            fields.push((name, Cow::Borrowed(value)));
        }
        let mut answer = http::Response::new(());
        *answer.status_mut() = status;
        *answer.version_mut() = request.version();
        *answer.headers_mut() = header_map(fields)?;
        Ok((answer, self.into_connection(extension)))
    }

    /// Checks that `request` is the one this handshake validated and that
    /// `response` chose only what it offered; returns the
    /// `Sec-WebSocket-Accept` value its key calls for (none over HTTP/2).
    fn check_accept(
        &self,
        request: &Request,
        response: &Accept,
    ) -> Result<Option<String>, HandshakeError> {
        let Some(key) = self.reading.kept() else {
            return Err(HandshakeError::WrongState(
                "accept needs a request that receive returned",
            ));
        };
        if request.key() != key.as_deref() {
            return Err(HandshakeError::WrongState(
                "the request was not received by this handshake",
            ));
        }
        if let Some(chosen) = &response.subprotocol {
            // Section 4.2.2: "the value [...] MUST be one of the values
            // provided by the client".
            if !request.subprotocols().contains(chosen) {
                return Err(HandshakeError::SubprotocolNotOffered(chosen.clone()));
            }
        }
        for value in &response.extensions {
            for accepted in ExtensionOffer::parse_list(value)? {
                if !request.extensions().iter().any(|o| o.name == accepted.name) {
                    return Err(HandshakeError::ExtensionNotOffered(accepted.name));
                }
            }
        }
        Ok(key.as_deref().map(|key| accept_key(key.as_bytes())))
    }

    /// The server connection, with the negotiated extension and the bytes
    /// that followed the request head.
    fn into_connection(self, extension: Option<Box<dyn Extension>>) -> Connection {
        let mut connection = Connection::server(self.config);
        if let Some(extension) = extension {
            connection.set_extension(extension);
        }
        let rest = self.reading.reader.rest();
        if !rest.is_empty() {
            connection.receive(rest);
        }
        connection
    }

    /// Refuses the handshake with the response `reject` describes. Write
    /// it, then close the transport. Works in any state, so it can also
    /// answer a request the application did not like for its own reasons.
    pub fn reject(self, reject: Reject) -> Bytes {
        reject.encode()
    }
}

/// Validates a parsed request as a WebSocket opening handshake in the form
/// its HTTP version calls for, and fills in its WebSocket fields.
fn validate(request: Request) -> Result<Request, HandshakeError> {
    let request = match request.version {
        http::Version::HTTP_2 | http::Version::HTTP_3 => super::http2::validate(request)?,
        _ => validate_upgrade(request)?,
    };
    offers(request)
}

/// Validates an HTTP/1.1 upgrade request (section 4.2.1).
fn validate_upgrade(mut request: Request) -> Result<Request, HandshakeError> {
    let head = &request.head;
    // Plain HTTP is not an error of the client's: it goes to the
    // application, which may want to serve it.
    if head.all("Upgrade").next().is_none() {
        return Err(HandshakeError::NotUpgrade(Box::new(request)));
    }
    // Item 1: "An HTTP/1.1 or higher GET request, including a
    // "Request-URI" [...] (or an absolute HTTP/HTTPS URI containing the
    // /resource name/)."
    if request.method() != "GET" {
        return Err(HandshakeError::MethodNotAllowed(
            request.method().to_owned(),
        ));
    }
    if request.version != http::Version::HTTP_11 {
        return Err(HandshakeError::HttpVersionNotSupported);
    }
    if !request.target().starts_with('/') && !is_absolute_uri(request.target()) {
        return Err(HandshakeError::MalformedHttp(
            "request target is neither a path nor an absolute URI",
        ));
    }
    // Item 2: "A |Host| header field containing the server's authority."
    // (RFC 7230 section 5.4: 400 for a missing or repeated Host.)
    match head.single("Host")? {
        None => return Err(HandshakeError::MissingHeader("Host")),
        Some([]) => {
            return Err(HandshakeError::InvalidHeader {
                name: "Host",
                reason: "empty",
            })
        }
        Some(_) => {}
    }
    // Item 3: "An |Upgrade| header field containing the value "websocket",
    // treated as an ASCII case-insensitive value."
    if !head.has_token("Upgrade", "websocket") {
        return Err(HandshakeError::InvalidUpgrade { header: "Upgrade" });
    }
    // Item 4: "A |Connection| header field that includes the token
    // "Upgrade", treated as an ASCII case-insensitive value."
    if !head.has_token("Connection", "Upgrade") {
        return Err(HandshakeError::InvalidUpgrade {
            header: "Connection",
        });
    }
    // Item 6: "A |Sec-WebSocket-Version| header field, with a value of 13."
    // Section 11.3.5: it "MUST NOT appear more than once in an HTTP request".
    if head.single("Sec-WebSocket-Version")? != Some(b"13") {
        return Err(HandshakeError::UnsupportedVersion);
    }
    // Item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded [...]
    // value that, when decoded, is 16 bytes in length." Section 11.3.1: it
    // "MUST NOT appear more than once in an HTTP request".
    let key = match head.single("Sec-WebSocket-Key")? {
        None => return Err(HandshakeError::MissingHeader("Sec-WebSocket-Key")),
        Some(key) if is_valid_key(key) => span(&head.bytes, key),
        Some(_) => {
            return Err(HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Key",
                reason: "not the base64 encoding of 16 bytes",
            })
        }
    };
    request.key = Some(key);
    Ok(request)
}

/// Reads the optional subprotocol and extension lists (section 4.2.1,
/// items 8 and 9), the same in both forms (RFC 8441 section 5).
fn offers(mut request: Request) -> Result<Request, HandshakeError> {
    request.subprotocols = request.head.subprotocols()?;
    request.extensions = request.head.extensions()?;
    Ok(request)
}

/// Refuses a cross-origin request (403) unless `policy` allows it.
///
/// Section 10.2: the `Origin` field "is used to protect against
/// unauthorized cross-origin use of a WebSocket server by scripts using the
/// WebSocket API in a web browser", and a browser always sends it (section
/// 4.1, item 8). A request without it did not come from a page, so there is
/// no other site's page to protect against. A request with two `Origin`
/// fields, or one that is not UTF-8, is not something a browser sends and
/// is refused like a foreign origin.
fn check_origin(request: Request, policy: &OriginPolicy) -> Result<Request, HandshakeError> {
    match refused_origin(&request, policy) {
        None => Ok(request),
        Some(origin) => Err(HandshakeError::ForbiddenOrigin(origin)),
    }
}

/// The `Origin` of `request` as sent, if `policy` refuses it.
fn refused_origin(request: &Request, policy: &OriginPolicy) -> Option<String> {
    let mut fields = request.head.all("Origin");
    let origin = fields.next()?;
    if policy.is_any() {
        return None;
    }
    let single = fields.next().is_none();
    let allowed = single
        && match (std::str::from_utf8(origin), request.host()) {
            (Ok(origin), Some(host)) => policy.allows(origin, host),
            _ => false,
        };
    (!allowed).then(|| String::from_utf8_lossy(origin).into_owned())
}

/// Whether `target` is in absolute-form, `scheme://...` (RFC 7230 section
/// 5.3.2), which section 4.2.1 allows besides a path.
fn is_absolute_uri(target: &str) -> bool {
    target.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    })
}

/// The `Sec-WebSocket-Extensions` value of the answer (empty for none)
/// and the extension the connection runs: the application's own
/// acceptances if it made any, which are then its to run, or else what
/// the configured [`Negotiator`](crate::extension::Negotiator)s accept of
/// the client's offers, in the configuration's order, skipping one whose
/// reserved bits an accepted one owns already (section 5.2: a bit has one
/// meaning on a connection).
fn negotiate_extensions(
    config: &Config,
    request: &Request,
    response: &Accept,
) -> (String, Option<Box<dyn Extension>>) {
    if !response.extensions.is_empty() {
        return (response.extensions.join(", "), None);
    }
    let mut values = String::new();
    let mut running: Vec<Box<dyn Extension>> = Vec::new();
    let mut owned = Rsv::NONE;
    for negotiator in config.extensions() {
        let Some((value, extension)) = negotiator.accept(request.extensions()) else {
            continue;
        };
        if owned.intersection(extension.reserved_bits()).is_empty() {
            owned = owned.union(extension.reserved_bits());
            if !values.is_empty() {
                values.push_str(", ");
            }
            values.push_str(&value);
            running.push(extension);
        }
    }
    (values, extension::stack(running))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_scanned_once_when_sent_a_byte_at_a_time() {
        // An 8000-byte head: 80 header lines, fed one byte per call.
        let mut head =
            b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                .to_vec();
        let mut i = 0;
        loop {
            let line = format!("X-Filler-{i:02}: {}\r\n", "a".repeat(80));
            // Leave room for a last line of at least "X-Pad: p\r\n".
            if head.len() + line.len() + 10 > 8000 - 2 {
                break;
            }
            head.extend_from_slice(line.as_bytes());
            i += 1;
        }
        let pad = 8000 - 2 - head.len() - "X-Pad: \r\n".len();
        head.extend_from_slice(format!("X-Pad: {}\r\n", "p".repeat(pad)).as_bytes());
        head.extend_from_slice(b"\r\n");
        assert_eq!(head.len(), 8000);

        let mut server = ServerHandshake::new(Config::default());
        let mut requests = 0;
        for byte in &head {
            requests += usize::from(server.receive(&[*byte]).unwrap().is_some());
        }
        assert_eq!(requests, 1);
        // Linear: every byte looked at exactly once, the head parsed once.
        assert_eq!(server.reading.reader.bytes_scanned, head.len());
        assert_eq!(server.parses, 1);
    }
}
