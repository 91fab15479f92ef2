//! The conformance suite on tokio, over TLS.

conformance::conformance_suite!(tls conformance::Tokio);
