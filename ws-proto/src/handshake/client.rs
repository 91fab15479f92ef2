//! The client side of the opening handshake (RFC 6455 sections 4.1 and 3).

use std::fmt;
use std::ops::Range;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::{BufMut, Bytes, BytesMut};

use super::{
    accept_key, check_header_input, extension_value, extra_header, http_error, is_token,
    list_elements, put_header, span, ExtensionOffer, HandshakeError, Head, HeadReader,
};
use crate::entropy::Entropy;
use crate::{Config, Connection};

/// Header fields a [`ClientRequest`] may not add: the handshake writes them
/// itself, or a GET upgrade has no body to describe.
const REQUEST_RESERVED: &[&str] = &[
    "Host",
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Origin",
    "Content-Length",
    "Transfer-Encoding",
];

/// What a client asks for: where to connect, the resource, and what it
/// offers.
///
/// ```
/// use ws_proto::handshake::ClientRequest;
///
/// let request = ClientRequest::from_url("wss://example.com/feed?since=5")?
///     .subprotocol("v2.feed")?
///     .extension("permessage-deflate; client_max_window_bits")?
///     .header("Authorization", "Bearer abc")?
///     .origin("https://example.com")?;
/// assert_eq!((request.host(), request.port(), request.is_secure()), ("example.com", 443, true));
/// assert_eq!(request.target(), "/feed?since=5");
/// # Ok::<(), ws_proto::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    host: String,
    port: u16,
    secure: bool,
    host_header: String,
    target: String,
    subprotocols: Vec<String>,
    extensions: Vec<String>,
    headers: Vec<(String, String)>,
    origin: Option<String>,
}

impl ClientRequest {
    /// A request for `path_and_query` (such as `/chat?room=1`) on `host`,
    /// an authority `name[:port]` (an IPv6 address in brackets) to which a
    /// plain `ws://` connection is made; the port defaults to 80. The
    /// `Host` header names the port only when it is not the default.
    pub fn new(
        host: impl Into<String>,
        path_and_query: impl Into<String>,
    ) -> Result<Self, HandshakeError> {
        Self::build(&host.into(), path_and_query.into(), false)
    }

