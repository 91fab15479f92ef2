//! Whole-message input and output on top of the event stream.

use bytes::BytesMut;

use super::{Connection, Event, Role};
use crate::close::CloseFrame;
use crate::error::{Error, UsageError};
use crate::extension::SharedFrames;
use crate::message::Message;
use crate::prepared::PreparedMessage;
use crate::utf8::Utf8Bytes;
use crate::MessageKind;

impl Connection {
    /// The next complete message or control frame; `Ok(None)` when more
    /// input is needed or the connection has closed.
    ///
    /// Fragments are joined here: a message of one frame is handed out as
    /// the bytes split from the receive buffer, with no copy; the fragments
    /// of a longer one are copied once, into a buffer that grows with what
    /// arrives (never with what a header declares) and is bounded by
    /// [`Config::max_message_size`](crate::Config::max_message_size).
    /// Control frames between fragments come out in their order.
    ///
    /// Do not interleave it with [`next_event`](Self::next_event) inside
    /// one message.
    pub fn next_message(&mut self) -> Result<Option<Message>, Error> {
        loop {
            let Some(event) = self.next_event()? else {
                return Ok(None);
            };
            let (is_text, payload, fin) = match event {
                Event::Text { payload, fin } => (true, payload, fin),
                Event::Binary { payload, fin } => (false, payload, fin),
                Event::Ping(payload) => return Ok(Some(Message::Ping(payload))),
                Event::Pong(payload) => return Ok(Some(Message::Pong(payload))),
                Event::Close(frame) => return Ok(Some(Message::Close(frame))),
            };
            let payload = match self.assembly.take() {
                None if fin => payload,
                None => {
                    self.assembly = Some(BytesMut::from(payload));
                    continue;
                }
                Some(mut joined) => {
                    joined.extend_from_slice(&payload);
                    if !fin {
                        self.assembly = Some(joined);
                        continue;
                    }
                    joined.freeze()
                }
            };
            return Ok(Some(if is_text {
                // `next_event` validated the whole message before its
                // final piece came out.
                Message::Text(Utf8Bytes::from_validated(payload))
            } else {
                Message::Binary(payload)
            }));
        }
    }

    /// Queues a message or control frame; a Close starts (or answers) the
    /// closing handshake, as [`close`](Self::close) does.
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_text(text),
            Message::Binary(data) => self.send_binary(data),
            Message::Ping(data) => self.send_ping(data),
            Message::Pong(data) => self.send_pong(data),
            Message::Close(frame) if frame == CloseFrame::empty() => self.close_without_code(),
            Message::Close(frame) => self.close(frame.code(), frame.reason()),
        }
    }

    /// Like [`send`](Self::send), but a text or binary message is sent as
    /// it is even when a compression extension was negotiated: for data
    /// that is already compressed, or must not share a compression context
    /// with other data (compressing secrets next to attacker-chosen text
    /// leaks them, as in CRIME and BREACH).
    pub fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_message(MessageKind::Text, text.into_bytes(), false),
            Message::Binary(data) => self.send_message(MessageKind::Binary, data, false),
            control => self.send(control),
        }
    }

    /// Queues a message encoded once for many connections (see the
    /// [`prepared`](crate::prepared) module for what each connection sends
    /// of it). It obeys what [`send`](Self::send) obeys: refused after a
    /// Close, while a fragmented message is being sent, and at the write
    /// buffer limit.
    pub fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        self.check_can_send()?;
        if self.out_message.is_some() {
            return Err(UsageError::MessageInProgress.into());
        }
        let payload = message.payload();
        // Section 5.3: each of a client's frames is masked with a fresh
        // key, so a client cannot send a frame made for another
        // connection.
        let shared = match (self.role, &self.extension) {
            (Role::Client, _) => SharedFrames::None,
            (Role::Server, None) => SharedFrames::Plain,
            (Role::Server, Some(extension)) => extension.shared_frames(),
        };
        let frame = match shared {
            SharedFrames::Deflated { window_bits } => message
                .deflated_for(window_bits)
                .or_else(|| (!message.is_deflated()).then(|| message.plain())),
            SharedFrames::Plain => (!message.is_deflated()).then(|| message.plain()),
            _ => None,
        };
        match frame {
            Some(frame) => {
                self.transmit.push_encoded(frame.header(), &frame.payload);
                Ok(())
            }
            // Encoded here: masked (a client), or compressed with this
            // connection's own context or window.
            None => self.queue_data(message.kind(), payload.clone(), true, true, true),
        }
    }
}
