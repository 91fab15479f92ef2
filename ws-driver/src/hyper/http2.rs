//! The HTTP/2 server settings a WebSocket server runs with: extended
//! CONNECT on (RFC 8441 section 3), and limits on what one connection may
//! cost, each with the attack it answers.
//!
//! [`configure_http2`] applies them to hyper's own HTTP/2 builder; the
//! adapters' `hyper::server_builder` applies the same to hyper-util's
//! server, which also serves HTTP/1.1 on the same port.

use std::time::Duration;

/// How many streams, so WebSockets, one HTTP/2 connection may have open
/// at once (`SETTINGS_MAX_CONCURRENT_STREAMS`, RFC 9113 section 6.5.2).
/// A browser puts every WebSocket it opens to one origin on one
/// connection, so this is the sockets one tab set can hold; without a
/// bound, one TCP connection could open sockets until the server's memory
/// runs out, each with its driver, buffers and compression state.
pub const MAX_CONCURRENT_STREAMS: u32 = 128;

/// How many streams the client may reset before the server accepted them,
/// pending at once, before the connection is closed with
/// `ENHANCE_YOUR_CALM`. The HTTP/2 rapid reset attack (CVE-2023-44487)
/// opens and at once resets streams, so that the server does the work of
/// each request while the stream limit never fills; h2's default, kept
/// explicit here so that it cannot be lost.
pub const MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;

/// How many streams the server itself may reset for errors the client
/// provoked (a malformed frame on an open stream) before the connection is
/// closed: the same attack turned around ("MadeYouReset",
/// CVE-2025-8671), where the client makes the server reset streams for it.
/// h2's default is 1024; a WebSocket client has no business provoking
/// even a few.
pub const MAX_LOCAL_ERROR_RESET_STREAMS: usize = 64;

/// The largest header list a request may carry, in bytes
/// (`SETTINGS_MAX_HEADER_LIST_SIZE`, RFC 9113 section 6.5.2, counted as
/// HPACK counts: each field's name, value and 32 bytes). The same order as
/// the HTTP/1.1 handshake's limit on its head (8 KiB by default) with room
/// for the pseudo-header fields and HPACK's overhead; h2's default of
/// 16 MiB would let a client make the server buffer megabytes of headers
/// per stream.
pub const MAX_HEADER_LIST_SIZE: u32 = 16 << 10;

/// How many bytes the server buffers per stream for sending, waiting for
/// the client's flow-control window (RFC 9113 section 5.2). The driver
/// already holds what it has to send and bounds it; hyper's default of
/// 400 KiB per stream, times [`MAX_CONCURRENT_STREAMS`], would let a
/// connection whose client never opens its window hold 50 MiB.
pub const MAX_SEND_BUF_SIZE: usize = 64 << 10;

/// How often the server pings a connection that has been silent (HTTP/2
/// PING, RFC 9113 section 6.7), where the runtime gives hyper a timer: a
/// dead connection holding many sockets is found even when the sockets'
/// own keepalive is off. The interval of the WebSocket keepalive's
/// default.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);

/// How long the server waits for a PING's acknowledgement before it
/// closes the connection.
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Configures hyper's HTTP/2 server `builder` for WebSockets: extended
/// CONNECT enabled (`SETTINGS_ENABLE_CONNECT_PROTOCOL`, RFC 8441 section
/// 3, without which browsers open their sockets over HTTP/1.1) and the
/// limits of this module. Keep-alive needs a timer hyper does not have
/// here: set [`KEEP_ALIVE_INTERVAL`] with the runtime's timer if wanted.
///
/// ```
/// # #[derive(Clone)]
/// # struct Executor;
/// # impl<F: std::future::Future> hyper::rt::Executor<F> for Executor {
/// #     fn execute(&self, _: F) {}
/// # }
/// let mut builder = hyper::server::conn::http2::Builder::new(Executor);
/// ws_driver::hyper::configure_http2(&mut builder);
/// ```
pub fn configure_http2<E>(
    builder: &mut ::hyper::server::conn::http2::Builder<E>,
) -> &mut ::hyper::server::conn::http2::Builder<E> {
    crate::__configure_http2!(builder)
}

/// Applies the settings of [`configure_http2`] to an HTTP/2 builder with
/// hyper's setter names (hyper's own, hyper-util's `Http2Builder`), so
/// that the list is written once.
#[doc(hidden)]
#[macro_export]
macro_rules! __configure_http2 {
    ($builder:expr) => {
        $builder
            .enable_connect_protocol()
            .max_concurrent_streams($crate::hyper::MAX_CONCURRENT_STREAMS)
            .max_pending_accept_reset_streams($crate::hyper::MAX_PENDING_ACCEPT_RESET_STREAMS)
            .max_local_error_reset_streams($crate::hyper::MAX_LOCAL_ERROR_RESET_STREAMS)
            .max_header_list_size($crate::hyper::MAX_HEADER_LIST_SIZE)
            .max_send_buf_size($crate::hyper::MAX_SEND_BUF_SIZE)
    };
}
