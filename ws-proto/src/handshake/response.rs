//! The client's view of the server's answer (RFC 6455 section 4.1).

use std::fmt;
use std::ops::Range;

use bytes::Bytes;

use super::{http_error, span, ExtensionOffer, HandshakeError, Head};

/// The server's response to the opening handshake.
///
/// Returned by [`ClientHandshake::receive`](super::ClientHandshake::receive) when it is a valid 101, and
/// carried by [`HandshakeError::Rejected`] otherwise (whose
/// [`subprotocol`](Self::subprotocol) and [`extensions`](Self::extensions)
/// are then empty).
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub(super) head: Head,
    pub(super) status: u16,
    pub(super) reason: Range<usize>,
    pub(super) version: http::Version,
    pub(super) subprotocol: Option<String>,
    pub(super) extensions: Vec<ExtensionOffer>,
}

impl Response {
    /// Parses a complete head with `header_count` header lines.
    pub(super) fn parse(
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
        let version = if minor_version == 1 {
            http::Version::HTTP_11
        } else {
            http::Version::HTTP_10
        };
        Ok(Response::new(head, status, reason, version))
    }

    /// A response not validated yet.
    pub(super) fn new(
        head: Head,
        status: u16,
        reason: Range<usize>,
        version: http::Version,
    ) -> Response {
        Response {
            head,
            status,
            reason,
            version,
            subprotocol: None,
            extensions: Vec::new(),
        }
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
