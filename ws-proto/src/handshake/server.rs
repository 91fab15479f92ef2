//! The server side of the opening handshake (RFC 6455 section 4.2).

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::parts::header_map;
use super::{
    accept_key, is_valid_key, put_header, span, Accept, ExtensionOffer, HandshakeError, HeadReader,
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
    reader: HeadReader,
    state: State,
    /// Runs of `httparse`, so tests can prove the head is parsed once.
    #[cfg(test)]
    parses: usize,
}

enum State {
    /// The head is not complete yet.
    Reading,
    /// A valid request with this `Sec-WebSocket-Key` was returned (none
    /// for an HTTP/2 extended CONNECT, RFC 8441 section 5).
    Received { key: Option<String> },
    /// The handshake failed; the error is returned again on every call.
    Failed(HandshakeError),
}

impl fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Reading => "reading",
            State::Received { .. } => "received",
            State::Failed(_) => "failed",
        };
        f.debug_struct("ServerHandshake")
            .field("state", &state)
            .field("buffered", &self.reader.buf.len())
            .finish()
    }
}

impl ServerHandshake {
    /// A handshake that reads within `config`'s
    /// [`handshake_limits`](Config::handshake_limits) and hands `config` on
    /// to the connection.
    pub fn new(config: Config) -> Self {
        ServerHandshake {
            config,
            reader: HeadReader::default(),
            state: State::Reading,
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
        match &self.state {
            State::Reading => {}
            State::Received { .. } => {
                self.reader.buf.extend_from_slice(data);
                return Ok(None);
            }
            State::Failed(e) => return Err(e.clone()),
        }
        let limits = self.config.handshake_limits();
        let result = match self.reader.push(data, limits) {
            Ok(None) => return Ok(None),
            Ok(Some(head)) => {
                #[cfg(test)]
                {
                    self.parses += 1;
                }
                Request::parse(head, self.reader.header_count(), limits)
                    .and_then(validate)
                    .and_then(|request| check_origin(request, self.config.origin_policy()))
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(request) => {
                let key = request.key().map(str::to_owned);
                self.state = State::Received { key };
                Ok(Some(request))
            }
            Err(e) => {
                self.state = State::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// The bytes received past the end of the request head: the first
    /// frames once a request was returned, or the body or next request of
    /// a plain HTTP request refused with [`HandshakeError::NotUpgrade`].
    /// Empty while the head is incomplete.
    pub fn buffered(&self) -> &[u8] {
        self.reader.rest()
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
    /// plain HTTP fails with [`HandshakeError::NotUpgrade`], as on the wire.
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
            reader: HeadReader::default(),
            state: State::Received { key },
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
        let key = self.check_accept(request, &response)?;
        let Some(key) = key else {
            return Err(HandshakeError::WrongState(
                "an HTTP/2 request is answered with accept_http",
            ));
        };
        let (extensions, extension) = negotiate_extensions(&self.config, request, &response);

        let mut out = BytesMut::with_capacity(256);
        out.put_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        put_header(&mut out, "Upgrade", "websocket");
        put_header(&mut out, "Connection", "Upgrade");
        put_header(
            &mut out,
            "Sec-WebSocket-Accept",
            &accept_key(key.as_bytes()),
        );
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
    /// `200 OK` for an HTTP/2 extended CONNECT (RFC 8441 section 5: "a
    /// 2xx status code" and no accept key), each with the chosen
    /// subprotocol, extensions and extra headers.
    pub fn accept_http(
        self,
        request: &Request,
        response: Accept,
    ) -> Result<(http::Response<()>, Connection), HandshakeError> {
        let key = self.check_accept(request, &response)?;
        let (extensions, extension) = negotiate_extensions(&self.config, request, &response);
        let mut fields: Vec<(&str, Cow<'_, str>)> = Vec::new();
        let status = match &key {
            Some(key) => {
                fields.push(("Upgrade", Cow::Borrowed("websocket")));
                fields.push(("Connection", Cow::Borrowed("Upgrade")));
                fields.push(("Sec-WebSocket-Accept", accept_key(key.as_bytes()).into()));
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
    /// `response` chose only what it offered; returns its key.
    fn check_accept(
        &self,
        request: &Request,
        response: &Accept,
    ) -> Result<Option<String>, HandshakeError> {
        let State::Received { key } = &self.state else {
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
        Ok(key.clone())
    }

    /// The server connection, with the negotiated extension and the bytes
    /// that followed the request head.
    fn into_connection(self, extension: Option<Box<dyn Extension>>) -> Connection {
        let mut connection = Connection::server(self.config);
        if let Some(extension) = extension {
            connection.set_extension(extension);
        }
        let rest = self.reader.rest();
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
    let mut values = Vec::new();
    let mut running: Vec<Box<dyn Extension>> = Vec::new();
    let mut owned = Rsv::NONE;
    for negotiator in config.extensions() {
        let Some((value, extension)) = negotiator.accept(request.extensions()) else {
            continue;
        };
        if owned.intersection(extension.reserved_bits()).is_empty() {
            owned = owned.union(extension.reserved_bits());
            values.push(value);
            running.push(extension);
        }
    }
    (values.join(", "), extension::stack(running))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HandshakeLimits;
    use crate::Event;

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
        let config = Config::default()
            .with_allowed_origins(["http://example.com"])
            .unwrap();
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
                Config::default()
                    .with_allowed_origins(["*.example.org"])
                    .unwrap(),
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
    fn head_is_scanned_once_when_sent_a_byte_at_a_time() {
        // An 8000-byte head: 80 header lines, fed one byte per call.
        let mut head = request_with("");
        head.truncate(head.len() - 2);
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

        let mut server = rfc_server();
        let mut requests = 0;
        for byte in &head {
            requests += usize::from(server.receive(&[*byte]).unwrap().is_some());
        }
        assert_eq!(requests, 1);
        // Linear: every byte looked at exactly once, the head parsed once.
        assert_eq!(server.reader.bytes_scanned, head.len());
        assert_eq!(server.parses, 1);
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
        let bytes = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, upgrades\r\n\
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
                HandshakeError::MalformedHttp(
                    "request target is neither a path nor an absolute URI",
                ),
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
                .unwrap()
                .with_max_line(200)
                .unwrap()
                .with_max_bytes(1024)
                .unwrap(),
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
}
