//! TLS itself: what a `wss://` client and a TLS server say when the other
//! side is not what it should be, and the time limits on the TLS
//! handshake.

use std::sync::Arc;

use futures_util::future::join;
use ws_driver::tls::{ServerConfig, TlsError};
use ws_driver::Error;
use ws_proto::Config;

use conformance::tls::{wss, TestPki, TlsHarness, TlsRuntime, TLS_TIMEOUT};
use conformance::{within, Harness};

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

fn expect_tls(what: &str, name: &str, result: Result<(), Error>) -> TlsError {
    match result {
        Err(Error::Tls(e)) => e,
        other => panic!("[{name}] {what}: expected a TLS error, got {other:?}"),
    }
}

#[test]
fn wss_round_trip() {
    // In the library: tests/crypto_provider.rs runs it too.
    <crate::Harness as conformance::Harness>::block_on(conformance::tls::wss_round_trip::<
        crate::Harness,
    >());
}

#[test]
fn untrusted_certificate() {
    <crate::Harness as conformance::Harness>::block_on(
        untrusted_certificate_case::<crate::Harness>(),
    );
}

/// A certificate from a CA the client does not trust, and the tests' own
/// certificate against the default (public) roots: both untrusted.
async fn untrusted_certificate_case<H: TlsHarness>() {
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

#[test]
fn name_mismatch() {
    <crate::Harness as conformance::Harness>::block_on(name_mismatch_case::<crate::Harness>());
}

/// A trusted certificate for another host name.
async fn name_mismatch_case<H: TlsHarness>() {
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

#[test]
fn expired_certificate() {
    <crate::Harness as conformance::Harness>::block_on(expired_certificate_case::<crate::Harness>());
}

/// A trusted certificate that expired.
async fn expired_certificate_case<H: TlsHarness>() {
    let pki = TestPki::get();
    let (_, client) = against::<H>(pki.expired.clone(), wss, Some(pki.client.clone())).await;
    let error = expect_tls("an expired certificate", H::NAME, client);
    assert!(
        matches!(error, TlsError::CertificateExpired(_)),
        "[{}] {error:?}",
        H::NAME
    );
}

#[test]
fn tls_and_plain_mixed_up() {
    <crate::Harness as conformance::Harness>::block_on(
        tls_and_plain_mixed_up_case::<crate::Harness>(),
    );
}

/// A plain `ws://` client on a TLS port, and a `wss://` client on a plain
/// port: each side's error says the other does not speak TLS.
async fn tls_and_plain_mixed_up_case<H: TlsHarness>() {
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

#[test]
fn silent_client_times_out() {
    <crate::Harness as conformance::Harness>::block_on(silent_client_times_out_case::<
        crate::Harness,
    >());
}

/// TLS slowloris: a peer that opens TCP and never sends its ClientHello
/// is dropped when the handshake timeout passes.
async fn silent_client_times_out_case<H: TlsHarness>() {
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

#[test]
fn silent_server_times_out() {
    <crate::Harness as conformance::Harness>::block_on(silent_server_times_out_case::<
        crate::Harness,
    >());
}

/// A server that takes TCP and never answers the ClientHello: the client
/// gives up when its handshake timeout passes.
async fn silent_server_times_out_case<H: TlsHarness>() {
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

#[test]
fn server_config_from_pem() {
    <crate::Harness as conformance::Harness>::block_on(
        server_config_from_pem_case::<crate::Harness>(),
    );
}

/// The server's configuration from PEM files, as a server author makes
/// it; a file with no certificate or no key is a typed error naming it.
async fn server_config_from_pem_case<H: TlsHarness>() {
    let pki = TestPki::get();
    let dir = conformance::tls::scratch_dir(H::NAME);
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

#[test]
fn client_certificate() {
    <crate::Harness as conformance::Harness>::block_on(client_certificate_case::<crate::Harness>());
}

/// A caller's own `ClientConfig` through the `Connector`: a client
/// certificate for a server that requires one. Without it, the server
/// refuses the handshake, and each side's error is a TLS one.
async fn client_certificate_case<H: TlsHarness>() {
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
