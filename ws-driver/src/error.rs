//! The one error type of the adapters.

use std::fmt;
use std::io;

use ws_proto::handshake::HandshakeError;
use ws_proto::{CloseCode, CloseFrame, ConfigError};

use crate::proxy::ProxyError;

/// Everything that can go wrong on a WebSocket, from the opening handshake
/// to the last byte.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The connection failed or refused a call: a protocol violation by the
    /// peer (the Close frame with the right code has been sent), a timeout,
    /// an end of input before the closing handshake, or a misuse such as
    /// sending after close.
    WebSocket(ws_proto::Error),
    /// The opening handshake failed. On the server side the matching HTTP
    /// error response has been sent.
    Handshake(HandshakeError),
    /// Server side: our own handshake callback refused the request with
    /// this HTTP status, and that response has been sent. (A client whose
    /// server refused it gets [`Error::Handshake`] with
    /// [`HandshakeError::Rejected`] instead.)
    CallbackRejected(u16),
    /// The opening handshake did not finish within the handshake timeout.
    HandshakeTimeout,
    /// A `wss://` URL was given to an adapter built without TLS (its
    /// `tls-*` features off).
    TlsUnsupported,
    /// TLS failed: an untrusted certificate, a host name it is not valid
    /// for, a peer that does not speak TLS, a bad PEM file...
    #[cfg(feature = "tls")]
    Tls(crate::tls::TlsError),
    /// A write failed because the peer closed the connection, and the
    /// Close frame it sent first says why (a message it could not take,
    /// say). The messages it sent before are still received.
    PeerClosed(CloseFrame),
    /// The proxy the connection goes through failed or refused the
    /// tunnel.
    Proxy(ProxyError),
    /// The transport failed.
    Io(io::Error),
    /// The configuration fails [`Config::validate`](ws_proto::Config::validate).
    /// Nothing was read or written: a client refuses before it connects,
    /// a server before it reads the request (inside hyper or axum, the
    /// upgrade is answered with 500 instead).
    Config(ConfigError),
}

