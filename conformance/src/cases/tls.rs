//! TLS itself: what a `wss://` client and a TLS server say when the other
//! side is not what it should be, and the time limits on the TLS
//! handshake.

use std::sync::Arc;

use futures_util::future::join;
use ws_driver::tls::{ServerConfig, TlsError};
use ws_driver::Error;
use ws_proto::{Config, Message};

use crate::harness::{within, Harness};
use crate::tls::{TestPki, TlsHarness, TlsRuntime, TLS_TIMEOUT};

/// A server that accepts one connection with `accept_tls_with`,
/// presenting `tls`, with `config`; its outcome and the client's.
async fn against<H: TlsHarness>(
    tls: Arc<ServerConfig>,
    url: impl FnOnce(std::net::SocketAddr) -> String,
    client_tls: Option<Arc<ws_driver::tls::ClientConfig>>,
) -> (Result<(), Error>, Result<(), Error>) {
    let (listener, addr) = within::<H, _>("bind", H::Plain::bind())
        .await
        .expect("bind");
    let server = async {
        let tcp = H::Plain::accept(&listener).await.expect("accept");
        H::Plain::accept_tls_with(tcp, tls, Config::default())
            .await
            .map(drop)
    };
    let url = url(addr);
    let client = H::Plain::connect_with_tls(&url, client_tls, Config::default());
    let (server, client) = within::<H, _>("handshakes", join(server, client)).await;
    (server, client.map(drop))
}

/// A configuration whose handshake timeout the silent-peer cases wait
/// out.
fn short_handshake() -> Config {
    Config::default().with_handshake_timeout(TLS_TIMEOUT)
}

fn wss(addr: std::net::SocketAddr) -> String {
    format!("wss://{addr}/")
}

fn expect_tls(what: &str, name: &str, result: Result<(), Error>) -> TlsError {
    match result {
        Err(Error::Tls(e)) => e,
        other => panic!("[{name}] {what}: expected a TLS error, got {other:?}"),
    }
}

/// `connect` over `accept_tls_with`: a message each way, ALPN `http/1.1`
/// agreed, and the client's stream says it is TLS.
pub async fn wss_round_trip<H: TlsHarness>() {
    let pki = TestPki::get();
    let (listener, addr) = within::<H, _>("bind", H::Plain::bind())
        .await
        .expect("bind");
    let server = async {
        let tcp = H::Plain::accept(&listener).await.expect("accept");
        H::Plain::accept_tls_with(tcp, pki.server.clone(), Config::default())
            .await
            .expect("server handshake")
    };
    let url = wss(addr);
    let client = H::Plain::connect_with_tls(&url, Some(pki.client.clone()), Config::default());
    let (mut server, client) = within::<H, _>("handshakes", join(server, client)).await;
    let (mut client, response) = client.expect("connect");
    let echo = async {
        let message = server.recv().await.expect("a message").expect("no error");
        server.send(message).await.expect("echo");
    };
    assert_eq!(response.status(), 101);
    assert_eq!(
        H::Plain::alpn(&client).as_deref(),
        Some(&b"http/1.1"[..]),
        "[{}] ALPN",
        H::NAME
    );
    let exchange = async {
        client.send(Message::text("over TLS")).await.expect("send");
        client.recv().await
    };
    let ((), echoed) = within::<H, _>("echo", join(echo, exchange)).await;
    assert_eq!(
        echoed.expect("a message").expect("no error"),
        Message::text("over TLS")
    );
}

/// A certificate from a CA the client does not trust, and the tests' own
/// certificate against the default (public) roots: both untrusted.
pub async fn untrusted_certificate<H: TlsHarness>() {
    let pki = TestPki::get();
    let (_, client) = against::<H>(pki.untrusted.clone(), wss, Some(pki.client.clone())).await;
    let error = expect_tls("a stranger's CA", H::NAME, client);
    assert!(
        matches!(error, TlsError::CertificateUntrusted(_)),
        "[{}] {error:?}",
        H::NAME
    );
    let (_, client) = against::<H>(pki.server.clone(), wss, None).await;
    let error = expect_tls("the default roots", H::NAME, client);
    assert!(
        matches!(error, TlsError::CertificateUntrusted(_)),
        "[{}] {error:?}",
        H::NAME
    );
}

/// A trusted certificate for another host name.
pub async fn name_mismatch<H: TlsHarness>() {
    let pki = TestPki::get();
    let (_, client) = against::<H>(pki.wrong_name.clone(), wss, Some(pki.client.clone())).await;
    let error = expect_tls("another host's certificate", H::NAME, client);
    assert!(
        matches!(error, TlsError::NameMismatch(_)),
        "[{}] {error:?}",
        H::NAME
    );
    assert!(error.to_string().contains("host name"), "{error}");
}

/// A trusted certificate that expired.
pub async fn expired_certificate<H: TlsHarness>() {
    let pki = TestPki::get();
    let (_, client) = against::<H>(pki.expired.clone(), wss, Some(pki.client.clone())).await;
    let error = expect_tls("an expired certificate", H::NAME, client);
    assert!(
        matches!(error, TlsError::CertificateExpired(_)),
        "[{}] {error:?}",
        H::NAME
    );
}

