//! The conformance suite on smol, over TLS.

conformance::conformance_suite!(tls conformance::Smol);