    /// A request for a `ws://` or `wss://` URL (section 3):
    ///
    /// ```text
    /// ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]
    /// wss-URI = "wss:" "//" host [ ":" port ] path [ "?" query ]
    /// ```
    ///
    /// The port defaults to 80 for `ws` and 443 for `wss`; an empty path is
    /// `/`. Section 3: "Fragment identifiers are meaningless in the context
    /// of WebSocket URIs and MUST NOT be used on these URIs", so a `#` is
    /// refused, as are user information, other schemes and characters that
    /// must be percent-encoded. The core does not do TLS: for `wss`,
    /// [`is_secure`](Self::is_secure) tells the adapter to.
    pub fn from_url(url: &str) -> Result<Self, HandshakeError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or(HandshakeError::InvalidUrl("expected ws:// or wss://"))?;
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(HandshakeError::InvalidUrl("the scheme is not ws or wss"));
        };
        if rest.contains('#') {
            return Err(HandshakeError::InvalidUrl(
                "a WebSocket URL has no fragment (section 3)",
            ));
        }
        let (authority, target) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let target = if target.starts_with('/') {
            target.to_owned()
        } else {
            format!("/{target}")
        };
        Self::build(authority, target, secure)
    }

    fn build(authority: &str, target: String, secure: bool) -> Result<Self, HandshakeError> {
        let default_port = if secure { 443 } else { 80 };
        let (host, port) = parse_authority(authority, default_port)?;
        if !target.starts_with('/') {
            return Err(HandshakeError::InvalidUrl("the path must start with '/'"));
        }
        // Visible ASCII but '#': anything else must be percent-encoded.
        if !target.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
            return Err(HandshakeError::InvalidUrl(
                "the path has a character that must be percent-encoded",
            ));
        }
        let literal = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let host_header = if port == default_port {
            literal
        } else {
            format!("{literal}:{port}")
        };
        Ok(ClientRequest {
            host,
            port,
            secure,
            host_header,
            target,
            subprotocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
            origin: None,
        })
    }

    /// Offers a subprotocol; offers are listed in the order made, most
    /// preferred first. It must be a token (section 4.1).
    pub fn subprotocol(mut self, name: impl Into<String>) -> Result<Self, HandshakeError> {
        let name = name.into();
        if !is_token(&name) {
            return Err(HandshakeError::InvalidHeaderInput {
                name: "Sec-WebSocket-Protocol".to_owned(),
                reason: "a subprotocol must be a token",
            });
        }
        self.subprotocols.push(name);
        Ok(self)
    }

    /// Offers one or more extensions, as a `Sec-WebSocket-Extensions`
    /// value such as `permessage-deflate; client_max_window_bits`, checked
    /// against the grammar of section 9.1. Offers are joined in the order
    /// made.
    pub fn extension(mut self, offer: impl Into<String>) -> Result<Self, HandshakeError> {
        self.extensions.push(extension_value(offer.into())?);
        Ok(self)
    }

    /// Adds a header field, such as `Authorization` or `Cookie`. Refuses a
    /// name that is not a token, a value with CR, LF or another control
    /// character, and the fields the handshake writes itself.
    pub fn header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, HandshakeError> {
        self.headers
            .push(extra_header(name.into(), value.into(), REQUEST_RESERVED)?);
        Ok(self)
    }

    /// Sets the `Origin` header field (section 4.1: browsers send it;
    /// other clients may).
    pub fn origin(mut self, origin: impl Into<String>) -> Result<Self, HandshakeError> {
        let origin = origin.into();
        check_header_input("Origin", &origin)?;
        self.origin = Some(origin);
        Ok(self)
    }

    /// The host to connect to: a name or an address, without the brackets
    /// of an IPv6 literal.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the URL was `wss://`: the adapter runs TLS under the
    /// handshake (section 3: "the "wss" scheme \[...\] uses TLS").
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The request-target: path and query.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The request head with `key`, section 4.1's list in order.
    fn encode(&self, key: &str) -> Bytes {
        let mut out = BytesMut::with_capacity(256);
        out.put_slice(format!("GET {} HTTP/1.1\r\n", self.target).as_bytes());
        put_header(&mut out, "Host", &self.host_header);
        put_header(&mut out, "Upgrade", "websocket");
        put_header(&mut out, "Connection", "Upgrade");
        put_header(&mut out, "Sec-WebSocket-Key", key);
        put_header(&mut out, "Sec-WebSocket-Version", "13");
        if let Some(origin) = &self.origin {
            put_header(&mut out, "Origin", origin);
        }
        if !self.subprotocols.is_empty() {
            put_header(
                &mut out,
                "Sec-WebSocket-Protocol",
                &self.subprotocols.join(", "),
            );
        }
        if !self.extensions.is_empty() {
            put_header(
                &mut out,
                "Sec-WebSocket-Extensions",
                &self.extensions.join(", "),
            );
        }
        for (name, value) in &self.headers {
            put_header(&mut out, name, value);
        }
        out.put_slice(b"\r\n");
        out.freeze()
    }
}

/// Splits an authority `host[:port]` into the host (IPv6 without brackets)
/// and the port.
fn parse_authority(authority: &str, default_port: u16) -> Result<(String, u16), HandshakeError> {
    if authority.is_empty() {
        return Err(HandshakeError::InvalidUrl("no host"));
    }
    if authority.contains('@') {
        return Err(HandshakeError::InvalidUrl(
            "user information is not supported",
        ));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or(HandshakeError::InvalidUrl("unclosed '[' in the host"))?;
        let valid = host.contains(':')
            && host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !valid {
            return Err(HandshakeError::InvalidUrl("invalid IPv6 address"));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(HandshakeError::InvalidUrl("junk after the IPv6 address"))?,
            ),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    // RFC 3986 reg-name or IPv4: unreserved, sub-delims and percent signs.
    let reg_name = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b);
    if host.is_empty() || !(host.contains(':') || host.bytes().all(reg_name)) {
        return Err(HandshakeError::InvalidUrl("invalid host"));
    }
    let port = match port {
        // RFC 3986 allows an empty port: the default.
        None | Some("") => default_port,
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => port
            .parse()
            .map_err(|_| HandshakeError::InvalidUrl("port out of range"))?,
        Some(_) => return Err(HandshakeError::InvalidUrl("invalid port")),
    };
    Ok((host.to_owned(), port))
}

