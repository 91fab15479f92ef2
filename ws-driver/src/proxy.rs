//! Client connections through a proxy: an HTTP proxy's tunnel (`CONNECT`,
//! RFC 9110 section 9.3.6) or a SOCKS5 proxy (RFC 1928).
//!
//! # What is supported
//!
//! - HTTP proxies (`http://`), tunneling with `CONNECT host:port
//!   HTTP/1.1`, with optional Basic authentication (`Proxy-Authorization`,
//!   RFC 7617). The connection to the proxy itself is plain TCP; an
//!   `https://` proxy (TLS to the proxy) is not supported.
//! - SOCKS5 proxies (`socks5://` and `socks5h://`), the `CONNECT` command
//!   only, with no authentication or with username and password (RFC 1929)
//!   when credentials are given.
//!
//! A proxy is never used implicitly: a connection goes through one only
//! when the caller hands it a [`Proxy`]. [`Proxy::from_env`] reads the
//! usual environment variables (`https_proxy`, `http_proxy`, `all_proxy`,
//! `no_proxy`), but only when called.
//!
//! # SOCKS5 and name resolution
//!
//! curl's convention is that `socks5://` resolves the target's name on the
//! client and sends an address, while `socks5h://` sends the name for the
//! proxy to resolve. This crate has no resolver of its own, so both schemes
//! send the target's host name to the proxy (address type `0x03`, RFC 1928
//! section 5); an IP literal is sent as an address (type `0x01` for IPv4,
//! `0x04` for IPv6). The DNS lookup of a name therefore happens at the
//! proxy for either scheme, which is also what keeps the name from leaking
//! to the local resolver.
//!
//! # A proxy is not trusted
//!
//! Whatever the proxy sends is bounded: the reply to `CONNECT` is read up
//! to [`MAX_CONNECT_RESPONSE`] bytes, no buffer is sized from a length
//! the proxy sends, and every malformed or refusing reply is a typed
//! [`ProxyError`], never a panic. The exchange reads exactly the proxy's
//! reply and not one byte past it, so the tunneled stream's first bytes
//! (the server's, once the tunnel is up) are left for the caller.

use std::fmt;
use std::io;
use std::net::IpAddr;

use base64::Engine as _;
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{AsyncReadExt, AsyncWriteExt};

/// The largest reply to `CONNECT` (status line and header fields) read
/// from an HTTP proxy before giving up with
/// [`ProxyError::ResponseTooLarge`].
pub const MAX_CONNECT_RESPONSE: usize = 8 * 1024;

/// The port of a proxy URL without one. curl's default for every proxy
/// kind is 1080 (the SOCKS port of RFC 1928 section 3); it is followed
/// here so that a proxy URL means the same to both.
pub const DEFAULT_PORT: u16 = 1080;

/// The most header fields parsed in a reply to `CONNECT`.
const MAX_HEADERS: usize = 64;

/// The kind of a [`Proxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyKind {
    /// An HTTP proxy, tunneling with `CONNECT` (RFC 9110 section 9.3.6).
    Http,
    /// A SOCKS5 proxy (RFC 1928).
    Socks5,
}

/// A proxy to connect through: its kind, its address and optional
/// credentials.
///
/// ```
/// use ws_driver::proxy::{Proxy, ProxyKind};
///
/// let proxy = Proxy::parse("http://alice:s%3Acret@proxy.example:3128")?;
/// assert_eq!(proxy.kind(), ProxyKind::Http);
/// assert_eq!((proxy.host(), proxy.port()), ("proxy.example", 3128));
/// assert_eq!(proxy.username(), Some("alice"));
/// // The password is never shown.
/// assert!(!format!("{proxy:?}").contains("s:cret"));
///
/// let socks = Proxy::socks5("127.0.0.1", 1080).with_credentials("bob", "pw");
/// assert_eq!(socks.kind(), ProxyKind::Socks5);
/// # Ok::<(), ws_driver::ProxyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    kind: ProxyKind,
    host: String,
    port: u16,
    credentials: Option<Credentials>,
}

#[derive(Clone, PartialEq, Eq)]
struct Credentials {
    username: String,
    password: String,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password never reaches a log line.
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username())
            .field("password", &self.credentials.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Proxy {
    /// An HTTP proxy at `host` (a name or an IP address, an IPv6 one with
    /// or without brackets) and `port`, without credentials.
    pub fn http(host: impl Into<String>, port: u16) -> Self {
        Self::new(ProxyKind::Http, host.into(), port)
    }

    /// A SOCKS5 proxy at `host` and `port`, without credentials.
    pub fn socks5(host: impl Into<String>, port: u16) -> Self {
        Self::new(ProxyKind::Socks5, host.into(), port)
    }

    fn new(kind: ProxyKind, host: String, port: u16) -> Self {
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(inner) => inner.to_owned(),
            None => host,
        };
        Proxy {
            kind,
            host,
            port,
            credentials: None,
        }
    }

    /// The same proxy with a username and password: Basic authentication
    /// for an HTTP proxy (RFC 7617), username/password authentication for
    /// a SOCKS5 one (RFC 1929). They are checked when the tunnel is opened
    /// ([`ProxyError::InvalidCredentials`]).
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Parses a proxy URL: `http://[user:password@]host[:port]`,
    /// `socks5://...` or `socks5h://...` (schemes are case-insensitive; a
    /// URL without a scheme is an HTTP proxy, as curl takes it). The port
    /// defaults to [`DEFAULT_PORT`]; the user and password are
    /// percent-decoded; an IPv6 address is in brackets; a path of `/` is
    /// allowed (environment values often end with one), any other path is
    /// refused.
    pub fn parse(url: &str) -> Result<Proxy, ProxyError> {
        let url = url.trim();
        let (kind, rest) = match url.split_once("://") {
            Some((scheme, rest)) => {
                let kind = match scheme.to_ascii_lowercase().as_str() {
                    "http" => ProxyKind::Http,
                    "socks5" | "socks5h" => ProxyKind::Socks5,
                    _ => return Err(ProxyError::UnsupportedScheme(scheme.to_owned())),
                };
                (kind, rest)
            }
            None => (ProxyKind::Http, url),
        };
        let authority = match rest.find(['/', '?', '#']) {
            Some(end) if &rest[end..] == "/" => &rest[..end],
            Some(_) => return Err(ProxyError::InvalidUrl("a proxy URL has no path or query")),
            None => rest,
        };
        // RFC 3986 section 3.2.1's userinfo has no raw '@', but a password
        // with one is common in environment values: the last '@' ends the
        // userinfo, as curl reads it.
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)?;
        let mut proxy = Proxy::new(kind, host.to_owned(), port.unwrap_or(DEFAULT_PORT));
        if let Some(userinfo) = userinfo {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            proxy = proxy.with_credentials(percent_decode(user)?, percent_decode(pass)?);
        }
        Ok(proxy)
    }

    /// The proxy for a connection to `host` (`secure` for `wss://`) that
    /// the environment asks for, if any; see [`Proxy::from_lookup`] for
    /// the variables read. Only called explicitly: no connection reads the
    /// environment on its own.
    pub fn from_env(secure: bool, host: &str) -> Result<Option<Proxy>, ProxyError> {
        Self::from_lookup(secure, host, |name| std::env::var(name).ok())
    }

    /// Like [`Proxy::from_env`], with `lookup` giving each variable's
    /// value: the same rules, over any source.
    ///
    /// - `wss://` uses `https_proxy`, then `HTTPS_PROXY`; `ws://` uses
    ///   `http_proxy` only, never `HTTP_PROXY`: a CGI program receives a
    ///   request's `Proxy:` header field as `HTTP_PROXY`, so a client
    ///   could pick its server's proxy (curl and most tools ignore it for
    ///   this reason).
    /// - Either falls back to `all_proxy`, then `ALL_PROXY`.
    /// - `no_proxy` (or `NO_PROXY`) lists hosts that are reached directly;
    ///   see [`no_proxy_matches`].
    ///
    /// An empty value counts as unset. A value that is no valid proxy URL
    /// is an error, so that a typo is not a silent direct connection.
    ///
    /// ```
    /// use ws_driver::proxy::Proxy;
    ///
    /// let env = |name: &str| match name {
    ///     "https_proxy" => Some("http://proxy:3128".to_owned()),
    ///     "no_proxy" => Some("localhost,.internal".to_owned()),
    ///     _ => None,
    /// };
    /// assert!(Proxy::from_lookup(true, "example.com", env)?.is_some());
    /// assert!(Proxy::from_lookup(true, "db.internal", env)?.is_none());
    /// assert!(Proxy::from_lookup(false, "example.com", env)?.is_none());
    /// # Ok::<(), ws_driver::ProxyError>(())
    /// ```
    pub fn from_lookup(
        secure: bool,
        host: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, ProxyError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let no_proxy = get("no_proxy").or_else(|| get("NO_PROXY"));
        if no_proxy.is_some_and(|list| no_proxy_matches(&list, host)) {
            return Ok(None);
        }
        let names: &[&str] = if secure {
            &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
        } else {
            &["http_proxy", "all_proxy", "ALL_PROXY"]
        };
        match names.iter().find_map(|name| get(name)) {
            Some(url) => Proxy::parse(&url).map(Some),
            None => Ok(None),
        }
    }

    /// The kind of proxy.
    pub fn kind(&self) -> ProxyKind {
        self.kind
    }

    /// The proxy's host, to open TCP to (an IPv6 address without
    /// brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The username, if credentials were given.
    pub fn username(&self) -> Option<&str> {
        self.credentials.as_ref().map(|c| c.username.as_str())
    }
}

