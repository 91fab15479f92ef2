//! The client's `Connector` through real proxies, on each runtime:
//! tinyproxy (HTTP `CONNECT`, without and with Basic authentication),
//! danted (SOCKS5) and microsocks (SOCKS5 with username/password), to a
//! local echo server over `ws://` and, with TLS inside the tunnel,
//! `wss://`.
//!
//! The proxy servers come from Debian's packages (see
//! `conformance::proxies`); a test whose proxy cannot be had fails.

use std::net::SocketAddr;

use conformance::proxies::ProxyServer;
use conformance::{
    echo, quiet, within, AsyncStd, EchoStats, Harness, Smol, Task, TestPki, Tls, TlsRuntime, Tokio,
};
use ws_driver::proxy::{Proxy, ProxyError, SocksReply};
use ws_driver::{Connector, Error, Network, Transport, WebSocket};
use ws_proto::handshake::Accept;
use ws_proto::{CloseCode, Message};

/// A runtime whose connector the tests drive.
trait Runtime: TlsRuntime<Rt: Network> {}

impl<H: TlsRuntime<Rt: Network>> Runtime for H {}

/// Spawns a server (`H` or `Tls<H>`) that accepts one WebSocket, keeps
/// the `Host` of its request, and echoes.
async fn serve<H: Harness>() -> (SocketAddr, Task<(Option<String>, EchoStats)>) {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    let task = H::spawn(async move {
        let tcp = within::<H, _>("accept", H::accept(&listener))
            .await
            .expect("accept");
        let mut host = None;
        let ws = within::<H, _>(
            "server handshake",
            H::accept_with(tcp, quiet(), |request| {
                host = request.host().map(str::to_owned);
                Ok(Accept::new())
            }),
        )
        .await
        .expect("server handshake");
        (host, echo::<H>(ws).await)
    });
    (addr, task)
}

/// A connector through `proxy` that trusts the tests' CA.
fn connector<H: Runtime>(proxy: Proxy) -> Connector<H::Rt> {
    Connector::new()
        .with_tls_config(TestPki::get().client.clone())
        .with_proxy(proxy)
}

