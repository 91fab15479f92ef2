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
//! An extension takes part in the opening handshake through a
//! [`Negotiator`] in the [`Config`](crate::Config)
//! ([`Config::with_extension`](crate::Config::with_extension)): the client
//! sends its [`offer`](Negotiator::offer), the server
//! [`accept`](Negotiator::accept)s one of the client's offers, and the
//! client [`finalize`](Negotiator::finalize)s the server's answer, the
//! shape of Python wsproto's extensions. Each side then runs the
//! [`Extension`] its negotiator made. The handshake knows no extension by
//! name: permessage-deflate negotiates through the same trait.
//!
//! [`Connection::set_extension`]: crate::Connection::set_extension

use std::fmt;

use bytes::Bytes;

use crate::close::CloseCode;
use crate::frame::Rsv;
use crate::handshake::ExtensionOffer;
use crate::MessageKind;

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
    /// and must never buffer more. The connection reports that error as
    /// [`ProtocolError::MessageTooBig`](crate::ProtocolError::MessageTooBig)
    /// with the configured limit, as it does for an uncompressed message.
    ///
    /// [`reserved_bits`]: Extension::reserved_bits
    fn decode(
        &mut self,
        rsv: Rsv,
        payload: Bytes,
        fin: bool,
        max_len: usize,
    ) -> Result<Bytes, ExtensionError>;

    /// Which frames of a [`PreparedMessage`] (encoded once for many
    /// connections) may go out on this connection as they are. By default
    /// none: the connection encodes a prepared message through
    /// [`encode`](Self::encode) as any other.
    ///
    /// [`PreparedMessage`]: crate::PreparedMessage
    fn shared_frames(&self) -> SharedFrames {
        SharedFrames::None
    }
}

/// What an [`Extension`] lets a connection send of a
/// [`PreparedMessage`](crate::PreparedMessage) without encoding it itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SharedFrames {
    /// Nothing: every message goes through the extension's encoder.
    None,
    /// The plain frame (no reserved bit set, the payload as it is): an
    /// extension for which not encoding a message is always valid, as
    /// permessage-deflate (RFC 7692 section 6: a message may go out
    /// uncompressed) with a compression context kept between messages,
    /// which only its own encoder may add to.
    Plain,
    /// The plain frame, and the frame that permessage-deflate compressed on
    /// its own, with no earlier context, for a window of at most
    /// `window_bits`: this end agreed to take no context from one message
    /// to the next (section 7.1.1.1), so one compressed alone reads the
    /// same on every connection whose peer inflates with a window at least
    /// that large.
    Deflated {
        /// The window this end may compress with (section 7.1.2.1).
        window_bits: u8,
    },
}

/// How an extension is negotiated in the opening handshake (RFC 6455
/// section 9.1), on either side; one value serves every connection of a
/// [`Config`](crate::Config).
///
/// ```
/// use ws_proto::extension::{Extension, Negotiator};
/// use ws_proto::handshake::ExtensionOffer;
/// # use ws_proto::extension::ExtensionError;
/// # use ws_proto::MessageKind;
/// # use ws_proto::frame::Rsv;
/// # use bytes::Bytes;
/// # struct Marker;
/// # impl Extension for Marker {
/// #     fn reserved_bits(&self) -> Rsv { Rsv::RSV3 }
/// #     fn encode(&mut self, _: MessageKind, p: Bytes, _: bool, _: bool)
/// #         -> Result<(Bytes, Rsv), ExtensionError> { Ok((p, Rsv::RSV3)) }
/// #     fn decode(&mut self, _: Rsv, p: Bytes, _: bool, _: usize)
/// #         -> Result<Bytes, ExtensionError> { Ok(p) }
/// # }
///
/// /// `x-marker`, which takes no parameter.
/// #[derive(Debug)]
/// struct MarkerNegotiator;
///
/// impl Negotiator for MarkerNegotiator {
///     fn name(&self) -> &str {
///         "x-marker"
///     }
///     fn offer(&self) -> String {
///         "x-marker".to_owned()
///     }
///     fn accept(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)> {
///         offers
///             .iter()
///             .find(|o| o.name == "x-marker" && o.params.is_empty())
///             .map(|_| ("x-marker".to_owned(), Box::new(Marker) as Box<dyn Extension>))
///     }
///     fn finalize(&self, answer: &ExtensionOffer) -> Result<Box<dyn Extension>, &'static str> {
///         match answer.params.is_empty() {
///             true => Ok(Box::new(Marker)),
///             false => Err("x-marker takes no parameter"),
///         }
///     }
/// }
///
/// let config = ws_proto::Config::default().with_extension(MarkerNegotiator);
/// assert!(config.extensions().any(|e| e.name() == "x-marker"));
/// ```
pub trait Negotiator: Send + Sync + fmt::Debug {
    /// The extension's registered token, such as `permessage-deflate`,
    /// which names it in `Sec-WebSocket-Extensions` (compared ignoring
    /// ASCII case, like every token).
    fn name(&self) -> &str;

