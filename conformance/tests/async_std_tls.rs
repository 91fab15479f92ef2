//! The conformance suite on async-std, over TLS.

conformance::conformance_suite!(tls conformance::AsyncStd);
