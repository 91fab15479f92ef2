//! The cases of every transport, written once, generic over
//! [`Harness`](conformance::Harness). Each module's cases are `#[test]`
//! functions that run their generic case on the harness of the test file
//! that builds this directory in (its `type Harness`), with that
//! harness's `block_on`: a case is found by `cargo test` because it is a
//! test, with no list to keep. Modules are named by what their cases test.
//!
//! The modules that only one transport runs are not declared here: the
//! plain TCP files build in `faults.rs` (cuts and stalls at chosen byte
//! offsets, which TLS records move) and `interop.rs` (against other
//! libraries' plain peers), the TLS files `tls.rs`.

mod backpressure;
mod cancel;
mod close;
mod echo;
mod failure_close;
mod fanout;
mod fragments;
mod handshake;
mod ping_pong;
mod protocol_errors;
mod sending;
mod split;
mod timeouts;
