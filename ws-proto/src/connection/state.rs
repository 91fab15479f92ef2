//! The connection's lifecycle (RFC 6455 section 7) as one value, and every
//! transition between its states.
//!
//! ```text
//!          close()                 peer's Close
//!   Open ───────────▶ CloseSent ───────────────┐
//!    │  peer's Close (reply off)               ▼
//!    ├──────────────▶ CloseReceived ──close()─▶ Closed ──EOF / close timeout─▶ Ended(Ok)
//!    │  peer's Close (reply on)                ▲   (a server skips Closed)
//!    └─────────────────────────────────────────┘
//!   any state but Ended ──violation / timeout──▶ Failed ──EOF / close timeout─▶ Ended(Err)
//! ```
//!
//! A failed connection is not dropped at once: it reads and discards
//! input until the peer ends the transport or the close timeout passes.
//! Closing a socket with unread input makes the kernel answer the peer's
//! next segment with a reset, and a peer that is reset loses the Close
//! frame still in its receive queue and reports 1006 instead of the code
//! we sent (Node's `ws` and Python's `websockets` clients both do).

use super::drain::Drain;
use super::{Connection, Role};
use crate::close::{CloseCode, CloseFrame};
use crate::error::{Error, TimeoutKind};
use crate::frame::MAX_CONTROL_PAYLOAD;

/// Where a connection is in its life, as [`Connection::state`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// Our Close is queued (section 7.1.2). The peer's messages still
    /// arrive until its Close; we send nothing more.
    CloseSent,
    /// The peer's Close arrived and is not answered yet (the automatic
    /// reply is off): we may still send, and must answer with
    /// [`Connection::close`] (section 5.5.1).
    CloseReceived(CloseFrame),
    /// Both Close frames are exchanged; a client waits for the server to
    /// end the transport (section 7.1.1) or for the close timeout. A
    /// server goes straight to [`State::Ended`].
    Closed(CloseFrame),
    /// The connection failed (section 7.1.7). The Close its error calls
    /// for is queued; input is read and discarded, unprocessed, until the
    /// peer ends the transport or the close timeout passes, so that the
    /// peer reads our Close rather than a reset.
    Failed(Error),
    /// Over: once the queued bytes are written, shut the transport down
    /// and drop it. Holds the peer's Close frame after a closing
    /// handshake, the error after a failure.
    Ended(Result<CloseFrame, Error>),
}

impl State {
    /// Whether frames from the peer are still parsed: until its Close
    /// (section 5.5.1: nothing may follow a Close) or a failure (section
    /// 7.1.7: no data is processed after it).
    pub(super) fn accepts_input(&self) -> bool {
        matches!(self, State::Open | State::CloseSent)
    }

    /// Whether messages and control frames may still be queued: until our
    /// Close (section 5.5.1: nothing may follow it).
    pub fn may_send(&self) -> bool {
        matches!(self, State::Open | State::CloseReceived(_))
    }

    /// The error that ended the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        match self {
            State::Failed(e) | State::Ended(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether the connection is over: no event, send or timer follows.
    pub fn is_ended(&self) -> bool {
        matches!(self, State::Ended(_))
    }
}

impl Connection {
    /// Our Close was queued: the closing handshake starts, or completes
    /// when the peer's Close came first.
    pub(super) fn on_close_queued(&mut self) {
        match std::mem::replace(&mut self.state, State::Open) {
            State::Open => {
                self.state = State::CloseSent;
                self.timers.on_close_started();
            }
            State::CloseReceived(peer) => self.on_closing_handshake_done(peer),
            other => self.state = other,
        }
    }

    /// The peer's Close arrived (section 5.5.1).
    pub(super) fn on_peer_close(&mut self, frame: &CloseFrame) {
        self.in_message = None;
        self.pending_pong = None;
        self.timers.on_close_started();
        match self.state {
            State::Open if self.config.auto_close_reply() => {
                // Section 5.5.1: the reply "typically echos the status code
                // it received"; a Close without a code is answered alike.
                self.queue_close(frame.clone());
                self.on_closing_handshake_done(frame.clone());
            }
            State::Open => self.state = State::CloseReceived(frame.clone()),
            State::CloseSent => self.on_closing_handshake_done(frame.clone()),
            _ => {}
        }
    }

    /// Both Close frames are exchanged. Section 7.1.1: the server closes
    /// the TCP connection first, so that it, not the client, holds the
    /// TIME_WAIT state; the client waits for that (or the close timeout).
    fn on_closing_handshake_done(&mut self, peer: CloseFrame) {
        self.state = if self.role == Role::Server || self.read.has_ended() {
            State::Ended(Ok(peer))
        } else {
            State::Closed(peer)
        };
    }

