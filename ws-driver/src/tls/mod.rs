//! TLS with rustls: the client configuration behind `wss://`, the
//! server's configuration from PEM files, and errors that say what went
//! wrong.
//!
//! # The crypto provider is ours to choose
//!
//! rustls needs a crypto provider. Asked for one implicitly
//! (`ClientConfig::builder()`), it panics when the application's
//! dependency tree enables both of its providers, or neither, and nobody
//! installed a process default. Every configuration made here is built
//! with [`provider`]: `aws-lc-rs` when the `tls-aws-lc-rs` feature is on,
//! else `ring` with `tls-ring` (the adapters' default, which needs only a
//! C compiler), else the process default if the application installed
//! one, else [`TlsError::NoCryptoProvider`]. No feature choice can make
//! it panic.
//!
//! # Trust roots
//!
//! [`default_roots`] holds Mozilla's roots, bundled, with
//! `tls-webpki-roots` (the default) and the platform's, read once, with
//! `tls-native-roots`; with both, both. A caller with roots of its own
//! (a private CA, a test certificate) builds its configuration with
//! [`client_config`] and [`roots_from_pem_file`], or hands any
//! `Arc<ClientConfig>` of its making to the adapter's `Connector`.
//!
//! # ALPN
//!
//! The configurations made here offer `http/1.1` (RFC 7301): the
//! WebSocket handshake is an HTTP/1.1 upgrade (RFC 6455 section 4.1).

mod config;
mod error;

pub use config::{
    client_config, default_client_config, default_roots, provider, roots_from_pem_file,
    server_config, server_config_from_pem_files, server_name, ALPN_HTTP11,
};
pub use error::TlsError;
/// rustls itself, at the version the adapters use, for configurations
/// beyond those made here (client certificates, client verifiers).
pub use rustls;
pub use rustls::{ClientConfig, RootCertStore, ServerConfig};
pub use rustls_pki_types as pki_types;

pub(crate) use error::{classify, looks_like_tls};
