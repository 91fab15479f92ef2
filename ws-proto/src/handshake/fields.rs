//! The header fields a caller adds to a request or an answer, checked so
//! that no value can end its field early and smuggle in another one.

use super::{is_token, ExtensionOffer, HandshakeError};

/// Checks a header field the caller wants to send: the name a token, the
/// value free of control characters other than HTAB, so that no CR or LF
/// can end the field early and smuggle in another one.
pub(super) fn check_header_input(name: &str, value: &str) -> Result<(), HandshakeError> {
    let reason = if !is_token(name) {
        "the name is not an HTTP token"
    } else if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        "the value contains a control character such as CR or LF"
    } else {
        return Ok(());
    };
    Err(HandshakeError::InvalidHeaderInput {
        name: name.to_owned(),
        reason,
    })
}

/// Checks an extra header field the caller wants to send (see
/// [`check_header_input`]) and refuses the fields the handshake writes
/// itself, listed in `reserved`.
pub(super) fn extra_header(
    name: String,
    value: String,
    reserved: &[&str],
) -> Result<(String, String), HandshakeError> {
    check_header_input(&name, &value)?;
    if reserved.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
        return Err(HandshakeError::InvalidHeaderInput {
            name,
            reason: "the handshake sets this header field itself",
        });
    }
    Ok((name, value))
}

/// Checks a `Sec-WebSocket-Extensions` value the caller wants to send
/// against the grammar of section 9.1; it must name an extension.
pub(super) fn extension_value(value: String) -> Result<String, HandshakeError> {
    check_header_input("Sec-WebSocket-Extensions", &value)?;
    if ExtensionOffer::parse_list(&value)?.is_empty() {
        return Err(HandshakeError::InvalidHeaderInput {
            name: "Sec-WebSocket-Extensions".to_owned(),
            reason: "names no extension",
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_input_refuses_response_splitting() {
        assert!(check_header_input("X-Ok", "a value\twith tab").is_ok());
        for (name, value) in [
            ("X-Bad", "a\r\nSet-Cookie: evil=1"),
            ("X-Bad", "a\nb"),
            ("X-Bad", "nul\0"),
            ("X Bad", "v"),
            ("X-Bad\r\n", "v"),
            ("", "v"),
        ] {
            assert!(
                matches!(
                    check_header_input(name, value),
                    Err(HandshakeError::InvalidHeaderInput { .. })
                ),
                "{name:?}: {value:?}"
            );
        }
    }
}
