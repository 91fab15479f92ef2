//! How the axum examples (`axum-chat`, `axum-echo`) serve their router on
//! tokio: each connection of the listener, over TLS when the example was
//! given a certificate, is served by `ws::hyper::server_builder()`,
//! which speaks HTTP/1.1 or HTTP/2 as the client does (it tells them apart
//! by the HTTP/2 connection preface, RFC 9113 section 3.4) with HTTP/1.1
//! upgrades and HTTP/2's extended CONNECT (RFC 8441 section 3) on. So a
//! browser that negotiated `h2` in ALPN opens its WebSockets as streams of
//! the page's HTTP/2 connection, and any other client upgrades over
//! HTTP/1.1. Each request carries the peer's address as axum's
//! `ConnectInfo`.
//!
//! The example that builds this file in names its TLS acceptor `Tls` and
//! its adapter `ws` (`use ws_tokio as ws;`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tower_service::Service;

// The example's TLS acceptor (tokio-rustls'), or its stand-in in a build
// without TLS, and the adapter under the name `ws`.
use super::{ws, Tls};

/// The application protocols offered in ALPN (RFC 7301), by preference:
/// HTTP/2 (RFC 9113 section 3.2), then HTTP/1.1.
pub(crate) const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

#[cfg(feature = "tls")]
/// How long a client may take over its TLS handshake: one that connects
/// and says nothing would otherwise hold its task for ever. (hyper bounds
/// the rest: HTTP/1.1's header read timeout, HTTP/2's pings.)
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on `listener` for ever and serves `app` on each in
/// a task of its own, over TLS with `tls`. Failed accepts and connections
/// are logged with `log`.
pub(crate) async fn serve<L>(listener: TcpListener, app: Router, tls: Option<Tls>, log: L)
where
    L: Fn(&str) + Clone + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let (app, tls, log) = (app.clone(), tls.clone(), log.clone());
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, peer, app, tls).await {
                        log(&format!("{peer}: {e}"));
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, say: wait a little, go on.
                log(&format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Serves `app` on one connection from `peer`, until it ends.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<Tls>,
) -> Result<(), String> {
    // axum's `ConnectInfo` extractor reads the address from the request's
    // extensions.
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move { Ok::<_, Infallible>(app.call(request).await.unwrap_or_else(|e| match e {})) }
    });
    let builder = ws::hyper::server_builder();
    let served = match tls {
        None => {
            builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await
        }
        #[cfg(feature = "tls")]
        Some(tls) => {
            let stream = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream))
                .await
                .map_err(|_| format!("no TLS handshake within {TLS_HANDSHAKE_TIMEOUT:?}"))?
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
            builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await
        }
    };
    served.map_err(|e| format!("HTTP: {e}"))
}