/// Whether `host` is reached directly by a `no_proxy` value `list`, as
/// curl reads it: entries separated by commas (or white space), compared
/// case-insensitively; `*` matches every host; a name matches itself and
/// every name under it, with or without a leading dot (`example.com` and
/// `.example.com` both match `example.com` and `ws.example.com`); an IP
/// address matches only the same address (no ranges); a port on an entry
/// is ignored.
///
/// ```
/// use ws_driver::proxy::no_proxy_matches;
///
/// assert!(no_proxy_matches("localhost, .example.com", "WS.Example.com"));
/// assert!(no_proxy_matches("127.0.0.1:8080,[::1]", "::1"));
/// assert!(!no_proxy_matches("example.com", "notexample.com"));
/// ```
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = normalize(host);
    let host_ip = host.parse::<IpAddr>().ok();
    list.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = normalize(strip_port(entry));
            if entry.is_empty() {
                return false;
            }
            match (host_ip, entry.parse::<IpAddr>()) {
                (Some(host), Ok(entry)) => host == entry,
                // An address is not a name under a domain.
                (Some(_), Err(_)) | (None, Ok(_)) => false,
                (None, Err(_)) => {
                    host == entry
                        || (host.len() > entry.len()
                            && host.ends_with(&entry)
                            && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
                }
            }
        })
}

/// A host or entry without brackets, leading or trailing dots, in lower
/// case.
fn normalize(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.trim_matches('.').to_ascii_lowercase()
}

/// A `no_proxy` entry without its port: `[v6]:port`, `name:port`; a bare
/// IPv6 address (more than one colon) has none.
fn strip_port(entry: &str) -> &str {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.find(']') {
            Some(end) => &entry[..end + 2],
            None => entry,
        };
    }
    match entry.split_once(':') {
        Some((host, port)) if !port.contains(':') => host,
        _ => entry,
    }
}

/// Splits `host[:port]` or `[v6][:port]`.
fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), ProxyError> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or(ProxyError::InvalidUrl("unclosed '[' in the proxy's host"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(ProxyError::InvalidUrl("invalid IPv6 address in brackets"));
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(ProxyError::InvalidUrl(
                "junk after the proxy's IPv6 address",
            ))?),
        };
        (host, port)
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(ProxyError::InvalidUrl("no proxy host"));
    }
    // A name or an IPv4 address (RFC 3986 section 3.2.2, without the
    // percent-escapes no proxy name needs); an IPv6 one was checked in
    // its brackets.
    let bracketed = hostport.starts_with('[');
    if !bracketed
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(ProxyError::InvalidUrl("invalid proxy host"));
    }
    let port = match port {
        None | Some("") => None,
        // Digits only: `parse` would take a leading '+'.
        Some(digits) => match digits.parse::<u16>() {
            Ok(port) if port != 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Some(port),
            _ => return Err(ProxyError::InvalidUrl("invalid proxy port")),
        },
    };
    Ok((host, port))
}

/// Decodes `%XX` escapes (RFC 3986 section 2.1) into UTF-8 text.
fn percent_decode(text: &str) -> Result<String, ProxyError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(ProxyError::InvalidUrl(
                    "invalid percent-escape in the credentials",
                ))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ProxyError::InvalidUrl("credentials are not UTF-8 once decoded"))
}

/// A SOCKS5 server's reply code other than success (RFC 1928 section 6,
/// field `REP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocksReply {
    /// `X'01'` general SOCKS server failure.
    GeneralFailure,
    /// `X'02'` connection not allowed by ruleset.
    NotAllowed,
    /// `X'03'` network unreachable.
    NetworkUnreachable,
    /// `X'04'` host unreachable.
    HostUnreachable,
    /// `X'05'` connection refused (by the target).
    ConnectionRefused,
    /// `X'06'` TTL expired.
    TtlExpired,
    /// `X'07'` command not supported.
    CommandNotSupported,
    /// `X'08'` address type not supported.
    AddressTypeNotSupported,
    /// Any other code (`X'09'` to `X'FF'` are unassigned).
    Other(u8),
}

