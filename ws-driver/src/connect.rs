//! The client's way in: from a URL to an open WebSocket, through TCP,
//! TLS for `wss://`, and the opening handshake.

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use ws_proto::handshake::{IntoClientRequest, Response};
use ws_proto::Config;

use crate::handshake::{request_upgrade, with_timeout};
use crate::proxy::{self, Proxy, ProxyError};
use crate::{Error, Runtime, Transport, WebSocket};

/// What [`Connector`] needs of a runtime beyond its timer: TCP, and TLS
/// over it.
pub trait Network: Runtime {
    /// The runtime's TCP stream.
    type Tcp: Send + Unpin + 'static;
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
pub struct Connector<R> {
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    timeout: Option<Duration>,
    proxy: Option<Proxy>,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Connector<R> {
    /// A connector with the default TLS configuration
    /// ([`tls::default_client_config`](crate::tls::default_client_config):
    /// the roots of the enabled features, ALPN `http/1.1`).
    pub fn new() -> Self {
        Connector {
            #[cfg(feature = "tls")]
            tls: None,
            timeout: None,
            proxy: None,
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
        #[cfg(feature = "tls")]
        let tls = self.tls.clone();
        let via = self.proxy.clone();
        Box::pin(async move {
            let request = request?;
            with_timeout::<R, _>(limit, async move {
                let tcp = match via {
                    None => R::connect_tcp(request.host().to_owned(), request.port()).await?,
                    Some(via) => {
                        // The proxy's address is the one resolved here;
                        // the server's name goes to the proxy as it is.
                        // A proxy out of reach says so: Error::Proxy.
                        let mut tcp = R::connect_tcp(via.host().to_owned(), via.port())
                            .await
                            .map_err(ProxyError::from)?;
                        let mut io = R::tcp_io(&mut tcp);
                        proxy::tunnel(&mut io, &via, request.host(), request.port()).await?;
                        drop(io);
                        tcp
                    }
                };
                let stream = if request.is_secure() {
                    #[cfg(feature = "tls")]
                    {
                        let name = crate::tls::server_name(request.host())?;
                        let config = match tls {
                            Some(config) => config,
                            None => crate::tls::default_client_config()?,
                        };
                        R::tls(tcp, name, config).await?
                    }
                    #[cfg(not(feature = "tls"))]
                    return Err(Error::TlsUnsupported);
                } else {
                    R::plain(tcp)
                };
                request_upgrade(stream, request, config).await
            })
            .await
        })
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
            .field("proxy", &self.proxy)
            .finish()
    }
}
