//! The client's way in: from a URL to an open WebSocket, through TCP,
//! TLS for `wss://`, and the opening handshake.

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use ws_proto::handshake::{ClientRequest, IntoClientRequest, Response};
use ws_proto::{Config, Role};

use crate::handshake::{request_upgrade, with_timeout};
use crate::proxy::{self, Proxy, ProxyError};
use crate::{trace, Error, PeerAddr, Spawn, Transport, WebSocket};

/// What [`Connector`] needs of a runtime beyond its timer: TCP, TLS over
/// it, and tasks of its own (an HTTP/2 connection runs on one).
pub trait Network: Spawn + Sized {
    /// The runtime's TCP stream.
    type Tcp: PeerAddr<Self> + Send + Unpin + 'static;
    /// What a connected WebSocket runs over: TCP, or TLS over it.
    type Stream: Transport + Send + 'static;

    /// Resolves `host` and opens TCP to `port` there, with `TCP_NODELAY`.
    fn connect_tcp(host: String, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// The TCP stream seen through `futures-io`, for an exchange before
    /// TLS (a proxy's).
    fn tcp_io(tcp: &mut Self::Tcp) -> impl AsyncRead + AsyncWrite + Unpin + Send + '_;

    /// The stream of a `ws://` connection.
    fn plain(tcp: Self::Tcp) -> Self::Stream;

    /// The stream of a `wss://` connection: TLS over `tcp`, with the
    /// server's name checked against its certificate and sent as SNI.
    /// An adapter built without TLS keeps this default, which refuses.
    #[cfg(feature = "tls")]
    fn tls(
        tcp: Self::Tcp,
        name: rustls_pki_types::ServerName<'static>,
        config: std::sync::Arc<rustls::ClientConfig>,
    ) -> impl Future<Output = Result<Self::Stream, Error>> + Send {
        let _ = (tcp, name, config);
        async { Err(Error::TlsUnsupported) }
    }

    /// The protocol the server chose by ALPN (RFC 7301) on a stream
    /// [`tls`](Self::tls) made, if any.
    #[cfg(feature = "tls")]
    fn alpn(stream: &Self::Stream) -> Option<&[u8]> {
        let _ = stream;
        None
    }

    /// Whether this adapter carries WebSockets over HTTP/2, implementing
    /// [`alpn`](Self::alpn) and [`http2`](Self::http2) (its `http2`
    /// feature): without, a connector asked for HTTP/2 offers HTTP/1.1
    /// only.
    #[cfg(feature = "http2")]
    const HTTP2: bool = false;

    /// The stream of a WebSocket over HTTP/2, a stream of a shared
    /// connection; `None` from an adapter without HTTP/2 (the default,
    /// which keeps an adapter built without its `http2` feature compiling
    /// when another crate turns ws-driver's on).
    #[cfg(feature = "http2")]
    fn http2(stream: crate::http2::Http2Stream) -> Option<Self::Stream> {
        let _ = stream;
        None
    }
}

/// TCP to the server of `request`, or through `via` to it.
pub(crate) async fn open_tcp<R: Network>(
    request: &ClientRequest,
    via: Option<&Proxy>,
) -> Result<R::Tcp, Error> {
    let Some(via) = via else {
        return Ok(R::connect_tcp(request.host().to_owned(), request.port()).await?);
    };
    // The proxy's address is the one resolved here; the server's name
    // goes to the proxy as it is. A proxy out of reach says so:
    // Error::Proxy.
    let mut tcp = R::connect_tcp(via.host().to_owned(), via.port())
        .await
        .map_err(ProxyError::from)?;
    let mut io = R::tcp_io(&mut tcp);
    proxy::tunnel(&mut io, via, request.host(), request.port()).await?;
    drop(io);
    Ok(tcp)
}

/// TLS over `tcp` to the server of `request`, with `config`.
#[cfg(feature = "tls")]
pub(crate) async fn secure<R: Network>(
    tcp: R::Tcp,
    request: &ClientRequest,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> Result<R::Stream, Error> {
    let name = crate::tls::server_name(request.host())?;
    R::tls(tcp, name, config).await
}

/// Opens client connections: `ws://` over TCP, `wss://` over TLS, with
/// one TLS configuration shared by every connection it opens. Cheap to
/// clone; make one and reuse it.
///
/// The whole of a connection's opening (resolving the host, TCP, the
/// proxy's tunnel, TLS, the WebSocket handshake) runs within one time
/// limit: the `Config`'s handshake timeout unless
/// [`with_timeout`](Self::with_timeout) sets another.
///
/// No proxy is used unless [`with_proxy`](Self::with_proxy) sets one;
/// the environment's proxy variables are read only by
/// [`Proxy::from_env`].
///
/// Every connection is HTTP/1.1 unless `with_http2` (the `http2` feature)
/// asks for HTTP/2 on `wss://` (RFC 8441): then sockets to one origin
/// share an HTTP/2 connection where the server allows it, and fall back
/// to HTTP/1.1 where it does not.
pub struct Connector<R> {
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    timeout: Option<Duration>,
    proxy: Option<Proxy>,
    /// Whether `wss://` offers HTTP/2.
    #[cfg(feature = "http2")]
    http2: bool,
    /// The HTTP/2 connections this connector and its clones opened.
    #[cfg(feature = "http2")]
    pool: std::sync::Arc<crate::http2::Pool>,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Connector<R> {
    /// A connector with the default TLS configuration (`tls`'s
    /// `default_client_config`: the roots of the enabled features, ALPN
    /// `http/1.1`).
    pub fn new() -> Self {
        Connector {
            #[cfg(feature = "tls")]
            tls: None,
            timeout: None,
            proxy: None,
            #[cfg(feature = "http2")]
            http2: false,
            #[cfg(feature = "http2")]
            pool: Default::default(),
            runtime: PhantomData,
        }
    }

    /// Uses `config` for every `wss://` connection: custom roots, a client
    /// certificate, other ALPN protocols. It is used as given (build it
    /// with [`tls::client_config`](crate::tls::client_config) to keep our
    /// crypto provider and ALPN `http/1.1`).
    #[cfg(feature = "tls")]
    pub fn with_tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Bounds the whole opening of each connection by `limit`, instead of
    /// the `Config`'s handshake timeout.
    pub fn with_timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Opens every connection through `proxy`: TCP to the proxy, then its
    /// tunnel to the URL's host and port (see [`proxy`](crate::proxy)).
    /// For `wss://` TLS runs inside the tunnel, end to end with the
    /// server, whose name is checked and sent as SNI as without a proxy;
    /// the upgrade request's `Host` is the server's too. The proxy's
    /// failures, a proxy out of reach included, are [`Error::Proxy`].
    ///
    /// ```
    /// use ws_driver::{Connector, Proxy};
    /// # struct Rt;
    /// let proxy = Proxy::parse("socks5h://127.0.0.1:1080")?;
    /// let connector = Connector::<Rt>::new().with_proxy(proxy);
    /// # let _ = connector;
    /// # Ok::<(), ws_driver::ProxyError>(())
    /// ```
    pub fn with_proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        // Connections made without this proxy are not this connector's.
        #[cfg(feature = "http2")]
        {
            self.pool = Default::default();
        }
        self
    }

    /// Opens `wss://` WebSockets over HTTP/2 (RFC 8441) where the server
    /// allows it, when `enabled`; off by default, as browsers too open a
    /// WebSocket over HTTP/2 only on a connection they already have.
    ///
    /// A `wss://` connection then offers ALPN `h2` and `http/1.1`
    /// (replacing the protocols of the TLS configuration). A server that
    /// chooses `h2` and enables extended CONNECT
    /// (`SETTINGS_ENABLE_CONNECT_PROTOCOL`) gets the socket as a stream of
    /// that connection; one that chooses `h2` without it is left, and the
    /// socket opened on a new connection over HTTP/1.1 (ALPN `http/1.1`
    /// only), within the same time limit; one that chooses `http/1.1`
    /// gets the usual upgrade. `ws://` stays on HTTP/1.1 (no h2c).
    ///
    /// Sockets to the same origin (host, port, TLS configuration) share
    /// one HTTP/2 connection while the server's concurrent stream limit
    /// allows, among this connector and its clones: the connection runs
    /// on a task of the runtime, and closes with its last socket. A
    /// socket on HTTP/2 reads and writes an [`Http2Stream`](crate::http2::Http2Stream)
    /// (see [`http2`](crate::http2)).
    ///
    /// ```
    /// use ws_driver::Connector;
    /// # struct Rt;
    /// let connector = Connector::<Rt>::new().with_http2(true);
    /// # let _ = connector;
    /// ```
    #[cfg(feature = "http2")]
    pub fn with_http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }
}

impl<R: Network> Connector<R> {
    /// Connects to a `ws://` or `wss://` URL (a `&str`, `String`,
    /// `http::Uri`, an `http::Request<()>` with extra header fields, or a
    /// `ClientRequest`) and runs the opening handshake with `config`. The
    /// returned future does not borrow `request` or the connector.
    pub fn connect(
        &self,
        request: impl IntoClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(WebSocket<R::Stream, R>, Response), Error>> + Send + 'static
    {
        let request = request.into_client_request();
        let limit = self.timeout.or(config.handshake_timeout());
        let connector = self.clone();
        Box::pin(async move {
            let request = request?;
            // Before the name is resolved or a socket opened.
            config.validate()?;
            let work = with_timeout::<R, _>(limit, connector.open(request, config));
            trace::Conn::new(Role::Client).run(work).await
        })
    }

    /// The opening of one connection, which `connect` bounds in time.
    async fn open(
        self,
        request: ClientRequest,
        config: Config,
    ) -> Result<(WebSocket<R::Stream, R>, Response), Error> {
        if !request.is_secure() {
            let tcp = open_tcp::<R>(&request, self.proxy.as_ref()).await?;
            return request_upgrade(R::plain(tcp), request, config).await;
        }
        #[cfg(feature = "tls")]
        {
            let tls = match self.tls {
                Some(config) => config,
                None => crate::tls::default_client_config()?,
            };
            #[cfg(feature = "http2")]
            if self.http2 && R::HTTP2 {
                return crate::http2::connect::<R>(&self.pool, tls, self.proxy, request, config)
                    .await;
            }
            let tcp = open_tcp::<R>(&request, self.proxy.as_ref()).await?;
            let stream = secure::<R>(tcp, &request, tls).await?;
            request_upgrade(stream, request, config).await
        }
        #[cfg(not(feature = "tls"))]
        Err(Error::TlsUnsupported)
    }
}

impl<R> Default for Connector<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> Clone for Connector<R> {
    fn clone(&self) -> Self {
        Connector {
            #[cfg(feature = "tls")]
            tls: self.tls.clone(),
            timeout: self.timeout,
            proxy: self.proxy.clone(),
            #[cfg(feature = "http2")]
            http2: self.http2,
            #[cfg(feature = "http2")]
            pool: self.pool.clone(),
            runtime: PhantomData,
        }
    }
}

impl<R> fmt::Debug for Connector<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Connector");
        #[cfg(feature = "tls")]
        debug.field("custom_tls_config", &self.tls.is_some());
        debug
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy);
        #[cfg(feature = "http2")]
        debug.field("http2", &self.http2);
        debug.finish()
    }
}
