//! The connection's logs through `tracing`, with the `tracing` feature: a
//! span per connection and the events of its life (see the crate's
//! "Logging" section). Without the feature every item here is empty and
//! its call sites compile to nothing: no `tracing` crate, no field, no
//! branch. Call sites stay one line, with no `#[cfg]` of their own.

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;

use ws_proto::handshake::HandshakeError;
use ws_proto::{Connection, Role};

/// The name of the connection's span, by which the driver finds it again
/// as the current span (see [`Conn::current_or_new`]).
#[cfg(feature = "tracing")]
const SPAN: &str = "websocket";

/// An event of the connection, inside its span when its task polls it:
/// `tracing::event!` with the feature; without, nothing, and the
/// arguments are not evaluated.
macro_rules! event {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        {
            ::tracing::event!(target: "ws_driver", $($arg)*);
        }
    }};
}
pub(crate) use event;

/// Records the peer's address (an `Option<SocketAddr>`) on the current
/// connection span.
macro_rules! peer {
    ($addr:expr) => {{
        #[cfg(feature = "tracing")]
        {
            if let Some(addr) = $addr {
                ::tracing::Span::current().record("peer", ::tracing::field::display(addr));
            }
        }
    }};
}
pub(crate) use peer;

/// Records what the handshake negotiated on the current connection span:
/// the subprotocol and the `Sec-WebSocket-Extensions` value (the
/// permessage-deflate parameters), each an `Option<&str>`.
macro_rules! negotiated {
    ($subprotocol:expr, $extensions:expr) => {{
        #[cfg(feature = "tracing")]
        {
            let span = ::tracing::Span::current();
            if let Some(subprotocol) = $subprotocol {
                span.record("subprotocol", subprotocol);
            }
            if let Some(extensions) = $extensions {
                span.record("extensions", extensions);
            }
        }
    }};
}
pub(crate) use negotiated;

/// The peer's address, kept for the log by a transport that cannot find
/// it later (tokio's shim, generic over its stream): with the `tracing`
/// feature; without, nothing, and the address is not even looked up.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct KeptPeer {
    #[cfg(feature = "tracing")]
    addr: Option<SocketAddr>,
}

impl KeptPeer {
    /// Keeps what `lookup` finds (called only with the feature).
    #[inline(always)]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub fn new(lookup: impl FnOnce() -> Option<SocketAddr>) -> KeptPeer {
        KeptPeer {
            #[cfg(feature = "tracing")]
            addr: lookup(),
        }
    }

    /// The address kept; always `None` without the feature.
    #[inline(always)]
    pub fn get(&self) -> Option<SocketAddr> {
        #[cfg(feature = "tracing")]
        return self.addr;
        #[cfg(not(feature = "tracing"))]
        None
    }
}

/// A connection's span and what its events need to remember: the span
/// with the feature, nothing without.
#[derive(Debug)]
pub(crate) struct Conn {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    /// How far the events have followed the connection's state.
    #[cfg(feature = "tracing")]
    seen: Seen,
}

/// What [`Conn::observe`] has reported.
#[cfg(feature = "tracing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Nothing since the connection opened.
    Open,
    /// The closing handshake started: by us, or by the peer.
    Closing { by_us: bool },
    /// The connection failed; its error is reported.
    Failed,
    /// The end is reported.
    Ended,
}

