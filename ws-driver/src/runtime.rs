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

/// A runtime that runs tasks of its own: how the parts of the driver that
/// outlive a call (an upgraded connection handed over after an HTTP
/// server sent its response, an HTTP/2 connection shared by several
/// sockets) get a task on the application's runtime.
pub trait Spawn: Runtime {
    /// Runs `task` to completion in the background, detached.
    fn spawn<F>(task: F)
    where
        F: Future<Output = ()> + Send + 'static;
}

/// A transport with a peer address: the TCP streams of the runtime `R`,
/// so that a socket over one can say who is at the other end. `R` lets
/// each adapter name its runtime's stream types.
pub trait PeerAddr<R: Runtime> {
    /// The address of the remote end.
    fn peer_addr(&self) -> std::io::Result<SocketAddr>;
}

/// Defines an adapter built on `async-io` (smol, async-std): its runtime
/// `$name` (the system's clock, `async_io::Timer`), exported as `Runtime`;
/// `tcp`, its TCP stream, with a [`PeerAddr`]; `Io<S>`, the
/// [`SocketStream`](crate::SocketStream) the driver sees for a stream `S`,
/// with `socket(&tcp)` as its socket's handle when `S` is `tcp`; and the
/// API of [`define_adapter!`](crate::define_adapter).
#[cfg(feature = "async-io")]
#[doc(hidden)]
#[macro_export]
macro_rules! define_async_io_adapter {
    (
        $(#[$doc:meta])* $name:ident,
        tcp = $tcp:ty,
        socket = $socket:ty,
        from_tcp = $from_tcp:expr,
        spawn = $spawn:expr $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        /// The runtime the driver runs on in this crate.
        pub type Runtime = $name;

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

        impl $crate::Spawn for $name {
            fn spawn<F>(task: F)
            where
                F: std::future::Future<Output = ()> + Send + 'static,
            {
                let spawn: fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) =
                    $spawn;
                spawn(Box::pin(task));
            }
        }

        impl $crate::PeerAddr<$name> for $tcp {
            fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
                <$tcp>::peer_addr(self)
            }
        }

        #[cfg(feature = "tls")]
        impl $crate::PeerAddr<$name> for $crate::__futures_rustls::client::TlsStream<$tcp> {
            fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
                self.get_ref().0.peer_addr()
            }
        }

        #[cfg(feature = "tls")]
        impl $crate::PeerAddr<$name> for $crate::__futures_rustls::server::TlsStream<$tcp> {
            fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
                self.get_ref().0.peer_addr()
            }
        }

        #[cfg(feature = "tls")]
        impl $crate::PeerAddr<$name> for $crate::__futures_rustls::TlsStream<$tcp> {
            fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
                self.get_ref().0.peer_addr()
            }
        }

        /// A stream as the driver sees it: this runtime's TCP stream with
        /// a handle on its socket, any other stream as it is.
        pub type Io<S> = $crate::SocketStream<S, $socket>;

        /// The stream `connect` opens: TCP for `ws://`, TLS over it for
        /// `wss://`.
        pub use $crate::MaybeTlsStream;

        /// Wraps `stream` for the driver, with its socket's handle when it
        /// is this runtime's TCP stream, or a server's TLS stream over one.
        fn wrap<S: 'static>(stream: S) -> Io<S> {
            let from_tcp: fn(&$tcp) -> $socket = $from_tcp;
            let any = &stream as &dyn std::any::Any;
            if let Some(tcp) = any.downcast_ref::<$tcp>() {
                let socket = from_tcp(tcp);
                return $crate::SocketStream::new(stream, Some(socket));
            }
            #[cfg(feature = "tls")]
            if let Some(tls) = any.downcast_ref::<TlsStream<$tcp>>() {
                let socket = from_tcp(tls.get_ref().0);
                return $crate::SocketStream::encrypted(stream, socket);
            }
            $crate::SocketStream::new(stream, None)
        }

        impl $crate::Network for $name {
            type Tcp = $tcp;
            type Stream = Io<MaybeTlsStream<$tcp>>;

            async fn connect_tcp(host: String, port: u16) -> std::io::Result<$tcp> {
                let stream = <$tcp>::connect((host.as_str(), port)).await?;
                stream.set_nodelay(true)?;
                Ok(stream)
            }

            fn tcp_io(
                tcp: &mut $tcp,
            ) -> impl futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + '_ {
                tcp
            }

            fn plain(tcp: $tcp) -> Self::Stream {
                let from_tcp: fn(&$tcp) -> $socket = $from_tcp;
                let socket = from_tcp(&tcp);
                $crate::SocketStream::new(MaybeTlsStream::Plain(tcp), Some(socket))
            }

            #[cfg(feature = "tls")]
            async fn tls(
                tcp: $tcp,
                name: $crate::tls::pki_types::ServerName<'static>,
                config: std::sync::Arc<$crate::tls::ClientConfig>,
            ) -> Result<Self::Stream, $crate::Error> {
                let from_tcp: fn(&$tcp) -> $socket = $from_tcp;
                let socket = from_tcp(&tcp);
                let tls = $crate::__futures_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .map_err($crate::Error::from_tls_handshake)?;
                let stream = MaybeTlsStream::Rustls(Box::new(tls));
                Ok($crate::SocketStream::encrypted(stream, socket))
            }

            #[cfg(feature = "tls")]
            fn alpn(stream: &Self::Stream) -> Option<&[u8]> {
                $crate::Transport::get_ref(stream).tls_session()?.alpn_protocol()
            }

            $crate::__if_http2! {
                const HTTP2: bool = true;

                fn http2(stream: $crate::http2::Http2Stream) -> Option<Self::Stream> {
                    let stream = MaybeTlsStream::Http2(Box::new(stream));
                    Some($crate::SocketStream::new(stream, None))
                }
            }
        }

        $crate::define_adapter!(
            read = futures_io::AsyncRead,
            write = futures_io::AsyncWrite,
            io = Io<S>,
            wrap = wrap,
            tcp = $tcp,
            tls = [$crate::__futures_rustls],
        );

        $crate::define_http_integrations!(hyper = {});
    };
}
