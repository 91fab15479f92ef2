//! The opening handshake over an async stream, for either role.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use futures_io::AsyncRead;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use ws_proto::handshake::{
    Accept, ClientHandshake, ClientRequest, HandshakeError, IntoClientRequest, Reject, Request,
    Response, ServerHandshake,
};
use ws_proto::{Config, Connection, Role};

use crate::entropy::OsEntropy;
use crate::{trace, Error, Runtime, Transport, WebSocket};

/// How many bytes one read of the handshake takes.
const HANDSHAKE_READ: usize = 4096;

/// Accepts a WebSocket on `stream` with the default configuration,
/// accepting every valid upgrade request.
pub fn accept<R, S>(stream: S) -> impl Future<Output = Result<WebSocket<S, R>, Error>>
where
    R: Runtime,
    S: Transport,
{
    accept_with(stream, Config::default(), |_| Ok(Accept::new()))
}

/// What [`accept_or_http`] found on a stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Upgrade<W, S> {
    /// A WebSocket upgrade, accepted.
    WebSocket(W),
    /// A plain HTTP request (no `Upgrade` header), not answered yet: the
    /// caller serves it on the stream, say a web page on the same port.
    /// A request body is not read.
    Http(Box<Request>, S),
}

impl<W, S> Upgrade<W, S> {
    /// The same outcome with the stream of a plain HTTP request passed
    /// through `f`: how an adapter hands back its own stream type.
    pub fn map_http_stream<T>(self, f: impl FnOnce(S) -> T) -> Upgrade<W, T> {
        match self {
            Upgrade::WebSocket(ws) => Upgrade::WebSocket(ws),
            Upgrade::Http(request, stream) => Upgrade::Http(request, f(stream)),
        }
    }

    /// The same outcome with the socket of an upgrade passed through `f`:
    /// how an adapter hands back its own socket type.
    pub fn map_websocket<V>(self, f: impl FnOnce(W) -> V) -> Upgrade<V, S> {
        match self {
            Upgrade::WebSocket(ws) => Upgrade::WebSocket(f(ws)),
            Upgrade::Http(request, stream) => Upgrade::Http(request, stream),
        }
    }
}

/// Accepts a WebSocket on `stream`: reads the upgrade request and shows it
/// to `callback`, which accepts it (with a subprotocol, extension and
/// extra headers of its choice) or rejects it with any HTTP response.
///
/// An invalid request is answered with the matching HTTP error (400, 405,
/// 426, 431, ...) and returned as [`Error::Handshake`]. So is a plain HTTP
/// request that is no upgrade at all (426 Upgrade Required,
/// [`HandshakeError::NotUpgrade`](ws_proto::handshake::HandshakeError::NotUpgrade));
/// use [`accept_or_http`] to serve those. A request from another site's
/// page (an `Origin` that `config`'s
/// [`origin_policy`](Config::origin_policy) does not accept) is answered
/// with 403 before `callback` sees it. A `config` that fails
/// [`Config::validate`] is refused with [`Error::Config`] before the
/// stream is opened or read.
///
/// The handshake's state lives on the heap while it runs, not in the
/// returned future (see [`accept_or_http`]).
pub fn accept_with<R, S, F>(
    stream: S,
    config: Config,
    callback: F,
) -> impl Future<Output = Result<WebSocket<S, R>, Error>>
where
    R: Runtime,
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    accept_with_over(async { Ok(stream) }, config, callback)
}

/// Like [`accept_with`] on the stream that `open` makes: a TLS handshake,
/// say, which then runs within the handshake timeout too, so that a peer
/// that opens TCP and never finishes TLS is dropped in time.
pub fn accept_with_over<R, S, F>(
    open: impl Future<Output = Result<S, Error>>,
    config: Config,
    callback: F,
) -> impl Future<Output = Result<WebSocket<S, R>, Error>>
where
    R: Runtime,
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let trace = trace::Conn::new(Role::Server);
    Box::pin(trace.run(async move {
        match server_handshake(open, config, callback).await? {
            Upgrade::WebSocket(ws) => Ok(ws),
            Upgrade::Http(request, mut stream) => {
                let error = HandshakeError::NotUpgrade(request);
                trace::handshake_failed(&error);
                if let Some(response) = error.response() {
                    stream.write_all(&response).await?;
                    stream.close().await?;
                }
                Err(error.into())
            }
        }
    }))
}

