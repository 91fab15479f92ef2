//! Reading an HTTP/1.1 head, the one reading phase of both roles: the
//! bytes are scanned once for line ends within the limits, then parsed
//! once by `httparse` and kept as one buffer with the ranges of its
//! fields (RFC 7230 section 3).

use std::fmt;
use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::{is_token, list_elements, parse_extensions, ExtensionOffer, HandshakeError};
use crate::config::HandshakeLimits;

/// Collects an HTTP head from reads of any size, looking at each byte once.
///
/// Every byte is scanned exactly once for the line ends, and the state of
/// the scan (where the current line began, how many lines came before) is
/// kept between reads, so a peer that sends one byte at a time costs time
/// linear in the size of the head. The limits are checked as the bytes
/// arrive, so a head over a limit is refused as soon as it passes it, not
/// when it ends. Only a complete head is handed to `httparse`, once.
#[derive(Debug, Default)]
pub(super) struct HeadReader {
    /// The bytes received; once the head is split off, those that followed.
    pub(super) buf: BytesMut,
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
    pub(super) bytes_scanned: usize,
}

impl HeadReader {
    /// Adds `data`. Returns the complete head, up to and including its
    /// blank line, once it is there; the bytes after it stay in `buf`.
    pub(super) fn push(
        &mut self,
        data: &[u8],
        limits: &HandshakeLimits,
    ) -> Result<Option<Bytes>, HandshakeError> {
        self.buf.extend_from_slice(data);
        if self.lines == 0 {
            check_start(&self.buf[self.line_start..])?;
        }
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
    pub(super) fn rest(&self) -> &[u8] {
        if self.complete {
            &self.buf
        } else {
            &[]
        }
    }

    /// The number of header lines of the head: a bound for `httparse`.
    pub(super) fn header_count(&self) -> usize {
        self.lines.saturating_sub(1)
    }
}

/// Fails at once when the first line cannot start an HTTP message: a
/// request line starts with its method and a status line with
/// `HTTP/`, tokens both (RFC 9112 sections 3 and 4; a token's characters
/// are RFC 9110 section 5.6.2's `tchar`). Without this, the bytes of a
/// TLS ClientHello (0x16 first) sent to a plain port would wait for a line
/// end until the handshake timeout, and its sender would learn nothing.
fn check_start(line: &[u8]) -> Result<(), HandshakeError> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    match line.iter().find(|&&b| b != b'\r' && b != b'\n') {
        Some(&b) if !is_tchar(b) => Err(HandshakeError::MalformedHttp(
            "the first line does not start with a token: not HTTP (TLS to a plain port?)",
        )),
        _ => Ok(()),
    }
}

/// The reading phase of a handshake, the same in both roles: the head
/// reader and where the handshake stands. `T` is what a role keeps of the
/// head it accepted (the server, the request's key).
pub(super) struct Reading<T> {
    pub(super) reader: HeadReader,
    phase: Phase<T>,
}

enum Phase<T> {
    /// The head is not complete yet.
    Reading,
    /// A valid head was handed out.
    Received(T),
    /// The handshake failed; the error is returned again on every call.
    Failed(HandshakeError),
}

impl<T> Reading<T> {
    /// A phase that has read nothing yet.
    pub(super) fn new() -> Self {
        Reading {
            reader: HeadReader::default(),
            phase: Phase::Reading,
        }
    }

    /// A phase that received a head parsed elsewhere (by an HTTP server
    /// or client), with nothing buffered.
    pub(super) fn received(kept: T) -> Self {
        Reading {
            reader: HeadReader::default(),
            phase: Phase::Received(kept),
        }
    }

    /// Feeds `data`: the complete head once it is there, `None` before and
    /// after it (bytes fed after a head was handed out are kept for the
    /// connection). An error is final and returned again by later calls.
    pub(super) fn push(
        &mut self,
        data: &[u8],
        limits: &HandshakeLimits,
    ) -> Result<Option<Bytes>, HandshakeError> {
        match &self.phase {
            Phase::Reading => {}
            Phase::Received(_) => {
                self.reader.buf.extend_from_slice(data);
                return Ok(None);
            }
            Phase::Failed(e) => return Err(e.clone()),
        }
        self.reader.push(data, limits).inspect_err(|e| {
            self.phase = Phase::Failed(e.clone());
        })
    }