/// A plain `ws://` client on a TLS port, and a `wss://` client on a plain
/// port: each side's error says the other does not speak TLS.
pub async fn tls_and_plain_mixed_up<H: TlsHarness>() {
    let pki = TestPki::get();
    let plain_url = |addr| format!("ws://{addr}/");
    let (server, client) = against::<H>(pki.server.clone(), plain_url, None).await;
    let error = expect_tls("ws:// against TLS", H::NAME, client);
    assert!(matches!(error, TlsError::NotTls), "[{}] {error:?}", H::NAME);
    let error = expect_tls("the TLS server", H::NAME, server);
    assert!(matches!(error, TlsError::NotTls), "[{}] {error:?}", H::NAME);

    let (listener, addr) = within::<H, _>("bind", H::Plain::bind())
        .await
        .expect("bind");
    let server = async {
        let tcp = H::Plain::accept(&listener).await.expect("accept");
        H::Plain::accept_with(tcp, Config::default(), |_| {
            Ok(ws_proto::handshake::Accept::new())
        })
        .await
        .map(drop)
    };
    let url = wss(addr);
    let client = H::Plain::connect_with_tls(&url, Some(pki.client.clone()), Config::default());
    let (server, client) = within::<H, _>("handshakes", join(server, client)).await;
    let error = expect_tls("wss:// against plain", H::NAME, client.map(drop));
    assert!(matches!(error, TlsError::NotTls), "[{}] {error:?}", H::NAME);
    assert!(
        matches!(
            server,
            Err(Error::Handshake(
                ws_proto::handshake::HandshakeError::MalformedHttp(_)
            ))
        ),
        "[{}] the plain server: {server:?}",
        H::NAME
    );
}

/// TLS slowloris: a peer that opens TCP and never sends its ClientHello
/// is dropped when the handshake timeout passes.
pub async fn silent_client_times_out<H: TlsHarness>() {
    let pki = TestPki::get();
    let (listener, addr) = within::<H, _>("bind", H::Plain::bind())
        .await
        .expect("bind");
    let config = short_handshake();
    let server = async {
        let tcp = H::Plain::accept(&listener).await.expect("accept");
        H::Plain::accept_tls_with(tcp, pki.server.clone(), config)
            .await
            .map(drop)
    };
    let silent = async {
        let tcp = H::Plain::connect(addr).await.expect("connect");
        // Held open, silent, until the server is done.
        tcp
    };
    let (server, _tcp) = within::<H, _>("the server's timeout", join(server, silent)).await;
    assert!(
        matches!(server, Err(Error::HandshakeTimeout)),
        "[{}] {server:?}",
        H::NAME
    );
}

/// A server that takes TCP and never answers the ClientHello: the client
/// gives up when its handshake timeout passes.
pub async fn silent_server_times_out<H: TlsHarness>() {
    let pki = TestPki::get();
    let (listener, addr) = within::<H, _>("bind", H::Plain::bind())
        .await
        .expect("bind");
    let config = short_handshake();
    let silent = async { H::Plain::accept(&listener).await.expect("accept") };
    let url = wss(addr);
    let client = H::Plain::connect_with_tls(&url, Some(pki.client.clone()), config);
    let (_tcp, client) = within::<H, _>("the client's timeout", join(silent, client)).await;
    assert!(
        matches!(client, Err(Error::HandshakeTimeout)),
        "[{}] {:?}",
        H::NAME,
        client.map(drop)
    );
}

/// The server's configuration from PEM files, as a server author makes
/// it; a file with no certificate or no key is a typed error naming it.
pub async fn server_config_from_pem<H: TlsHarness>() {
    let pki = TestPki::get();
    let dir = crate::tls::scratch_dir(H::NAME);
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &pki.server_pem.0).expect("write the certificate");
    std::fs::write(&key, &pki.server_pem.1).expect("write the key");
    let config = ws_driver::tls::server_config_from_pem_files(&cert, &key).expect("PEM files");
    assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    let (server, client) = against::<H>(Arc::new(config), wss, Some(pki.client.clone())).await;
    server.expect("the server's handshake");
    client.expect("the client's handshake");

    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").expect("write an empty file");
    for (chain, key) in [
        (&empty, &key),
        (&cert, &empty),
        (&dir.join("missing.pem"), &key),
    ] {
        match ws_driver::tls::server_config_from_pem_files(chain, key) {
            Err(TlsError::Pem { path, .. }) => assert!(path == *chain || path == *key),
            other => panic!(
                "[{}] expected a PEM error, got {:?}",
                H::NAME,
                other.map(drop)
            ),
        }
    }
}

/// A caller's own `ClientConfig` through the `Connector`: a client
/// certificate for a server that requires one. Without it, the server
/// refuses the handshake, and each side's error is a TLS one.
pub async fn client_certificate<H: TlsHarness>() {
    let pki = TestPki::get();
    let (server, client) =
        against::<H>(pki.mutual.clone(), wss, Some(pki.client_with_cert.clone())).await;
    server.expect("the server's handshake with a client certificate");
    client.expect("the client's handshake with a client certificate");

    let (server, client) = against::<H>(pki.mutual.clone(), wss, Some(pki.client.clone())).await;
    let error = expect_tls("no client certificate", H::NAME, server);
    assert!(
        matches!(error, TlsError::Handshake(_)),
        "[{}] {error:?}",
        H::NAME
    );
    assert!(
        client.is_err(),
        "[{}] the client got in without a certificate",
        H::NAME
    );
}
