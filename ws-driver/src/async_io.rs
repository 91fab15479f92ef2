//! The adapter API on the `async-io` timer, shared by `ws-async-std` and
//! `ws-smol`, whose streams already speak `futures-io`.

use futures_io::{AsyncRead, AsyncWrite};
use ws_proto::handshake::{Accept, ClientRequest, Reject, Request, Response};
use ws_proto::Config;

use crate::{AsyncIo, Error};

/// A WebSocket over the stream `S`.
pub type WebSocket<S> = crate::WebSocket<S, AsyncIo>;
/// The reading half of a [`WebSocket`].
pub type ReadHalf<S> = crate::ReadHalf<S, AsyncIo>;
/// The writing half of a [`WebSocket`].
pub type WriteHalf<S> = crate::WriteHalf<S, AsyncIo>;

/// Accepts a WebSocket on `stream` (a TCP stream, a TLS stream, a Unix
/// socket...) with the default configuration.
pub async fn accept<S>(stream: S) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    crate::accept::<AsyncIo, S>(stream).await
}

/// Accepts a WebSocket on `stream`, letting `callback` inspect the request
/// and accept or reject it; see [`crate::accept_with`].
pub async fn accept_with<S, F>(
    stream: S,
    config: Config,
    callback: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    crate::accept_with::<AsyncIo, S, F>(stream, config, callback).await
}

/// Opens a WebSocket as a client over a connected `stream`.
pub async fn client<S>(
    stream: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<S>, Response), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    crate::client::<AsyncIo, S>(stream, request, config).await
}
