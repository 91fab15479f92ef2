//! `ws-driver` drives a [`ws_proto`] connection over any `futures-io`
//! stream. It is the one implementation of the async read loop, write
//! batching, message assembly, timers, `Stream`/`Sink` and split halves
//! behind the runtime crates `ws-tokio`, `ws-async-std` and `ws-smol`,
//! which add only their runtime's timer and TCP types. Applications use
//! one of those crates, not this one.
//!
//! A runtime plugs in by implementing [`Runtime`]:
//!
//! ```
//! use std::time::Instant;
//!
//! /// A runtime whose timer never fires (timers off in its configs).
//! struct NoTimer;
//!
//! impl ws_driver::Runtime for NoTimer {
//!     type Sleep = std::future::Pending<()>;
//!
//!     fn sleep_until(_: Instant) -> Self::Sleep {
//!         std::future::pending()
//!     }
//! }
//!
//! type Socket<S> = ws_driver::WebSocket<S, NoTimer>;
//! ```

mod entropy;
mod error;
mod handshake;
mod runtime;
mod socket;

pub use error::Error;

/// What every adapter re-exports, so that one dependency is enough.
pub mod reexports {
    pub use crate::{Error, Upgrade};
    pub use ws_proto as proto;
    pub use ws_proto::handshake::{
        Accept, ClientRequest, HandshakeError, Reject, Request, Response,
    };
    pub use ws_proto::{
        CloseCode, CloseFrame, Config, Event, Message, MessageKind, ProtocolError, Utf8Bytes,
    };
}
pub use handshake::{accept, accept_or_http, accept_with, client, connect, Upgrade};
pub use runtime::{AsyncIo, Runtime};
pub use socket::{ReadHalf, WebSocket, WriteHalf};
#[doc(hidden)]
pub use ws_proto as __proto;
