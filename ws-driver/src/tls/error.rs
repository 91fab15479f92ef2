//! What can go wrong with TLS, named so that a caller can tell an
//! untrusted certificate from a wrong host name from a peer that does not
//! speak TLS at all.

use std::fmt;
use std::io;
use std::path::PathBuf;

use rustls::{CertificateError, Error as RustlsError, InvalidMessage};

/// A TLS failure: in the configuration, or in the handshake with a peer.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// The server's certificate does not chain to a trusted root (an
    /// unknown issuer, a self-signed certificate, a bad signature).
    CertificateUntrusted(RustlsError),
    /// The server's certificate is valid, but not for the host name (or
    /// IP address) the URL gave.
    NameMismatch(RustlsError),
    /// The certificate has expired or is not valid yet.
    CertificateExpired(RustlsError),
    /// The peer does not speak TLS: a `wss://` client talking to a plain
    /// `ws://` port, or a plain client talking to a TLS server.
    NotTls,
    /// Another TLS failure: the peer's alert, a protocol violation, a
    /// certificate rejected for another reason.
    Handshake(RustlsError),
    /// The URL's host is no valid DNS name or IP address for TLS.
    InvalidServerName(String),
    /// No crypto provider: neither `tls-ring` nor `tls-aws-lc-rs` is
    /// enabled, and the application installed no process default.
    NoCryptoProvider,
    /// A configuration rustls refused (no protocol version in common with
    /// the provider, a key that does not match the certificate).
    Config(RustlsError),
    /// A PEM file could not be read or holds nothing usable.
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::CertificateUntrusted(e) => {
                write!(f, "the server's certificate is not trusted: {e}")
            }
            TlsError::NameMismatch(e) => write!(
                f,
                "the server's certificate is not valid for the host name: {e}"
            ),
            TlsError::CertificateExpired(e) => {
                write!(f, "the certificate has expired or is not valid yet: {e}")
            }
            TlsError::NotTls => f.write_str(
                "the peer does not speak TLS (wss:// against a plain port, or ws:// against a TLS port?)",
            ),
            TlsError::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
            TlsError::InvalidServerName(host) => {
                write!(f, "{host:?} is no valid DNS name or IP address for TLS")
            }
            TlsError::NoCryptoProvider => f.write_str(
                "no TLS crypto provider: enable the tls-ring or tls-aws-lc-rs feature, or install a process default",
            ),
            TlsError::Config(e) => write!(f, "TLS configuration refused: {e}"),
            TlsError::Pem { path, reason } => write!(f, "{}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::CertificateUntrusted(e)
            | TlsError::NameMismatch(e)
            | TlsError::CertificateExpired(e)
            | TlsError::Handshake(e)
            | TlsError::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> Self {
        let kind = match e {
            TlsError::Pem { .. } | TlsError::InvalidServerName(_) => io::ErrorKind::InvalidInput,
            TlsError::NoCryptoProvider => io::ErrorKind::Unsupported,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

/// What a failed TLS handshake means: tokio-rustls and futures-rustls
/// return rustls' error inside an `io::Error`, which is taken apart here.
/// Any other I/O error (a reset, the end of the stream) stays one.
pub(crate) fn classify(error: io::Error) -> Result<TlsError, io::Error> {
    if !error
        .get_ref()
        .is_some_and(|inner| inner.is::<RustlsError>())
    {
        return Err(error);
    }
    let kind = error.kind();
    match error
        .into_inner()
        .map(|inner| inner.downcast::<RustlsError>())
    {
        Some(Ok(rustls)) => Ok(from_rustls(*rustls)),
        Some(Err(other)) => Err(io::Error::new(kind, other)),
        None => Err(kind.into()),
    }
}

/// Whether the first bytes of what should have been an HTTP response are
/// a TLS record instead (RFC 8446 section 5.1: content type 21, an alert,
/// or 22, a handshake message, then the legacy version 3): a plain
/// client is talking to a TLS server.
pub(crate) fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [21 | 22, 3, ..])
}

fn from_rustls(error: RustlsError) -> TlsError {
    match &error {
        RustlsError::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::BadEncoding => TlsError::CertificateUntrusted(error),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsError::NameMismatch(error)
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsError::CertificateExpired(error),
            _ => TlsError::Handshake(error),
        },
        // The first bytes were no TLS record: "HTTP/1.1 ..." or "GET /...".
        // RFC 8446 section 5.1: a record starts with its content type, one
        // of 20-23 (24 with heartbeats), and a legacy version 0x03xx.
        RustlsError::InvalidMessage(
            InvalidMessage::InvalidContentType | InvalidMessage::UnknownProtocolVersion,
        ) => TlsError::NotTls,
        _ => TlsError::Handshake(error),
    }
}
