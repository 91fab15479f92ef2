//! What a client asks for: the URL, the resource and its offers, from a
//! URL string, an `http::Uri`, an `http::Request` or the builder
//! (RFC 6455 sections 3 and 4.1).

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

use super::{
    check_header_input, extension_value, extra_header, is_token, put_header, HandshakeError,
};

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
    pub(super) host_header: String,
    target: String,
    pub(super) subprotocols: Vec<String>,
    pub(super) extensions: Vec<String>,
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
    pub(super) fn encode(&self, key: &str) -> Bytes {
        let mut out = BytesMut::with_capacity(256);
        out.put_slice(format!("GET {} HTTP/1.1\r\n", self.target).as_bytes());
        put_header(&mut out, "Host", &self.host_header);
        put_header(&mut out, "Upgrade", "websocket");
        put_header(&mut out, "Connection", "Upgrade");
        put_header(&mut out, "Sec-WebSocket-Key", key);
        put_header(&mut out, "Sec-WebSocket-Version", "13");
        for (name, value) in self.offer_fields() {
            put_header(&mut out, name, &value);
        }
        out.put_slice(b"\r\n");
        out.freeze()
    }

    /// The fields both forms of the handshake send after their own:
    /// `Origin`, the offered subprotocols and extensions, the extra
    /// headers.
    pub(super) fn offer_fields(&self) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
        let origin = self.origin.as_deref().map(|o| ("Origin", Cow::Borrowed(o)));
        let protocols = (!self.subprotocols.is_empty()).then(|| {
            (
                "Sec-WebSocket-Protocol",
                Cow::Owned(self.subprotocols.join(", ")),
            )
        });
        let extensions = (!self.extensions.is_empty()).then(|| {
            (
                "Sec-WebSocket-Extensions",
                Cow::Owned(self.extensions.join(", ")),
            )
        });
        origin.into_iter().chain(protocols).chain(extensions).chain(
            self.headers
                .iter()
                .map(|(name, value)| (name.as_str(), Cow::Borrowed(value.as_str()))),
        )
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

/// Anything a client can open a WebSocket with: a `ws://` or `wss://` URL
/// (`&str`, `String`, `http::Uri`), an `http::Request<()>` with the URL and
/// extra header fields such as `Authorization` or `Cookie`, or a
/// [`ClientRequest`] built by hand.
///
/// ```
/// use ws_proto::handshake::IntoClientRequest;
///
/// let request = http::Request::get("ws://example.com/chat")
///     .header("Authorization", "Bearer abc")
///     .header("Sec-WebSocket-Protocol", "chat, superchat")
///     .body(())?
///     .into_client_request()?;
/// assert_eq!(request.target(), "/chat");
/// assert_eq!("ws://example.com/".into_client_request()?.host(), "example.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait IntoClientRequest {
    /// The request, or why it cannot be made (the caller's fault: an
    /// invalid URL or header field).
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError>;
}

impl IntoClientRequest for ClientRequest {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        Ok(self)
    }
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        ClientRequest::from_url(self)
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        ClientRequest::from_url(self)
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        ClientRequest::from_url(&self)
    }
}

impl IntoClientRequest for &http::Uri {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        ClientRequest::from_url(&self.to_string())
    }
}

impl IntoClientRequest for http::Uri {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        (&self).into_client_request()
    }
}

impl IntoClientRequest for http::Request<()> {
    fn into_client_request(self) -> Result<ClientRequest, HandshakeError> {
        ClientRequest::try_from(self)
    }
}

impl TryFrom<http::Request<()>> for ClientRequest {
    type Error = HandshakeError;

    /// The request for an `http::Request<()>` whose URI is a `ws://` or
    /// `wss://` URL. `Sec-WebSocket-Protocol` fields become the offered
    /// subprotocols, `Sec-WebSocket-Extensions` the offered extensions,
    /// `Origin` the origin, and every other field an extra header, checked
    /// as [`ClientRequest::header`] checks them (so the fields the
    /// handshake writes itself are refused). The method must be GET.
    fn try_from(request: http::Request<()>) -> Result<ClientRequest, HandshakeError> {
        if request.method() != http::Method::GET {
            return Err(HandshakeError::InvalidHeaderInput {
                name: ":method".to_owned(),
                reason: "a WebSocket handshake is a GET (RFC 6455 section 4.1)",
            });
        }
        let mut out = request.uri().into_client_request()?;
        for (name, value) in request.headers() {
            let text = value
                .to_str()
                .map_err(|_| HandshakeError::InvalidHeaderInput {
                    name: name.as_str().to_owned(),
                    reason: "the value is not visible ASCII",
                })?;
            out = match name.as_str() {
                "sec-websocket-protocol" => text
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .try_fold(out, |out, protocol| out.subprotocol(protocol))?,
                "sec-websocket-extensions" => out.extension(text)?,
                "origin" => out.origin(text)?,
                _ => out.header(name.as_str(), text)?,
            };
        }
        Ok(out)
    }
}