/// The client side of the opening handshake.
///
/// [`new`](Self::new) gives the request bytes to write; feed what the
/// transport reads to [`receive`](Self::receive) until it returns the
/// validated [`Response`], then take the [`Connection`] with
/// [`into_connection`](Self::into_connection).
pub struct ClientHandshake {
    config: Config,
    entropy: Box<dyn Entropy>,
    /// The `Sec-WebSocket-Accept` value the key calls for.
    expected_accept: String,
    subprotocols: Vec<String>,
    extension_names: Vec<String>,
    reader: HeadReader,
    state: State,
    /// Whether the configured permessage-deflate was offered.
    #[cfg(feature = "deflate")]
    deflate_offered: bool,
    /// permessage-deflate as the server accepted it.
    #[cfg(feature = "deflate")]
    deflate: Option<crate::deflate::PerMessageDeflate>,
}

enum State {
    Reading,
    Received,
    Failed(HandshakeError),
}

impl fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Reading => "reading",
            State::Received => "received",
            State::Failed(_) => "failed",
        };
        f.debug_struct("ClientHandshake")
            .field("state", &state)
            .field("subprotocols", &self.subprotocols)
            .field("extensions", &self.extension_names)
            .finish()
    }
}

impl ClientHandshake {
    /// Starts the handshake for `request`: draws the 16-byte nonce of
    /// `Sec-WebSocket-Key` from `entropy` (section 4.1: "a randomly
    /// selected 16-byte value that has been base64-encoded"), and returns
    /// the handshake with the request bytes to write. `entropy` then goes
    /// on to the connection for its masking keys.
    pub fn new(
        request: ClientRequest,
        config: Config,
        mut entropy: Box<dyn Entropy>,
    ) -> (ClientHandshake, Bytes) {
        // The configured permessage-deflate is offered unless the caller
        // made an offer of its own, which is then the caller's to handle.
        #[cfg(feature = "deflate")]
        let (request, deflate_offered) = {
            let mut request = request;
            let by_hand = request
                .extensions
                .iter()
                .filter_map(|offer| ExtensionOffer::parse_list(offer).ok())
                .flatten()
                .any(|offer| {
                    offer
                        .name
                        .eq_ignore_ascii_case(crate::deflate::EXTENSION_NAME)
                });
            let offered = match config.deflate() {
                Some(settings) if !by_hand => {
                    request
                        .extensions
                        .push(crate::deflate::client_offer(settings));
                    true
                }
                _ => false,
            };
            (request, offered)
        };
        let mut nonce = [0u8; 16];
        entropy.fill(&mut nonce);
        let key = STANDARD.encode(nonce);
        let bytes = request.encode(&key);
        let extension_names = request
            .extensions
            .iter()
            .filter_map(|offer| ExtensionOffer::parse_list(offer).ok())
            .flatten()
            .map(|offer| offer.name)
            .collect();
        let handshake = ClientHandshake {
            config,
            entropy,
            expected_accept: accept_key(key.as_bytes()),
            subprotocols: request.subprotocols,
            extension_names,
            reader: HeadReader::default(),
            state: State::Reading,
            #[cfg(feature = "deflate")]
            deflate_offered,
            #[cfg(feature = "deflate")]
            deflate: None,
        };
        (handshake, bytes)
    }

