//! Broadcast: one message to many connections, without waiting for any.
//!
//! A room or a topic holds the writing halves of its members' sockets
//! (from [`into_split`](crate::WebSocket::into_split)), as
//! `Box<dyn Subscriber>` when they run over different transports. To
//! broadcast, encode the message once as a
//! [`PreparedMessage`] and
//! [`offer`](Subscriber::offer) it to each: the frame is queued in the
//! member's write buffer at once (a lock held for a copy of a small frame,
//! or a reference to a large one), and the member's reading task, the one
//! in `recv`, writes it out with whatever else was queued. The sender
//! never waits, and never for the slowest member.
//!
//! A member that reads more slowly than the room talks accumulates queued
//! output. Each offer carries a [`Backpressure`] policy, in the shape
//! uWebSockets gives (`maxBackpressure`, `closeOnBackpressureLimit`):
//! above a byte limit the message is dropped for that member (and counted:
//! [`Offered::Dropped`] and [`Subscriber::dropped`]) or the member is
//! closed with 1008 (RFC 6455 section 7.4.1, Policy Violation). Both are
//! the application's choice, per offer: a chat may close a member who
//! cannot keep up with the room but only drop a notice about someone else
//! for it, so that one slow member's departure never pushes the others
//! over.
//!
//! ```no_run
//! # async fn room<S: ws_driver::Transport + Send + 'static, R: ws_driver::Runtime>(
//! #     sockets: Vec<ws_driver::WebSocket<S, R>>,
//! # ) where ws_driver::WriteHalf<S, R>: ws_driver::Subscriber {
//! use ws_driver::{Backpressure, Offered, Subscriber};
//! use ws_driver::reexports::proto::PreparedMessage;
//!
//! let mut members: Vec<Box<dyn Subscriber>> = Vec::new();
//! for socket in sockets {
//!     let (reader, writer) = socket.into_split();
//!     members.push(Box::new(writer));
//!     // ... a task keeps `reader` in `recv` (it also writes what is offered).
//! #   drop(reader);
//! }
//! let news = PreparedMessage::text("the room is open");
//! let policy = Backpressure::close_above(256 << 10);
//! for member in &members {
//!     if member.offer(&news, policy) == Offered::Closed {
//!         // Closed with 1008: take it out of the room.
//!     }
//! }
//! # }
//! ```

use ws_proto::{CloseCode, PreparedMessage};

/// What an offer does to a member whose queued output is above a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backpressure {
    limit: usize,
    over: OverLimit,
}

/// What happens to a member over the [`Backpressure`] limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLimit {
    /// The message is not queued for it, and counted
    /// ([`Subscriber::dropped`]).
    Drop,
    /// It is closed with 1008 (Policy Violation): the Close goes after
    /// what is queued, and the closing handshake runs as for any Close.
    Close,
}

impl Backpressure {
    /// Above `limit` bytes of queued output, a message is dropped for the
    /// member.
    pub const fn drop_above(limit: usize) -> Backpressure {
        Backpressure {
            limit,
            over: OverLimit::Drop,
        }
    }

    /// Above `limit` bytes of queued output, the member is closed.
    pub const fn close_above(limit: usize) -> Backpressure {
        Backpressure {
            limit,
            over: OverLimit::Close,
        }
    }

    /// The limit, in bytes queued on the connection and not yet taken by
    /// the transport. The connection's own
    /// [`write_buffer_limit`](ws_proto::Config::write_buffer_limit) bounds
    /// it too: a frame that would pass that one is over this one.
    pub const fn limit(&self) -> usize {
        self.limit
    }

    /// What happens above the limit.
    pub const fn over_limit(&self) -> OverLimit {
        self.over
    }
}

/// What became of one offer.
#[must_use = "a member may have been closed, or the message dropped for it"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// Queued; the member's reading task writes it.
    Queued,
    /// Not queued: the member was over the limit under
    /// [`OverLimit::Drop`], or it is in the middle of sending a fragmented
    /// message of its own. Counted in [`Subscriber::dropped`].
    Dropped,
    /// The member was over the limit under [`OverLimit::Close`]: this
    /// offer closed it with 1008.
    Closed,
    /// The connection no longer takes messages: it is closing or closed.
    Gone,
}

/// The writing side of a connection, as a broadcast sees it: offers are
/// queued without waiting. Implemented by the writing half of every
/// adapter's socket (see the [module](self) documentation).
pub trait Subscriber: Send + Sync {
    /// Queues `message` unless the connection is over `policy`'s limit;
    /// never waits.
    fn offer(&self, message: &PreparedMessage, policy: Backpressure) -> Offered;

    /// Starts the closing handshake with `code` and `reason` without
    /// waiting (the reading task writes the Close and sees the answer);
    /// whether a Close was queued (not if one was already sent, or the
    /// reason is too long for a Close frame).
    fn begin_close(&self, code: CloseCode, reason: &str) -> bool;

    /// How many offers were dropped for this member.
    fn dropped(&self) -> u64;

    /// How many bytes are queued on the connection, not yet taken by the
    /// transport.
    fn buffered(&self) -> usize;
}