impl SocksReply {
    fn from_code(code: u8) -> Self {
        match code {
            1 => SocksReply::GeneralFailure,
            2 => SocksReply::NotAllowed,
            3 => SocksReply::NetworkUnreachable,
            4 => SocksReply::HostUnreachable,
            5 => SocksReply::ConnectionRefused,
            6 => SocksReply::TtlExpired,
            7 => SocksReply::CommandNotSupported,
            8 => SocksReply::AddressTypeNotSupported,
            other => SocksReply::Other(other),
        }
    }
}

impl fmt::Display for SocksReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocksReply::GeneralFailure => f.write_str("general SOCKS server failure"),
            SocksReply::NotAllowed => f.write_str("connection not allowed by ruleset"),
            SocksReply::NetworkUnreachable => f.write_str("network unreachable"),
            SocksReply::HostUnreachable => f.write_str("host unreachable"),
            SocksReply::ConnectionRefused => f.write_str("connection refused"),
            SocksReply::TtlExpired => f.write_str("TTL expired"),
            SocksReply::CommandNotSupported => f.write_str("command not supported"),
            SocksReply::AddressTypeNotSupported => f.write_str("address type not supported"),
            SocksReply::Other(code) => write!(f, "unassigned reply code {code:#04x}"),
        }
    }
}

/// Everything that can go wrong with a proxy, from its URL to its reply.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProxyError {
    /// The proxy URL is not valid; the text says why.
    InvalidUrl(&'static str),
    /// The proxy URL's scheme is none of `http`, `socks5`, `socks5h`.
    UnsupportedScheme(String),
    /// The target host cannot be sent: empty, or with characters no host
    /// has (which could smuggle lines into a `CONNECT` request).
    InvalidHost,
    /// The target host name is longer than the 255 bytes SOCKS5 can carry
    /// (RFC 1928 section 5: one length octet).
    HostTooLong(usize),
    /// The credentials cannot be sent: a Basic user-id with a colon (RFC
    /// 7617 section 2), or a SOCKS5 username or password that is empty or
    /// longer than 255 bytes (RFC 1929 section 2). The text says which.
    InvalidCredentials(&'static str),
    /// The HTTP proxy answered `CONNECT` with 407 Proxy Authentication
    /// Required (or 401, which some proxies send for wrong credentials):
    /// no credentials, or wrong ones.
    AuthenticationRequired,
    /// The HTTP proxy answered `CONNECT` with this non-2xx status.
    Refused {
        /// The status code.
        status: u16,
    },
    /// The HTTP proxy's reply header block is longer than
    /// [`MAX_CONNECT_RESPONSE`] bytes.
    ResponseTooLarge,
    /// The proxy's reply breaks its protocol; the text says how.
    Malformed(&'static str),
    /// The proxy closed the connection in the middle of its reply.
    UnexpectedEof,
    /// The SOCKS5 proxy accepts none of the authentication methods offered
    /// (method `X'FF'`, RFC 1928 section 3).
    NoAcceptableMethod,
    /// The SOCKS5 proxy chose this authentication method, which was not
    /// offered.
    UnsupportedMethod(u8),
    /// The SOCKS5 proxy refused the username and password (RFC 1929
    /// section 2: a non-zero status).
    SocksAuthFailed(u8),
    /// The SOCKS5 proxy refused the `CONNECT` request.
    SocksRefused(SocksReply),
    /// The connection to the proxy failed.
    Io(io::Error),
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::InvalidUrl(why) => write!(f, "invalid proxy URL: {why}"),
            ProxyError::UnsupportedScheme(scheme) => {
                write!(f, "unsupported proxy scheme {scheme:?}")
            }
            ProxyError::InvalidHost => f.write_str("the target host cannot be sent to a proxy"),
            ProxyError::HostTooLong(len) => write!(
                f,
                "the target host name is {len} bytes long, more than SOCKS5's 255"
            ),
            ProxyError::InvalidCredentials(why) => write!(f, "invalid proxy credentials: {why}"),
            ProxyError::AuthenticationRequired => {
                f.write_str("the proxy requires authentication (407)")
            }
            ProxyError::Refused { status } => {
                write!(f, "the proxy refused the tunnel with HTTP status {status}")
            }
            ProxyError::ResponseTooLarge => write!(
                f,
                "the proxy's reply is longer than {MAX_CONNECT_RESPONSE} bytes"
            ),
            ProxyError::Malformed(why) => write!(f, "malformed proxy reply: {why}"),
            ProxyError::UnexpectedEof => f.write_str("the proxy closed the connection mid-reply"),
            ProxyError::NoAcceptableMethod => {
                f.write_str("the SOCKS5 proxy accepts none of the authentication methods offered")
            }
            ProxyError::UnsupportedMethod(method) => write!(
                f,
                "the SOCKS5 proxy chose authentication method {method:#04x}, which was not offered"
            ),
            ProxyError::SocksAuthFailed(status) => write!(
                f,
                "the SOCKS5 proxy refused the username and password (status {status:#04x})"
            ),
            ProxyError::SocksRefused(reply) => {
                write!(f, "the SOCKS5 proxy refused the connection: {reply}")
            }
            ProxyError::Io(e) => write!(f, "I/O error with the proxy: {e}"),
        }
    }
}

impl std::error::Error for ProxyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProxyError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ProxyError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ProxyError::UnexpectedEof
        } else {
            ProxyError::Io(e)
        }
    }
}

impl ProxyError {
    /// The `io::ErrorKind` that best describes this error.
    pub(crate) fn io_kind(&self) -> io::ErrorKind {
        match self {
            ProxyError::Io(e) => e.kind(),
            ProxyError::InvalidUrl(_)
            | ProxyError::UnsupportedScheme(_)
            | ProxyError::InvalidHost
            | ProxyError::HostTooLong(_)
            | ProxyError::InvalidCredentials(_) => io::ErrorKind::InvalidInput,
            ProxyError::AuthenticationRequired
            | ProxyError::NoAcceptableMethod
            | ProxyError::SocksAuthFailed(_) => io::ErrorKind::PermissionDenied,
            ProxyError::Refused { .. } => io::ErrorKind::ConnectionRefused,
            ProxyError::SocksRefused(reply) => match reply {
                SocksReply::NetworkUnreachable => io::ErrorKind::NetworkUnreachable,
                SocksReply::HostUnreachable => io::ErrorKind::HostUnreachable,
                SocksReply::TtlExpired => io::ErrorKind::TimedOut,
                SocksReply::NotAllowed => io::ErrorKind::PermissionDenied,
                _ => io::ErrorKind::ConnectionRefused,
            },
            ProxyError::UnexpectedEof => io::ErrorKind::UnexpectedEof,
            ProxyError::ResponseTooLarge
            | ProxyError::Malformed(_)
            | ProxyError::UnsupportedMethod(_) => io::ErrorKind::InvalidData,
        }
    }
}