impl Error {
    /// Whether this is [`ws_proto::UsageError`]: a refused call that left
    /// the connection as it was.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::WebSocket(ws_proto::Error::Usage(_)))
    }

    /// Whether the connection is closed, and this call could not change
    /// that: a send or close after the closing handshake began or the
    /// connection ended ([`ws_proto::Error::is_closed`]), or a write that
    /// failed because the peer closed ([`Error::PeerClosed`]). What
    /// tungstenite reports as `AlreadyClosed` or `ConnectionClosed`. (A
    /// stream that ended cleanly yields `None`, not an error.)
    pub fn is_closed(&self) -> bool {
        match self {
            Error::WebSocket(e) => e.is_closed(),
            Error::PeerClosed(_) => true,
            _ => false,
        }
    }

    /// Whether a deadline passed: the handshake timeout
    /// ([`Error::HandshakeTimeout`]), or the keepalive (no Pong), idle or
    /// close timeout of an open connection ([`ws_proto::Error::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::HandshakeTimeout => true,
            Error::WebSocket(e) => e.is_timeout(),
            _ => false,
        }
    }

    /// The close code that ended the connection: the one this end sent
    /// when it failed the connection ([`ws_proto::Error::close_code`]:
    /// 1002, 1007, 1009, 1011 after a keepalive timeout, 1001 after an idle
    /// one; 1006 when the transport ended with no Close), or the one the
    /// peer sent before a write failed ([`Error::PeerClosed`]). `None` for
    /// errors that ended no connection, or ended it without a code.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::WebSocket(e) => e.close_code(),
            Error::PeerClosed(frame) => Some(frame.code()),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WebSocket(e) => e.fmt(f),
            Error::Handshake(e) => write!(f, "handshake failed: {e}"),
            Error::CallbackRejected(status) => {
                write!(
                    f,
                    "the accept callback refused the handshake with HTTP status {status}"
                )
            }
            Error::HandshakeTimeout => f.write_str("handshake timed out"),
            Error::TlsUnsupported => {
                f.write_str("wss:// needs TLS, and this adapter was built without it")
            }
            #[cfg(feature = "tls")]
            Error::Tls(e) => e.fmt(f),
            Error::PeerClosed(frame) => write!(
                f,
                "the peer closed the connection with {} {:?}",
                frame.code(),
                frame.reason()
            ),
            Error::Proxy(e) => write!(f, "proxy failed: {e}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::WebSocket(e) => Some(e),
            Error::Handshake(e) => Some(e),
            Error::Proxy(e) => Some(e),
            Error::Io(e) => Some(e),
            Error::Config(e) => Some(e),
            #[cfg(feature = "tls")]
            Error::Tls(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ws_proto::Error> for Error {
    fn from(e: ws_proto::Error) -> Self {
        Error::WebSocket(e)
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        match e {
            // A config the core's handshake refused is the same error as
            // one refused before connecting.
            HandshakeError::Config(e) => Error::Config(e),
            e => Error::Handshake(e),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<ProxyError> for Error {
    fn from(e: ProxyError) -> Self {
        Error::Proxy(e)
    }
}

#[cfg(feature = "tls")]
impl From<crate::tls::TlsError> for Error {
    fn from(e: crate::tls::TlsError) -> Self {
        Error::Tls(e)
    }
}

#[cfg(feature = "tls")]
impl Error {
    /// The error of a failed TLS handshake, from the `io::Error` that
    /// tokio-rustls and futures-rustls wrap rustls' error in: an adapter's
    /// way to report it.
    #[doc(hidden)]
    pub fn from_tls_handshake(error: io::Error) -> Self {
        match crate::tls::classify(error) {
            Ok(tls) => Error::Tls(tls),
            Err(io) => Error::Io(io),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Io(io) => return io::Error::new(io.kind(), e),
            Error::WebSocket(ws_proto::Error::UnexpectedEof) => io::ErrorKind::UnexpectedEof,
            Error::WebSocket(ws_proto::Error::Timeout(_)) | Error::HandshakeTimeout => {
                io::ErrorKind::TimedOut
            }
            Error::WebSocket(ws_proto::Error::Usage(_)) | Error::Config(_) => {
                io::ErrorKind::InvalidInput
            }
            Error::CallbackRejected(_) => io::ErrorKind::ConnectionRefused,
            Error::TlsUnsupported => io::ErrorKind::Unsupported,
            Error::PeerClosed(_) => io::ErrorKind::ConnectionReset,
            Error::Proxy(proxy) => proxy.io_kind(),
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use ws_proto::{ProtocolError, TimeoutKind, UsageError};

    use super::*;

    #[test]
    fn closed_timeout_and_close_code_answer_for_every_layer() {
        let peer = CloseFrame::new(CloseCode::GOING_AWAY, "restart").expect("a valid close");
        let peer_closed = Error::PeerClosed(peer);
        assert!(peer_closed.is_closed() && !peer_closed.is_timeout());
        assert_eq!(peer_closed.close_code(), Some(CloseCode::GOING_AWAY));

        let after_close = Error::WebSocket(ws_proto::Error::Usage(UsageError::Closed));
        assert!(after_close.is_closed() && after_close.is_usage());
        assert_eq!(after_close.close_code(), None);

        assert!(Error::HandshakeTimeout.is_timeout());
        assert_eq!(Error::HandshakeTimeout.close_code(), None);
        let keepalive = Error::WebSocket(ws_proto::Error::Timeout(TimeoutKind::Keepalive));
        assert!(keepalive.is_timeout() && !keepalive.is_closed());
        assert_eq!(keepalive.close_code(), Some(CloseCode::INTERNAL_ERROR));

        let too_big = Error::WebSocket(ws_proto::Error::Protocol(ProtocolError::MessageTooBig {
            len: 2,
            max: 1,
        }));
        assert_eq!(too_big.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
        assert!(!too_big.is_closed() && !too_big.is_timeout());
    }

    #[test]
    fn a_config_refused_by_the_handshake_is_error_config() {
        let refusal = ws_proto::Config::default()
            .with_write_buffer_limit(0)
            .validate()
            .expect_err("a zero limit is invalid");
        let error = Error::from(HandshakeError::Config(refusal.clone()));
        assert!(
            matches!(&error, Error::Config(e) if *e == refusal),
            "{error:?}"
        );
        assert_eq!(io::Error::from(error).kind(), io::ErrorKind::InvalidInput);
    }
}