    /// Succeeds if no head was handed out and none failed: the state in
    /// which a head parsed elsewhere may be given.
    pub(super) fn expect_reading(&self) -> Result<(), HandshakeError> {
        match &self.phase {
            Phase::Reading => Ok(()),
            Phase::Received(_) => Err(HandshakeError::WrongState("a head was received already")),
            Phase::Failed(e) => Err(e.clone()),
        }
    }

    /// Records how validating a head ended and returns the head's value.
    pub(super) fn settle<R>(
        &mut self,
        result: Result<(R, T), HandshakeError>,
    ) -> Result<R, HandshakeError> {
        match result {
            Ok((value, kept)) => {
                self.phase = Phase::Received(kept);
                Ok(value)
            }
            Err(e) => {
                self.phase = Phase::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// What was kept of the head handed out, if one was.
    pub(super) fn kept(&self) -> Option<&T> {
        match &self.phase {
            Phase::Received(kept) => Some(kept),
            _ => None,
        }
    }

    /// The phase's name, for `Debug`.
    pub(super) fn name(&self) -> &'static str {
        match self.phase {
            Phase::Reading => "reading",
            Phase::Received(_) => "received",
            Phase::Failed(_) => "failed",
        }
    }
}

/// Maps an `httparse` error to the handshake's.
pub(super) fn http_error(e: httparse::Error, limits: &HandshakeLimits) -> HandshakeError {
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
pub(super) struct Field {
    pub(super) name: Range<usize>,
    pub(super) value: Range<usize>,
}

/// A parsed HTTP head kept as one buffer and the ranges of its header
/// fields within it: no allocation per field.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) bytes: Bytes,
    pub(super) fields: Vec<Field>,
}

/// The range `part` occupies inside `whole`, where `httparse` found it
/// (an empty range if `part` is not a subslice, which it always is).
pub(super) fn span(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    match start.checked_add(part.len()) {
        Some(end) if end <= whole.len() => start..end,
        _ => 0..0,
    }
}

impl Head {
    pub(super) fn new(bytes: Bytes, headers: &[httparse::Header<'_>]) -> Head {
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
    pub(super) fn text(&self, range: &Range<usize>) -> &str {
        std::str::from_utf8(&self.bytes[range.clone()]).unwrap_or_default()
    }

    /// All fields in order, names as sent (tokens, so ASCII).
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields
            .iter()
            .map(|f| (self.text(&f.name), &self.bytes[f.value.clone()]))
    }

    /// The values of every field called `name`, case-insensitively.
    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first value of `name`, if it is UTF-8.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The only value of `name`: `Ok(None)` if absent, an error if repeated.
    pub(super) fn single(&self, name: &'static str) -> Result<Option<&[u8]>, HandshakeError> {
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
    pub(super) fn has_token(&self, name: &str, token: &str) -> bool {
        self.all(name)
            .flat_map(list_elements)
            .any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
    }

    /// The subprotocols listed in every `Sec-WebSocket-Protocol` field, in
    /// order. Section 4.1: "The elements that comprise this value MUST be
    /// non-empty strings with characters in the range U+0021 to U+007E not
    /// including separator characters as defined in \[RFC2616\]", that is,
    /// tokens.
    pub(super) fn subprotocols(&self) -> Result<Vec<String>, HandshakeError> {
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
    pub(super) fn extensions(&self) -> Result<Vec<ExtensionOffer>, HandshakeError> {
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

    fn limits(max_bytes: usize, max_headers: usize, max_line: usize) -> HandshakeLimits {
        HandshakeLimits::default()
            .with_max_bytes(max_bytes)
            .with_max_headers(max_headers)
            .with_max_line(max_line)
    }
}
