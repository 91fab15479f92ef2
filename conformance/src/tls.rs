//! The suite over TLS: [`Tls<H>`](Tls) runs every case of the runtime `H`
//! with TLS between the peers, and [`TestPki`] makes the certificates, in
//! memory, for each test process.
//!
//! The certificates: a CA of the tests' own; a server certificate it
//! signs for `localhost` and `127.0.0.1` (the one every TLS case
//! presents); and three the TLS failure cases present: one for another
//! host name, one that expired, and one from a CA nobody trusts.

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedKey, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use ws_driver::tls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ws_driver::tls::{ClientConfig, RootCertStore, ServerConfig};
use ws_driver::Error;
use ws_proto::handshake::{Accept, ClientRequest, Reject, Request, Response};
use ws_proto::Config;

use crate::harness::{Connected, Harness, Task, Ws};

/// The certificates of a test process, made once.
pub struct TestPki {
    /// The CA's certificate, PEM: what a client trusts.
    pub ca_pem: String,
    /// The server's certificate (for `localhost` and `127.0.0.1`) and key.
    pub server: Arc<ServerConfig>,
    /// A server presenting a certificate for `other.example` only.
    pub wrong_name: Arc<ServerConfig>,
    /// A server presenting a certificate that expired in 2001.
    pub expired: Arc<ServerConfig>,
    /// A server presenting a certificate of a CA nobody trusts.
    pub untrusted: Arc<ServerConfig>,
    /// A server that requires a client certificate of the CA.
    pub mutual: Arc<ServerConfig>,
    /// A client trusting the CA, with our crate's provider and ALPN.
    pub client: Arc<ClientConfig>,
    /// The same client, presenting a client certificate of the CA.
    pub client_with_cert: Arc<ClientConfig>,
    /// The server's certificate chain and key, PEM.
    pub server_pem: (String, String),
}

impl TestPki {
    /// The process's certificates.
    pub fn get() -> &'static TestPki {
        static PKI: OnceLock<TestPki> = OnceLock::new();
        PKI.get_or_init(TestPki::make)
    }

    fn make() -> TestPki {
        let ca = authority("ws-stack test CA");
        let (server_cert, server_key) = leaf(&ca, &["localhost", "127.0.0.1"], false);
        let other = leaf(&ca, &["other.example"], false);
        let expired = leaf(&ca, &["localhost", "127.0.0.1"], true);
        let stranger = authority("a CA nobody trusts");
        let untrusted = leaf(&stranger, &["localhost", "127.0.0.1"], false);

        let mut roots = RootCertStore::empty();
        roots
            .add(ca.cert.der().clone())
            .expect("the test CA is a valid root");
        let client = ws_driver::tls::client_config(roots.clone()).expect("a client config");
        let (client_cert, client_key) = leaf(&ca, &["client.example"], false);
        let client_with_cert = client_auth(roots.clone(), &client_cert, &client_key);
        TestPki {
            mutual: requiring_client_auth(roots, &server_cert, &server_key),
            client_with_cert,
            ca_pem: ca.cert.pem(),
            server_pem: (server_cert.pem(), server_key.serialize_pem()),
            server: server_config(&server_cert, &server_key),
            wrong_name: server_config(&other.0, &other.1),
            expired: server_config(&expired.0, &expired.1),
            untrusted: server_config(&untrusted.0, &untrusted.1),
            client: Arc::new(client),
        }
    }
}

/// A self-signed CA.
fn authority(name: &str) -> CertifiedKey {
    let mut params = CertificateParams::new(Vec::new()).expect("CA parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key_pair = KeyPair::generate().expect("a CA key");
    let cert = params.self_signed(&key_pair).expect("the CA certificate");
    CertifiedKey { cert, key_pair }
}

/// A server certificate for `names` signed by `ca`; `expired`: valid in
/// 2000 only.
fn leaf(ca: &CertifiedKey, names: &[&str], expired: bool) -> (rcgen::Certificate, KeyPair) {
    let names = names
        .iter()
        .map(|name| name.to_string())
        .collect::<Vec<_>>();
    let mut params = CertificateParams::new(names).expect("server parameters");
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key_pair = KeyPair::generate().expect("a server key");
    let cert = params
        .signed_by(&key_pair, &ca.cert, &ca.key_pair)
        .expect("the server certificate");
    (cert, key_pair)
}

fn server_config(cert: &rcgen::Certificate, key: &KeyPair) -> Arc<ServerConfig> {
    let config = ws_driver::tls::server_config(vec![der(cert)], private_key(key));
    Arc::new(config.expect("a server config"))
}

/// A client configuration as a caller with a client certificate builds
/// it: rustls' builder with our provider.
fn client_auth(
    roots: RootCertStore,
    cert: &rcgen::Certificate,
    key: &KeyPair,
) -> Arc<ClientConfig> {
    let provider = ws_driver::tls::provider().expect("a provider");
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![der(cert)], private_key(key))
        .expect("a client certificate");
    config.alpn_protocols = vec![ws_driver::tls::ALPN_HTTP11.to_vec()];
    Arc::new(config)
}

