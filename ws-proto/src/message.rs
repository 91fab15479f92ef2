//! Whole messages, for callers that do not stream.

use bytes::Bytes;

use crate::close::CloseFrame;
use crate::utf8::Utf8Bytes;

/// Whether a data message is text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// A text message: UTF-8.
    Text,
    /// A binary message.
    Binary,
}

/// A complete WebSocket message, or a control frame.
///
/// [`Connection::next_message`](crate::Connection::next_message) yields
/// these, reassembling fragmented messages, and
/// [`Connection::send`](crate::Connection::send) takes them.
///
/// ```
/// use ws_proto::Message;
///
/// let m = Message::text("hi");
/// assert_eq!(m.as_text(), Some("hi"));
/// assert!(m.is_text() && !m.is_binary());
/// assert_eq!(m.len(), 2);
/// assert_eq!(m.into_text().map(|t| t.to_string()), Ok("hi".to_owned()));
/// assert!(Message::binary(vec![1, 2]).is_data());
/// assert_eq!(Message::ping(&b"tick"[..]).into_data(), &b"tick"[..]);
/// ```
///
/// # Control frames
///
/// [`Message::ping`] and [`Message::pong`] build control frames to send.
/// RFC 6455 section 5.5 holds their payload to 125 bytes; the constructors
/// take any payload, and sending a longer one is refused with
/// [`UsageError::ControlTooLong`](crate::UsageError::ControlTooLong),
/// leaving the connection as it was. (A Ping received is answered by the
/// connection itself unless [`Config::with_auto_pong`](crate::Config::with_auto_pong)
/// turned that off.)
///
/// # Close, and tungstenite's `Close(Option<CloseFrame>)`
///
/// A Close always carries a [`CloseFrame`]. tungstenite's `Close(None)`, a
/// Close frame without a body, is `Message::Close(CloseFrame::empty())`,
/// whose code is 1005 ([`CloseCode::NO_STATUS`](crate::CloseCode::NO_STATUS),
/// which RFC 6455 section 7.4.1 reserves for exactly that and which is
/// never sent on the wire); `Close(Some(frame))` is `Message::Close(frame)`.
/// Sending either starts or answers the closing handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// A text message: valid UTF-8, held without a second copy.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A Ping (at most 125 bytes).
    Ping(Bytes),
    /// A Pong (at most 125 bytes).
    Pong(Bytes),
    /// A Close. Code 1005 ([`CloseCode::NO_STATUS`](crate::CloseCode::NO_STATUS))
    /// stands for a Close frame without a body.
    Close(CloseFrame),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Message::Binary(data.into())
    }

    /// A Ping carrying `payload`, at most 125 bytes (RFC 6455 section 5.5),
    /// checked when it is sent (see [Control frames](Message#control-frames)).
    pub fn ping(payload: impl Into<Bytes>) -> Self {
        Message::Ping(payload.into())
    }

    /// A Pong carrying `payload`, at most 125 bytes (RFC 6455 section 5.5),
    /// checked when it is sent; an unsolicited Pong is a heartbeat
    /// (section 5.5.3).
    pub fn pong(payload: impl Into<Bytes>) -> Self {
        Message::Pong(payload.into())
    }

    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }

    /// Whether this is a Ping.
    pub fn is_ping(&self) -> bool {
        matches!(self, Message::Ping(_))
    }

    /// Whether this is a Pong.
    pub fn is_pong(&self) -> bool {
        matches!(self, Message::Pong(_))
    }

    /// Whether this is a Close.
    pub fn is_close(&self) -> bool {
        matches!(self, Message::Close(_))
    }

    /// Whether this is a text or binary message (not a control frame).
    pub fn is_data(&self) -> bool {
        matches!(self, Message::Text(_) | Message::Binary(_))
    }

    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(text) => Some(text.as_str()),
            _ => None,
        }
    }

    /// The payload bytes of any kind of message (the body of a Close is
    /// not included).
    pub fn payload(&self) -> &[u8] {
        match self {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(data) | Message::Ping(data) | Message::Pong(data) => data,
            Message::Close(_) => &[],
        }
    }

    /// The length of [`payload`](Self::payload) in bytes.
    pub fn len(&self) -> usize {
        self.payload().len()
    }

    /// Whether [`payload`](Self::payload) is empty.
    pub fn is_empty(&self) -> bool {
        self.payload().is_empty()
    }

    /// The text of a text message, without a copy; any other message is
    /// handed back as the error, so that nothing is lost.
    pub fn into_text(self) -> Result<Utf8Bytes, Message> {
        match self {
            Message::Text(text) => Ok(text),
            other => Err(other),
        }
    }

    /// The payload, without a copy: what [`payload`](Self::payload) shows
    /// (empty for a Close, whose code and reason are in its [`CloseFrame`]).
    pub fn into_data(self) -> Bytes {
        match self {
            Message::Text(text) => text.into_bytes(),
            Message::Binary(data) | Message::Ping(data) | Message::Pong(data) => data,
            Message::Close(_) => Bytes::new(),
        }
    }

    /// The kind of a data message.
    pub fn kind(&self) -> Option<MessageKind> {
        match self {
            Message::Text(_) => Some(MessageKind::Text),
            Message::Binary(_) => Some(MessageKind::Binary),
            _ => None,
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text.into())
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.into())
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Message::Binary(data)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Message::Binary(data.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CloseCode;

    #[test]
    fn predicates_name_exactly_one_variant() {
        let all = [
            Message::text("t"),
            Message::binary(vec![1]),
            Message::ping(vec![2]),
            Message::pong(vec![3]),
            Message::Close(CloseFrame::empty()),
        ];
        for (i, m) in all.iter().enumerate() {
            let flags = [
                m.is_text(),
                m.is_binary(),
                m.is_ping(),
                m.is_pong(),
                m.is_close(),
            ];
            let expected: Vec<bool> = (0..5).map(|j| j == i).collect();
            assert_eq!(flags.to_vec(), expected, "{m:?}");
        }
    }

    #[test]
    fn into_text_and_into_data_keep_the_payload() {
        assert_eq!(Message::text("héllo").len(), 6);
        assert_eq!(Message::text("héllo").into_data(), Bytes::from("héllo"));
        let binary = Message::binary(&b"raw"[..]);
        assert_eq!(binary.clone().into_text(), Err(binary));
        assert_eq!(Message::pong(&b"p"[..]).into_data(), &b"p"[..]);
        let close = Message::Close(CloseFrame::new(CloseCode::NORMAL, "bye").unwrap());
        assert!(close.is_empty());
        assert!(close.into_data().is_empty());
    }
}
