//! WebSockets upgraded inside a hyper 1.x server, over HTTP/1.1 (`GET` +
//! `Upgrade`, answered 101: RFC 6455 section 4) and over HTTP/2 (extended
//! CONNECT, answered 200: RFC 8441 sections 4 and 5).
//!
//! hyper parses the request and writes the response; [`upgrade`] checks
//! the request with the same rules as a handshake read from the wire
//! ([`ServerHandshake::from_http`]), shows it to the application's
//! callback, and returns the response to send with an [`Upgrading`]
//! future: once hyper has sent the response and handed the connection (or
//! the HTTP/2 stream) over, it yields the [`WebSocket`].
//!
//! ```no_run
//! use ws_driver::hyper::{upgrade, UpgradeError};
//! use ws_driver::reexports::{Accept, Config, Reject};
//!
//! /// A hyper service on the runtime `R`: one route upgrades, the others
//! /// serve pages.
//! async fn serve<R: ws_driver::Spawn>(
//!     mut request: http::Request<hyper::body::Incoming>,
//! ) -> Result<http::Response<bytes::Bytes>, std::convert::Infallible> {
//!     if request.uri().path() != "/chat" {
//!         return Ok(http::Response::new("a page\n".into()));
//!     }
//!     let upgraded = upgrade::<R, _, _>(&mut request, Config::default(), |request| {
//!         match request.header("authorization") {
//!             Some(_) => Ok(Accept::new()),
//!             None => Err(Reject::new(401).body("log in first\n")),
//!         }
//!     });
//!     Ok(match upgraded {
//!         Ok((response, upgrading)) => {
//!             R::spawn(async move {
//!                 if let Ok(mut ws) = upgrading.await {
//!                     while let Some(Ok(message)) = ws.recv().await {
//!                         if message.is_data() && ws.send(message).await.is_err() {
//!                             break;
//!                         }
//!                     }
//!                 }
//!             });
//!             response.map(|()| bytes::Bytes::new())
//!         }
//!         Err(error) => error.http_response(request.version()),
//!     })
//! }
//! ```
//!
//! The connection must be served with upgrades: hyper's HTTP/1.1
//! `serve_connection(..).with_upgrades()` or hyper-util's
//! `serve_connection_with_upgrades`, and for HTTP/2 with extended CONNECT
//! enabled ([`configure_http2`]). Otherwise hyper sends the response but
//! never hands the stream over, and the [`Upgrading`] future fails with
//! [`Error::Io`]. A request that did not come from a hyper connection at
//! all (built by hand, say) fails with [`UpgradeError::NotUpgradable`].
//! Each adapter has a `hyper` module with its runtime filled in.
//!
//! An HTTP/2 socket is one stream of its connection: a request for it is
//! routed like any other, and the route must take the `CONNECT` method.

mod http2;
mod io;

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ::hyper::upgrade::OnUpgrade;
use bytes::Bytes;
use ws_proto::handshake::{Accept, HandshakeError, Reject, Request, ServerHandshake};
use ws_proto::{Config, Role};

pub use self::http2::{
    configure_http2, KEEP_ALIVE_INTERVAL, KEEP_ALIVE_TIMEOUT, MAX_CONCURRENT_STREAMS,
    MAX_HEADER_LIST_SIZE, MAX_LOCAL_ERROR_RESET_STREAMS, MAX_PENDING_ACCEPT_RESET_STREAMS,
    MAX_SEND_BUF_SIZE,
};
pub use self::io::HyperIo;
use crate::handshake::with_timeout;
use crate::{trace, Error, Runtime};

/// A WebSocket over the stream hyper hands over after an upgrade, on the
/// runtime `R`.
pub type WebSocket<R> = crate::WebSocket<HyperIo<Upgraded>, R>;

/// hyper's stream of an upgraded connection, which [`HyperIo`] shows to
/// the driver.
pub use ::hyper::upgrade::Upgraded;

/// Upgrades `request` to a WebSocket: validates it (an HTTP/1.1 upgrade
/// or an HTTP/2 extended CONNECT), shows it to `callback`, and returns the
/// response to send and the future of the socket.
///
/// `callback` has the power of [`accept_with`](crate::accept_with)'s: it
/// reads the request (path, headers, cookies, offered subprotocols) and
/// accepts it, choosing a subprotocol and adding headers, or rejects it
/// with any status, headers and body. permessage-deflate is negotiated as
/// `config` says. The response is `101 Switching Protocols` for HTTP/1.1
/// and `200 OK` for HTTP/2 (RFC 8441 section 5).
///
/// Send the response, then await the [`Upgrading`] future in a task of
/// its own: hyper hands the stream over only once the response went out.
/// It fails if the connection ends first or `config`'s handshake timeout
/// passes.
///
/// On failure nothing is taken from the request; send
/// [`UpgradeError::http_response`].
pub fn upgrade<R, B, F>(
    request: &mut http::Request<B>,
    config: Config,
    callback: F,
) -> Result<(http::Response<()>, Upgrading<R>), UpgradeError>
where
    R: Runtime,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    upgrade_as(request, config, callback)
}