    /// Feeds bytes read from the transport.
    ///
    /// Returns `Ok(None)` while the response head is incomplete and the
    /// validated [`Response`] once it is there; frames that follow it are
    /// kept for the connection. The head is read in linear time within
    /// the config's [`handshake_limits`](Config::handshake_limits).
    ///
    /// Any status but 101 fails with [`HandshakeError::Rejected`], which
    /// carries the response. An error is final and is returned again by
    /// later calls.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<Response>, HandshakeError> {
        match &self.state {
            State::Reading => {}
            State::Received => {
                self.reader.buf.extend_from_slice(data);
                return Ok(None);
            }
            State::Failed(e) => return Err(e.clone()),
        }
        let limits = self.config.handshake_limits();
        let result = match self.reader.push(data, limits) {
            Ok(None) => return Ok(None),
            Ok(Some(head)) => Response::parse(head, self.reader.header_count(), limits)
                .and_then(|response| self.validate(response)),
            Err(e) => Err(e),
        };
        #[cfg(feature = "deflate")]
        let result = result.and_then(|response| {
            self.deflate = self.agree_deflate(&response)?;
            Ok(response)
        });
        match result {
            Ok(response) => {
                self.state = State::Received;
                Ok(Some(response))
            }
            Err(e) => {
                self.state = State::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// permessage-deflate as the server accepted it, checked against our
    /// offer (RFC 7692 section 7.1: a response that breaks the offer fails
    /// the connection).
    #[cfg(feature = "deflate")]
    fn agree_deflate(
        &self,
        response: &Response,
    ) -> Result<Option<crate::deflate::PerMessageDeflate>, HandshakeError> {
        let Some(settings) = self.config.deflate().filter(|_| self.deflate_offered) else {
            return Ok(None);
        };
        let invalid = |reason| HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Extensions",
            reason,
        };
        let mut accepted = response
            .extensions
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(crate::deflate::EXTENSION_NAME));
        let Some(answer) = accepted.next() else {
            return Ok(None);
        };
        if accepted.next().is_some() {
            return Err(invalid("permessage-deflate accepted twice"));
        }
        let agreed = crate::deflate::read_response(settings, answer).map_err(invalid)?;
        Ok(Some(crate::deflate::PerMessageDeflate::new(
            agreed, settings,
        )))
    }

    /// Checks a response per section 4.1 and fills in what was agreed.
    fn validate(&self, mut response: Response) -> Result<Response, HandshakeError> {
        // Item 1: "If the status code received from the server is not 101,
        // the client handles the response per HTTP [RFC2616] procedures."
        if response.status != 101 {
            return Err(HandshakeError::Rejected {
                status: response.status,
                body: Bytes::copy_from_slice(self.reader.rest()),
                response: Box::new(response),
            });
        }
        if response.minor_version != 1 {
            return Err(HandshakeError::HttpVersionNotSupported);
        }
        let head = &response.head;
        // Item 2: "If the response lacks an |Upgrade| header field or the
        // |Upgrade| header field contains a value that is not an ASCII
        // case-insensitive match for the value "websocket", the client MUST
        // _Fail the WebSocket Connection_."
        let websocket = |p: &[u8]| p.eq_ignore_ascii_case(b"websocket");
        let upgrade_ok = {
            let mut upgrade = head.all("Upgrade").flat_map(list_elements);
            upgrade.next().is_some_and(websocket) && upgrade.all(websocket)
        };
        if !upgrade_ok {
            return Err(HandshakeError::InvalidUpgrade { header: "Upgrade" });
        }
        // Item 3: "If the response lacks a |Connection| header field or the
        // |Connection| header field doesn't contain a token that is an ASCII
        // case-insensitive match for the value "Upgrade", the client MUST
        // _Fail the WebSocket Connection_."
        if !head.has_token("Connection", "Upgrade") {
            return Err(HandshakeError::InvalidUpgrade {
                header: "Connection",
            });
        }
        // Item 4: the accept value, "ignoring any leading and trailing
        // whitespace" (the head stores values trimmed). Section 11.3.3: it
        // "MUST NOT appear more than once in an HTTP response".
        match head.single("Sec-WebSocket-Accept")? {
            None => return Err(HandshakeError::MissingHeader("Sec-WebSocket-Accept")),
            Some(value) if value == self.expected_accept.as_bytes() => {}
            Some(_) => return Err(HandshakeError::AcceptKeyMismatch),
        }
        // Item 5: "If the response includes a |Sec-WebSocket-Extensions|
        // header field and this header field indicates the use of an
        // extension that was not present in the client's handshake [...]
        // the client MUST _Fail the WebSocket Connection_." Extension names
        // are tokens (section 9.1), which compare ignoring ASCII case, as
        // the server matches them.
        let extensions = head.extensions()?;
        let offered = |name: &str| {
            self.extension_names
                .iter()
                .any(|offered| offered.eq_ignore_ascii_case(name))
        };
        if let Some(unoffered) = extensions.iter().find(|e| !offered(&e.name)) {
            return Err(HandshakeError::UnofferedExtension(unoffered.name.clone()));
        }
        // Item 6, the same for |Sec-WebSocket-Protocol|, which section
        // 11.3.4 says "MUST NOT appear more than once in an HTTP response".
        let subprotocol = match head.single("Sec-WebSocket-Protocol")? {
            None => None,
            Some(value) => match std::str::from_utf8(value) {
                Ok(chosen) if self.subprotocols.iter().any(|p| p == chosen) => {
                    Some(chosen.to_owned())
                }
                Ok(chosen) if is_token(chosen) => {
                    return Err(HandshakeError::UnofferedSubprotocol(chosen.to_owned()))
                }
                _ => {
                    return Err(HandshakeError::InvalidHeader {
                        name: "Sec-WebSocket-Protocol",
                        reason: "not a single subprotocol",
                    })
                }
            },
        };
        response.subprotocol = subprotocol;
        response.extensions = extensions;
        Ok(response)
    }

