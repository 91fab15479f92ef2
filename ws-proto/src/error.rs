//! Errors of an open connection, split by whose fault they are.
//!
//! - [`ProtocolError`]: the peer broke RFC 6455. The connection has failed;
//!   the Close frame with [`ProtocolError::close_code`] is already queued
//!   for sending, and the error is sticky.
//! - [`UsageError`]: the caller asked for something the connection cannot
//!   do now. Nothing was sent and the connection is unaffected.
//! - [`Error::Timeout`], [`Error::UnexpectedEof`]: the connection ended
//!   without a closing handshake. Also sticky.
//!
//! Handshake failures have their own type,
//! [`HandshakeError`](crate::handshake::HandshakeError), since there is no
//! connection yet and the answer is an HTTP status. A setting refused when
//! a configuration is validated ([`Config::validate`](crate::Config::validate))
//! is a [`ConfigError`], the caller's alone.

use std::fmt;

use crate::close::{CloseBodyError, CloseCode};
use crate::frame::{FrameError, Rsv};

/// An error returned by [`Connection`](crate::Connection).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke the protocol; a Close frame is queued.
    Protocol(ProtocolError),
    /// The caller misused the API; the connection is unaffected.
    Usage(UsageError),
    /// A deadline passed; a Close frame is queued where one may still be sent.
    Timeout(TimeoutKind),
    /// The transport ended before the closing handshake completed. The
    /// close code to report to the application is 1006 (section 7.1.5).
    UnexpectedEof,
}

impl Error {
    /// Whether this error ended the connection (every kind but
    /// [`Error::Usage`]).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Error::Usage(_))
    }

    /// Whether the call was refused because the connection is closing or
    /// closed ([`UsageError::Closed`]): what tungstenite calls
    /// `AlreadyClosed`.
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Usage(UsageError::Closed))
    }

    /// Whether a deadline ended the connection ([`Error::Timeout`]: the
    /// keepalive, idle or close timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// The close code of the Close this error sent to the peer (section
    /// 7.4.1): the protocol error's, 1011 for a keepalive timeout, 1001 for
    /// an idle one. 1006 for [`Error::UnexpectedEof`], the code section
    /// 7.1.5 reports when no Close came (it is never sent). `None` for a
    /// usage error and for the close timeout, which ends a closing
    /// handshake already under way.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::Protocol(e) => Some(e.close_code()),
            Error::Timeout(TimeoutKind::Keepalive) => Some(CloseCode::INTERNAL_ERROR),
            Error::Timeout(TimeoutKind::Idle) => Some(CloseCode::GOING_AWAY),
            Error::UnexpectedEof => Some(CloseCode::ABNORMAL),
            Error::Timeout(TimeoutKind::Close) | Error::Usage(_) => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Usage(e) => write!(f, "usage error: {e}"),
            Error::Timeout(t) => write!(f, "timed out: {t}"),
            Error::UnexpectedEof => {
                f.write_str("connection closed without a closing handshake (1006)")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Protocol(e) => Some(e),
            Error::Usage(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(e)
    }
}

