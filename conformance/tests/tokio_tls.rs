//! The conformance suite on tokio, over TLS: the cases of every transport
//! and those of TLS itself.

/// The harness every case of this file runs on.
type Harness = conformance::Tls<conformance::Tokio>;

mod cases;
#[path = "cases/tls.rs"]
mod tls;