    /// The client [`Connection`], once [`receive`](Self::receive) has
    /// returned a response. It has already received the bytes that followed
    /// the response head, and takes over the entropy source for its masking
    /// keys.
    pub fn into_connection(self) -> Result<Connection, HandshakeError> {
        if !matches!(self.state, State::Received) {
            return Err(HandshakeError::WrongState(
                "into_connection needs a response that receive returned",
            ));
        }
        let mut connection = Connection::client(self.config, self.entropy);
        #[cfg(feature = "deflate")]
        if let Some(extension) = self.deflate {
            connection.set_extension(Box::new(extension));
        }
        let rest = self.reader.rest();
        if !rest.is_empty() {
            connection.receive(rest);
        }
        Ok(connection)
    }
}

/// The server's response to the opening handshake.
///
/// Returned by [`ClientHandshake::receive`] when it is a valid 101, and
/// carried by [`HandshakeError::Rejected`] otherwise (whose
/// [`subprotocol`](Self::subprotocol) and [`extensions`](Self::extensions)
/// are then empty).
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    head: Head,
    status: u16,
    reason: Range<usize>,
    minor_version: u8,
    subprotocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
}

impl Response {
    /// Parses a complete head with `header_count` header lines.
    fn parse(
        bytes: Bytes,
        header_count: usize,
        limits: &crate::HandshakeLimits,
    ) -> Result<Response, HandshakeError> {
        let mut headers = vec![httparse::EMPTY_HEADER; header_count];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&bytes) {
            Ok(httparse::Status::Complete(len)) if len == bytes.len() => {}
            Ok(_) => return Err(HandshakeError::MalformedHttp("incomplete response head")),
            Err(e) => return Err(http_error(e, limits)),
        }
        let (Some(status), Some(minor_version)) = (parsed.code, parsed.version) else {
            return Err(HandshakeError::MalformedHttp("incomplete status line"));
        };
        let reason = span(&bytes, parsed.reason.unwrap_or_default().as_bytes());
        let head = Head::new(bytes.clone(), parsed.headers);
        Ok(Response {
            head,
            status,
            reason,
            minor_version,
            subprotocol: None,
            extensions: Vec::new(),
        })
    }

    /// The status code: 101 on success.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as sent (may be empty).
    pub fn reason(&self) -> &str {
        self.head.text(&self.reason)
    }

    /// The value of the first header field called `name` (compared
    /// case-insensitively), if there is one and it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.get(name)
    }

    /// Every header field in order: the name as sent and the raw value.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.head.iter()
    }

    /// The subprotocol the server chose, one the client offered.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The extensions the server accepted, with the parameters it chose,
    /// in order; each names an extension the client offered.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("reason", &self.reason())
            .field("headers", &self.head)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::Seeded;
    use crate::handshake::{Accept, ServerHandshake};
    use crate::Event;

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
                    r.host_header.as_str(),
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
            (r.host(), r.port(), r.host_header.as_str()),
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
}