/// Opens a tunnel to `host:port` through `proxy` on `io`, a stream already
/// connected to the proxy. On success the stream carries the target's
/// bytes, none of which has been read.
pub(crate) async fn tunnel<S>(
    io: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), ProxyError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    // A host is sent verbatim, on a request line or in a length-prefixed
    // field: only the ASCII a name or address is made of passes (RFC 3986
    // section 3.2.2's reg-name without escapes, IP literals), so that no
    // CR, LF, space or '@' can change what the proxy reads. (An IPv6 zone
    // identifier, RFC 6874, is not supported.)
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
    {
        return Err(ProxyError::InvalidHost);
    }
    match proxy.kind {
        ProxyKind::Http => http_connect(io, proxy, host, port).await,
        ProxyKind::Socks5 => socks5_connect(io, proxy, host, port).await,
    }
}

/// `CONNECT` (RFC 9110 section 9.3.6).
async fn http_connect<S>(io: &mut S, proxy: &Proxy, host: &str, port: u16) -> Result<(), ProxyError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // RFC 9110 section 9.3.6: "the request-target consists of only the
    // host and port number of the tunnel destination" (the
    // authority-form, RFC 9112 section 3.2.3), an IPv6 literal in
    // brackets (RFC 3986 section 3.2.2). RFC 9112 section 3.2: a client
    // MUST send Host, here the same authority.
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(credentials) = &proxy.credentials {
        // RFC 7617 section 2: "a user-id containing a colon character is
        // invalid", since the first colon separates it from the password.
        if credentials.username.contains(':') {
            return Err(ProxyError::InvalidCredentials(
                "a Basic user-id cannot contain ':'",
            ));
        }
        // RFC 7617 section 2: "The user-id and password MUST NOT contain
        // any control characters".
        if credentials
            .username
            .chars()
            .chain(credentials.password.chars())
            .any(char::is_control)
        {
            return Err(ProxyError::InvalidCredentials(
                "control characters in the credentials",
            ));
        }
        // RFC 7617 section 2: the user-pass "user-id:password", in UTF-8
        // (section 2.1), Base64-encoded; RFC 9110 section 11.7.2: sent in
        // Proxy-Authorization.
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", credentials.username, credentials.password));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    io.write_all(request.as_bytes()).await?;
    io.flush().await?;

    let mut buf = [0u8; MAX_CONNECT_RESPONSE];
    let mut start = 0;
    loop {
        let (status, end) = read_response_head(io, &mut buf, start).await?;
        match status {
            // RFC 9110 section 15.2: a client MUST be able to parse 1xx
            // interim responses before the final one, and ignores them
            // (101 makes no sense for CONNECT: refused below).
            100 | 102..=199 => start = end,
            // RFC 9110 section 9.3.6: "Any 2xx (Successful) response
            // indicates that the sender (and all inbound proxies) will
            // switch to tunnel mode immediately after the response header
            // section"; "A client MUST ignore any Content-Length or
            // Transfer-Encoding header fields received in a successful
            // response to CONNECT": what follows is the tunnel.
            200..=299 => return Ok(()),
            // RFC 9110 section 15.5.8: 407 Proxy Authentication Required.
            // A 401 to CONNECT can only be the proxy's too (no server has
            // been reached yet): tinyproxy, for one, answers wrong
            // credentials with it.
            401 | 407 => return Err(ProxyError::AuthenticationRequired),
            status => return Err(ProxyError::Refused { status }),
        }
    }
}

/// Reads one response head into `buf[start..]`, returning its status and
/// where it ends in `buf`. Reads one byte at a time: the stream cannot be
/// peeked, and the tunneled stream's first bytes may follow the blank
/// line in the same segment, so a bigger read could take bytes that are
/// not the proxy's. A reply is a few hundred bytes, read once.
async fn read_response_head<S>(
    io: &mut S,
    buf: &mut [u8; MAX_CONNECT_RESPONSE],
    start: usize,
) -> Result<(u16, usize), ProxyError>
where
    S: AsyncRead + Unpin,
{
    let mut len = start;
    loop {
        if len == buf.len() {
            return Err(ProxyError::ResponseTooLarge);
        }
        if io.read(&mut buf[len..len + 1]).await? == 0 {
            return Err(ProxyError::UnexpectedEof);
        }
        len += 1;
        // A header block ends with a line feed: parse only then.
        if buf[len - 1] != b'\n' {
            continue;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf[start..len]) {
            Ok(httparse::Status::Complete(_)) => {
                let status = response
                    .code
                    .ok_or(ProxyError::Malformed("no status code"))?;
                return Ok((status, len));
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ProxyError::Malformed("too many header fields"))
            }
            Err(_) => return Err(ProxyError::Malformed("invalid HTTP response head")),
        }
    }
}

/// SOCKS protocol version 5 (RFC 1928 section 3: `VER` is `X'05'`).
const SOCKS_VERSION: u8 = 5;
/// RFC 1928 section 3: `X'00'` NO AUTHENTICATION REQUIRED.
const METHOD_NONE: u8 = 0x00;
/// RFC 1928 section 3: `X'02'` USERNAME/PASSWORD.
const METHOD_PASSWORD: u8 = 0x02;
/// RFC 1928 section 3: `X'FF'` NO ACCEPTABLE METHODS.
const METHOD_NO_ACCEPTABLE: u8 = 0xFF;
/// RFC 1929 section 2: the subnegotiation's version, `X'01'`.
const PASSWORD_VERSION: u8 = 1;
/// RFC 1928 section 4: `CMD` CONNECT `X'01'`.
const CMD_CONNECT: u8 = 1;
/// RFC 1928 section 5: address types.
const ATYP_IPV4: u8 = 1;
const ATYP_DOMAIN: u8 = 3;
const ATYP_IPV6: u8 = 4;

