//! The cases, written once, generic over [`Harness`](crate::Harness).
//!
//! Each case is an `async fn` that panics on failure;
//! [`conformance_suite!`](crate::conformance_suite) runs each one as a
//! `#[test]` with the runtime's `block_on`. Modules are named by what
//! their cases test.

pub mod backpressure;
pub mod cancel;
pub mod close;
pub mod echo;
pub mod failure_close;
pub mod faults;
pub mod fragments;
pub mod handshake;
pub mod interop;
pub mod ping_pong;
pub mod protocol_errors;
pub mod sending;
pub mod split;
pub mod timeouts;
pub mod tls;
