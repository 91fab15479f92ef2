//! Why an opening handshake failed, sorted by whose fault it is, and the
//! HTTP answer a server gives for each (RFC 6455 section 4.2.2; RFC 8441
//! section 5 over HTTP/2).

use std::fmt;

use bytes::Bytes;

use super::{parts, write_response, Request, Response};
use crate::error::ConfigError;

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
    /// [`HandshakeLimits::max_bytes`](crate::HandshakeLimits::max_bytes) (431).
    HeadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// One line of the head is longer than [`HandshakeLimits::max_line`](crate::HandshakeLimits::max_line):
    /// 414 (URI Too Long) for the request line, 431 for a header line.
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
        /// Whether it was the first line (request line or status line).
        first_line: bool,
    },
    /// More header fields than [`HandshakeLimits::max_headers`](crate::HandshakeLimits::max_headers) (431).
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
    /// its head are in [`ServerHandshake::buffered`](super::ServerHandshake::buffered).
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
    /// Server side: an HTTP/2 extended CONNECT for another protocol than
    /// `websocket` (501, as RFC 9220 section 3 answers a `:protocol` the
    /// server does not support). Carries the `:protocol` as sent.
    UnsupportedProtocol(String),
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
    /// [`ServerHandshake::accept`](super::ServerHandshake::accept) before a request was received.
    WrongState(&'static str),
    /// The caller's fault: the configuration fails
    /// [`Config::validate`](crate::Config::validate). A server refuses
    /// before it reads the request, with 500 (the request may be fine).
    Config(ConfigError),
}

/// Whose fault a [`HandshakeError`] is: see [`HandshakeError::fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// What the peer sent breaks HTTP or the handshake's rules: the
    /// request as a server reads it, or the response head as a client
    /// reads it (malformed, over a limit, a missing or invalid field).
    Peer,
    /// Client side: the server answered with a well-formed response that
    /// is not the acceptance asked for: another status, an accept value
    /// that does not match the key, or a subprotocol or extension the
    /// client did not offer.
    Answer,
    /// The caller's misuse: an invalid value given to a builder or a URL,
    /// a method called in the wrong state, or an acceptance of what the
    /// client did not offer.
    Caller,
}

impl HandshakeError {
    /// Whose fault the error is, so that a caller can tell a hostile or
    /// broken peer from a server that refused it and from its own bug.
    ///
    /// ```
    /// use ws_proto::handshake::{ClientRequest, Fault, HandshakeError};
    ///
    /// let err = ClientRequest::from_url("ftp://example.com/").unwrap_err();
    /// assert_eq!(err.fault(), Fault::Caller);
    /// assert_eq!(HandshakeError::AcceptKeyMismatch.fault(), Fault::Answer);
    /// assert_eq!(HandshakeError::UnsupportedVersion.fault(), Fault::Peer);
    /// ```
    pub fn fault(&self) -> Fault {
        match self {
            HandshakeError::MalformedHttp(_)
            | HandshakeError::HeadTooLarge { .. }
            | HandshakeError::LineTooLong { .. }
            | HandshakeError::TooManyHeaders { .. }
            | HandshakeError::MethodNotAllowed(_)
            | HandshakeError::HttpVersionNotSupported
            | HandshakeError::NotUpgrade(_)
            | HandshakeError::InvalidUpgrade { .. }
            | HandshakeError::UnsupportedVersion
            | HandshakeError::UnsupportedProtocol(_)
            | HandshakeError::ForbiddenOrigin(_)
            | HandshakeError::MissingHeader(_)
            | HandshakeError::InvalidHeader { .. } => Fault::Peer,
            HandshakeError::Rejected { .. }
            | HandshakeError::AcceptKeyMismatch
            | HandshakeError::UnofferedSubprotocol(_)
            | HandshakeError::UnofferedExtension(_) => Fault::Answer,
            HandshakeError::SubprotocolNotOffered(_)
            | HandshakeError::ExtensionNotOffered(_)
            | HandshakeError::InvalidHeaderInput { .. }
            | HandshakeError::InvalidUrl(_)
            | HandshakeError::WrongState(_)
            | HandshakeError::Config(_) => Fault::Caller,
        }
    }

    /// The HTTP status a server answers this error with, if it is one a
    /// server meets. For [`SubprotocolNotOffered`](Self::SubprotocolNotOffered),
    /// [`ExtensionNotOffered`](Self::ExtensionNotOffered) and
    /// [`Config`](Self::Config) it is 500, since the request was fine (or
    /// never read) and the application erred.
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
            HandshakeError::UnsupportedProtocol(_) => 501,
            HandshakeError::NotUpgrade(_)
            | HandshakeError::InvalidUpgrade { .. }
            | HandshakeError::UnsupportedVersion => 426,
            HandshakeError::SubprotocolNotOffered(_)
            | HandshakeError::ExtensionNotOffered(_)
            | HandshakeError::Config(_) => 500,
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
            HandshakeError::UnsupportedProtocol(_) => {
                "Not Implemented: this endpoint tunnels the WebSocket protocol only"
            }
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
            HandshakeError::UnsupportedProtocol(protocol) => {
                write!(
                    f,
                    "extended CONNECT for protocol {protocol:?}, not websocket"
                )
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
            HandshakeError::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandshakeError::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for HandshakeError {
    fn from(e: ConfigError) -> Self {
        HandshakeError::Config(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
