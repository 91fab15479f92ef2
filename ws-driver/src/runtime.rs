//! What the driver needs from an async runtime: a timer.
//!
//! Streams come in as `futures-io` `AsyncRead + AsyncWrite` (tokio's are
//! bridged by `tokio_util::compat` in `ws-tokio`), so a timer is the one
//! thing that differs between runtimes.

use std::future::Future;
use std::time::Instant;

/// An async runtime's timer.
pub trait Runtime: Send + Sync + 'static {
    /// The future [`sleep_until`](Runtime::sleep_until) returns; its
    /// output is ignored.
    type Sleep: Future + Send;

    /// A future that completes at `deadline`.
    fn sleep_until(deadline: Instant) -> Self::Sleep;
}

/// The timer of `async-io`, which both async-std and smol run on.
#[derive(Debug, Clone, Copy)]
pub struct AsyncIo;

impl Runtime for AsyncIo {
    type Sleep = async_io::Timer;

    fn sleep_until(deadline: Instant) -> Self::Sleep {
        async_io::Timer::at(deadline)
    }
}
