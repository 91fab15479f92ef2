//! The axum 0.8 extractor of a WebSocket upgrade, in the shape axum's own
//! `WebSocketUpgrade` has, over this crate's [`WebSocket`] and on the
//! runtime `R` (each adapter's `axum` module fills it in):
//!
//! ```no_run
//! use axum_core::response::Response;
//! use ws_driver::axum::WebSocketUpgrade;
//!
//! async fn handler<R: ws_driver::Spawn>(ws: WebSocketUpgrade<R>) -> Response {
//!     let version = ws.version();
//!     ws.protocols(["chat"]).on_upgrade(move |mut socket| async move {
//!         // `socket` is a ws_driver::WebSocket, over HTTP/1.1 or HTTP/2.
//!         let _ = version;
//!         while let Some(Ok(message)) = socket.recv().await {
//!             if message.is_data() && socket.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//! ```
//!
//! It is a [`FromRequestParts`] extractor, so the handler's other
//! extractors (state, path parameters, cookies, an authentication that
//! refuses with 401) run as usual, and nothing is upgraded unless the
//! handler returns the response of [`on_upgrade`](WebSocketUpgrade::on_upgrade).
//! A request that is no valid opening handshake is refused with
//! [`WebSocketUpgradeRejection`], whose response is the handshake error's
//! (400, 405, 426, 501...).
//!
//! # HTTP/2
//!
//! Over HTTP/2 a browser opens its socket with an extended CONNECT (RFC
//! 8441 section 4), not a GET: the route must accept the CONNECT method,
//! so route it with `axum::routing::any` (or `on(MethodFilter::GET |
//! MethodFilter::CONNECT, ..)`), not `get`. `axum::serve` enables extended
//! CONNECT on the HTTP/2 connections it serves; the adapters'
//! `hyper::server_builder` does the same, with limits of
//! [`crate::hyper`]'s.
//!
//! # Configuration
//!
//! The request is checked when extracted against the [`Config`] found in
//! the request's extensions (an `axum::Extension(config)` layer), or the
//! default one; [`config`](WebSocketUpgrade::config) replaces it for the
//! connection, and the request is then checked again against its origin
//! policy and limits.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use ::hyper::upgrade::OnUpgrade;
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use ws_proto::handshake::{Accept, HandshakeError, Request, ServerHandshake};
use ws_proto::Config;

use crate::hyper::{answer, refused, take_on_upgrade, validate, UpgradeError, WebSocket};
use crate::{Error, Spawn};

/// The extractor of a WebSocket upgrade over HTTP/1.1 or HTTP/2, on the
/// runtime `R`; see the [module docs](self). `F` is what runs when the
/// upgrade fails after the response was sent ([`on_failed_upgrade`](Self::on_failed_upgrade)),
/// `W` the socket [`on_upgrade`](Self::on_upgrade) hands over (an
/// adapter's own type; this crate's [`WebSocket`] by default).
#[must_use = "the upgrade happens only when the response of on_upgrade is returned"]
pub struct WebSocketUpgrade<R, F = DefaultOnFailedUpgrade, W = WebSocket<R>> {
    handshake: ServerHandshake,
    request: Request,
    on_upgrade: OnUpgrade,
    /// The configuration of [`config`](Self::config), if replaced.
    config: Option<Config>,
    /// The handshake timeout of the configuration in force.
    timeout: Option<std::time::Duration>,
    /// The subprotocol [`protocols`](Self::protocols) chose.
    protocol: Option<String>,
    /// The acceptance with the extra header fields, or the first header
    /// field that was refused.
    accept: Result<Accept, HandshakeError>,
    on_failed: F,
    runtime: PhantomData<fn() -> (R, W)>,
}

impl<R, F, W> fmt::Debug for WebSocketUpgrade<R, F, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("request", &self.request)
            .field("protocol", &self.protocol)
            .field("accept", &self.accept)
            .finish_non_exhaustive()
    }
}

impl<R, F, W> WebSocketUpgrade<R, F, W> {
    /// The validated request: path, headers, cookies, the subprotocols and
    /// extensions the client offered.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The HTTP version of the upgrade: `HTTP/1.1` for a GET with
    /// `Upgrade`, `HTTP/2` for an extended CONNECT (RFC 8441).
    pub fn version(&self) -> http::Version {
        self.request.version()
    }

    /// Chooses the subprotocol: the first of the client's offers (in the
    /// client's order, RFC 6455 section 4.2.2 leaves the choice to the
    /// server) that `protocols` lists, or none if there is no such offer.
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ours: Vec<I::Item> = protocols.into_iter().collect();
        self.protocol = self
            .request
            .subprotocols()
            .iter()
            .find(|offer| ours.iter().any(|p| p.as_ref() == offer.as_str()))
            .cloned();
        self
    }

    /// The subprotocol [`protocols`](Self::protocols) chose, if any.
    pub fn selected_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Replaces the configuration the connection runs with (limits,
    /// timeouts, permessage-deflate, origin policy); the request is
    /// checked against it again when the socket is accepted.
    pub fn config(mut self, config: Config) -> Self {
        self.timeout = config.handshake_timeout();
        self.config = Some(config);
        self
    }

    /// Adds a header field to the response that accepts the upgrade, such
    /// as `Set-Cookie`. A name or value [`Accept::header`] refuses (CR or
    /// LF in it, a field the handshake writes) makes
    /// [`on_upgrade`](Self::on_upgrade) answer 500 instead.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.accept = self.accept.and_then(|accept| accept.header(name, value));
        self
    }

    /// Sets what runs when the upgrade fails after the response was sent
    /// (the connection ended before hyper handed it over, the handshake
    /// timeout passed); by default the error is dropped.
    pub fn on_failed_upgrade<C: OnFailedUpgrade>(self, callback: C) -> WebSocketUpgrade<R, C, W> {
        WebSocketUpgrade {
            handshake: self.handshake,
            request: self.request,
            on_upgrade: self.on_upgrade,
            config: self.config,
            timeout: self.timeout,
            protocol: self.protocol,
            accept: self.accept,
            on_failed: callback,
            runtime: PhantomData,
        }
    }
}