/// Like [`accept_with`], but a plain HTTP request is handed back with its
/// stream, unanswered, so that one port can serve both a web page and its
/// WebSocket. `callback` sees upgrade requests only.
///
/// The handshake's state (the stream and configuration it was given, its
/// parser, the request, the timer) lives on the heap while it runs, and
/// the returned future is a pointer to it. Held inline, it would be part
/// of the caller's future, which a server usually spawns as the
/// connection's task: its few KiB would stay allocated for the life of
/// every connection, most of an idle connection's memory.
pub fn accept_or_http<R, S, F>(
    stream: S,
    config: Config,
    callback: F,
) -> impl Future<Output = Result<Upgrade<WebSocket<S, R>, S>, Error>>
where
    R: Runtime,
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    accept_or_http_over(async { Ok(stream) }, config, callback)
}

/// Like [`accept_or_http`] on the stream that `open` makes, within the
/// same timeout (see [`accept_with_over`]).
pub fn accept_or_http_over<R, S, F>(
    open: impl Future<Output = Result<S, Error>>,
    config: Config,
    callback: F,
) -> impl Future<Output = Result<Upgrade<WebSocket<S, R>, S>, Error>>
where
    R: Runtime,
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let trace = trace::Conn::new(Role::Server);
    Box::pin(trace.run(server_handshake(open, config, callback)))
}

/// The server's handshake, inside the connection span its caller runs it
/// in (so that an answer the caller writes, a 426, is logged in it too).
async fn server_handshake<R, S, F>(
    open: impl Future<Output = Result<S, Error>>,
    config: Config,
    callback: F,
) -> Result<Upgrade<WebSocket<S, R>, S>, Error>
where
    R: Runtime,
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    // Refused before the stream is opened or read: the peer sees the
    // connection close, and no timer runs on settings that may be zero.
    config.validate()?;
    let timeout = config.handshake_timeout();
    let (stream, conn) = with_timeout::<R, _>(timeout, async {
        let mut stream = open.await?;
        trace::peer!(stream.peer_addr());
        let conn = answer(&mut stream, config, callback).await?;
        Ok((stream, conn))
    })
    .await?;
    Ok(match conn {
        Ok(conn) => Upgrade::WebSocket(WebSocket::from_parts(stream, conn)),
        Err(request) => Upgrade::Http(request, stream),
    })
}

/// Reads the upgrade request and answers it: the connection, or a plain
/// HTTP request handed back unanswered.
async fn answer<S, F>(
    stream: &mut S,
    config: Config,
    callback: F,
) -> Result<Result<Connection, Box<Request>>, Error>
where
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let mut handshake = ServerHandshake::new(config);
    let request = loop {
        let data = read_some(stream).await?;
        match handshake.receive(&data) {
            Ok(Some(request)) => break request,
            Ok(None) => {}
            Err(HandshakeError::NotUpgrade(request)) => return Ok(Err(request)),
            Err(e) => {
                trace::handshake_failed(&e);
                if let Some(response) = e.response() {
                    stream.write_all(&response).await?;
                    stream.close().await?;
                }
                return Err(e.into());
            }
        }
    };
    match callback(&request) {
        Ok(accept) => {
            let (response, conn) = handshake
                .accept(&request, accept)
                .inspect_err(trace::handshake_failed)?;
            trace::negotiated!(
                trace::response_field(&response, "sec-websocket-protocol"),
                trace::response_field(&response, "sec-websocket-extensions")
            );
            stream.write_all(&response).await?;
            stream.flush().await?;
            Ok(Ok(conn))
        }
        Err(reject) => {
            let status = reject.status();
            trace::event!(
                tracing::Level::DEBUG,
                status,
                "handshake rejected by the application"
            );
            stream.write_all(&handshake.reject(reject)).await?;
            stream.close().await?;
            Err(Error::CallbackRejected(status))
        }
    }
}