/// [`upgrade`] with the socket handed over as `W`: an adapter's own
/// socket type.
#[doc(hidden)]
pub fn upgrade_as<R, W, B, F>(
    request: &mut http::Request<B>,
    config: Config,
    callback: F,
) -> Result<(http::Response<()>, Upgrading<R, W>), UpgradeError>
where
    R: Runtime,
    W: From<WebSocket<R>> + Send + 'static,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    // The request's head is moved (not copied) into `Parts` and back, so
    // that one function holds the logic.
    let mut shell = http::Request::new(());
    *shell.method_mut() = request.method().clone();
    *shell.version_mut() = request.version();
    std::mem::swap(shell.uri_mut(), request.uri_mut());
    std::mem::swap(shell.headers_mut(), request.headers_mut());
    std::mem::swap(shell.extensions_mut(), request.extensions_mut());
    let (mut parts, ()) = shell.into_parts();
    let result = upgrade_parts_as(&mut parts, config, callback);
    std::mem::swap(&mut parts.uri, request.uri_mut());
    std::mem::swap(&mut parts.headers, request.headers_mut());
    std::mem::swap(&mut parts.extensions, request.extensions_mut());
    result
}

/// [`upgrade`] on a request's head, as extractors (axum's
/// `FromRequestParts`) see it.
pub fn upgrade_parts<R, F>(
    parts: &mut http::request::Parts,
    config: Config,
    callback: F,
) -> Result<(http::Response<()>, Upgrading<R>), UpgradeError>
where
    R: Runtime,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    upgrade_parts_as(parts, config, callback)
}

/// [`upgrade_parts`] with the socket handed over as `W`: an adapter's own
/// socket type.
#[doc(hidden)]
pub fn upgrade_parts_as<R, W, F>(
    parts: &mut http::request::Parts,
    config: Config,
    callback: F,
) -> Result<(http::Response<()>, Upgrading<R, W>), UpgradeError>
where
    R: Runtime,
    W: From<WebSocket<R>> + Send + 'static,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let trace = trace::Conn::new(Role::Server);
    let _entered = trace.enter();
    let timeout = config.handshake_timeout();
    let answered = validate(parts, config).and_then(|(handshake, request)| {
        if parts.extensions.get::<OnUpgrade>().is_none() {
            return Err(UpgradeError::NotUpgradable);
        }
        let accept = callback(&request).map_err(UpgradeError::Rejected)?;
        let on_upgrade = take_on_upgrade(parts)?;
        answer(handshake, &request, accept, on_upgrade, timeout)
    });
    answered.inspect_err(refused)
}

/// The event of a request not upgraded: the peer's fault or the
/// application's refusal at `debug`, the server's at `warn`.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn refused(error: &UpgradeError) {
    match error {
        UpgradeError::Handshake(e) => trace::handshake_failed(e),
        UpgradeError::Rejected(reject) => trace::event!(
            tracing::Level::DEBUG,
            status = reject.status(),
            "handshake rejected by the application"
        ),
        UpgradeError::NotUpgradable => trace::ours("upgrade impossible", error),
    }
}

/// Validates the head of a request as an opening handshake with `config`,
/// with the `:protocol` of an extended CONNECT (hyper's
/// [`Protocol`](::hyper::ext::Protocol) extension, RFC 8441 section 4).
pub(crate) fn validate(
    parts: &http::request::Parts,
    config: Config,
) -> Result<(ServerHandshake, Request), UpgradeError> {
    let protocol = parts.extensions.get::<::hyper::ext::Protocol>();
    ServerHandshake::from_http(config, parts, protocol.map(|p| p.as_str()))
        .map_err(UpgradeError::Handshake)
}

/// Takes hyper's promise of the upgraded stream out of the request: only
/// there when the connection was served with upgrades.
pub(crate) fn take_on_upgrade(parts: &mut http::request::Parts) -> Result<OnUpgrade, UpgradeError> {
    parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(UpgradeError::NotUpgradable)
}

