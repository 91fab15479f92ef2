//! The conformance suite on async-std.

conformance::conformance_suite!(conformance::AsyncStd);
