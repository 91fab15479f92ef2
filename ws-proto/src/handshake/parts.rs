//! The `http` crate's types at the edges of the handshake: a request an
//! HTTP server already parsed becomes the same [`Request`] view the wire
//! path reads, and that view turns back into an `http::Request`.
//!
//! The parsed form is laid out once into the HTTP/1.1 layout of a head, so
//! that both paths read one view and run one validation: the rules live in
//! `server.rs` and `http2.rs`, never twice.

use std::ops::Range;

use bytes::{BufMut, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::{Accept, Field, HandshakeError, Head, Reject, Request, Response};

impl Head {
    /// A head holding the start line made of `start` (joined by spaces)
    /// and then every field of `headers` in order, with the ranges of the
    /// start line's parts.
    fn from_http<const N: usize>(
        start: [&[u8]; N],
        headers: &HeaderMap,
    ) -> (Head, [Range<usize>; N]) {
        // The sizes are those of data already in memory, not lengths a
        // peer announced.
        let size = start.iter().map(|part| part.len() + 1).sum::<usize>()
            + headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len() + 4)
                .sum::<usize>()
            + 3;
        let mut out = BytesMut::with_capacity(size);
        let ranges = start.map(|part| {
            if !out.is_empty() {
                out.put_u8(b' ');
            }
            let begin = out.len();
            out.put_slice(part);
            begin..out.len()
        });
        out.put_slice(b"\r\n");
        let mut fields = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let name_start = out.len();
            out.put_slice(name.as_str().as_bytes());
            let name = name_start..out.len();
            out.put_slice(b": ");
            let value_start = out.len();
            // Trimmed as the wire path trims (RFC 9110 section 5.5).
            out.put_slice(value.as_bytes().trim_ascii());
            fields.push(Field {
                name,
                value: value_start..out.len(),
            });
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
        let head = Head {
            bytes: out.freeze(),
            fields,
        };
        (head, ranges)
    }

    /// The fields as an `http::HeaderMap`, in order. Both paths only
    /// store tokens as names and values without control characters but
    /// HTAB, which the `http` crate takes; should one not be, it is
    /// reported as malformed HTTP rather than trusted.
    fn header_map(&self) -> Result<HeaderMap, HandshakeError> {
        let mut map = HeaderMap::with_capacity(self.fields.len());
        for (name, value) in self.iter() {
            let invalid = || HandshakeError::MalformedHttp("invalid header field");
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            let value = HeaderValue::from_bytes(value).map_err(|_| invalid())?;
            map.append(name, value);
        }
        Ok(map)
    }
}

impl Request {
    /// The view of a request an HTTP server parsed, not validated yet. The
    /// target is the URI as given: origin-form (`/chat?room=1`) as HTTP/1.1
    /// servers give it, absolute (`https://example.com/chat`) as HTTP/2
    /// servers do, from `:scheme`, `:authority` and `:path`.
    pub(super) fn from_http(parts: &http::request::Parts, protocol: Option<&str>) -> Request {
        let target = parts.uri.to_string();
        let (head, [method, target]) = Head::from_http(
            [parts.method.as_str().as_bytes(), target.as_bytes()],
            &parts.headers,
        );
        // `:protocol` exists only in the extended CONNECT of HTTP/2 and
        // HTTP/3 (RFC 8441 section 4, RFC 9220 section 3).
        let protocol = match parts.version {
            http::Version::HTTP_2 | http::Version::HTTP_3 => protocol.map(str::to_owned),
            _ => None,
        };
        Request::new(head, method, target, parts.version, protocol)
    }

    /// The request as the `http` crate's type: method, target, version and
    /// every header field with its raw value, in order. The `:protocol` of
    /// an extended CONNECT has no field there; see
    /// [`protocol`](Self::protocol).
    ///
    /// Fails only if the target is one the wire allows and `http::Uri`
    /// does not, such as one with `{` or `"`.
    ///
    /// ```
    /// use ws_proto::handshake::ServerHandshake;
    /// use ws_proto::Config;
    ///
    /// let mut server = ServerHandshake::new(Config::default());
    /// let request = server
    ///     .receive(b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///                Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///                Sec-WebSocket-Version: 13\r\nAuthorization: Bearer x\r\n\r\n")?
    ///     .expect("a complete request");
    /// let request = request.to_http()?;
    /// assert_eq!(request.uri(), "/chat");
    /// assert_eq!(request.headers()["authorization"], "Bearer x");
    /// # Ok::<(), ws_proto::handshake::HandshakeError>(())
    /// ```
    pub fn to_http(&self) -> Result<http::Request<()>, HandshakeError> {
        let mut request = http::Request::new(());
        *request.method_mut() = http::Method::from_bytes(self.method().as_bytes())
            .map_err(|_| HandshakeError::MalformedHttp("invalid method"))?;
        *request.uri_mut() = self
            .target()
            .parse()
            .map_err(|_| HandshakeError::MalformedHttp("the target is not a URI"))?;
        *request.version_mut() = self.version();
        *request.headers_mut() = self.head.header_map()?;
        Ok(request)
    }
}