    /// The transport has no more bytes to give.
    pub(super) fn on_eof(&mut self) {
        self.read.end();
        match std::mem::replace(&mut self.state, State::Open) {
            State::Closed(peer) => self.end(Ok(peer)),
            State::Failed(e) => self.end(Err(e)),
            // Open or CloseSent: the frames still buffered come first, and
            // `next_event` fails with `UnexpectedEof` when they run out.
            // CloseReceived: our reply is still owed, and `close` ends the
            // connection when it is queued.
            other => self.state = other,
        }
    }

    /// The close timer ran out (section 7.1.1 lets an endpoint give up on
    /// a peer that does not finish the closing handshake). The peer had
    /// the whole close timeout to read what was queued: what is left is
    /// dropped, so that a peer that stops reading cannot hold the
    /// transport open.
    pub(super) fn on_close_timeout(&mut self) {
        let cut = !self.transmit.is_empty();
        self.transmit.clear();
        self.pending_pong = None;
        match &self.state {
            State::CloseSent | State::CloseReceived(_) => {
                if cut {
                    // What was dropped may end inside a frame partly
                    // written: nothing may follow it on the wire, not even
                    // the Close that answers the peer's.
                    self.state = State::CloseSent;
                }
                self.fail(Error::Timeout(TimeoutKind::Close));
            }
            State::Closed(peer) => self.end(Ok(peer.clone())),
            State::Failed(e) => self.end(Err(e.clone())),
            State::Open | State::Ended(_) => {}
        }
        self.timers.stop();
    }

    /// The connection is over. The close timer, if it runs, runs on: it
    /// bounds the writing of what is still queued.
    fn end(&mut self, how: Result<CloseFrame, Error>) {
        self.state = State::Ended(how);
    }

    /// Fails the connection (section 7.1.7): queues the Close the error
    /// calls for (unless ours was sent already or the transport is gone),
    /// drops what was received, and makes the error sticky. Unless the
    /// transport is gone or the close timeout has passed, the connection
    /// then drains input until the peer ends the transport or the close
    /// timeout passes.
    pub(super) fn fail(&mut self, error: Error) -> Error {
        let code = match &error {
            // Reached with the peer's Close unanswered (auto reply off and
            // the application silent): section 5.5.1 says the endpoint
            // MUST answer it, and the peer's code is not kept, so answer
            // with 1000. When our Close was sent already, nothing is sent.
            Error::Timeout(TimeoutKind::Close) => Some(CloseCode::NORMAL),
            // The transport is gone: 1006 is only reported, never sent.
            Error::UnexpectedEof => None,
            other => other.close_code(),
        };
        self.pending_pong = None;
        if let Some(code) = code.filter(|_| self.state.may_send()) {
            let reason = match &error {
                Error::Protocol(e) => short_reason(&e.to_string()),
                _ => String::new(),
            };
            let frame = CloseFrame::new(code, &reason).unwrap_or_else(|_| CloseFrame::empty());
            self.queue_close(frame);
        }
        if error == Error::UnexpectedEof {
            // The transport is gone both ways: nothing can be written.
            self.transmit.clear();
        }
        // The input is followed from where the failure left it: inside a
        // frame's payload (the buffer starts with it), or on a boundary
        // (at the refused header, or past a frame already taken).
        let skip = self.in_frame.map_or(0, |f| f.header.payload_len);
        self.drain = Drain::skipping(skip);
        let closed = self.drain.feed(self.read.data());
        self.in_frame = None;
        self.in_message = None;
        self.assembly = None;
        self.read.clear();
        let drains = !self.read.has_ended()
            && !matches!(
                error,
                Error::UnexpectedEof | Error::Timeout(TimeoutKind::Close)
            );
        if drains {
            // Starts the close timer unless it runs already: the drain is
            // bounded by it.
            self.timers.on_close_started();
            self.state = State::Failed(error.clone());
            if closed {
                self.on_drained_close();
            }
        } else {
            self.timers.stop();
            self.end(Err(error.clone()));
        }
        error
    }

    /// The drain saw the peer's Close go by: its last frame. A server ends
    /// the connection now, leaving no input unread; a client waits on for
    /// the server to close the transport (section 7.1.1).
    pub(super) fn on_drained_close(&mut self) {
        if self.role == Role::Server {
            if let State::Failed(e) = &self.state {
                self.end(Err(e.clone()));
            }
        }
    }

    /// Whether the transport's write side should be shut down once the
    /// queued bytes are written: when the connection has ended, and when a
    /// server has failed it (its Close is sent and the shut-down tells the
    /// peer nothing follows, so that the peer closes and the drain ends).
    /// A failing client waits for the server to close instead (section
    /// 7.1.1).
    #[must_use]
    pub fn should_shutdown(&self) -> bool {
        match self.state {
            State::Ended(_) => true,
            State::Failed(_) => self.role == Role::Server,
            _ => false,
        }
    }
}

/// A close reason from an error message, cut to fit a control frame at a
/// character boundary.
fn short_reason(message: &str) -> String {
    let max = MAX_CONTROL_PAYLOAD - 2;
    let mut end = message.len().min(max);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message[..end].to_owned()
}