impl Conn {
    /// A new connection span for `role`, its other fields (peer address,
    /// subprotocol, extensions) recorded as they become known.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn new(role: Role) -> Conn {
        Conn {
            #[cfg(feature = "tracing")]
            span: tracing::debug_span!(
                target: "ws_driver",
                "websocket",
                role = role_name(role),
                peer = tracing::field::Empty,
                subprotocol = tracing::field::Empty,
                extensions = tracing::field::Empty,
            ),
            #[cfg(feature = "tracing")]
            seen: Seen::Open,
        }
    }

    /// The connection span the handshake runs in (a socket made inside
    /// one, by the handshake), or a new one for `role`.
    pub(crate) fn current_or_new(role: Role) -> Conn {
        #[cfg(feature = "tracing")]
        {
            let current = tracing::Span::current();
            let ours = current
                .metadata()
                .is_some_and(|m| m.name() == SPAN && m.target() == "ws_driver");
            if ours {
                return Conn {
                    span: current,
                    seen: Seen::Open,
                };
            }
        }
        Conn::new(role)
    }

    /// Runs `work` inside this span: entered at each poll, so that its
    /// events, and the socket it makes, are the connection's.
    pub(crate) async fn run<T>(self, work: impl Future<Output = T>) -> T {
        let mut work = pin!(work);
        poll_fn(|cx| {
            let _entered = self.enter();
            work.as_mut().poll(cx)
        })
        .await
    }

    /// Enters the span for the length of a poll of the driver. The guard
    /// holds a handle on the span, not a borrow of it, so that the driver
    /// stays free to change: a clone of a span that no subscriber wants
    /// is free.
    #[inline(always)]
    pub(crate) fn enter(&self) -> Entered {
        Entered {
            #[cfg(feature = "tracing")]
            _entered: self.span.clone().entered(),
        }
    }

    /// Reports what changed in `conn`'s state since the last look: the
    /// start of the closing handshake (whose side began it), a failure
    /// (the close code and the rule broken), the end.
    #[inline(always)]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn observe(&mut self, conn: &Connection) {
        #[cfg(feature = "tracing")]
        if self.seen != Seen::Ended {
            self.report(conn.state());
        }
    }

    #[cfg(feature = "tracing")]
    fn report(&mut self, state: &ws_proto::State) {
        use ws_proto::State;
        match (state, self.seen) {
            (State::Open, _) => {}
            (State::CloseSent, Seen::Open) => self.seen = Seen::Closing { by_us: true },
            (State::CloseReceived(_) | State::Closed(_), Seen::Open) => {
                self.seen = Seen::Closing { by_us: false }
            }
            (State::Failed(e), Seen::Open | Seen::Closing { .. }) => {
                failed(e);
                self.seen = Seen::Failed;
            }
            (State::Ended(Ok(frame)), seen) => {
                // A server's state goes from Open to Ended at once on the
                // peer's Close: the peer began it.
                let by = match seen {
                    Seen::Closing { by_us: true } => "us",
                    _ => "peer",
                };
                event!(
                    tracing::Level::DEBUG,
                    closed_by = by,
                    code = frame.code().as_u16(),
                    reason = frame.reason(),
                    "connection closed"
                );
                self.seen = Seen::Ended;
            }
            // Failed and ended at once (the transport's end, the close
            // timeout): one event says both.
            (State::Ended(Err(e)), Seen::Open | Seen::Closing { .. }) => {
                failed(e);
                self.seen = Seen::Ended;
            }
            (State::Ended(Err(e)), _) => {
                event!(tracing::Level::DEBUG, error = %e, "connection ended");
                self.seen = Seen::Ended;
            }
            _ => {}
        }
    }
}

/// The guard of an entered span: nothing without the feature.
pub(crate) struct Entered {
    #[cfg(feature = "tracing")]
    _entered: tracing::span::EnteredSpan,
}

#[cfg(feature = "tracing")]
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Client => "client",
        Role::Server => "server",
    }
}

/// The event of a failed connection: the close code sent and the rule
/// broken (the error's `Display`), at `debug`: the peer's doing, or a
/// timeout's.
#[cfg(feature = "tracing")]
fn failed(error: &ws_proto::Error) {
    match error {
        ws_proto::Error::Protocol(e) => event!(
            tracing::Level::DEBUG,
            code = e.close_code().as_u16(),
            error = %e,
            "protocol error"
        ),
        ws_proto::Error::Timeout(kind) => {
            event!(tracing::Level::DEBUG, timeout = %kind, "connection timed out")
        }
        ws_proto::Error::UnexpectedEof => event!(
            tracing::Level::DEBUG,
            code = 1006u16,
            "transport ended without a closing handshake"
        ),
        other => event!(tracing::Level::WARN, error = %other, "connection failed"),
    }
}

/// The event of a failure of ours, not the peer's (`what`, and the
/// error), at `warn`.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn ours(what: &str, error: &dyn std::fmt::Display) {
    event!(tracing::Level::WARN, %error, "{what}");
}

/// The event of a handshake that failed on `error`: the HTTP status a
/// server answered with, and why. At `debug` when the peer is at fault
/// (a bad request, or a server's refusal as a client reads it), at `warn`
/// when we are (an acceptance of what was not offered, a bad URL).
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn handshake_failed(error: &HandshakeError) {
    #[cfg(feature = "tracing")]
    {
        let status = error.status();
        match error.fault() {
            ws_proto::handshake::Fault::Caller => event!(
                tracing::Level::WARN,
                status,
                error = %error,
                "handshake failed"
            ),
            _ => event!(
                tracing::Level::DEBUG,
                status,
                error = %error,
                "handshake refused"
            ),
        }
    }
}

/// The value of the field `name` in an HTTP response head (the 101 a
/// server wrote), for [`negotiated!`].
#[cfg(feature = "tracing")]
pub(crate) fn response_field<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut fields);
    response.parse(head).ok()?;
    let field = response
        .headers
        .iter()
        .find(|field| field.name.eq_ignore_ascii_case(name))?;
    std::str::from_utf8(field.value).ok()
}
