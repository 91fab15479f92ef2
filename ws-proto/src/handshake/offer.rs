//! The grammar of `Sec-WebSocket-Extensions` (RFC 6455 section 9.1) and
//! the HTTP list and token rules it builds on (RFC 7230 sections 3.2.6
//! and 7).

use std::fmt;

use super::HandshakeError;

/// One extension offered by a client, or accepted by a server, in a
/// `Sec-WebSocket-Extensions` header field (section 9.1):
///
/// ```text
/// extension-list = 1#extension
/// extension = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
///
/// Quoted values are unquoted: section 9.1 says "When using the
/// quoted-string syntax variant, the value after quoted-string unescaping
/// MUST conform to the 'token' ABNF", so `a="1"` and `a=1` are the same.
///
/// ```
/// use ws_proto::handshake::ExtensionOffer;
///
/// let offers = ExtensionOffer::parse_list(
///     "permessage-deflate; client_max_window_bits, x-foo; level=\"9\"",
/// )?;
/// assert_eq!(offers[0].name, "permessage-deflate");
/// assert_eq!(offers[0].params, [("client_max_window_bits".to_owned(), None)]);
/// assert_eq!(offers[1].param("level"), Some(Some("9")));
/// assert_eq!(offers[1].to_string(), "x-foo; level=9");
/// # Ok::<(), ws_proto::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionOffer {
    /// The extension's registered token, such as `permessage-deflate`.
    pub name: String,
    /// Its parameters in order, each a name and an optional (unquoted)
    /// value.
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// Parses one `Sec-WebSocket-Extensions` header value into its
    /// extensions, in order. Empty list elements are skipped (RFC 7230
    /// section 7).
    pub fn parse_list(value: &str) -> Result<Vec<ExtensionOffer>, HandshakeError> {
        let mut offers = Vec::new();
        parse_extensions(value.as_bytes(), &mut offers).map_err(|reason| {
            HandshakeError::InvalidHeader {
                name: "Sec-WebSocket-Extensions",
                reason,
            }
        })?;
        Ok(offers)
    }

    /// The value of parameter `name` (compared case-insensitively):
    /// `None` if absent, `Some(None)` if present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

impl fmt::Display for ExtensionOffer {
    /// The offer as a header value, `name; param; param=value`. Values are
    /// tokens (section 9.1), so none needs quoting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            if let Some(value) = value {
                write!(f, "={value}")?;
            }
        }
        Ok(())
    }
}

/// Parses a `Sec-WebSocket-Extensions` value (section 9.1) onto `out`: a
/// hand-written single pass, linear in the length of the value.
pub(super) fn parse_extensions(
    value: &[u8],
    out: &mut Vec<ExtensionOffer>,
) -> Result<(), &'static str> {
    let mut c = Cursor { s: value, pos: 0 };
    loop {
        c.skip_ows();
        match c.peek() {
            None => return Ok(()),
            Some(b',') => {
                c.pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = c.token().ok_or("expected an extension name")?;
        let mut params = Vec::new();
        loop {
            c.skip_ows();
            if !c.eat(b';') {
                break;
            }
            c.skip_ows();
            let param = c.token().ok_or("expected a parameter name")?;
            c.skip_ows();
            let value = if c.eat(b'=') {
                c.skip_ows();
                Some(if c.peek() == Some(b'"') {
                    c.quoted_token()?
                } else {
                    c.token().ok_or("expected a parameter value")?.to_owned()
                })
            } else {
                None
            };
            params.push((param.to_owned(), value));
        }
        out.push(ExtensionOffer {
            name: name.to_owned(),
            params,
        });
        if !c.eat(b',') && c.peek().is_some() {
            return Err("expected ',' or ';'");
        }
    }
}

/// A position in a header value, for the extension grammar.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.pos += usize::from(hit);
        hit
    }

    /// Skips optional whitespace: `OWS = *( SP / HTAB )` (RFC 7230).
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A non-empty token, or `None` (and nothing consumed).
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        // Token characters are ASCII, so this conversion cannot fail.
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .filter(|t| !t.is_empty())
    }

    /// A quoted-string whose unescaped content is a token (section 9.1).
    fn quoted_token(&mut self) -> Result<String, &'static str> {
        self.pos += 1; // the opening quote
        let mut value = String::new();
        loop {
            let byte = match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => break,
                Some(b'\\') => {
                    self.pos += 1;
                    self.peek().ok_or("unterminated quoted string")?
                }
                Some(byte) => byte,
            };
            if !is_tchar(byte) {
                return Err("quoted parameter value is not a token");
            }
            value.push(char::from(byte));
            self.pos += 1;
        }
        self.pos += 1; // the closing quote
        if value.is_empty() {
            return Err("empty quoted parameter value");
        }
        Ok(value)
    }
}

/// `tchar` of RFC 7230 section 3.2.6: the characters of a token.
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is a non-empty token.
pub(super) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// The elements of a comma-separated header list (RFC 7230 section 7),
/// trimmed, without the empty ones.
pub(super) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|e| !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_lists_parse_per_section_9_1() {
        let offers = ExtensionOffer::parse_list(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10 , \
             ,x-webkit;a=\"quo\\ted\";b, foo",
        )
        .unwrap();
        assert_eq!(offers.len(), 3);
        assert_eq!(offers[0].name, "permessage-deflate");
        assert_eq!(
            offers[0].params,
            [
                ("client_max_window_bits".to_owned(), None),
                ("server_max_window_bits".to_owned(), Some("10".to_owned())),
            ]
        );
        assert_eq!(offers[1].param("A"), Some(Some("quoted")));
        assert_eq!(offers[1].param("b"), Some(None));
        assert_eq!(offers[1].param("c"), None);
        assert_eq!(offers[2].to_string(), "foo");
        assert!(ExtensionOffer::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn malformed_extension_lists_are_refused() {
        for bad in [
            "foo;",
            "foo; =1",
            "foo; a=",
            "foo; a=\"1",
            "foo; a=\"\"",
            "foo; a=\"1 2\"",
            "foo bar",
            "foo; a=1 b",
            "; a",
            "foo; a=\"x\\",
        ] {
            let err = ExtensionOffer::parse_list(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    HandshakeError::InvalidHeader {
                        name: "Sec-WebSocket-Extensions",
                        ..
                    }
                ),
                "{bad:?}: {err:?}"
            );
        }
    }
}