/// A server that requires a client certificate chaining to `roots`.
fn requiring_client_auth(
    roots: RootCertStore,
    cert: &rcgen::Certificate,
    key: &KeyPair,
) -> Arc<ServerConfig> {
    let provider = ws_driver::tls::provider().expect("a provider");
    let verifier = ws_driver::tls::rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("a client verifier");
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![der(cert)], private_key(key))
        .expect("a server config");
    Arc::new(config)
}

fn der(cert: &rcgen::Certificate) -> CertificateDer<'static> {
    CertificateDer::from(cert.der().to_vec())
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// The suite of the runtime `H` over TLS: each connection's TCP stream
/// gets a TLS session (the server presents [`TestPki::server`], the
/// client trusts its CA), URLs are `wss://`, and `connect_url` uses a
/// `Connector` with the tests' CA.
pub struct Tls<H>(PhantomData<H>);

/// The shortest wait of the TLS failure cases.
pub const TLS_TIMEOUT: Duration = Duration::from_millis(500);

/// What a runtime's adapter offers over TLS, for [`Tls`] and the TLS
/// cases.
pub trait TlsRuntime: Harness {
    /// The harness's name over TLS.
    const TLS_NAME: &'static str;
    /// A TLS stream over [`Harness::Tcp`], client or server.
    type TlsTcp: ws_driver::PeerAddr<Self::Rt> + Send + 'static;
    /// [`TlsTcp`](TlsRuntime::TlsTcp) as the adapter wraps it.
    type TlsIo: ws_driver::Transport<Inner = Self::TlsTcp> + Send + 'static;
    /// [`TlsTcp`](TlsRuntime::TlsTcp) through `futures-io`, for the raw
    /// peer.
    type TlsRaw: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// What the adapter's `accept_tls_with` runs over.
    type Accepted: ws_driver::Transport + Send + 'static;

    /// The server's TLS handshake on `tcp`, presenting `config`.
    fn tls_accept(
        tcp: Self::Tcp,
        config: Arc<ServerConfig>,
    ) -> impl Future<Output = io::Result<Self::TlsTcp>> + Send;

    /// The client's TLS handshake on `tcp` to 127.0.0.1.
    fn tls_connect(
        tcp: Self::Tcp,
        config: Arc<ClientConfig>,
    ) -> impl Future<Output = io::Result<Self::TlsTcp>> + Send;

    /// The stream as the raw peer uses it.
    fn tls_into_raw(stream: Self::TlsTcp) -> Self::TlsRaw;