impl<R, F, W> WebSocketUpgrade<R, F, W>
where
    R: Spawn,
    F: OnFailedUpgrade,
    W: From<WebSocket<R>> + Send + 'static,
{
    /// Accepts the upgrade: returns the response for the handler to
    /// return (101, or 200 over HTTP/2), and runs `callback` with the
    /// socket in a task of its own (`R::spawn`) once hyper hands the
    /// stream over. permessage-deflate is negotiated as the configuration
    /// says. If the configuration of [`config`](Self::config) refuses the
    /// request, or a [`header`](Self::header) was refused, the response is
    /// that refusal and `callback` never runs.
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(W) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let version = self.version();
        match self.accept_upgrade(callback) {
            Ok(response) => response,
            Err(error) => {
                refused(&error);
                WebSocketUpgradeRejection { error, version }.into_response()
            }
        }
    }

    fn accept_upgrade<C, Fut>(self, callback: C) -> Result<Response, UpgradeError>
    where
        C: FnOnce(W) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (handshake, request) = match self.config {
            Some(config) => revalidate(&self.request, config)?,
            None => (self.handshake, self.request),
        };
        let mut accept = self.accept.map_err(UpgradeError::Handshake)?;
        if let Some(protocol) = self.protocol {
            accept = accept.subprotocol(protocol);
        }
        let (response, upgrading) =
            answer::<R, W>(handshake, &request, accept, self.on_upgrade, self.timeout)?;
        let on_failed = self.on_failed;
        R::spawn(async move {
            match upgrading.await {
                Ok(socket) => callback(socket).await,
                Err(error) => on_failed.call(error),
            }
        });
        Ok(response.map(|()| Body::empty()))
    }
}

/// The request checked again, with the configuration that replaced the
/// one it was extracted with. The core reads the same fields as the first
/// time, from the request's own view of them.
fn revalidate(
    request: &Request,
    config: Config,
) -> Result<(ServerHandshake, Request), UpgradeError> {
    let (parts, ()) = request
        .to_http()
        .map_err(UpgradeError::Handshake)?
        .into_parts();
    ServerHandshake::from_http(config, &parts, request.protocol()).map_err(UpgradeError::Handshake)
}

impl<R: Spawn, W, S: Send + Sync> FromRequestParts<S>
    for WebSocketUpgrade<R, DefaultOnFailedUpgrade, W>
{
    type Rejection = WebSocketUpgradeRejection;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let version = parts.version;
        let reject = |error| {
            refused(&error);
            WebSocketUpgradeRejection { error, version }
        };
        let config = parts
            .extensions
            .get::<Config>()
            .cloned()
            .unwrap_or_default();
        let timeout = config.handshake_timeout();
        let (handshake, request) = validate(parts, config).map_err(reject)?;
        let on_upgrade = take_on_upgrade(parts).map_err(reject)?;
        Ok(WebSocketUpgrade {
            handshake,
            request,
            on_upgrade,
            config: None,
            timeout,
            protocol: None,
            accept: Ok(Accept::new()),
            on_failed: DefaultOnFailedUpgrade,
            runtime: PhantomData,
        })
    }
}

/// Why [`WebSocketUpgrade`] refused a request; its response is the one
/// [`UpgradeError::http_response`] gives (the handshake error's status,
/// fields and text body).
#[derive(Debug)]
pub struct WebSocketUpgradeRejection {
    error: UpgradeError,
    version: http::Version,
}

impl WebSocketUpgradeRejection {
    /// Why the request was refused.
    pub fn error(&self) -> &UpgradeError {
        &self.error
    }

    /// Why the request was refused.
    pub fn into_error(self) -> UpgradeError {
        self.error
    }
}

impl fmt::Display for WebSocketUpgradeRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for WebSocketUpgradeRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl IntoResponse for WebSocketUpgradeRejection {
    fn into_response(self) -> Response {
        self.error.http_response(self.version).map(Body::from)
    }
}

/// What runs when an accepted upgrade fails after its response was sent:
/// any `FnOnce(Error)`, or [`DefaultOnFailedUpgrade`].
pub trait OnFailedUpgrade: Send + 'static {
    /// Handles the failure.
    fn call(self, error: Error);
}

impl<F: FnOnce(Error) + Send + 'static> OnFailedUpgrade for F {
    fn call(self, error: Error) {
        self(error)
    }
}

/// The default [`OnFailedUpgrade`]: drops the error (the client saw the
/// connection end).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DefaultOnFailedUpgrade;

impl OnFailedUpgrade for DefaultOnFailedUpgrade {
    fn call(self, _error: Error) {}
}