/// The header fields of an answer as an `http::HeaderMap`. The names and
/// values were checked when they were given (or are the handshake's own),
/// so an error here means a caller's value the `http` crate refuses.
pub(super) fn header_map<'a>(
    fields: impl IntoIterator<Item = (&'a str, impl AsRef<str>)>,
) -> Result<HeaderMap, HandshakeError> {
    let mut map = HeaderMap::new();
    for (name, value) in fields {
        let invalid = |reason| HandshakeError::InvalidHeaderInput {
            name: name.to_owned(),
            reason,
        };
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("the name is not an HTTP token"))?;
        let value = HeaderValue::from_str(value.as_ref())
            .map_err(|_| invalid("the value is not a valid header value"))?;
        map.append(header, value);
    }
    Ok(map)
}

/// A header value given through the `http` crate as text: visible ASCII
/// and tabs only, as the builders take them, so that bytes 0x80-0xFF never
/// reach a `&str`.
fn header_text<'a>(name: &HeaderName, value: &'a HeaderValue) -> Result<&'a str, HandshakeError> {
    value
        .to_str()
        .map_err(|_| HandshakeError::InvalidHeaderInput {
            name: name.as_str().to_owned(),
            reason: "the value is not visible ASCII",
        })
}

impl TryFrom<http::Response<()>> for Accept {
    type Error = HandshakeError;

    /// An acceptance from a response an HTTP server built: its
    /// `Sec-WebSocket-Protocol` is the subprotocol, its
    /// `Sec-WebSocket-Extensions` the accepted extensions, and every other
    /// field an extra header, checked as [`Accept::header`] checks them.
    /// The status must be 101 or 200; `Upgrade`, `Connection` and
    /// `Sec-WebSocket-Accept` are skipped, since the handshake writes them
    /// for the form of the request.
    ///
    /// ```
    /// use ws_proto::handshake::Accept;
    ///
    /// let response = http::Response::builder()
    ///     .status(http::StatusCode::SWITCHING_PROTOCOLS)
    ///     .header("sec-websocket-protocol", "chat")
    ///     .header("set-cookie", "session=1")
    ///     .body(())?;
    /// let accept = Accept::try_from(response)?;
    /// # let _ = accept;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn try_from(response: http::Response<()>) -> Result<Accept, HandshakeError> {
        let status = response.status();
        if status != http::StatusCode::SWITCHING_PROTOCOLS && status != http::StatusCode::OK {
            return Err(HandshakeError::InvalidHeaderInput {
                name: ":status".to_owned(),
                reason: "an acceptance is 101 (HTTP/1.1) or 200 (HTTP/2)",
            });
        }
        let mut accept = Accept::new();
        for (name, value) in response.headers() {
            let text = header_text(name, value)?;
            accept = match name.as_str() {
                "upgrade" | "connection" | "sec-websocket-accept" => accept,
                "sec-websocket-protocol" => {
                    if accept.subprotocol.is_some() {
                        return Err(HandshakeError::InvalidHeaderInput {
                            name: name.as_str().to_owned(),
                            reason: "names one subprotocol, once",
                        });
                    }
                    accept.subprotocol(text)
                }
                "sec-websocket-extensions" => accept.extension(text)?,
                _ => accept.header(name.as_str(), text)?,
            };
        }
        Ok(accept)
    }
}

impl<B: Into<bytes::Bytes>> TryFrom<http::Response<B>> for Reject {
    type Error = HandshakeError;

    /// A refusal from a response an HTTP server built: its status, header
    /// fields (checked as [`Reject::header`] checks them) and body.
    /// `Content-Length` and `Transfer-Encoding` are skipped: the body
    /// decides them.
    fn try_from(response: http::Response<B>) -> Result<Reject, HandshakeError> {
        let (parts, body) = response.into_parts();
        let mut reject = Reject::new(parts.status.as_u16()).body(body);
        for (name, value) in &parts.headers {
            if name == http::header::CONTENT_LENGTH || name == http::header::TRANSFER_ENCODING {
                continue;
            }
            reject = reject.header(name.as_str(), header_text(name, value)?)?;
        }
        Ok(reject)
    }
}

impl TryFrom<Reject> for http::Response<bytes::Bytes> {
    type Error = HandshakeError;

    /// The refusal for an HTTP server to send: the status, the headers and
    /// the body. The server writes the framing (`Content-Length`) and the
    /// connection's fate itself. Fails only on a value the `http` crate
    /// refuses although [`Reject::header`] took it.
    fn try_from(reject: Reject) -> Result<Self, HandshakeError> {
        let mut response = http::Response::new(reject.body);
        *response.status_mut() = reject.status;
        *response.headers_mut() = header_map(
            reject
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )?;
        Ok(response)
    }
}

impl Response {
    /// The view of a response head an HTTP client parsed, not validated
    /// yet.
    pub(super) fn from_http(parts: &http::response::Parts) -> Response {
        let reason = parts.status.canonical_reason().unwrap_or_default();
        let (head, [_, _, reason]) = Head::from_http(
            [
                format!("{:?}", parts.version).as_bytes(),
                parts.status.as_str().as_bytes(),
                reason.as_bytes(),
            ],
            &parts.headers,
        );
        Response::new(head, parts.status.as_u16(), reason, parts.version)
    }

    /// The response head as the `http` crate's type: status, version and
    /// every header field with its raw value, in order.
    pub fn to_http(&self) -> Result<http::Response<()>, HandshakeError> {
        let mut response = http::Response::new(());
        *response.status_mut() = http::StatusCode::from_u16(self.status())
            .map_err(|_| HandshakeError::MalformedHttp("invalid status code"))?;
        *response.version_mut() = self.version;
        *response.headers_mut() = self.head.header_map()?;
        Ok(response)
    }
}