/// Opens a WebSocket as a client on `stream`, a transport already
/// connected to the server that `request` names: a URL, an
/// `http::Request<()>` (with its extra header fields) or a
/// [`ClientRequest`].
///
/// The request is converted at once: the returned future does not borrow
/// it. The handshake's state lives on the heap while it runs, not in the
/// returned future (see [`accept_or_http`]). A `config` that fails
/// [`Config::validate`] is refused with [`Error::Config`] before anything
/// is written.
pub fn client<R, S>(
    stream: S,
    request: impl IntoClientRequest,
    config: Config,
) -> impl Future<Output = Result<(WebSocket<S, R>, Response), Error>>
where
    R: Runtime,
    S: Transport,
{
    let request = request.into_client_request();
    Box::pin(async move { client_handshake(stream, request?, config).await })
}

async fn client_handshake<R, S>(
    stream: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<S, R>, Response), Error>
where
    R: Runtime,
    S: Transport,
{
    config.validate()?;
    let timeout = config.handshake_timeout();
    let work = with_timeout::<R, _>(timeout, request_upgrade(stream, request, config));
    trace::Conn::new(Role::Client).run(work).await
}

/// Sends the upgrade request and reads the server's answer.
pub(crate) async fn request_upgrade<R, S>(
    mut stream: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<S, R>, Response), Error>
where
    R: Runtime,
    S: Transport,
{
    trace::peer!(stream.peer_addr());
    let entropy = OsEntropy::new().inspect_err(|e| trace::ours("no entropy for the key", e))?;
    let (mut handshake, bytes) = ClientHandshake::new(request, config, Box::new(entropy));
    stream.write_all(&bytes).await?;
    stream.flush().await?;
    #[cfg(feature = "tls")]
    let mut first = true;
    let response = loop {
        let data = read_some(&mut stream).await?;
        // A TLS server answers a plain request with an alert: say so
        // rather than that the response was no HTTP.
        #[cfg(feature = "tls")]
        if std::mem::take(&mut first) && crate::tls::looks_like_tls(&data) {
            return Err(crate::tls::TlsError::NotTls.into());
        }
        if let Some(response) = handshake
            .receive(&data)
            .inspect_err(trace::handshake_failed)?
        {
            break response;
        }
    };
    let conn = handshake
        .into_connection()
        .inspect_err(trace::handshake_failed)?;
    trace::negotiated!(
        response.subprotocol(),
        response.header("sec-websocket-extensions")
    );
    Ok((WebSocket::from_parts(stream, conn), response))
}

async fn read_some<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0; HANDSHAKE_READ];
    let n = stream.read(&mut buf).await?;
    if n == 0 {
        let eof = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed during the opening handshake",
        );
        return Err(eof.into());
    }
    buf.truncate(n);
    Ok(buf)
}

/// Runs `work` under the handshake timeout, on `R`'s timer.
pub(crate) async fn with_timeout<R: Runtime, T>(
    limit: Option<Duration>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(limit) = limit else {
        return work.await;
    };
    let mut work = pin!(work);
    let mut sleep = pin!(R::timer(R::now() + limit));
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        sleep.as_mut().poll(cx).map(|_| {
            trace::event!(tracing::Level::DEBUG, ?limit, "handshake timed out");
            Err(Error::HandshakeTimeout)
        })
    })
    .await
}

