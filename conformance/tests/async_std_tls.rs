//! The conformance suite on async-std, over TLS: the cases of every transport
//! and those of TLS itself.

/// The harness every case of this file runs on.
type Harness = conformance::Tls<conformance::AsyncStd>;

mod cases;
#[path = "cases/tls.rs"]
mod tls;