    /// The adapter's `accept_with` on a TLS stream.
    fn tls_accept_with<F>(
        stream: Self::TlsTcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<ws_driver::WebSocket<Self::TlsIo, Self::Rt>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send;

    /// The adapter's `client` on a TLS stream.
    #[allow(clippy::type_complexity)]
    fn tls_client(
        stream: Self::TlsTcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(ws_driver::WebSocket<Self::TlsIo, Self::Rt>, Response), Error>>
           + Send;

    /// The adapter's `accept_tls_with`: TLS and the upgrade in one.
    fn accept_tls_with(
        tcp: Self::Tcp,
        tls: Arc<ServerConfig>,
        config: Config,
    ) -> impl Future<Output = Result<ws_driver::WebSocket<Self::Accepted, Self::Rt>, Error>> + Send;

    /// The ALPN protocol a `connect`ed socket's TLS session agreed on.
    fn alpn(ws: &Connected<Self>) -> Option<Vec<u8>>;

    /// The adapter's `Connector::connect`, with `tls` as its TLS
    /// configuration (the default one when `None`).
    fn connect_with_tls(
        url: &str,
        tls: Option<Arc<ClientConfig>>,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send;
}

impl<H: TlsRuntime> Harness for Tls<H> {
    const NAME: &'static str = H::TLS_NAME;
    const SCHEME: &'static str = "wss";
    type Tcp = H::TlsTcp;
    type Listener = H::Listener;
    type Io = H::TlsIo;
    type Rt = H::Rt;
    type Connected = H::Connected;
    type Raw = H::TlsRaw;

    fn block_on<F: Future>(future: F) -> F::Output {
        H::block_on(future)
    }

    fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        H::spawn(future)
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        H::sleep(duration)
    }

    fn bind() -> impl Future<Output = io::Result<(Self::Listener, SocketAddr)>> + Send {
        H::bind()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Tcp> {
        let tcp = H::accept(listener).await?;
        H::tls_accept(tcp, TestPki::get().server.clone()).await
    }

    async fn connect(addr: SocketAddr) -> io::Result<Self::Tcp> {
        let tcp = H::connect(addr).await?;
        H::tls_connect(tcp, TestPki::get().client.clone()).await
    }

    fn into_raw(stream: Self::Tcp) -> Self::Raw {
        H::tls_into_raw(stream)
    }

    fn accept_with<F>(
        stream: Self::Tcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<Ws<Self>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send,
    {
        H::tls_accept_with(stream, config, callback)
    }

    fn client(
        stream: Self::Tcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(Ws<Self>, Response), Error>> + Send {
        H::tls_client(stream, request, config)
    }

    fn connect_url(
        url: &str,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
        H::connect_with_tls(url, Some(TestPki::get().client.clone()), config)
    }
}

/// The name TLS checks the server's certificate against.
fn localhost() -> ws_driver::tls::pki_types::ServerName<'static> {
    ws_driver::tls::server_name("127.0.0.1").expect("an IP address is a server name")
}

impl TlsRuntime for crate::Tokio {
    const TLS_NAME: &'static str = "tokio+tls";
    type TlsTcp = tokio_rustls::TlsStream<tokio::net::TcpStream>;
    type TlsIo = ws_tokio::TokioIo<Self::TlsTcp>;
    type TlsRaw = ws_tokio::TokioIo<Self::TlsTcp>;
    type Accepted = ws_tokio::TokioIo<ws_tokio::TlsStream<tokio::net::TcpStream>>;

    async fn tls_accept(tcp: Self::Tcp, config: Arc<ServerConfig>) -> io::Result<Self::TlsTcp> {
        let tls = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await?;
        Ok(tokio_rustls::TlsStream::Server(tls))
    }

    async fn tls_connect(tcp: Self::Tcp, config: Arc<ClientConfig>) -> io::Result<Self::TlsTcp> {
        let connector = tokio_rustls::TlsConnector::from(config);
        let tls = connector.connect(localhost(), tcp).await?;
        Ok(tokio_rustls::TlsStream::Client(tls))
    }

    fn tls_into_raw(stream: Self::TlsTcp) -> Self::TlsRaw {
        ws_tokio::TokioIo::new(stream)
    }

    fn alpn(ws: &Connected<Self>) -> Option<Vec<u8>> {
        let session = ws.get_ref().tls_session()?;
        session.alpn_protocol().map(<[u8]>::to_vec)
    }

    fn tls_accept_with<F>(
        stream: Self::TlsTcp,
        config: Config,
        callback: F,
    ) -> impl Future<Output = Result<ws_driver::WebSocket<Self::TlsIo, Self::Rt>, Error>> + Send
    where
        F: FnOnce(&Request) -> Result<Accept, Reject> + Send,
    {
        crate::driver_socket(ws_tokio::accept_with(stream, config, callback))
    }

    fn tls_client(
        stream: Self::TlsTcp,
        request: ClientRequest,
        config: Config,
    ) -> impl Future<Output = Result<(ws_driver::WebSocket<Self::TlsIo, Self::Rt>, Response), Error>>
           + Send {
        crate::driver_pair(ws_tokio::client(stream, request, config))
    }

    fn accept_tls_with(
        tcp: Self::Tcp,
        tls: Arc<ServerConfig>,
        config: Config,
    ) -> impl Future<Output = Result<ws_driver::WebSocket<Self::Accepted, Self::Rt>, Error>> + Send
    {
        let acceptor = ws_tokio::TlsAcceptor::from(tls);
        crate::driver_socket(ws_tokio::accept_tls_with(&acceptor, tcp, config, |_| {
            Ok(Accept::new())
        }))
    }

    fn connect_with_tls(
        url: &str,
        tls: Option<Arc<ClientConfig>>,
        config: Config,
    ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
        let connector = ws_tokio::Connector::new();
        let connector = match tls {
            Some(tls) => connector.with_tls_config(tls),
            None => connector,
        };
        crate::driver_pair(connector.connect(url, config))
    }
}

/// [`TlsRuntime`] for an adapter on `futures-rustls`.
macro_rules! futures_tls_runtime {
    ($harness:ty, $adapter:ident, $tcp:ty, $name:literal) => {
        impl TlsRuntime for $harness {
            const TLS_NAME: &'static str = $name;
            type TlsTcp = futures_rustls::TlsStream<$tcp>;
            type TlsIo = $adapter::Io<Self::TlsTcp>;
            type TlsRaw = Self::TlsTcp;
            type Accepted = $adapter::Io<$adapter::TlsStream<$tcp>>;

            async fn tls_accept(
                tcp: Self::Tcp,
                config: Arc<ServerConfig>,
            ) -> io::Result<Self::TlsTcp> {
                let tls = futures_rustls::TlsAcceptor::from(config).accept(tcp).await?;
                Ok(futures_rustls::TlsStream::Server(tls))
            }

            async fn tls_connect(
                tcp: Self::Tcp,
                config: Arc<ClientConfig>,
            ) -> io::Result<Self::TlsTcp> {
                let connector = futures_rustls::TlsConnector::from(config);
                let tls = connector.connect(localhost(), tcp).await?;
                Ok(futures_rustls::TlsStream::Client(tls))
            }

            fn tls_into_raw(stream: Self::TlsTcp) -> Self::TlsRaw {
                stream
            }

            fn alpn(ws: &Connected<Self>) -> Option<Vec<u8>> {
                let session = ws.get_ref().tls_session()?;
                session.alpn_protocol().map(<[u8]>::to_vec)
            }

            fn tls_accept_with<F>(
                stream: Self::TlsTcp,
                config: Config,
                callback: F,
            ) -> impl Future<Output = Result<ws_driver::WebSocket<Self::TlsIo, Self::Rt>, Error>>
                   + Send
            where
                F: FnOnce(&Request) -> Result<Accept, Reject> + Send,
            {
                crate::driver_socket($adapter::accept_with(stream, config, callback))
            }

            fn tls_client(
                stream: Self::TlsTcp,
                request: ClientRequest,
                config: Config,
            ) -> impl Future<
                Output = Result<(ws_driver::WebSocket<Self::TlsIo, Self::Rt>, Response), Error>,
            > + Send {
                crate::driver_pair($adapter::client(stream, request, config))
            }

            fn accept_tls_with(
                tcp: Self::Tcp,
                tls: Arc<ServerConfig>,
                config: Config,
            ) -> impl Future<
                Output = Result<ws_driver::WebSocket<Self::Accepted, Self::Rt>, Error>,
            > + Send {
                let acceptor = $adapter::TlsAcceptor::from(tls);
                crate::driver_socket($adapter::accept_tls_with(&acceptor, tcp, config, |_| Ok(Accept::new())))
            }

            fn connect_with_tls(
                url: &str,
                tls: Option<Arc<ClientConfig>>,
                config: Config,
            ) -> impl Future<Output = Result<(Connected<Self>, Response), Error>> + Send {
                let connector = $adapter::Connector::new();
                let connector = match tls {
                    Some(tls) => connector.with_tls_config(tls),
                    None => connector,
                };
                crate::driver_pair(connector.connect(url, config))
            }
        }
    };
}

futures_tls_runtime!(crate::Smol, ws_smol, smol::net::TcpStream, "smol+tls");
futures_tls_runtime!(
    crate::AsyncStd,
    ws_async_std,
    async_std::net::TcpStream,
    "async-std+tls"
);

/// A harness over TLS, for the cases of TLS itself: `Plain` is the
/// runtime under it, whose plain TCP and TLS calls they use directly.
pub trait TlsHarness: Harness {
    /// The runtime under TLS.
    type Plain: TlsRuntime;
}

impl<H: TlsRuntime> TlsHarness for Tls<H> {
    type Plain = H;
}

/// The `wss://` URL of a server at `addr`.
pub fn wss(addr: SocketAddr) -> String {
    format!("wss://{addr}/")
}

/// `connect` over `accept_tls_with`: a message each way, ALPN `http/1.1`
/// agreed, and the client's stream says it is TLS. A case of TLS
/// (`tests/cases/tls.rs`), here because `tests/crypto_provider.rs` runs it
/// too.
pub async fn wss_round_trip<H: TlsHarness>() {
    let pki = TestPki::get();
    let (listener, addr) = crate::within::<H, _>("bind", H::Plain::bind())
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
    let (mut server, client) =
        crate::within::<H, _>("handshakes", futures_util::future::join(server, client)).await;
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
        client
            .send(ws_proto::Message::text("over TLS"))
            .await
            .expect("send");
        client.recv().await
    };
    let ((), echoed) =
        crate::within::<H, _>("echo", futures_util::future::join(echo, exchange)).await;
    assert_eq!(
        echoed.expect("a message").expect("no error"),
        ws_proto::Message::text("over TLS")
    );
}

/// A directory for the files of one test, under the target directory's
/// `tmp/` (the test binary runs from `target/<profile>/deps/`).
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary is in target/<profile>/deps");
    let dir = target
        .join("tmp")
        .join(format!("tls-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}