/// Defines an adapter's public API over its runtime, so that the three
/// adapters offer the same names with the same documentation: the socket
/// types of [`define_socket_types!`](crate::define_socket_types)
/// (`WebSocket`, `ReadHalf`, `WriteHalf`, `ReuniteError`), `accept`,
/// `accept_with`, `accept_or_http`, `client`, `Connector`, `connect`,
/// `connect_with` and, with TLS, `accept_tls`, `accept_tls_with` and
/// `accept_tls_or_http`, each returning the adapter's own socket type.
///
/// `read` and `write` are the runtime's I/O traits, `io` the
/// [`Transport`](crate::Transport) the driver sees for a stream `S` (a
/// shim around it) and `wrap` makes it; `tcp` is the runtime's TCP stream
/// and `tls` its rustls crate (tokio-rustls, futures-rustls). The calling
/// crate defines `Runtime`, its [`Runtime`](crate::Runtime) and
/// [`Network`](crate::Network) implementation, `MaybeTlsStream`, and a
/// `tls` feature that enables ws-driver's. Streams are `'static`, so that a shim can tell the
/// runtime's own TCP stream, whose socket it can do more with, from any
/// other.
#[doc(hidden)]
#[macro_export]
macro_rules! define_adapter {
    (
        read = $read:path,
        write = $write:path,
        io = $io:ty,
        wrap = $wrap:expr,
        tcp = $tcp:ty,
        tls = [$($tls:tt)*] $(,)?
    ) => {
        $crate::define_socket_types!(default = MaybeTlsStream<$tcp>, io = $io);

        /// Accepts a WebSocket on `stream` (a TCP stream, a TLS stream, a
        /// Unix socket...) with the default configuration, accepting every
        /// valid upgrade request.
        pub fn accept<S>(
            stream: S,
        ) -> impl std::future::Future<Output = Result<WebSocket<S>, $crate::Error>>
        where
            S: $read + $write + Unpin + 'static,
        {
            let accepting = $crate::accept::<Runtime, _>($wrap(stream));
            async move { accepting.await.map(WebSocket::from) }
        }

        /// Accepts a WebSocket on `stream`: `callback` sees the request
        /// (path, query, headers, cookies, offered subprotocols) and
        /// accepts it, with a subprotocol and headers of its choice, or
        /// rejects it with any HTTP response.
        ///
        /// An invalid request is answered with the matching HTTP error and
        /// returned as [`Error::Handshake`]; so is a plain HTTP request (no
        /// `Upgrade`), answered with 426: [`accept_or_http`] serves those,
        /// and a request from another site's page (see `Config`'s
        /// `origin_policy`), answered with 403.
        pub fn accept_with<S, F>(
            stream: S,
            config: $crate::__proto::Config,
            callback: F,
        ) -> impl std::future::Future<Output = Result<WebSocket<S>, $crate::Error>>
        where
            S: $read + $write + Unpin + 'static,
            F: FnOnce(
                &$crate::__proto::handshake::Request,
            ) -> Result<
                $crate::__proto::handshake::Accept,
                $crate::__proto::handshake::Reject,
            >,
        {
            let accepting = $crate::accept_with::<Runtime, _, F>($wrap(stream), config, callback);
            async move { accepting.await.map(WebSocket::from) }
        }

        /// Like [`accept_with`], but a plain HTTP request (no `Upgrade`)
        /// comes back unanswered with its stream, so that one port can serve
        /// a web page and its WebSocket.
        pub fn accept_or_http<S, F>(
            stream: S,
            config: $crate::__proto::Config,
            callback: F,
        ) -> impl std::future::Future<
            Output = Result<$crate::Upgrade<WebSocket<S>, S>, $crate::Error>,
        >
        where
            S: $read + $write + Unpin + 'static,
            F: FnOnce(
                &$crate::__proto::handshake::Request,
            ) -> Result<
                $crate::__proto::handshake::Accept,
                $crate::__proto::handshake::Reject,
            >,
        {
            let found = $crate::accept_or_http::<Runtime, _, F>($wrap(stream), config, callback);
            async move {
                Ok(found
                    .await?
                    .map_websocket(WebSocket::from)
                    .map_http_stream($crate::Transport::into_inner))
            }
        }

        /// Opens a WebSocket as a client over `stream`, a transport already
        /// connected to the server `request` names: a URL, an
        /// `http::Request<()>` or a `ClientRequest`. The returned future
        /// does not borrow `request`.
        pub fn client<S>(
            stream: S,
            request: impl $crate::__proto::handshake::IntoClientRequest,
            config: $crate::__proto::Config,
        ) -> impl std::future::Future<
            Output = Result<(WebSocket<S>, $crate::__proto::handshake::Response), $crate::Error>,
        >
        where
            S: $read + $write + Unpin + 'static,
        {
            let opening = $crate::client::<Runtime, _>($wrap(stream), request, config);
            async move {
                let (socket, response) = opening.await?;
                Ok((WebSocket::from(socket), response))
            }
        }

        /// Opens client connections: `ws://` over TCP, `wss://` over TLS,
        /// with one TLS configuration (roots of one's own, a client
        /// certificate), one time limit and one proxy for every connection
        /// it opens. Cheap to clone; make one and reuse it.
        ///
        /// The whole of a connection's opening (resolving the host, TCP,
        /// the proxy's tunnel, TLS, the WebSocket handshake) runs within
        /// one time limit: the `Config`'s handshake timeout unless
        /// [`with_timeout`](Self::with_timeout) sets another.
        #[derive(Debug, Clone, Default)]
        #[repr(transparent)]
        pub struct Connector($crate::Connector<Runtime>);

        impl Connector {
            /// A connector with the default TLS configuration (the roots
            /// of the enabled features, ALPN `http/1.1`), no proxy, and
            /// the `Config`'s handshake timeout.
            #[inline]
            pub fn new() -> Self {
                Connector($crate::Connector::new())
            }

            /// Uses `config` for every `wss://` connection: custom roots,
            /// a client certificate, other ALPN protocols. It is used as
            /// given (build it with [`tls::client_config`] to keep our
            /// crypto provider and ALPN `http/1.1`).
            #[cfg(feature = "tls")]
            #[inline]
            pub fn with_tls_config(self, config: std::sync::Arc<$crate::tls::ClientConfig>) -> Self {
                Connector(self.0.with_tls_config(config))
            }

            /// Bounds the whole opening of each connection by `limit`,
            /// instead of the `Config`'s handshake timeout.
            #[inline]
            pub fn with_timeout(self, limit: std::time::Duration) -> Self {
                Connector(self.0.with_timeout(limit))
            }

            /// Opens every connection through `proxy` (HTTP CONNECT or
            /// SOCKS5; see [`proxy`]): TLS for `wss://` runs inside the
            /// tunnel, end to end with the server. The proxy's failures are
            /// [`Error::Proxy`].
            #[inline]
            pub fn with_proxy(self, proxy: $crate::Proxy) -> Self {
                Connector(self.0.with_proxy(proxy))
            }

            $crate::__if_http2! {
                /// Opens `wss://` WebSockets over HTTP/2 (RFC 8441) where
                /// the server allows it, when `enabled` (off by default);
                /// sockets to one origin then share a connection. A server
                /// that does not enable extended CONNECT gets HTTP/1.1.
                #[inline]
                pub fn with_http2(self, enabled: bool) -> Self {
                    Connector(self.0.with_http2(enabled))
                }
            }

            /// Connects to a `ws://` or `wss://` URL (anything
            /// [`IntoClientRequest`]: a `&str`, `String`, `http::Uri`, an
            /// `http::Request<()>` whose header fields are sent, or a
            /// `ClientRequest`) and runs the opening handshake with
            /// `config`. The returned future does not borrow `request` or
            /// the connector.
            pub fn connect(
                &self,
                request: impl $crate::__proto::handshake::IntoClientRequest,
                config: $crate::__proto::Config,
            ) -> impl std::future::Future<
                Output = Result<(WebSocket, $crate::__proto::handshake::Response), $crate::Error>,
            > + Send
                   + 'static {
                let opening = self.0.connect(request, config);
                async move {
                    let (socket, response) = opening.await?;
                    Ok((WebSocket::from(socket), response))
                }
            }

            /// The driver's connector inside, for code generic over
            /// runtimes.
            #[doc(hidden)]
            #[inline]
            pub fn into_driver(self) -> $crate::Connector<Runtime> {
                self.0
            }
        }

        /// Connects to a `ws://` or `wss://` URL (a `&str`, `String`,
        /// `http::Uri`, an `http::Request<()>` with extra header fields such
        /// as `Authorization`, or a `ClientRequest`) with the default
        /// configuration: resolves the host, opens TCP (with `TCP_NODELAY`),
        /// TLS for `wss://` (the default roots, ALPN `http/1.1`) and runs
        /// the handshake, all within the handshake timeout. The returned
        /// future does not borrow `request`.
        pub fn connect(
            request: impl $crate::__proto::handshake::IntoClientRequest,
        ) -> impl std::future::Future<
            Output = Result<
                (WebSocket, $crate::__proto::handshake::Response),
                $crate::Error,
            >,
        > + Send {
            connect_with(request, $crate::__proto::Config::default())
        }

        /// Connects like [`connect`] with `config`. A [`Connector`]
        /// connects with a TLS configuration of one's own.
        pub fn connect_with(
            request: impl $crate::__proto::handshake::IntoClientRequest,
            config: $crate::__proto::Config,
        ) -> impl std::future::Future<
            Output = Result<
                (WebSocket, $crate::__proto::handshake::Response),
                $crate::Error,
            >,
        > + Send {
            Connector::new().connect(request, config)
        }

        /// The TLS acceptor of this runtime's rustls crate: make it from an
        /// `Arc<ServerConfig>` (see [`tls::server_config_from_pem_files`]).
        #[cfg(feature = "tls")]
        pub type TlsAcceptor = $($tls)*::TlsAcceptor;

        /// A server's TLS stream on this runtime.
        #[cfg(feature = "tls")]
        pub type TlsStream<S> = $($tls)*::server::TlsStream<S>;

        /// Accepts a WebSocket over TLS on `stream` with the default
        /// configuration: the TLS handshake with `acceptor`, then the
        /// upgrade, both within the handshake timeout.
        #[cfg(feature = "tls")]
        pub fn accept_tls<S>(
            acceptor: &TlsAcceptor,
            stream: S,
        ) -> impl std::future::Future<Output = Result<WebSocket<TlsStream<S>>, $crate::Error>>
        where
            S: $read + $write + Unpin + 'static,
        {
            accept_tls_with(acceptor, stream, $crate::__proto::Config::default(), |_| {
                Ok($crate::__proto::handshake::Accept::new())
            })
        }

        /// Like [`accept_with`] over TLS: the TLS handshake with `acceptor`,
        /// then the upgrade, both within the handshake timeout (a peer that
        /// opens TCP and never finishes TLS is dropped when it passes).
        #[cfg(feature = "tls")]
        pub fn accept_tls_with<S, F>(
            acceptor: &TlsAcceptor,
            stream: S,
            config: $crate::__proto::Config,
            callback: F,
        ) -> impl std::future::Future<Output = Result<WebSocket<TlsStream<S>>, $crate::Error>>
        where
            S: $read + $write + Unpin + 'static,
            F: FnOnce(
                &$crate::__proto::handshake::Request,
            ) -> Result<
                $crate::__proto::handshake::Accept,
                $crate::__proto::handshake::Reject,
            >,
        {
            let tls = acceptor.accept(stream);
            let accepting = $crate::accept_with_over::<Runtime, _, F>(
                async move { tls.await.map($wrap).map_err($crate::Error::from_tls_handshake) },
                config,
                callback,
            );
            async move { accepting.await.map(WebSocket::from) }
        }

        /// Like [`accept_or_http`] over TLS (see [`accept_tls_with`]): one
        /// port serves a page over `https://` and its WebSocket over
        /// `wss://`.
        #[cfg(feature = "tls")]
        pub fn accept_tls_or_http<S, F>(
            acceptor: &TlsAcceptor,
            stream: S,
            config: $crate::__proto::Config,
            callback: F,
        ) -> impl std::future::Future<
            Output = Result<$crate::Upgrade<WebSocket<TlsStream<S>>, TlsStream<S>>, $crate::Error>,
        >
        where
            S: $read + $write + Unpin + 'static,
            F: FnOnce(
                &$crate::__proto::handshake::Request,
            ) -> Result<
                $crate::__proto::handshake::Accept,
                $crate::__proto::handshake::Reject,
            >,
        {
            let tls = acceptor.accept(stream);
            let found = $crate::accept_or_http_over::<Runtime, _, F>(
                async move { tls.await.map($wrap).map_err($crate::Error::from_tls_handshake) },
                config,
                callback,
            );
            async move {
                Ok(found
                    .await?
                    .map_websocket(WebSocket::from)
                    .map_http_stream($crate::Transport::into_inner))
            }
        }
    };
}
