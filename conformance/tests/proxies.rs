//! Our client through real proxies, on each runtime: tinyproxy (HTTP
//! `CONNECT`, without and with Basic authentication), danted (SOCKS5) and
//! microsocks (SOCKS5 with username/password), to a local echo server.
//!
//! The proxy servers come from Debian's packages (see
//! `conformance::proxies`); a test whose proxy cannot be had fails.

use std::net::SocketAddr;

use conformance::proxies::ProxyServer;
use conformance::{quiet, serve_one, within, AsyncStd, Harness, Smol, Tokio, TokioCompat, Ws};
use ws_driver::proxy::{Proxy, ProxyError, SocksReply};
use ws_driver::Error;
use ws_proto::handshake::ClientRequest;
use ws_proto::{CloseCode, Message};

/// A harness whose raw stream gives its TCP stream back.
trait Unraw: Harness {
    fn unraw(raw: Self::Raw) -> Self::Tcp;
}

impl Unraw for Tokio {
    fn unraw(raw: TokioCompat<tokio::net::TcpStream>) -> tokio::net::TcpStream {
        raw.0
    }
}

impl Unraw for AsyncStd {
    fn unraw(raw: async_std::net::TcpStream) -> async_std::net::TcpStream {
        raw
    }
}

impl Unraw for Smol {
    fn unraw(raw: smol::net::TcpStream) -> smol::net::TcpStream {
        raw
    }
}

/// Opens TCP to `server`, the tunnel to `host:port` through `proxy`, and
/// the WebSocket handshake with `ws://host:port/` inside.
async fn connect_through<H: Unraw>(
    server: &ProxyServer,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<Ws<H>, Error> {
    let tcp = H::connect(server.addr()).await?;
    let mut raw = H::into_raw(tcp);
    ws_driver::proxy::__tunnel(&mut raw, proxy, host, port).await?;
    let request = ClientRequest::new(format!("{host}:{port}"), "/proxied")?;
    let (ws, _) = H::client(H::unraw(raw), request, quiet()).await?;
    Ok(ws)
}

/// A message there and back through `proxy` to a fresh echo server, at
/// `host` (which names 127.0.0.1).
async fn echo_through<H: Unraw>(server: &ProxyServer, proxy: &Proxy, host: &str) {
    let (addr, echo) = serve_one::<H>(quiet()).await;
    let mut ws = within::<H, _>(
        "connect through the proxy",
        connect_through::<H>(server, proxy, host, addr.port()),
    )
    .await
    .unwrap_or_else(|e| {
        panic!(
            "[{}] through {}: {e}; proxy log: {}",
            H::NAME,
            server.name(),
            server.log()
        )
    });
    let text = format!("through {} on {}", server.name(), H::NAME);
    within::<H, _>("send", ws.send(Message::text(text.clone())))
        .await
        .expect("send");
    let back = within::<H, _>("recv", ws.recv()).await;
    match back {
        Some(Ok(Message::Text(got))) => assert_eq!(got.as_str(), text),
        other => panic!("[{}] echo through {}: {other:?}", H::NAME, server.name()),
    }
    let binary = vec![0xa5u8; 70_000];
    within::<H, _>("send", ws.send(Message::binary(binary.clone())))
        .await
        .expect("send");
    match within::<H, _>("recv", ws.recv()).await {
        Some(Ok(Message::Binary(got))) => assert_eq!(got[..], binary[..]),
        other => panic!("[{}] echo through {}: {other:?}", H::NAME, server.name()),
    }
    within::<H, _>("close", ws.close(CloseCode::NORMAL, "done"))
        .await
        .expect("close");
    let stats = within::<H, _>("echo task", echo).await;
    assert_eq!(stats.echoed, 2, "{stats:?}");
}

/// The error of a connection through `proxy` to `target`.
async fn refused_through<H: Unraw>(
    server: &ProxyServer,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> ProxyError {
    match within::<H, _>(
        "connect through the proxy",
        connect_through::<H>(server, proxy, host, port),
    )
    .await
    {
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
    let addr: SocketAddr = listener.local_addr().expect("address");
    addr.port()
}

fn http_proxy(server: &ProxyServer) -> Proxy {
    Proxy::http(server.addr().ip().to_string(), server.addr().port())
}

fn socks_proxy(server: &ProxyServer) -> Proxy {
    Proxy::parse(&format!("socks5h://{}", server.addr())).expect("proxy URL")
}

async fn tinyproxy_without_auth<H: Unraw>() {
    let server = ProxyServer::tinyproxy(None);
    let proxy = http_proxy(&server);
    echo_through::<H>(&server, &proxy, "127.0.0.1").await;
    echo_through::<H>(&server, &proxy, "localhost").await;
    // The proxy cannot reach the target: a refusal with its status.
    let error = refused_through::<H>(&server, &proxy, "127.0.0.1", closed_port()).await;
    assert!(
        matches!(error, ProxyError::Refused { status } if status >= 400),
        "[{}] {error:?}",
        H::NAME
    );
}

async fn tinyproxy_with_auth<H: Unraw>() {
    let server = ProxyServer::tinyproxy(Some(("alice", "s3cret")));
    let proxy = http_proxy(&server).with_credentials("alice", "s3cret");
    echo_through::<H>(&server, &proxy, "127.0.0.1").await;
    // The same credentials from a URL, percent-encoded.
    let url = format!("http://alice:s3%63ret@{}", server.addr());
    let proxy = Proxy::parse(&url).expect("proxy URL");
    echo_through::<H>(&server, &proxy, "localhost").await;

    let wrong = http_proxy(&server).with_credentials("alice", "wrong");
    let error = refused_through::<H>(&server, &wrong, "127.0.0.1", 9).await;
    assert!(
        matches!(error, ProxyError::AuthenticationRequired),
        "[{}] {error:?}",
        H::NAME
    );
    let none = http_proxy(&server);
    let error = refused_through::<H>(&server, &none, "127.0.0.1", 9).await;
    assert!(
        matches!(error, ProxyError::AuthenticationRequired),
        "[{}] {error:?}",
        H::NAME
    );
}

async fn danted_socks5<H: Unraw>() {
    let server = ProxyServer::danted();
    let proxy = socks_proxy(&server);
    // An address (ATYP 1) and a name the proxy resolves (ATYP 3).
    echo_through::<H>(&server, &proxy, "127.0.0.1").await;
    echo_through::<H>(&server, &proxy, "localhost").await;
    let error = refused_through::<H>(&server, &proxy, "127.0.0.1", closed_port()).await;
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

async fn microsocks_with_auth<H: Unraw>() {
    let server = ProxyServer::microsocks("bob", "pa55");
    let proxy = socks_proxy(&server).with_credentials("bob", "pa55");
    echo_through::<H>(&server, &proxy, "127.0.0.1").await;
    echo_through::<H>(&server, &proxy, "localhost").await;

    let wrong = socks_proxy(&server).with_credentials("bob", "wrong");
    let error = refused_through::<H>(&server, &wrong, "127.0.0.1", 9).await;
    assert!(
        matches!(error, ProxyError::SocksAuthFailed(_)),
        "[{}] {error:?}",
        H::NAME
    );
    // Without credentials, no method the proxy accepts is offered.
    let none = socks_proxy(&server);
    let error = refused_through::<H>(&server, &none, "127.0.0.1", 9).await;
    assert!(
        matches!(error, ProxyError::NoAcceptableMethod),
        "[{}] {error:?}",
        H::NAME
    );
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
);
