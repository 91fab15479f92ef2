//! The server's answer to a generator's opening handshake.

/// Checks a response head (without its final blank line): status 101 and
/// the `Sec-WebSocket-Accept` that `accept` says (RFC 6455 section 4.1).
/// Returns the head in lowercase, for the caller's checks of the other
/// headers.
pub fn check_response(head: &[u8], accept: &str) -> Result<String, String> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if !text.starts_with("http/1.1 101") {
        let line = text.lines().next().unwrap_or("").to_owned();
        return Err(format!("handshake refused: {line}"));
    }
    let want = format!("sec-websocket-accept: {}", accept.to_ascii_lowercase());
    if !text.lines().any(|l| l.trim() == want) {
        return Err("wrong or missing Sec-WebSocket-Accept".into());
    }
    Ok(text)
}
