//! Close codes and the Close frame body (RFC 6455 sections 5.5.1 and 7.4).

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::frame::MAX_CONTROL_PAYLOAD;

/// A close status code (RFC 6455 section 7.4).
///
/// Any `u16` can be held, so that a code read off the wire can be reported
/// as it was; [`CloseCode::is_sendable`] says whether it may go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigated away).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept (e.g. binary to a text-only endpoint).
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no code was present. Reserved: reported, never sent.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection closed without a Close frame. Reserved: reported, never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: data inconsistent with its type, such as invalid UTF-8 in a text message.
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway got an invalid response upstream (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: the TLS handshake failed. Reserved: reported, never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Wraps any code; see [`is_sendable`](Self::is_sendable).
    pub const fn new(code: u16) -> Self {
        CloseCode(code)
    }

    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether the code may appear in a Close frame, sent or received.
    ///
    /// Section 7.4.1 defines 1000-1011 but reserves 1004 and forbids 1005,
    /// 1006 and 1015 on the wire; 1012-1014 were registered with IANA since;
    /// 1016-2999 are unassigned (section 7.4.2) and so invalid; 3000-3999
    /// are for libraries and frameworks, 4000-4999 for private use; all
    /// else (0-999, 5000 and up) is invalid.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a Close frame said: a code, and a UTF-8 reason.
///
/// A Close frame with an empty body is reported as code 1005
/// ([`CloseCode::NO_STATUS`]) with an empty reason, as the RFC says to
/// report it (section 7.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    code: CloseCode,
    reason: Bytes,
}

/// Why a Close frame body or a requested close was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseBodyError {
    /// A body of one byte: a code needs two (section 5.5.1).
    Truncated,
    /// A code that may not appear on the wire (section 7.4).
    InvalidCode(CloseCode),
    /// The reason is not valid UTF-8 (section 5.5.1).
    InvalidUtf8,
    /// Code and reason together exceed the 125 bytes of a control frame.
    TooLong,
}

impl fmt::Display for CloseBodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseBodyError::Truncated => f.write_str("close frame body of one byte"),
            CloseBodyError::InvalidCode(c) => {
                write!(f, "close code {c} is not allowed on the wire")
            }
            CloseBodyError::InvalidUtf8 => f.write_str("close reason is not valid UTF-8"),
            CloseBodyError::TooLong => f.write_str("close reason longer than 123 bytes"),
        }
    }
}

impl std::error::Error for CloseBodyError {}

impl CloseFrame {
    /// A close with `code` and `reason`, checked as a sender must: the code
    /// must be sendable and the reason at most 123 bytes.
    pub fn new(code: CloseCode, reason: &str) -> Result<Self, CloseBodyError> {
        if !code.is_sendable() {
            return Err(CloseBodyError::InvalidCode(code));
        }
        if reason.len() > MAX_CONTROL_PAYLOAD - 2 {
            return Err(CloseBodyError::TooLong);
        }
        Ok(CloseFrame {
            code,
            reason: Bytes::copy_from_slice(reason.as_bytes()),
        })
    }

    /// The close code; 1005 when the frame had no body.
    pub fn code(&self) -> CloseCode {
        self.code
    }

    /// The reason, valid UTF-8 by construction.
    pub fn reason(&self) -> &str {
        // Both constructors check UTF-8; the fallback is unreachable.
        std::str::from_utf8(&self.reason).unwrap_or_default()
    }

    /// Parses the body of a received Close frame (section 5.5.1): empty, or
    /// a two-byte code in network order followed by a UTF-8 reason.
    pub fn parse(body: Bytes) -> Result<Self, CloseBodyError> {
        match body.len() {
            0 => Ok(CloseFrame {
                code: CloseCode::NO_STATUS,
                reason: Bytes::new(),
            }),
            1 => Err(CloseBodyError::Truncated),
            _ => {
                let code = CloseCode(u16::from_be_bytes([body[0], body[1]]));
                if !code.is_sendable() {
                    return Err(CloseBodyError::InvalidCode(code));
                }
                let reason = body.slice(2..);
                if simdutf8::basic::from_utf8(&reason).is_err() {
                    return Err(CloseBodyError::InvalidUtf8);
                }
                Ok(CloseFrame { code, reason })
            }
        }
    }

    /// The frame body to send; empty for a frame that carries no code.
    pub(crate) fn encode(&self) -> Bytes {
        if self.code == CloseCode::NO_STATUS {
            return Bytes::new();
        }
        let mut body = BytesMut::with_capacity(2 + self.reason.len());
        body.put_u16(self.code.0);
        body.extend_from_slice(&self.reason);
        body.freeze()
    }

    /// A Close frame with no body, reported as 1005
    /// ([`CloseCode::NO_STATUS`], section 7.4.1): what tungstenite writes
    /// `Close(None)`. Sending it closes without a code.
    pub fn empty() -> Self {
        CloseFrame {
            code: CloseCode::NO_STATUS,
            reason: Bytes::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_allowed_on_the_wire_follow_section_7_4() {
        for ok in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ] {
            assert!(CloseCode::new(ok).is_sendable(), "{ok}");
        }
        for ok in [3000, 3999, 4000, 4999] {
            assert!(CloseCode::new(ok).is_sendable(), "{ok}");
        }
        // The invalid codes Autobahn's case 7.9 sends, and the rest of the edges.
        for bad in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode::new(bad).is_sendable(), "{bad}");
        }
    }

    #[test]
    fn parse_checks_length_code_and_utf8() {
        assert_eq!(
            CloseFrame::parse(Bytes::new()).unwrap().code(),
            CloseCode::NO_STATUS
        );
        assert_eq!(
            CloseFrame::parse(Bytes::from_static(&[3])),
            Err(CloseBodyError::Truncated)
        );
        assert_eq!(
            CloseFrame::parse(Bytes::from_static(&[0x03, 0xed])),
            Err(CloseBodyError::InvalidCode(CloseCode::new(1005)))
        );
        assert_eq!(
            CloseFrame::parse(Bytes::from_static(&[0x03, 0xe8, 0xff])),
            Err(CloseBodyError::InvalidUtf8)
        );
        let ok = CloseFrame::parse(Bytes::from_static(b"\x03\xe8bye")).unwrap();
        assert_eq!((ok.code(), ok.reason()), (CloseCode::NORMAL, "bye"));
        assert_eq!(ok.encode(), Bytes::from_static(b"\x03\xe8bye"));
    }

    #[test]
    fn new_refuses_what_may_not_be_sent() {
        assert_eq!(
            CloseFrame::new(CloseCode::ABNORMAL, ""),
            Err(CloseBodyError::InvalidCode(CloseCode::ABNORMAL))
        );
        assert_eq!(
            CloseFrame::new(CloseCode::NORMAL, &"x".repeat(124)),
            Err(CloseBodyError::TooLong)
        );
        assert!(CloseFrame::new(CloseCode::NORMAL, &"x".repeat(123)).is_ok());
        assert!(CloseFrame::empty().encode().is_empty());
    }
}
