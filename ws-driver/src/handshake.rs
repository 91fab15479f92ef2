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
/// 426, 431, ...) and returned as [`Error::Handshake`]; a plain HTTP
/// request that is no upgrade at all comes back as
/// [`HandshakeError::NotUpgrade`](ws_proto::handshake::HandshakeError::NotUpgrade) without an answer, for the caller to serve.
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
