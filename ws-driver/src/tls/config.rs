//! Building rustls configurations with a provider we chose.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::TlsError;

/// The ALPN protocol name of HTTP/1.1 (RFC 7301 section 6), which every
/// configuration made here offers or accepts.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The crypto provider of every configuration made here: `aws-lc-rs`
/// with the `tls-aws-lc-rs` feature, else `ring` with `tls-ring`, else the
/// process default the application installed.
pub fn provider() -> Result<Arc<CryptoProvider>, TlsError> {
    #[cfg(feature = "tls-aws-lc-rs")]
    return Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc-rs")))]
    return Ok(Arc::new(rustls::crypto::ring::default_provider()));
    #[allow(unreachable_code)]
    CryptoProvider::get_default()
        .cloned()
        .ok_or(TlsError::NoCryptoProvider)
}

/// The roots our features bring: Mozilla's (`tls-webpki-roots`) and the
/// platform's (`tls-native-roots`, read from the system each call; a
/// certificate of the system's that does not parse is skipped). Empty
/// with neither.
pub fn default_roots() -> RootCertStore {
    #[allow(unused_mut)]
    let mut roots = RootCertStore::empty();
    #[cfg(feature = "tls-webpki-roots")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    #[cfg(feature = "tls-native-roots")]
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    roots
}

/// A client configuration trusting `roots`, with our [`provider`], the
/// provider's safe protocol versions (TLS 1.3 and 1.2), no client
/// certificate and ALPN `http/1.1`. Change it before wrapping it in an
/// `Arc` (a client certificate needs a new builder: see rustls'
/// `ConfigBuilder::with_client_auth_cert`).
pub fn client_config(roots: RootCertStore) -> Result<ClientConfig, TlsError> {
    let mut config = ClientConfig::builder_with_provider(provider()?)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(config)
}

/// The configuration `wss://` uses when the caller gives none:
/// [`client_config`] over [`default_roots`], made once per process and
/// shared.
pub fn default_client_config() -> Result<Arc<ClientConfig>, TlsError> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    if let Some(config) = DEFAULT.get() {
        return Ok(config.clone());
    }
    let config = Arc::new(client_config(default_roots())?);
    Ok(DEFAULT.get_or_init(|| config).clone())
}

/// The certificates of a PEM file as roots to trust (a private CA, a test
/// server's self-signed certificate). A file with no certificate, or one
/// that does not parse, is an error.
pub fn roots_from_pem_file(path: impl AsRef<Path>) -> Result<RootCertStore, TlsError> {
    let path = path.as_ref();
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots
            .add(cert)
            .map_err(|e| pem_error(path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// A server configuration presenting `chain` (the server's certificate
/// first, then the intermediates) with its private key, with our
/// [`provider`], no client authentication, and ALPN `http/1.1`.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider()?)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(config)
}

/// [`server_config`] from two PEM files: the certificate chain and the
/// private key (PKCS #8, PKCS #1 or SEC1).
pub fn server_config_from_pem_files(
    chain: impl AsRef<Path>,
    key: impl AsRef<Path>,
) -> Result<ServerConfig, TlsError> {
    let chain = certificates(chain.as_ref())?;
    let key_path = key.as_ref();
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| pem_error(key_path, format!("no private key: {e}")))?;
    server_config(chain, key)
}

/// The name TLS checks the server's certificate against, and sends as SNI
/// (RFC 6066 section 3): the URL's host, a DNS name or an IP address.
/// (SNI carries DNS names only; rustls leaves it out for an address.)
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsError::InvalidServerName(host.to_owned()))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_error(path, e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error(path, "no certificate in the file".to_owned()));
    }
    Ok(certs)
}

fn pem_error(path: &Path, reason: String) -> TlsError {
    TlsError::Pem {
        path: path.to_owned(),
        reason,
    }
}
