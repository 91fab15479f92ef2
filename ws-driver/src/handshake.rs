//! The opening handshake over an async stream, for either role.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use ws_proto::handshake::{
    Accept, ClientHandshake, ClientRequest, Reject, Request, Response, ServerHandshake,
};
use ws_proto::Config;

use crate::entropy::OsEntropy;
use crate::{Error, Runtime, WebSocket};

/// How many bytes one read of the handshake takes.
const HANDSHAKE_READ: usize = 4096;

/// Accepts a WebSocket on `stream` with the default configuration,
/// accepting every valid upgrade request.
pub async fn accept<R, S>(stream: S) -> Result<WebSocket<S, R>, Error>
where
    R: Runtime,
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, Config::default(), |_| Ok(Accept::new())).await
}

/// Accepts a WebSocket on `stream`: reads the upgrade request and shows it
/// to `callback`, which accepts it (with a subprotocol, extension and
/// extra headers of its choice) or rejects it with any HTTP response.
///
/// An invalid request is answered with the matching HTTP error (400, 405,
/// 426, 431, ...) and returned as [`Error::Handshake`]. A plain HTTP
/// request that is no upgrade at all is answered with 426 Upgrade Required
/// too (the stream is consumed, so the caller cannot serve it) and comes
/// back as
/// [`HandshakeError::NotUpgrade`](ws_proto::handshake::HandshakeError::NotUpgrade),
/// which carries the parsed request.
pub async fn accept_with<R, S, F>(
    mut stream: S,
    config: Config,
    callback: F,
) -> Result<WebSocket<S, R>, Error>
where
    R: Runtime,
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let timeout = config.handshake_timeout();
    let conn = with_timeout::<R, _>(timeout, async {
        let mut handshake = ServerHandshake::new(config);
        let request = loop {
            let data = read_some(&mut stream).await?;
            match handshake.receive(&data) {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(e) => {
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
                let (response, conn) = handshake.accept(&request, accept)?;
                stream.write_all(&response).await?;
                stream.flush().await?;
                Ok(conn)
            }
            Err(reject) => {
                let status = reject.status();
                stream.write_all(&handshake.reject(reject)).await?;
                stream.close().await?;
                Err(Error::Rejected(status))
            }
        }
    })
    .await?;
    Ok(WebSocket::from_parts(stream, conn))
}

/// Opens a WebSocket as a client on `stream`, a transport already
/// connected to the server that `request` names.
pub async fn client<R, S>(
    mut stream: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<S, R>, Response), Error>
where
    R: Runtime,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let entropy = OsEntropy::new()?;
    let timeout = config.handshake_timeout();
    let (response, conn) = with_timeout::<R, _>(timeout, async {
        let (mut handshake, request) = ClientHandshake::new(request, config, Box::new(entropy));
        stream.write_all(&request).await?;
        stream.flush().await?;
        let response = loop {
            let data = read_some(&mut stream).await?;
            if let Some(response) = handshake.receive(&data)? {
                break response;
            }
        };
        Ok((response, handshake.into_connection()?))
    })
    .await?;
    Ok((WebSocket::from_parts(stream, conn), response))
}

/// Connects to a `ws://` URL: `open` makes the transport to the URL's
/// host and port (a runtime's TCP connect), then the handshake runs as in
/// [`client`]. A `wss://` URL is refused with [`Error::TlsUnsupported`].
pub async fn connect<R, S, F, Fut>(
    url: &str,
    config: Config,
    open: F,
) -> Result<(WebSocket<S, R>, Response), Error>
where
    R: Runtime,
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(String, u16) -> Fut,
    Fut: Future<Output = std::io::Result<S>>,
{
    let request = ClientRequest::from_url(url)?;
    if request.is_secure() {
        return Err(Error::TlsUnsupported);
    }
    let stream = open(request.host().to_owned(), request.port()).await?;
    client(stream, request, config).await
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
async fn with_timeout<R: Runtime, T>(
    limit: Option<Duration>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(limit) = limit else {
        return work.await;
    };
    let mut work = pin!(work);
    let mut sleep = pin!(R::sleep_until(Instant::now() + limit));
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        sleep
            .as_mut()
            .poll(cx)
            .map(|_| Err(Error::HandshakeTimeout))
    })
    .await
}

