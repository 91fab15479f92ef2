//! Plain HTTP on the chat's port: the page at `/`, a 404 for any other
//! path, a 405 for other methods. One response per connection
//! (`Connection: close`); a request body is not read. The example writes
//! the response with its runtime's I/O.

use std::net::SocketAddr;

use ws_proto::handshake::Request;

use super::{Chat, WS_PATH};

/// The page, embedded at build time.
pub(crate) const PAGE: &str = include_str!("../chat/client.html");

/// The response to the plain HTTP `request` from `peer`, whole.
pub(crate) fn response(chat: &Chat, peer: SocketAddr, request: &Request) -> Vec<u8> {
    let (status, body) = match (request.method(), request.path()) {
        ("GET" | "HEAD", "/" | "/index.html") => ("200 OK", PAGE.to_owned()),
        ("GET" | "HEAD", WS_PATH) => (
            "426 Upgrade Required",
            format!("{WS_PATH} is the chat's WebSocket; the page is at /\n"),
        ),
        ("GET" | "HEAD", _) => ("404 Not Found", "not found; the chat is at /\n".to_owned()),
        _ => ("405 Method Not Allowed", "only GET and HEAD\n".to_owned()),
    };
    chat.log(&format!(
        "[http] {peer} {} {} -> {status}",
        request.method(),
        request.target()
    ));
    let content_type = match status {
        "200 OK" => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\n\
         Content-Type: {content_type}\r\n\
         Content-Length: {}\r\n\
         Cache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Connection: close\r\n",
        body.len()
    );
    if status.starts_with("426") {
        response.push_str("Upgrade: websocket\r\n");
    }
    if status.starts_with("405") {
        response.push_str("Allow: GET, HEAD\r\n");
    }
    response.push_str("\r\n");
    if request.method() != "HEAD" {
        response.push_str(&body);
    }
    response.into_bytes()
}
