//! What the driver needs from an async runtime: its clock and its timer.
//!
//! Streams come in as `futures-io` `AsyncRead + AsyncWrite` (tokio's
//! through the shim in `ws-tokio`), so time is the one thing that differs
//! between runtimes. The clock is the runtime's too, not the system's: a
//! runtime with a test clock (tokio's `start_paused`) then drives the
//! keepalive, idle and close timeouts as it drives its own sleeps.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Instant;

/// An async runtime's clock and timer.
pub trait Runtime: Send + Sync + 'static {
    /// A timer: a future that completes at its deadline (its output is
    /// ignored) and can be moved to another deadline.
    type Timer: Future + Send;

    /// The runtime's current time.
    fn now() -> Instant;

    /// A timer that completes at `deadline`.
    fn timer(deadline: Instant) -> Self::Timer;

    /// Moves `timer` to `deadline`, whether it has completed or not; one
    /// timer serves a connection's whole life.
    fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant);
}

/// A transport with a peer address: the TCP streams of the runtime `R`,
/// so that a socket over one can say who is at the other end. `R` lets
/// each adapter name its runtime's stream types.
pub trait PeerAddr<R: Runtime> {
    /// The address of the remote end.
    fn peer_addr(&self) -> std::io::Result<SocketAddr>;
}

/// Defines the runtime of an adapter built on `async-io` (smol,
/// async-std): its clock is the system's, its timer `async_io::Timer`,
/// and `tcp` its TCP stream with a [`PeerAddr`].
#[cfg(feature = "async-io")]
#[doc(hidden)]
#[macro_export]
macro_rules! define_async_io_runtime {
    ($(#[$doc:meta])* $name:ident, tcp = $tcp:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $crate::Runtime for $name {
            type Timer = $crate::__async_io::Timer;

            fn now() -> std::time::Instant {
                std::time::Instant::now()
            }

            fn timer(deadline: std::time::Instant) -> Self::Timer {
                $crate::__async_io::Timer::at(deadline)
            }

            fn reset(timer: std::pin::Pin<&mut Self::Timer>, deadline: std::time::Instant) {
                timer.get_mut().set_at(deadline);
            }
        }

        impl $crate::PeerAddr<$name> for $tcp {
            fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
                <$tcp>::peer_addr(self)
            }
        }
    };
}