/// Defines an adapter's public API over its runtime, so that the three
/// adapters offer the same names with the same documentation:
/// `WebSocket<S>`, `ReadHalf<S>`, `WriteHalf<S>`, `accept`, `accept_with`,
/// `client`, `connect` and `connect_with`.
///
/// `read` and `write` are the runtime's I/O traits, `io` the type the
/// driver sees for a stream `S` (`S` itself, or a shim around it) and
/// `wrap` makes it; `tcp` is the runtime's TCP stream. The calling crate
/// defines `Runtime`, its [`Runtime`](crate::Runtime) implementation.
#[doc(hidden)]
#[macro_export]
macro_rules! define_adapter {
    (futures_io, tcp = $tcp:ty $(,)?) => {
        $crate::define_adapter!(
            read = futures_io::AsyncRead,
            write = futures_io::AsyncWrite,
            io = S,
            wrap = std::convert::identity,
            tcp = $tcp,
        );
    };
    (read = $read:path, write = $write:path, io = $io:ty, wrap = $wrap:expr, tcp = $tcp:ty $(,)?) => {
        /// A WebSocket over the stream `S`.
        pub type WebSocket<S> = $crate::WebSocket<$io, Runtime>;
        /// The reading half of a [`WebSocket`].
        pub type ReadHalf<S> = $crate::ReadHalf<$io, Runtime>;
        /// The writing half of a [`WebSocket`].
        pub type WriteHalf<S> = $crate::WriteHalf<$io, Runtime>;

        /// Accepts a WebSocket on `stream` (a TCP stream, a TLS stream, a
        /// Unix socket...) with the default configuration, accepting every
        /// valid upgrade request.
        pub async fn accept<S>(stream: S) -> Result<WebSocket<S>, $crate::Error>
        where
            S: $read + $write + Unpin,
        {
            $crate::accept::<Runtime, _>($wrap(stream)).await
        }

        /// Accepts a WebSocket on `stream`: `callback` sees the request
        /// (path, query, headers, cookies, offered subprotocols) and
        /// accepts it, with a subprotocol and headers of its choice, or
        /// rejects it with any HTTP response.
        ///
        /// An invalid request is answered with the matching HTTP error and
        /// returned as [`Error::Handshake`]; a plain HTTP request (no
        /// `Upgrade`) is answered with 426 and comes back as
        /// `HandshakeError::NotUpgrade`, which carries the request.
        pub async fn accept_with<S, F>(
            stream: S,
            config: $crate::__proto::Config,
            callback: F,
        ) -> Result<WebSocket<S>, $crate::Error>
        where
            S: $read + $write + Unpin,
            F: FnOnce(
                &$crate::__proto::handshake::Request,
            ) -> Result<
                $crate::__proto::handshake::Accept,
                $crate::__proto::handshake::Reject,
            >,
        {
            $crate::accept_with::<Runtime, _, F>($wrap(stream), config, callback).await
        }

        /// Opens a WebSocket as a client over `stream`, a transport already
        /// connected to the server `request` names.
        pub async fn client<S>(
            stream: S,
            request: $crate::__proto::handshake::ClientRequest,
            config: $crate::__proto::Config,
        ) -> Result<(WebSocket<S>, $crate::__proto::handshake::Response), $crate::Error>
        where
            S: $read + $write + Unpin,
        {
            $crate::client::<Runtime, _>($wrap(stream), request, config).await
        }

        /// Connects to a `ws://` URL with the default configuration:
        /// resolves the host, opens TCP (with `TCP_NODELAY`) and runs the
        /// handshake.
        pub async fn connect(
            url: &str,
        ) -> Result<(WebSocket<$tcp>, $crate::__proto::handshake::Response), $crate::Error> {
            connect_with(url, $crate::__proto::Config::default()).await
        }

        /// Connects to a `ws://` URL with `config`; `wss://` fails with
        /// [`Error::TlsUnsupported`].
        pub async fn connect_with(
            url: &str,
            config: $crate::__proto::Config,
        ) -> Result<(WebSocket<$tcp>, $crate::__proto::handshake::Response), $crate::Error> {
            $crate::connect(url, config, |host, port| async move {
                let stream = <$tcp>::connect((host.as_str(), port)).await?;
                stream.set_nodelay(true)?;
                Ok($wrap(stream))
            })
            .await
        }
    };
}