/// A text and a binary message there and back.
async fn exchange<H: Harness, S: Transport>(ws: &mut WebSocket<S, H::Rt>, what: &str) {
    let text = format!("{what} on {}", H::NAME);
    within::<H, _>("send", ws.send(Message::text(text.clone())))
        .await
        .expect("send");
    match within::<H, _>("recv", ws.recv()).await {
        Some(Ok(Message::Text(got))) => assert_eq!(got.as_str(), text),
        other => panic!("[{}] {what}: {other:?}", H::NAME),
    }
    let binary = vec![0xa5u8; 70_000];
    within::<H, _>("send", ws.send(Message::binary(binary.clone())))
        .await
        .expect("send");
    match within::<H, _>("recv", ws.recv()).await {
        Some(Ok(Message::Binary(got))) => assert_eq!(got[..], binary[..]),
        other => panic!("[{}] {what}: {other:?}", H::NAME),
    }
    within::<H, _>("close", ws.close_with(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
}

/// A `ws://` echo through `proxy` at `host` (a name of 127.0.0.1): the
/// server sees its own authority as `Host`, not the proxy's.
async fn echo_ws<H: Runtime>(server: &ProxyServer, proxy: &Proxy, host: &str) {
    let (addr, task) = serve::<H>().await;
    let url = format!("ws://{host}:{}/proxied", addr.port());
    let what = format!("{url} through {}", server.name());
    let connect = connector::<H>(proxy.clone()).connect(url, quiet());
    let (mut ws, _) = within::<H, _>("connect through the proxy", connect)
        .await
        .unwrap_or_else(|e| panic!("[{}] {what}: {e}; proxy log: {}", H::NAME, server.log()));
    exchange::<H, _>(&mut ws, &what).await;
    let (seen, stats) = within::<H, _>("echo task", task).await;
    assert_eq!(seen.as_deref(), Some(&*format!("{host}:{}", addr.port())));
    assert_eq!(stats.echoed, 2, "[{}] {what}: {stats:?}", H::NAME);
}

/// A `wss://` echo through `proxy`: TLS runs inside the tunnel, with the
/// server's certificate checked against `localhost`.
async fn echo_wss<H: Runtime>(server: &ProxyServer, proxy: &Proxy) {
    let (addr, task) = serve::<Tls<H>>().await;
    let url = format!("wss://localhost:{}/proxied", addr.port());
    let what = format!("{url} through {}", server.name());
    let connect = connector::<H>(proxy.clone()).connect(url, quiet());
    let (mut ws, _) = within::<H, _>("connect through the proxy", connect)
        .await
        .unwrap_or_else(|e| panic!("[{}] {what}: {e}; proxy log: {}", H::NAME, server.log()));
    exchange::<H, _>(&mut ws, &what).await;
    let (seen, stats) = within::<H, _>("echo task", task).await;
    assert_eq!(
        seen.as_deref(),
        Some(&*format!("localhost:{}", addr.port()))
    );
    assert_eq!(stats.echoed, 2, "[{}] {what}: {stats:?}", H::NAME);
}

/// The error of a connection through `proxy` to `127.0.0.1:port`.
async fn refused<H: Runtime>(server: &ProxyServer, proxy: &Proxy, port: u16) -> ProxyError {
    let url = format!("ws://127.0.0.1:{port}/");
    let connect = connector::<H>(proxy.clone()).connect(url, quiet());
    match within::<H, _>("connect through the proxy", connect).await {
        Err(Error::Proxy(e)) => e,
        Err(other) => panic!(
            "[{}] {}: not a proxy error: {other}",
            H::NAME,
            server.name()
        ),
        Ok(_) => panic!(
            "[{}] {}: the connection went through",
            H::NAME,
            server.name()
        ),
    }
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn http_proxy(server: &ProxyServer) -> Proxy {
    Proxy::http(server.addr().ip().to_string(), server.addr().port())
}

fn socks_proxy(server: &ProxyServer) -> Proxy {
    Proxy::parse(&format!("socks5h://{}", server.addr())).expect("proxy URL")
}

async fn tinyproxy_without_auth<H: Runtime>() {
    let server = ProxyServer::tinyproxy(None);
    let proxy = http_proxy(&server);
    echo_ws::<H>(&server, &proxy, "127.0.0.1").await;
    echo_ws::<H>(&server, &proxy, "localhost").await;
    echo_wss::<H>(&server, &proxy).await;
    // The proxy cannot reach the target: a refusal with its status.
    let error = refused::<H>(&server, &proxy, closed_port()).await;
    assert!(
        matches!(error, ProxyError::Refused { status } if status >= 400),
        "[{}] {error:?}",
        H::NAME
    );
}

async fn tinyproxy_with_auth<H: Runtime>() {
    let server = ProxyServer::tinyproxy(Some(("alice", "s3cret")));
    let proxy = http_proxy(&server).with_credentials("alice", "s3cret");
    echo_ws::<H>(&server, &proxy, "127.0.0.1").await;
    echo_wss::<H>(&server, &proxy).await;
    // The same credentials from a URL, percent-encoded.
    let url = format!("http://alice:s3%63ret@{}", server.addr());
    let proxy = Proxy::parse(&url).expect("proxy URL");
    echo_ws::<H>(&server, &proxy, "localhost").await;

    let wrong = http_proxy(&server).with_credentials("alice", "wrong");
    let error = refused::<H>(&server, &wrong, 9).await;
    assert!(
        matches!(error, ProxyError::AuthenticationRequired),
        "[{}] {error:?}",
        H::NAME
    );
    let none = http_proxy(&server);
    let error = refused::<H>(&server, &none, 9).await;
    assert!(
        matches!(error, ProxyError::AuthenticationRequired),
        "[{}] {error:?}",
        H::NAME
    );
}

async fn danted_socks5<H: Runtime>() {
    let server = ProxyServer::danted();
    let proxy = socks_proxy(&server);
    // An address (ATYP 1) and a name the proxy resolves (ATYP 3).
    echo_ws::<H>(&server, &proxy, "127.0.0.1").await;
    echo_ws::<H>(&server, &proxy, "localhost").await;
    echo_wss::<H>(&server, &proxy).await;
    let error = refused::<H>(&server, &proxy, closed_port()).await;
    assert!(
        matches!(
            error,
            ProxyError::SocksRefused(SocksReply::ConnectionRefused)
        ),
        "[{}] {error:?}; log: {}",
        H::NAME,
        server.log()
    );
}

async fn microsocks_with_auth<H: Runtime>() {
    let server = ProxyServer::microsocks("bob", "pa55");
    let proxy = socks_proxy(&server).with_credentials("bob", "pa55");
    echo_ws::<H>(&server, &proxy, "127.0.0.1").await;
    echo_ws::<H>(&server, &proxy, "localhost").await;
    echo_wss::<H>(&server, &proxy).await;

    let wrong = socks_proxy(&server).with_credentials("bob", "wrong");
    let error = refused::<H>(&server, &wrong, 9).await;
    assert!(
        matches!(error, ProxyError::SocksAuthFailed(_)),
        "[{}] {error:?}",
        H::NAME
    );
    // Without credentials, no method the proxy accepts is offered.
    let none = socks_proxy(&server);
    let error = refused::<H>(&server, &none, 9).await;
    assert!(
        matches!(error, ProxyError::NoAcceptableMethod),
        "[{}] {error:?}",
        H::NAME
    );
}

/// A proxy that accepts and never answers is bounded by the connector's
/// time limit; a proxy nobody listens for is the proxy's I/O error.
async fn silent_or_absent_proxy<H: Runtime>() {
    let (listener, addr) = within::<H, _>("bind", H::bind()).await.expect("bind");
    // Two connections, one after the other: each is held open,
    // unanswered, until the client gives up and closes it.
    let silent = H::spawn(async move {
        for _ in 0..2 {
            let tcp = within::<H, _>("accept", H::accept(&listener))
                .await
                .expect("accept");
            let mut raw = H::into_raw(tcp);
            let mut buf = [0u8; 64];
            loop {
                let read = within::<H, _>(
                    "the client's end",
                    futures_util::AsyncReadExt::read(&mut raw, &mut buf),
                )
                .await;
                if !matches!(read, Ok(n) if n > 0) {
                    break;
                }
            }
        }
    });
    for proxy in [
        Proxy::http("127.0.0.1", addr.port()),
        Proxy::socks5("127.0.0.1", addr.port()),
    ] {
        let connect = Connector::<H::Rt>::new()
            .with_proxy(proxy.clone())
            .with_timeout(std::time::Duration::from_millis(300))
            .connect(format!("ws://127.0.0.1:{}/", closed_port()), quiet());
        let out = within::<H, _>("connect through a silent proxy", connect).await;
        assert!(
            matches!(out, Err(Error::HandshakeTimeout)),
            "[{}] {proxy:?}: {:?}",
            H::NAME,
            out.map(|_| ())
        );
    }
    within::<H, _>("silent proxy task", silent).await;

    let connect = Connector::<H::Rt>::new()
        .with_proxy(Proxy::http("127.0.0.1", closed_port()))
        .connect("ws://127.0.0.1:9/", quiet());
    match within::<H, _>("connect to an absent proxy", connect).await {
        Err(Error::Proxy(ProxyError::Io(e))) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused)
        }
        other => panic!("[{}] {:?}", H::NAME, other.map(|_| ())),
    }
}

macro_rules! on_each_runtime {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::*;

                #[test]
                fn tokio() {
                    Tokio::block_on($case::<Tokio>());
                }

                #[test]
                fn smol() {
                    Smol::block_on($case::<Smol>());
                }

                #[test]
                fn async_std() {
                    AsyncStd::block_on($case::<AsyncStd>());
                }
            }
        )*
    };
}

on_each_runtime!(
    tinyproxy_without_auth,
    tinyproxy_with_auth,
    danted_socks5,
    microsocks_with_auth,
    silent_or_absent_proxy,
);
