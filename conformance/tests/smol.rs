//! The conformance suite on smol.

conformance::conformance_suite!(conformance::Smol);