/// How the peer broke RFC 6455.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A malformed frame header.
    Frame(FrameError),
    /// A client frame without a mask (section 5.1).
    UnmaskedFrame,
    /// A server frame with a mask (section 5.1).
    MaskedFrame,
    /// Reserved bits that no negotiated extension owns (section 5.2).
    ReservedBits(Rsv),
    /// A continuation frame with no message in progress (section 5.4).
    UnexpectedContinuation,
    /// A new text or binary frame while a message is in progress (section 5.4).
    ExpectedContinuation,
    /// A data frame over the configured frame limit.
    FrameTooBig {
        /// The declared payload length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A message over the configured message limit, counted across its
    /// fragments (and after decompression, when an extension inflates).
    MessageTooBig {
        /// The size the message reached or declared.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A text message that is not valid UTF-8 (section 8.1).
    InvalidUtf8,
    /// A Close frame whose body breaks section 5.5.1 or 7.4.
    InvalidClose(CloseBodyError),
    /// An extension refused the data; it chose the close code.
    Extension {
        /// What went wrong.
        reason: String,
        /// The close code to send.
        code: CloseCode,
    },
}

impl ProtocolError {
    /// The close code sent to the peer for this error (section 7.4.1).
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            ProtocolError::InvalidClose(CloseBodyError::InvalidUtf8) => CloseCode::INVALID_PAYLOAD,
            ProtocolError::FrameTooBig { .. } | ProtocolError::MessageTooBig { .. } => {
                CloseCode::MESSAGE_TOO_BIG
            }
            ProtocolError::Extension { code, .. } => *code,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Frame(e) => e.fmt(f),
            ProtocolError::UnmaskedFrame => f.write_str("client frame is not masked"),
            ProtocolError::MaskedFrame => f.write_str("server frame is masked"),
            ProtocolError::ReservedBits(r) => {
                write!(
                    f,
                    "reserved bits {:#05b} set without an extension",
                    r.bits()
                )
            }
            ProtocolError::UnexpectedContinuation => {
                f.write_str("continuation frame with no message in progress")
            }
            ProtocolError::ExpectedContinuation => {
                f.write_str("new data frame while a fragmented message is in progress")
            }
            ProtocolError::FrameTooBig { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            ProtocolError::MessageTooBig { len, max } => {
                write!(
                    f,
                    "message of at least {len} bytes exceeds the limit of {max}"
                )
            }
            ProtocolError::InvalidUtf8 => f.write_str("invalid UTF-8 in a text message"),
            ProtocolError::InvalidClose(e) => write!(f, "invalid close frame: {e}"),
            ProtocolError::Extension { reason, .. } => write!(f, "extension: {reason}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl From<FrameError> for ProtocolError {
    fn from(e: FrameError) -> Self {
        ProtocolError::Frame(e)
    }
}

/// A request the connection refused without sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// The write buffer is at its limit: drain it, then send again.
    WriteBufferFull,
    /// A Close was sent already, or the connection has ended: no data,
    /// ping or second close may follow (section 5.5.1).
    Closed,
    /// A ping or pong payload over 125 bytes (section 5.5).
    ControlTooLong,
    /// A close code or reason that may not be sent.
    InvalidClose(CloseBodyError),
    /// A new message while a fragmented one is still being sent: finish it
    /// first (section 5.4: fragments of messages are never interleaved).
    MessageInProgress,
    /// Text fragments that are not valid UTF-8 (section 8.1 would make the
    /// peer fail the connection).
    InvalidUtf8,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::WriteBufferFull => f.write_str("write buffer full"),
            UsageError::Closed => f.write_str("connection is closing or closed"),
            UsageError::ControlTooLong => f.write_str("control frame payload over 125 bytes"),
            UsageError::InvalidClose(e) => e.fmt(f),
            UsageError::MessageInProgress => {
                f.write_str("a fragmented message is still being sent")
            }
            UsageError::InvalidUtf8 => f.write_str("text fragment is not valid UTF-8"),
        }
    }
}

impl std::error::Error for UsageError {}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No Pong (or anything else) came back within the pong timeout after a
    /// keepalive Ping. Closed with 1011.
    Keepalive,
    /// Nothing was received for the idle timeout. Closed with 1001.
    Idle,
    /// The closing handshake did not finish within the close timeout.
    Close,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Keepalive => "no pong within the keepalive deadline",
            TimeoutKind::Idle => "idle timeout",
            TimeoutKind::Close => "closing handshake did not finish in time",
        })
    }
}

/// A setting that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    setting: &'static str,
    reason: &'static str,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, reason: &'static str) -> Self {
        ConfigError { setting, reason }
    }

    /// The name of the refused setting.
    pub fn setting(&self) -> &'static str {
        self.setting
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.setting, self.reason)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_timeout_and_close_code_sort_the_errors() {
        let closed = Error::Usage(UsageError::Closed);
        assert!(closed.is_closed() && !closed.is_timeout());
        assert_eq!(closed.close_code(), None);
        assert!(!Error::Usage(UsageError::WriteBufferFull).is_closed());

        let cases = [
            (TimeoutKind::Keepalive, Some(CloseCode::INTERNAL_ERROR)),
            (TimeoutKind::Idle, Some(CloseCode::GOING_AWAY)),
            (TimeoutKind::Close, None),
        ];
        for (kind, code) in cases {
            let error = Error::Timeout(kind);
            assert!(error.is_timeout() && !error.is_closed(), "{kind:?}");
            assert_eq!(error.close_code(), code, "{kind:?}");
        }

        let too_big = Error::Protocol(ProtocolError::MessageTooBig { len: 11, max: 10 });
        assert_eq!(too_big.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
        assert_eq!(
            Error::Protocol(ProtocolError::InvalidUtf8).close_code(),
            Some(CloseCode::INVALID_PAYLOAD)
        );
        assert_eq!(Error::UnexpectedEof.close_code(), Some(CloseCode::ABNORMAL));
    }
}
