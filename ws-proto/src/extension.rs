//! The hook by which a negotiated extension plugs into a connection.
//!
//! RFC 6455 section 5.2: the reserved bits RSV1-3 "MUST be 0 unless an
//! extension is negotiated that defines meanings for non-zero values".
//! An [`Extension`] given to [`Connection::set_extension`] names the bits it
//! owns and transforms the payload of every data message: the connection
//! checks the bits, counts the message limit on the *decoded* size, and
//! validates UTF-8 after decoding. Bits are only ever allowed on the first
//! frame of a message, as permessage-deflate (RFC 7692 section 6) requires;
//! control frames never carry them.
//!
//! [`Connection::set_extension`]: crate::Connection::set_extension

use std::fmt;

use bytes::Bytes;

use crate::close::CloseCode;
use crate::frame::Rsv;

/// Whether a data message is text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A text message: UTF-8.
    Text,
    /// A binary message.
    Binary,
}

/// An extension refused data; the connection fails with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionError {
    /// What went wrong.
    pub reason: String,
    /// The close code to send, usually 1002, 1007 or 1009.
    pub code: CloseCode,
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (close code {})", self.reason, self.code)
    }
}

impl std::error::Error for ExtensionError {}

/// A negotiated extension that transforms message payloads.
pub trait Extension: Send {
    /// The reserved bits the extension may set on the first frame of a
    /// message.
    fn reserved_bits(&self) -> Rsv;

    /// Transforms one outgoing fragment of a message (`first` and `fin` say
    /// where in the message it stands) and returns the bytes to send with
    /// the reserved bits for the message's first frame (ignored otherwise).
    fn encode(
        &mut self,
        kind: MessageKind,
        payload: Bytes,
        first: bool,
        fin: bool,
    ) -> Result<(Bytes, Rsv), ExtensionError>;

    /// Transforms one incoming fragment of a message whose first frame
    /// carried `rsv` (a non-empty subset of [`reserved_bits`]).
    ///
    /// `max_len` is how many decoded bytes the message may still grow by:
    /// an implementation that expands data (inflate) must stop and return
    /// an error with close code 1009 as soon as its output would pass it,
    /// and must never buffer more.
    ///
    /// [`reserved_bits`]: Extension::reserved_bits
    fn decode(
        &mut self,
        rsv: Rsv,
        payload: Bytes,
        fin: bool,
        max_len: usize,
    ) -> Result<Bytes, ExtensionError>;
}
