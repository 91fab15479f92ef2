//! The `hyper` and `axum` modules of every adapter, written once: the
//! functions and types of [`crate::hyper`] and [`crate::axum`] with the
//! adapter's runtime filled in.

/// Defines an adapter's `hyper` module (with its `hyper` feature) and
/// `axum` module (with its `axum` feature) over its `Runtime`. The items
/// in `hyper = { .. }` are added to the `hyper` module: the tokio
/// adapter's server builder, say.
#[doc(hidden)]
#[macro_export]
macro_rules! define_http_integrations {
    (hyper = { $($extra:item)* } $(,)?) => {
        /// WebSockets upgraded inside a hyper 1.x server, over HTTP/1.1
        /// (`101 Switching Protocols`) and HTTP/2 extended CONNECT (RFC
        /// 8441, `200`), on this crate's runtime: see
        /// `ws_driver::hyper` for the whole story.
        ///
        /// Serve the connection with upgrades (hyper-util's
        /// `serve_connection_with_upgrades`, hyper's `with_upgrades`),
        /// HTTP/2 with extended CONNECT enabled ([`configure_http2`]); in
        /// the service, [`upgrade`] the request, send the response, and
        /// await the [`Upgrading`] future in a task of its own.
        #[cfg(feature = "hyper")]
        pub mod hyper {
            pub use $crate::hyper::{
                configure_http2, HyperIo, UpgradeError, KEEP_ALIVE_INTERVAL,
                KEEP_ALIVE_TIMEOUT, MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE,
                MAX_LOCAL_ERROR_RESET_STREAMS, MAX_PENDING_ACCEPT_RESET_STREAMS,
                MAX_SEND_BUF_SIZE,
            };

            pub use $crate::hyper::Upgraded;

            /// A WebSocket over the stream hyper hands over after an
            /// upgrade.
            pub type WebSocket = super::WebSocket<Upgraded, HyperIo<Upgraded>>;

            /// The WebSocket of an accepted upgrade, once hyper has sent
            /// the response and handed the stream over.
            pub type Upgrading = $crate::hyper::Upgrading<super::Runtime, WebSocket>;

            /// Upgrades `request` to a WebSocket: validates it (an
            /// HTTP/1.1 upgrade or an HTTP/2 extended CONNECT), shows it to
            /// `callback`, which accepts or rejects it, and returns the
            /// response to send (101, or 200 over HTTP/2) and the future of
            /// the socket. On failure, send
            /// [`UpgradeError::http_response`].
            pub fn upgrade<B, F>(
                request: &mut $crate::__http::Request<B>,
                config: $crate::__proto::Config,
                callback: F,
            ) -> Result<($crate::__http::Response<()>, Upgrading), UpgradeError>
            where
                F: FnOnce(
                    &$crate::__proto::handshake::Request,
                ) -> Result<
                    $crate::__proto::handshake::Accept,
                    $crate::__proto::handshake::Reject,
                >,
            {
                $crate::hyper::upgrade_as::<super::Runtime, WebSocket, B, F>(request, config, callback)
            }

            /// [`upgrade`] on a request's head, as extractors see it.
            pub fn upgrade_parts<F>(
                parts: &mut $crate::__http::request::Parts,
                config: $crate::__proto::Config,
                callback: F,
            ) -> Result<($crate::__http::Response<()>, Upgrading), UpgradeError>
            where
                F: FnOnce(
                    &$crate::__proto::handshake::Request,
                ) -> Result<
                    $crate::__proto::handshake::Accept,
                    $crate::__proto::handshake::Reject,
                >,
            {
                $crate::hyper::upgrade_parts_as::<super::Runtime, WebSocket, F>(parts, config, callback)
            }

            $($extra)*
        }

        /// The axum 0.8 extractor of a WebSocket upgrade on this crate's
        /// runtime: see `ws_driver::axum`. Over HTTP/2 the socket comes
        /// with an extended CONNECT: route it with `axum::routing::any`.
        #[cfg(feature = "axum")]
        pub mod axum {
            pub use $crate::axum::{
                DefaultOnFailedUpgrade, OnFailedUpgrade, WebSocketUpgradeRejection,
            };

            /// The extractor of a WebSocket upgrade, over HTTP/1.1 or
            /// HTTP/2: `ws.protocols(["chat"]).on_upgrade(|socket| ..)`.
            pub type WebSocketUpgrade<F = DefaultOnFailedUpgrade> =
                $crate::axum::WebSocketUpgrade<super::Runtime, F, WebSocket>;

            /// The socket [`WebSocketUpgrade::on_upgrade`] hands over.
            pub type WebSocket = super::hyper::WebSocket;
        }
    };
}
