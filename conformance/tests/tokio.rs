//! The conformance suite on tokio, over plain TCP: the cases of every
//! transport, the byte-offset faults and the interoperability cases.

/// The harness every case of this file runs on.
type Harness = conformance::Tokio;

mod cases;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/interop.rs"]
mod interop;
