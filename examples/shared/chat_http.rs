//! Plain HTTP on the chat's port: the page at `/`, a 426 at the socket's
//! path without an upgrade, a 404 for any other path, a 405 for other
//! methods. [`answer`] decides once for every server; the examples that
//! read the request themselves write it with [`Answer::to_http1`] (one
//! response per connection, `Connection: close`; a request body is not
//! read), the axum example hands it to hyper.

use std::net::SocketAddr;

use super::{Chat, WS_PATH};

/// The page, embedded at build time.
pub(crate) const PAGE: &str = include_str!("../chat/client.html");

/// The answer to one plain HTTP request: status, header fields, body.
pub(crate) struct Answer {
    /// The status code (RFC 9110 section 15).
    pub(crate) status: u16,
    /// Its reason phrase, for HTTP/1.1's status line.
    pub(crate) reason: &'static str,
    /// The header fields besides `Content-Length` and `Connection`, which
    /// the writer of the message adds.
    pub(crate) headers: Vec<(&'static str, &'static str)>,
    /// The body, whose length is the `Content-Length` even for `HEAD`.
    pub(crate) body: String,
    /// Whether the request was `HEAD`: RFC 9110 section 9.3.2, the same
    /// fields as for `GET`, and no content.
    pub(crate) head: bool,
}

/// The answer to the plain HTTP request `method target` (whose path is
/// `path`) from `peer`, logged.
pub(crate) fn answer(
    chat: &Chat,
    peer: SocketAddr,
    method: &str,
    target: &str,
    path: &str,
) -> Answer {
    let (status, reason, body) = match (method, path) {
        ("GET" | "HEAD", "/" | "/index.html") => (200, "OK", PAGE.to_owned()),
        ("GET" | "HEAD", WS_PATH) => (
            426,
            "Upgrade Required",
            format!("{WS_PATH} is the chat's WebSocket; the page is at /\n"),
        ),
        ("GET" | "HEAD", _) => (404, "Not Found", "not found; the chat is at /\n".to_owned()),
        _ => (405, "Method Not Allowed", "only GET and HEAD\n".to_owned()),
    };
    chat.log(&format!(
        "[http] {peer} {method} {target} -> {status} {reason}"
    ));
    let content_type = match status {
        200 => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    let mut headers = vec![
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ];
    match status {
        // RFC 9110 section 15.5.22: a 426 names the protocol to upgrade to.
        426 => headers.push(("Upgrade", "websocket")),
        // Section 15.5.6: a 405 lists the methods the target allows.
        405 => headers.push(("Allow", "GET, HEAD")),
        _ => {}
    }
    Answer {
        status,
        reason,
        headers,
        body,
        head: method == "HEAD",
    }
}

impl Answer {
    /// The answer as a whole HTTP/1.1 response that closes the connection.
    pub(crate) fn to_http1(&self) -> Vec<u8> {
        let mut response = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        if !self.head {
            response.push_str(&self.body);
        }
        response.into_bytes()
    }
}
