//! The conformance suite on tokio.

conformance::conformance_suite!(conformance::Tokio);
