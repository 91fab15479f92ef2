//! The conformance suite on async-std, over plain TCP: the cases of every
//! transport, the byte-offset faults and the interoperability cases.

/// The harness every case of this file runs on.
type Harness = conformance::AsyncStd;

mod cases;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/interop.rs"]
mod interop;
