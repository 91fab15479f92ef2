//! Writing an HTTP/1.1 response head (RFC 7230 section 3.1.2).

use bytes::{BufMut, Bytes, BytesMut};

/// The reason phrase of the common statuses; empty for others, which
/// RFC 7230 section 3.1.2 allows.
pub(super) fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Appends `name: value\r\n`.
pub(super) fn put_header(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

/// A whole response: status line, `headers`, `Content-Length`, blank line,
/// `body`. The headers must have been checked already.
pub(super) fn write_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(128 + body.len());
    out.put_slice(format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes());
    for (name, value) in headers {
        put_header(&mut out, name, value);
    }
    put_header(&mut out, "Content-Length", &body.len().to_string());
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.freeze()
}