/// The SOCKS5 exchange: method selection (RFC 1928 section 3),
/// username/password (RFC 1929) when chosen, then `CONNECT` (sections 4
/// to 6).
async fn socks5_connect<S>(
    io: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), ProxyError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Everything is checked before the first byte is sent.
    let address = socks_address(host)?;
    let credentials = match &proxy.credentials {
        Some(c) => {
            // RFC 1929 section 2: ULEN and PLEN are one octet each, and
            // UNAME and PASSWD are "1 to 255" octets.
            let (user, pass) = (c.username.as_bytes(), c.password.as_bytes());
            if user.is_empty() || user.len() > 255 {
                return Err(ProxyError::InvalidCredentials(
                    "a SOCKS5 username is 1 to 255 bytes",
                ));
            }
            if pass.is_empty() || pass.len() > 255 {
                return Err(ProxyError::InvalidCredentials(
                    "a SOCKS5 password is 1 to 255 bytes",
                ));
            }
            Some((user, pass))
        }
        None => None,
    };

    // RFC 1928 section 3: VER, NMETHODS, METHODS. With credentials both
    // methods are offered: the proxy may not need them.
    let greeting: &[u8] = if credentials.is_some() {
        &[SOCKS_VERSION, 2, METHOD_NONE, METHOD_PASSWORD]
    } else {
        &[SOCKS_VERSION, 1, METHOD_NONE]
    };
    io.write_all(greeting).await?;
    io.flush().await?;
    let mut choice = [0u8; 2];
    io.read_exact(&mut choice).await?;
    if choice[0] != SOCKS_VERSION {
        return Err(ProxyError::Malformed("not a SOCKS5 method selection"));
    }
    match (choice[1], credentials) {
        (METHOD_NONE, _) => {}
        (METHOD_PASSWORD, Some((user, pass))) => {
            // RFC 1929 section 2: VER, ULEN, UNAME, PLEN, PASSWD.
            let mut message = Vec::with_capacity(3 + user.len() + pass.len());
            message.push(PASSWORD_VERSION);
            message.push(user.len() as u8);
            message.extend_from_slice(user);
            message.push(pass.len() as u8);
            message.extend_from_slice(pass);
            io.write_all(&message).await?;
            io.flush().await?;
            // RFC 1929 section 2: VER, STATUS; "A STATUS field of X'00'
            // indicates success. If the server returns a `failure' (STATUS
            // value other than X'00') status, it MUST close the
            // connection."
            let mut status = [0u8; 2];
            io.read_exact(&mut status).await?;
            if status[0] != PASSWORD_VERSION {
                return Err(ProxyError::Malformed(
                    "not a username/password subnegotiation reply",
                ));
            }
            if status[1] != 0 {
                return Err(ProxyError::SocksAuthFailed(status[1]));
            }
        }
        // RFC 1928 section 3: "If the selected METHOD is X'FF', none of
        // the methods listed by the client are acceptable, and the client
        // MUST close the connection."
        (METHOD_NO_ACCEPTABLE, _) => return Err(ProxyError::NoAcceptableMethod),
        (method, _) => return Err(ProxyError::UnsupportedMethod(method)),
    }

    // RFC 1928 section 4: VER, CMD, RSV (X'00'), ATYP, DST.ADDR, DST.PORT
    // in network octet order.
    let mut request = Vec::with_capacity(6 + 1 + host.len());
    request.extend_from_slice(&[SOCKS_VERSION, CMD_CONNECT, 0]);
    request.extend_from_slice(&address);
    request.extend_from_slice(&port.to_be_bytes());
    io.write_all(&request).await?;
    io.flush().await?;

    // RFC 1928 section 6: VER, REP, RSV, ATYP, BND.ADDR, BND.PORT.
    let mut head = [0u8; 4];
    io.read_exact(&mut head).await?;
    if head[0] != SOCKS_VERSION {
        return Err(ProxyError::Malformed("not a SOCKS5 reply"));
    }
    // RFC 1928 section 6: "X'00' succeeded"; other codes are failures,
    // and the server closes the connection after them.
    if head[1] != 0 {
        return Err(ProxyError::SocksRefused(SocksReply::from_code(head[1])));
    }
    // The bound address is read to its exact end, into a fixed buffer (a
    // domain's length octet is at most 255): no allocation from a length
    // the proxy sends, and no byte of the tunnel taken.
    let mut bound = [0u8; 255 + 2];
    let rest = match head[3] {
        ATYP_IPV4 => 4 + 2,
        ATYP_IPV6 => 16 + 2,
        ATYP_DOMAIN => {
            let mut len = [0u8; 1];
            io.read_exact(&mut len).await?;
            usize::from(len[0]) + 2
        }
        _ => {
            return Err(ProxyError::Malformed(
                "unknown address type in a SOCKS5 reply",
            ))
        }
    };
    io.read_exact(&mut bound[..rest]).await?;
    Ok(())
}

