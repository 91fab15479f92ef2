//! The TLS flags every example shares, parsed and turned into rustls
//! configurations once for all three runtimes: `--tls-cert PEM` and
//! `--tls-key PEM` for the servers, `--ca PEM` for the clients. Each
//! example adds only its runtime's acceptor or connector calls.
//!
//! Built without the adapter's `tls` feature (on by default), the flags
//! are refused with a message and the examples speak plain `ws://` only.
//! A file that cannot be read or holds no usable certificate or key is
//! reported and the example exits with status 1; nothing here panics.

use std::path::{Path, PathBuf};

use super::ws;

/// A server's certificate chain and private key, as PEM files.
pub(crate) struct ServerTls {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// `--tls-cert` and `--tls-key` as an example's flag parser meets them.
#[derive(Default)]
pub(crate) struct ServerFlags {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl ServerFlags {
    /// Takes `flag` and its `value` if the flag is one of ours.
    pub(crate) fn take(&mut self, flag: &str, value: &str) -> bool {
        match flag {
            "--tls-cert" => self.cert = Some(value.into()),
            "--tls-key" => self.key = Some(value.into()),
            _ => return false,
        }
        true
    }

    /// Both flags or neither: TLS with these files, or plain. One without
    /// the other is an error, and so is either in a build without TLS.
    pub(crate) fn finish(self) -> Result<Option<ServerTls>, String> {
        match (self.cert, self.key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                refuse_without_tls("--tls-cert and --tls-key")?;
                Ok(Some(ServerTls { cert, key }))
            }
            _ => Err("--tls-cert and --tls-key go together".to_owned()),
        }
    }
}

/// `--ca PEM` for a client: the certificates to trust for `wss://`
/// instead of the built-in roots (a test server's self-signed one).
pub(crate) fn ca_flag(value: &str) -> Result<PathBuf, String> {
    refuse_without_tls("--ca")?;
    Ok(value.into())
}

#[cfg(feature = "tls")]
fn refuse_without_tls(_flags: &str) -> Result<(), String> {
    Ok(())
}

#[cfg(not(feature = "tls"))]
fn refuse_without_tls(flags: &str) -> Result<(), String> {
    Err(format!(
        "{flags}: this build has no TLS (build with the `tls-ring` feature, on by default)"
    ))
}

/// Stands for the runtime's TLS acceptor in a build without TLS: there is
/// none, so a server's `Option` of it is always `None`.
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
pub(crate) enum NoTls {}

/// The runtime's TLS acceptor (tokio-rustls' or futures-rustls', both made
/// `From<Arc<ServerConfig>>`) for `files`, or `None` for plain `ws://`.
/// Exits with a message when the files do not make a configuration.
#[cfg(feature = "tls")]
pub(crate) fn acceptor<A>(files: Option<&ServerTls>) -> Option<A>
where
    A: From<std::sync::Arc<ws::tls::ServerConfig>>,
{
    acceptor_with_alpn(files, &[])
}

/// Like [`acceptor`], with the application protocols the server picks
/// from in ALPN (RFC 7301), by its order: `h2` first makes an HTTP/2
/// connection of a browser's (RFC 9113 section 3.2), and with it
/// WebSockets over HTTP/2 (RFC 8441).
#[cfg(feature = "tls")]
pub(crate) fn acceptor_with_alpn<A>(files: Option<&ServerTls>, alpn: &[&[u8]]) -> Option<A>
where
    A: From<std::sync::Arc<ws::tls::ServerConfig>>,
{
    let files = files?;
    match ws::tls::server_config_from_pem_files(&files.cert, &files.key) {
        Ok(mut config) => {
            config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            Some(A::from(std::sync::Arc::new(config)))
        }
        Err(e) => exit(&format!(
            "cannot serve TLS with {} and {}: {e}",
            files.cert.display(),
            files.key.display()
        )),
    }
}

/// No TLS in this build: always `None` (the flags were refused).
#[cfg(not(feature = "tls"))]
pub(crate) fn acceptor(_files: Option<&ServerTls>) -> Option<NoTls> {
    None
}

/// No TLS in this build: always `None` (the flags were refused).
#[cfg(not(feature = "tls"))]
pub(crate) fn acceptor_with_alpn(_files: Option<&ServerTls>, _alpn: &[&[u8]]) -> Option<NoTls> {
    None
}

/// The scheme a server prints for itself.
pub(crate) fn scheme<T>(tls: &Option<T>) -> &'static str {
    match tls {
        Some(_) => "wss",
        None => "ws",
    }
}

/// A connector of the adapter's runtime that trusts the certificates of `ca` for
/// `wss://` (and nothing else), or the built-in roots without it. Exits
/// with a message when the file holds no usable certificate.
pub(crate) fn connector(ca: Option<&Path>) -> ws::Connector {
    let connector = ws::Connector::new();
    let Some(ca) = ca else {
        return connector;
    };
    #[cfg(feature = "tls")]
    {
        let config = ws::tls::roots_from_pem_file(ca).and_then(ws::tls::client_config);
        match config {
            Ok(config) => connector.with_tls_config(std::sync::Arc::new(config)),
            Err(e) => exit(&format!("cannot trust {}: {e}", ca.display())),
        }
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = ca;
        connector
    }
}

#[cfg(feature = "tls")]
fn exit(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
