//! Incremental UTF-8 validation for text messages.
//!
//! RFC 6455 section 8.1: when an endpoint finds that a text message is not
//! valid UTF-8 it "MUST _Fail the WebSocket Connection_". A message may be
//! split into fragments and frames at any byte, even inside a code point,
//! and may arrive a few bytes at a time; the validator keeps the at most
//! three bytes of an unfinished code point between calls and reports an
//! error as soon as the bytes seen so far cannot begin valid UTF-8, without
//! waiting for the end of the frame or the message.
//!
//! ```
//! use ws_proto::utf8::Utf8Validator;
//!
//! let mut v = Utf8Validator::default();
//! let euro = "€".as_bytes(); // three bytes
//! v.feed(&euro[..1]).unwrap();
//! v.feed(&euro[1..]).unwrap();
//! assert!(v.finish().is_ok());
//! // 0xED 0xA0 starts a UTF-16 surrogate: invalid after two bytes.
//! assert!(Utf8Validator::default().feed(&[0xED, 0xA0]).is_err());
//! ```

use std::fmt;

use bytes::Bytes;
use simdutf8::compat::from_utf8;

/// The data is not valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error;

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid UTF-8 in a text message")
    }
}

impl std::error::Error for Utf8Error {}

/// Validates a UTF-8 stream fed in pieces of any size.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    /// The bytes of a code point cut by the end of the last piece.
    partial: [u8; 4],
    partial_len: u8,
}

/// The length of the code point that `lead` begins; 0 for a byte that
/// cannot lead one (its error is reported by the full check).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

impl Utf8Validator {
    /// Checks the next piece of the stream.
    ///
    /// Fails as soon as the stream so far cannot be a prefix of valid
    /// UTF-8; an unfinished code point at the end of `data` is kept for the
    /// next call.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), Utf8Error> {
        if self.partial_len > 0 {
            let have = usize::from(self.partial_len);
            let need = sequence_len(self.partial[0]).max(have + 1);
            let take = (need - have).min(data.len());
            self.partial[have..have + take].copy_from_slice(&data[..take]);
            let filled = have + take;
            data = &data[take..];
            match from_utf8(&self.partial[..filled]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_some() => return Err(Utf8Error),
                // Still unfinished: then `data` is used up.
                Err(_) => {
                    self.partial_len = filled as u8;
                    return Ok(());
                }
            }
        }
        match from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Utf8Error),
            Err(e) => {
                let rest = &data[e.valid_up_to()..];
                self.partial[..rest.len()].copy_from_slice(rest);
                self.partial_len = rest.len() as u8;
                Ok(())
            }
        }
    }

    /// Ends the stream: fails if it stopped inside a code point.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let complete = self.partial_len == 0;
        self.partial_len = 0;
        if complete {
            Ok(())
        } else {
            Err(Utf8Error)
        }
    }
}

/// Bytes that are valid UTF-8: the payload of a text message, held
/// without a second copy.
///
/// ```
/// use ws_proto::utf8::Utf8Bytes;
///
/// let text = Utf8Bytes::from("héllo");
/// assert_eq!(text.as_str(), "héllo");
/// assert!(Utf8Bytes::try_from(bytes::Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Text from a static string, without a copy.
    pub const fn from_static(text: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(text.as_bytes()))
    }

    /// Wraps bytes that the caller has already validated: the receive path
    /// checks every text message once, while it arrives, and must not pay
    /// for a second pass.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }

    /// The text.
    #[allow(unsafe_code)]
    pub fn as_str(&self) -> &str {
        // SAFETY: the field is private and every constructor either
        // validates the bytes (`try_from`), takes them from a `str`
        // (`from_static`, `From<String>`, `From<&str>`), or is
        // `from_validated`, whose only callers pass bytes the incremental
        // validator accepted as a complete message. Re-validating here
        // would cost a pass over the text on every access.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The bytes underneath.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = Utf8Error;

    /// Validates `bytes` (SIMD-accelerated) and wraps them without a copy.
    fn try_from(bytes: Bytes) -> Result<Self, Utf8Error> {
        simdutf8::basic::from_utf8(&bytes).map_err(|_| Utf8Error)?;
        Ok(Utf8Bytes(bytes))
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Utf8Bytes(Bytes::from(text))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Utf8Bytes(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<&String> for Utf8Bytes {
    fn from(text: &String) -> Self {
        Utf8Bytes::from(text.as_str())
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(bytes: &[u8]) -> Vec<Result<(), Utf8Error>> {
        (0..=bytes.len())
            .map(|cut| {
                let mut v = Utf8Validator::default();
                v.feed(&bytes[..cut])?;
                v.feed(&bytes[cut..])?;
                v.finish()
            })
            .collect()
    }

    #[test]
    fn agrees_with_std_at_every_split() {
        let samples: [&[u8]; 8] = [
            "κόσμε".as_bytes(),
            "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
            "\u{10FFFF}\u{FFFF}€".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"ab\xe0\x80",
            b"\xf0\x9f\x98",
        ];
        for s in samples {
            let expect = std::str::from_utf8(s).map(|_| ()).map_err(|_| Utf8Error);
            for got in split_everywhere(s) {
                assert_eq!(got, expect, "{s:?}");
            }
        }
    }

    #[test]
    fn fails_fast_inside_a_code_point() {
        // Autobahn 6.3.2: the surrogate is detectable at its second byte.
        let mut v = Utf8Validator::default();
        v.feed(&[0xED]).unwrap();
        assert_eq!(v.feed(&[0xA0]), Err(Utf8Error));
        // 0xF5 can never begin a code point.
        assert_eq!(Utf8Validator::default().feed(&[b'a', 0xF5]), Err(Utf8Error));
        // A complete prefix that only ends early is fine until finish.
        let mut v = Utf8Validator::default();
        v.feed(&[0xF0, 0x9F]).unwrap();
        v.feed(&[0x98]).unwrap();
        assert_eq!(v.finish(), Err(Utf8Error));
    }

    #[test]
    fn byte_at_a_time() {
        let text = "Ünïcödé ✓ 𝄞 end";
        let mut v = Utf8Validator::default();
        for b in text.as_bytes() {
            v.feed(std::slice::from_ref(b)).unwrap();
        }
        v.finish().unwrap();
    }
}