/// `ATYP` and `DST.ADDR` for `host` (RFC 1928 section 5).
fn socks_address(host: &str) -> Result<Vec<u8>, ProxyError> {
    let mut out = Vec::with_capacity(2 + host.len());
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            out.push(ATYP_IPV4);
            out.extend_from_slice(&ip.octets());
        }
        Ok(IpAddr::V6(ip)) => {
            out.push(ATYP_IPV6);
            out.extend_from_slice(&ip.octets());
        }
        Err(_) => {
            // "the first octet of the address field contains the number
            // of octets of name that follow, there is no terminating NUL
            // octet": a name is 1 to 255 octets.
            let len = u8::try_from(host.len()).map_err(|_| ProxyError::HostTooLong(host.len()))?;
            out.push(ATYP_DOMAIN);
            out.push(len);
            out.extend_from_slice(host.as_bytes());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::{pin, Pin};
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// A proxy's side scripted in advance: reads give `input` (at most
    /// `chunk` bytes each, then end of stream), writes are recorded.
    struct Scripted {
        input: Vec<u8>,
        read: usize,
        chunk: usize,
        output: Vec<u8>,
    }

    impl Scripted {
        fn new(input: impl AsRef<[u8]>) -> Self {
            Scripted {
                input: input.as_ref().to_vec(),
                read: 0,
                chunk: usize::MAX,
                output: Vec::new(),
            }
        }

        fn unread(&self) -> &[u8] {
            &self.input[self.read..]
        }
    }

    impl AsyncRead for Scripted {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.chunk).min(self.input.len() - self.read);
            let start = self.read;
            buf[..n].copy_from_slice(&self.input[start..start + n]);
            self.read += n;
            Poll::Ready(Ok(n))
        }
    }

    impl AsyncWrite for Scripted {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.output.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Runs a future that never waits (the scripted stream is always
    /// ready).
    fn now<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("the scripted exchange waited"),
        }
    }

    fn run(
        proxy: &Proxy,
        host: &str,
        port: u16,
        input: impl AsRef<[u8]>,
    ) -> (Result<(), ProxyError>, Scripted) {
        let mut io = Scripted::new(input);
        let out = now(tunnel(&mut io, proxy, host, port));
        (out, io)
    }

    const OK: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";

    #[test]
    fn http_connect_request_and_tunnel_bytes_left() {
        let proxy = Proxy::http("proxy", 3128);
        let mut input = OK.to_vec();
        input.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        for chunk in [1, 3, usize::MAX] {
            let mut io = Scripted::new(&input);
            io.chunk = chunk;
            now(tunnel(&mut io, &proxy, "example.com", 443)).expect("tunnel");
            assert_eq!(
                io.output,
                b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
            );
            // Not one byte after the blank line was taken.
            assert_eq!(io.unread(), b"HTTP/1.1 101 Switching Protocols\r\n");
        }
    }

    #[test]
    fn http_connect_with_headers_and_bare_line_feeds() {
        let proxy = Proxy::http("proxy", 3128);
        let input = b"HTTP/1.0 200 OK\nProxy-Agent: x\n\n\x81\x00";
        let (out, io) = run(&proxy, "example.com", 80, input);
        out.expect("tunnel");
        assert_eq!(io.unread(), b"\x81\x00");
    }

    #[test]
    fn http_ipv6_target_in_brackets() {
        let proxy = Proxy::http("proxy", 3128);
        for host in ["::1", "[::1]"] {
            let (out, io) = run(&proxy, host, 8443, OK);
            out.expect("tunnel");
            assert_eq!(
                io.output,
                b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"
            );
        }
    }

    #[test]
    fn http_basic_credentials_as_rfc_7617_says() {
        // RFC 7617 section 2's example: "Aladdin" / "open sesame".
        let proxy = Proxy::http("proxy", 3128).with_credentials("Aladdin", "open sesame");
        let (out, io) = run(&proxy, "example.com", 443, OK);
        out.expect("tunnel");
        assert_eq!(
            io.output,
            &b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\
               Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"[..]
        );
        // RFC 7617 section 2.1: UTF-8, here "test" / "123£".
        let proxy = Proxy::http("proxy", 3128).with_credentials("test", "123\u{a3}");
        let (out, io) = run(&proxy, "example.com", 443, OK);
        out.expect("tunnel");
        let sent = String::from_utf8(io.output).expect("ascii");
        assert!(
            sent.contains("Proxy-Authorization: Basic dGVzdDoxMjPCow==\r\n"),
            "{sent}"
        );
    }

    #[test]
    fn http_refusals() {
        let proxy = Proxy::http("proxy", 3128);
        let refusals = [
            "HTTP/1.1 407 Proxy Authentication Required\r\n\
             Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
            "HTTP/1.0 401 Unauthorized\r\n\r\n",
        ];
        for input in refusals {
            let (out, _) = run(&proxy, "h", 1, input);
            assert!(
                matches!(out, Err(ProxyError::AuthenticationRequired)),
                "{input:?}: {out:?}"
            );
        }
        for status in [300, 400, 403, 404, 500, 502, 503, 101] {
            let (out, _) = run(&proxy, "h", 1, format!("HTTP/1.1 {status} No\r\n\r\n"));
            assert!(
                matches!(out, Err(ProxyError::Refused { status: s }) if s == status),
                "{status}: {out:?}"
            );
        }
    }

    #[test]
    fn http_interim_responses_are_skipped() {
        let proxy = Proxy::http("proxy", 3128);
        let input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nafter";
        let (out, io) = run(&proxy, "h", 1, input);
        out.expect("tunnel");
        assert_eq!(io.unread(), b"after");
    }

    #[test]
    fn http_huge_header_block_is_bounded() {
        let proxy = Proxy::http("proxy", 3128);
        let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
        while input.len() < 1 << 20 {
            input.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        let (out, io) = run(&proxy, "h", 1, &input);
        // Many short fields: the field count or the size, either bounded.
        assert!(
            matches!(
                out,
                Err(ProxyError::ResponseTooLarge | ProxyError::Malformed(_))
            ),
            "{out:?}"
        );
        assert!(io.read <= MAX_CONNECT_RESPONSE, "read {} bytes", io.read);
        // One endless line, with no header fields to count.
        let mut input = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        input.resize(1 << 20, b'a');
        let (out, io) = run(&proxy, "h", 1, &input);
        assert!(matches!(out, Err(ProxyError::ResponseTooLarge)), "{out:?}");
        assert_eq!(io.read, MAX_CONNECT_RESPONSE);
    }

    #[test]
    fn http_truncated_and_malformed_replies() {
        let proxy = Proxy::http("proxy", 3128);
        for input in [
            "",
            "HTTP/1.1 200",
            "HTTP/1.1 200 OK\r\n",
            "HTTP/1.1 200 OK\r\nA: b\r\n",
        ] {
            let (out, _) = run(&proxy, "h", 1, input);
            assert!(
                matches!(out, Err(ProxyError::UnexpectedEof)),
                "{input:?}: {out:?}"
            );
        }
        for input in [
            "SSH-2.0-OpenSSH\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "\x05\x00\n",
        ] {
            let (out, _) = run(&proxy, "h", 1, input);
            assert!(
                matches!(out, Err(ProxyError::Malformed(_))),
                "{input:?}: {out:?}"
            );
        }
    }

    #[test]
    fn hosts_that_could_smuggle_are_refused_before_sending() {
        for proxy in [Proxy::http("p", 1), Proxy::socks5("p", 1)] {
            for host in ["", "a\r\nX: y", "a b", "user@host", "a/b"] {
                let (out, io) = run(&proxy, host, 1, OK);
                assert!(
                    matches!(out, Err(ProxyError::InvalidHost)),
                    "{host:?}: {out:?}"
                );
                assert!(io.output.is_empty());
            }
        }
    }

    #[test]
    fn invalid_credentials_are_refused_before_sending() {
        let cases = [
            (Proxy::http("p", 1).with_credentials("a:b", "c"), "h"),
            (Proxy::http("p", 1).with_credentials("a", "c\r\n"), "h"),
            (Proxy::socks5("p", 1).with_credentials("", "c"), "h"),
            (Proxy::socks5("p", 1).with_credentials("a", ""), "h"),
            (
                Proxy::socks5("p", 1).with_credentials("a".repeat(256), "c"),
                "h",
            ),
            (
                Proxy::socks5("p", 1).with_credentials("a", "c".repeat(256)),
                "h",
            ),
        ];
        for (proxy, host) in cases {
            let (out, io) = run(&proxy, host, 1, [5, 2, 1, 0]);
            assert!(
                matches!(out, Err(ProxyError::InvalidCredentials(_))),
                "{proxy:?}: {out:?}"
            );
            assert!(io.output.is_empty());
        }
    }

    /// A successful SOCKS5 reply bound to 127.0.0.1:8080.
    const SOCKS_OK: [u8; 10] = [5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90];

    fn socks_script(method: u8, auth: Option<[u8; 2]>, reply: &[u8], after: &[u8]) -> Vec<u8> {
        let mut input = vec![5, method];
        if let Some(auth) = auth {
            input.extend_from_slice(&auth);
        }
        input.extend_from_slice(reply);
        input.extend_from_slice(after);
        input
    }

    #[test]
    fn socks5_domain_without_auth() {
        let proxy = Proxy::socks5("proxy", 1080);
        let input = socks_script(0, None, &SOCKS_OK, b"\x81\x05hello");
        for chunk in [1, usize::MAX] {
            let mut io = Scripted::new(&input);
            io.chunk = chunk;
            now(tunnel(&mut io, &proxy, "example.com", 443)).expect("tunnel");
            let mut expected = vec![5, 1, 0, 5, 1, 0, 3, 11];
            expected.extend_from_slice(b"example.com");
            expected.extend_from_slice(&[0x01, 0xbb]);
            assert_eq!(io.output, expected);
            assert_eq!(io.unread(), b"\x81\x05hello");
        }
    }

    #[test]
    fn socks5_ip_literals_are_addresses() {
        let proxy = Proxy::socks5("proxy", 1080);
        let (out, io) = run(
            &proxy,
            "10.1.2.3",
            80,
            socks_script(0, None, &SOCKS_OK, b""),
        );
        out.expect("tunnel");
        assert_eq!(io.output[3..], [5, 1, 0, 1, 10, 1, 2, 3, 0, 80]);
        let (out, io) = run(
            &proxy,
            "[2001:db8::1]",
            80,
            socks_script(0, None, &SOCKS_OK, b""),
        );
        out.expect("tunnel");
        let mut expected = vec![5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8];
        expected.extend_from_slice(&[0; 11]);
        expected.extend_from_slice(&[1, 0, 80]);
        assert_eq!(io.output[3..], expected);
    }

    #[test]
    fn socks5_bound_addresses_of_each_type_are_read_exactly() {
        let proxy = Proxy::socks5("proxy", 1080);
        let mut v6 = vec![5, 0, 0, 4];
        v6.extend_from_slice(&[0; 16]);
        v6.extend_from_slice(&[0, 1]);
        let mut name = vec![5, 0, 0, 3, 255];
        name.extend_from_slice(&[b'a'; 255]);
        name.extend_from_slice(&[0, 1]);
        for reply in [&SOCKS_OK[..], &v6, &name] {
            let (out, io) = run(&proxy, "h", 1, socks_script(0, None, reply, b"rest"));
            out.expect("tunnel");
            assert_eq!(io.unread(), b"rest");
        }
        let (out, _) = run(
            &proxy,
            "h",
            1,
            socks_script(0, None, &[5, 0, 0, 2, 0, 0], b""),
        );
        assert!(matches!(out, Err(ProxyError::Malformed(_))), "{out:?}");
    }

    #[test]
    fn socks5_username_password_as_rfc_1929_says() {
        let proxy = Proxy::socks5("proxy", 1080).with_credentials("alice", "s3cr\u{e9}t");
        let input = socks_script(2, Some([1, 0]), &SOCKS_OK, b"x");
        let (out, io) = run(&proxy, "h", 7, input);
        out.expect("tunnel");
        let mut expected = vec![5, 2, 0, 2, 1, 5];
        expected.extend_from_slice(b"alice");
        expected.push(7);
        expected.extend_from_slice("s3cr\u{e9}t".as_bytes());
        expected.extend_from_slice(&[5, 1, 0, 3, 1, b'h', 0, 7]);
        assert_eq!(io.output, expected);
        assert_eq!(io.unread(), b"x");
        // A proxy that needs no authentication skips the subnegotiation.
        let (out, io) = run(&proxy, "h", 7, socks_script(0, None, &SOCKS_OK, b""));
        out.expect("tunnel");
        assert_eq!(io.output, [5, 2, 0, 2, 5, 1, 0, 3, 1, b'h', 0, 7]);
    }

    #[test]
    fn socks5_method_and_auth_refusals() {
        let plain = Proxy::socks5("proxy", 1080);
        let (out, _) = run(&plain, "h", 1, [5, 0xff]);
        assert!(
            matches!(out, Err(ProxyError::NoAcceptableMethod)),
            "{out:?}"
        );
        // Username/password chosen, though not offered.
        let (out, _) = run(&plain, "h", 1, [5, 2, 1, 0]);
        assert!(
            matches!(out, Err(ProxyError::UnsupportedMethod(2))),
            "{out:?}"
        );
        let (out, _) = run(&plain, "h", 1, [5, 1]);
        assert!(
            matches!(out, Err(ProxyError::UnsupportedMethod(1))),
            "{out:?}"
        );
        let (out, _) = run(&plain, "h", 1, [4, 0]);
        assert!(matches!(out, Err(ProxyError::Malformed(_))), "{out:?}");
        let auth = Proxy::socks5("proxy", 1080).with_credentials("u", "p");
        let (out, _) = run(&auth, "h", 1, [5, 2, 1, 1]);
        assert!(
            matches!(out, Err(ProxyError::SocksAuthFailed(1))),
            "{out:?}"
        );
        let (out, _) = run(&auth, "h", 1, [5, 2, 5, 0]);
        assert!(matches!(out, Err(ProxyError::Malformed(_))), "{out:?}");
    }

    #[test]
    fn socks5_every_reply_code_is_named() {
        let proxy = Proxy::socks5("proxy", 1080);
        let codes = [
            (1, SocksReply::GeneralFailure),
            (2, SocksReply::NotAllowed),
            (3, SocksReply::NetworkUnreachable),
            (4, SocksReply::HostUnreachable),
            (5, SocksReply::ConnectionRefused),
            (6, SocksReply::TtlExpired),
            (7, SocksReply::CommandNotSupported),
            (8, SocksReply::AddressTypeNotSupported),
            (9, SocksReply::Other(9)),
            (0xff, SocksReply::Other(0xff)),
        ];
        for (code, reply) in codes {
            let input = socks_script(0, None, &[5, code, 0, 1, 0, 0, 0, 0, 0, 0], b"");
            let (out, _) = run(&proxy, "h", 1, input);
            match out {
                Err(ProxyError::SocksRefused(got)) => {
                    assert_eq!(got, reply);
                    assert!(!got.to_string().is_empty());
                }
                other => panic!("code {code}: {other:?}"),
            }
        }
    }

    #[test]
    fn socks5_truncated_replies() {
        let proxy = Proxy::socks5("proxy", 1080).with_credentials("u", "p");
        let full = socks_script(
            2,
            Some([1, 0]),
            &[5, 0, 0, 3, 4, b'a', b'b', b'c', b'd', 0, 1],
            b"",
        );
        for len in 0..full.len() {
            let (out, _) = run(&proxy, "h", 1, &full[..len]);
            assert!(
                matches!(out, Err(ProxyError::UnexpectedEof)),
                "{len}: {out:?}"
            );
        }
        let (out, _) = run(&proxy, "h", 1, &full);
        out.expect("tunnel");
    }

    #[test]
    fn socks5_host_longer_than_255_bytes() {
        let proxy = Proxy::socks5("proxy", 1080);
        let host = "a".repeat(256);
        let (out, io) = run(&proxy, &host, 1, socks_script(0, None, &SOCKS_OK, b""));
        assert!(matches!(out, Err(ProxyError::HostTooLong(256))), "{out:?}");
        assert!(io.output.is_empty());
        let (out, _) = run(&proxy, &host[1..], 1, socks_script(0, None, &SOCKS_OK, b""));
        out.expect("255 bytes pass");
    }

    #[test]
    fn urls() {
        let p = Proxy::parse("http://proxy.example:3128").expect("parse");
        assert_eq!(
            (p.kind(), p.host(), p.port(), p.username()),
            (ProxyKind::Http, "proxy.example", 3128, None)
        );
        let p = Proxy::parse("HTTP://proxy/").expect("parse");
        assert_eq!((p.host(), p.port()), ("proxy", DEFAULT_PORT));
        let p = Proxy::parse("proxy:8080").expect("parse");
        assert_eq!(
            (p.kind(), p.host(), p.port()),
            (ProxyKind::Http, "proxy", 8080)
        );
        let p = Proxy::parse("socks5://[::1]:1081").expect("parse");
        assert_eq!(
            (p.kind(), p.host(), p.port()),
            (ProxyKind::Socks5, "::1", 1081)
        );
        let p = Proxy::parse("socks5h://u%40x:p%3A%2F@10.0.0.1").expect("parse");
        assert_eq!(
            (p.kind(), p.host(), p.port()),
            (ProxyKind::Socks5, "10.0.0.1", 1080)
        );
        assert_eq!(
            p,
            Proxy::socks5("10.0.0.1", 1080).with_credentials("u@x", "p:/")
        );
        let p = Proxy::parse("http://user:p@ss@proxy:1").expect("parse");
        assert_eq!(p, Proxy::http("proxy", 1).with_credentials("user", "p@ss"));
        let p = Proxy::parse("http://user@proxy:1").expect("parse");
        assert_eq!(p, Proxy::http("proxy", 1).with_credentials("user", ""));
        let p = Proxy::parse("http://%C3%A9:x@proxy:1").expect("parse");
        assert_eq!(p.username(), Some("\u{e9}"));

        assert!(
            matches!(Proxy::parse("https://proxy"), Err(ProxyError::UnsupportedScheme(s)) if s == "https")
        );
        assert!(matches!(
            Proxy::parse("socks4://proxy"),
            Err(ProxyError::UnsupportedScheme(_))
        ));
        for bad in [
            "http://",
            "http://:80",
            "http://proxy:0",
            "http://proxy:65536",
            "http://proxy:+1",
            "http://proxy:x",
            "http://proxy/path",
            "http://proxy?q",
            "http://[::1",
            "http://[zz]:1",
            "http://[::1]x",
            "http://::1:80",
            "http://pro xy",
            "http://u:%zz@proxy",
            "http://u:%ff@proxy",
        ] {
            assert!(
                matches!(Proxy::parse(bad), Err(ProxyError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let p = Proxy::http("proxy", 1).with_credentials("alice", "hunter2");
        let shown = format!("{p:?}");
        assert!(
            shown.contains("alice") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn no_proxy_lists() {
        let cases = [
            ("*", "anything.example", true),
            ("example.com", "example.com", true),
            ("example.com", "ws.example.com", true),
            (".example.com", "example.com", true),
            (".example.com", "a.b.example.com", true),
            ("example.com", "notexample.com", false),
            ("example.com", "example.com.evil", false),
            ("EXAMPLE.com:8080", "Example.COM", true),
            ("example.com.", "example.com", true),
            ("localhost, 127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1:80", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("0.1", "10.0.0.1", false),
            ("::1", "::1", true),
            ("[::1]:443", "[::1]", true),
            ("::1", "0:0:0:0:0:0:0:1", true),
            ("a.com b.com\tc.com", "x.c.com", true),
            ("a.com,,b.com", "b.com", true),
            ("", "example.com", false),
            (".", "example.com", false),
            ("*.example.com", "ws.example.com", false),
            ("foo,*", "bar", true),
        ];
        for (list, host, expected) in cases {
            assert_eq!(
                no_proxy_matches(list, host),
                expected,
                "{list:?} vs {host:?}"
            );
        }
    }

    #[test]
    fn proxies_from_environment_values() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let pick = |secure, host, vars| Proxy::from_lookup(secure, host, env(vars)).expect("valid");

        let vars = &[
            ("https_proxy", "http://s:1"),
            ("http_proxy", "socks5://p:2"),
        ];
        assert_eq!(pick(true, "h", vars), Some(Proxy::http("s", 1)));
        assert_eq!(pick(false, "h", vars), Some(Proxy::socks5("p", 2)));
        // HTTP_PROXY is never read: under CGI a request sets it.
        let vars = &[("HTTP_PROXY", "http://evil:1")];
        assert_eq!(pick(false, "h", vars), None);
        let vars = &[
            ("HTTP_PROXY", "http://evil:1"),
            ("ALL_PROXY", "http://all:3"),
        ];
        assert_eq!(pick(false, "h", vars), Some(Proxy::http("all", 3)));
        let vars = &[("HTTPS_PROXY", "http://S:1"), ("all_proxy", "http://all:3")];
        assert_eq!(pick(true, "h", vars), Some(Proxy::http("S", 1)));
        let vars = &[("https_proxy", ""), ("all_proxy", "http://all:3")];
        assert_eq!(pick(true, "h", vars), Some(Proxy::http("all", 3)));
        let vars = &[("all_proxy", "http://all:3"), ("no_proxy", "internal")];
        assert_eq!(pick(true, "db.internal", vars), None);
        assert_eq!(pick(true, "example.com", vars), Some(Proxy::http("all", 3)));
        let vars = &[("all_proxy", "http://all:3"), ("NO_PROXY", "*")];
        assert_eq!(pick(false, "example.com", vars), None);
        assert_eq!(pick(true, "h", &[]), None);
        let bad = Proxy::from_lookup(true, "h", env(&[("https_proxy", "ftp://x")]));
        assert!(
            matches!(bad, Err(ProxyError::UnsupportedScheme(_))),
            "{bad:?}"
        );
    }

    #[test]
    fn errors_convert_with_their_kind() {
        let e = crate::Error::from(ProxyError::AuthenticationRequired);
        assert!(matches!(
            e,
            crate::Error::Proxy(ProxyError::AuthenticationRequired)
        ));
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(io::Error::from(e).kind(), io::ErrorKind::PermissionDenied);
        let kind = |e: ProxyError| io::Error::from(crate::Error::from(e)).kind();
        assert_eq!(
            kind(ProxyError::Refused { status: 403 }),
            io::ErrorKind::ConnectionRefused
        );
        assert_eq!(
            kind(ProxyError::SocksRefused(SocksReply::HostUnreachable)),
            io::ErrorKind::HostUnreachable
        );
        assert_eq!(
            kind(ProxyError::UnexpectedEof),
            io::ErrorKind::UnexpectedEof
        );
        assert_eq!(
            kind(ProxyError::ResponseTooLarge),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            kind(ProxyError::InvalidUrl("x")),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(ProxyError::Io(io::Error::from(
                io::ErrorKind::ConnectionReset
            ))),
            io::ErrorKind::ConnectionReset
        );
        assert!(
            ProxyError::from(io::Error::from(io::ErrorKind::UnexpectedEof))
                .to_string()
                .contains("closed")
        );
    }
}