/// Accepts a validated request: the response to send, and the socket once
/// hyper hands the stream over, within the handshake timeout.
pub(crate) fn answer<R, W>(
    handshake: ServerHandshake,
    request: &Request,
    accept: Accept,
    on_upgrade: OnUpgrade,
    timeout: Option<Duration>,
) -> Result<(http::Response<()>, Upgrading<R, W>), UpgradeError>
where
    R: Runtime,
    W: From<WebSocket<R>> + Send + 'static,
{
    // The connection's span: that of `upgrade_parts`, or a new one.
    let trace = trace::Conn::current_or_new(Role::Server);
    let _entered = trace.enter();
    let (response, conn) = handshake
        .accept_http(request, accept)
        .map_err(UpgradeError::Handshake)?;
    trace::negotiated!(
        field(&response, "sec-websocket-protocol"),
        field(&response, "sec-websocket-extensions")
    );
    let upgrading = trace.run(with_timeout::<R, _>(timeout, async move {
        let upgraded = on_upgrade.await.map_err(hyper_error)?;
        let socket: WebSocket<R> = crate::WebSocket::from_parts(HyperIo::new(upgraded), conn);
        Ok(W::from(socket))
    }));
    let upgrading = Upgrading {
        inner: Box::pin(upgrading),
        runtime: PhantomData,
    };
    Ok((response, upgrading))
}

/// The value of the field `name` of `response`, for the log.
#[cfg(feature = "tracing")]
fn field<'a>(response: &'a http::Response<()>, name: &str) -> Option<&'a str> {
    response.headers().get(name)?.to_str().ok()
}

/// hyper's error of a failed upgrade (the connection ended before the
/// response went out) as the I/O error it is.
fn hyper_error(error: ::hyper::Error) -> Error {
    Error::Io(std::io::Error::other(error))
}

/// The WebSocket of an accepted upgrade, once hyper has sent the response
/// and handed the stream over: await it in a task of its own.
///
/// Fails with [`Error::Io`] if the connection ended before the handover
/// and with [`Error::HandshakeTimeout`] if the handshake timeout passed
/// first (from the first poll). `W` is the socket it gives: an adapter's
/// own type, the driver's by default.
#[must_use = "the socket exists only once this future is awaited"]
pub struct Upgrading<R: Runtime, W = WebSocket<R>> {
    inner: Pin<Box<dyn Future<Output = Result<W, Error>> + Send>>,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime, W> fmt::Debug for Upgrading<R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgrading").finish_non_exhaustive()
    }
}

impl<R: Runtime, W> Future for Upgrading<R, W> {
    type Output = Result<W, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

/// Why a request was not upgraded, with the response to send instead.
#[derive(Debug)]
#[non_exhaustive]
pub enum UpgradeError {
    /// The request is no valid opening handshake (or, caller's fault, the
    /// acceptance chose what the client did not offer): answered as
    /// [`HandshakeError::http_response`] says, 400, 405, 426, 501...
    /// [`HandshakeError::NotUpgrade`] is a plain HTTP request, for the
    /// application to serve if it routes one here.
    Handshake(HandshakeError),
    /// The callback refused the request with this response.
    Rejected(Reject),
    /// The request carries no way to take the connection over (hyper's
    /// `OnUpgrade` extension): it did not come from a hyper connection. A
    /// server's error, answered with 500. (A connection hyper serves
    /// without upgrades still carries one, and fails the [`Upgrading`]
    /// future instead.)
    NotUpgradable,
}

impl UpgradeError {
    /// The status of [`http_response`](Self::http_response).
    pub fn status(&self) -> http::StatusCode {
        match self {
            UpgradeError::Handshake(e) => e
                .status()
                .and_then(|status| http::StatusCode::from_u16(status).ok())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            UpgradeError::Rejected(reject) => http::StatusCode::from_u16(reject.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            UpgradeError::NotUpgradable => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response to send instead of the upgrade, on a request of
    /// `version`: the handshake error's (with the fields its status calls
    /// for, such as `Sec-WebSocket-Version: 13` with a 426), the
    /// callback's refusal as it built it, or a 500.
    pub fn http_response(&self, version: http::Version) -> http::Response<Bytes> {
        let response = match self {
            UpgradeError::Handshake(e) => e.http_response(version),
            UpgradeError::Rejected(reject) => http::Response::try_from(reject.clone()).ok(),
            UpgradeError::NotUpgradable => None,
        };
        let mut response = response.unwrap_or_else(|| {
            let mut response = http::Response::new(Bytes::from_static(
                b"Internal Server Error: the connection cannot be upgraded\n",
            ));
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            response
        });
        *response.version_mut() = version;
        response
    }
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpgradeError::Handshake(e) => write!(f, "handshake failed: {e}"),
            UpgradeError::Rejected(reject) => {
                write!(
                    f,
                    "the callback refused the upgrade with status {}",
                    reject.status()
                )
            }
            UpgradeError::NotUpgradable => {
                f.write_str("the request carries no upgrade of a hyper connection")
            }
        }
    }
}

impl std::error::Error for UpgradeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpgradeError::Handshake(e) => Some(e),
            _ => None,
        }
    }
}