    /// Client side: the element of the client's `Sec-WebSocket-Extensions`
    /// that offers the extension, such as
    /// `permessage-deflate; client_max_window_bits` (one or more offers,
    /// most preferred first, separated by commas). It must follow the
    /// grammar of section 9.1.
    fn offer(&self) -> String;

    /// Server side: given every extension the client offered, in its
    /// order, chooses one of this extension's offers (those named
    /// [`name`](Self::name)) and returns the element of the response that
    /// accepts it with the extension to run, or `None` to decline them
    /// all. Section 9.1: the server's answer may only hold parameters the
    /// extension defines for a response.
    fn accept(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)>;

    /// Client side: the server accepted this extension with `answer`;
    /// returns the extension to run, or why the answer breaks the offer,
    /// which fails the handshake.
    fn finalize(&self, answer: &ExtensionOffer) -> Result<Box<dyn Extension>, &'static str>;
}

/// The extensions negotiated on one connection, applied in the order of
/// the server's response as data is sent and in reverse as it is received.
/// Section 9.1: "the order of operations on the data should be assumed to
/// be the same as the order in which the extensions are listed in the
/// server's response in the opening handshake". Each owns its own
/// reserved bits.
struct Stack(Vec<Box<dyn Extension>>);

/// The one extension a connection runs for those negotiated, or `None`
/// for none.
pub(crate) fn stack(mut extensions: Vec<Box<dyn Extension>>) -> Option<Box<dyn Extension>> {
    match extensions.len() {
        0 => None,
        1 => extensions.pop(),
        _ => Some(Box::new(Stack(extensions))),
    }
}

impl Extension for Stack {
    fn reserved_bits(&self) -> Rsv {
        self.0
            .iter()
            .fold(Rsv::NONE, |bits, e| bits.union(e.reserved_bits()))
    }

    fn encode(
        &mut self,
        kind: MessageKind,
        mut payload: Bytes,
        first: bool,
        fin: bool,
    ) -> Result<(Bytes, Rsv), ExtensionError> {
        let mut rsv = Rsv::NONE;
        for extension in &mut self.0 {
            let (encoded, bits) = extension.encode(kind, payload, first, fin)?;
            payload = encoded;
            rsv = rsv.union(bits.intersection(extension.reserved_bits()));
        }
        Ok((payload, rsv))
    }

    fn decode(
        &mut self,
        rsv: Rsv,
        mut payload: Bytes,
        fin: bool,
        max_len: usize,
    ) -> Result<Bytes, ExtensionError> {
        for extension in self.0.iter_mut().rev() {
            // An extension whose bits the message does not carry left it
            // as it was (RFC 7692 section 6: a message without RSV1 is not
            // compressed).
            let own = rsv.intersection(extension.reserved_bits());
            if !own.is_empty() {
                payload = extension.decode(own, payload, fin, max_len)?;
            }
        }
        Ok(payload)
    }
}
