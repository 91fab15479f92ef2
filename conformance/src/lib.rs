//! `conformance` is the one test suite of the WebSocket adapters
//! `ws-tokio`, `ws-async-std` and `ws-smol`. Every case is written once,
//! generic over a small [`Harness`] trait (block on a future, bind, accept
//! and connect loopback TCP with the runtime's own types, spawn, sleep, and
//! call the adapter's `accept_with` / `client` / `connect_with`). The
//! cases live in `tests/cases/`, each an ordinary `#[test]` beside its
//! generic body; each runtime's test file (`tests/tokio.rs`,
//! `tests/async_std.rs`, `tests/smol.rs` and their `_tls` twins over TLS)
//! names its harness and builds the case modules in, so
//! `cargo test -p conformance` runs every case on every runtime, and a new
//! case runs because it is a test:
//!
//! ```text
//! type Harness = conformance::Smol;
//!
//! mod cases;
//! ```
//!
//! The cases talk over real TCP on 127.0.0.1. Where a case needs a peer
//! that breaks the rules (unmasked client frames, invalid UTF-8, a peer
//! that never answers a Ping or never reads), a scripted [`RawPeer`]
//! writes exact bytes forged with [`ws_proto::frame`] and reads back the
//! frames that come in. Every await of a case is bounded (see
//! [`within`]), so a bug fails the test instead of hanging it, and no case
//! asserts on how long something took.
//!
//! The fault cases put a [`FaultProxy`] between a real client and a real
//! server, which stalls, drips, truncates or resets the connection at a
//! chosen point of the byte stream.
//!
//! The proxy tests (`tests/proxies.rs`) connect through real proxy
//! servers, tinyproxy, danted and microsocks, which [`proxies`] fetches
//! from Debian's packages and runs on loopback.
//!
//! The chat's cluster test (`tests/chat_cluster.rs`) runs a real Redis
//! server, Debian's `redis-server`, through [`redis::RedisServer`].
//!
//! The crate is not published; it exists for its tests.

pub mod fault_proxy;
mod harness;
pub mod http2;
pub mod proxies;
mod raw;
pub mod redis;
mod runtimes;
mod support;
pub mod system;

pub mod raw_h2;
pub mod tls;

pub use fault_proxy::FaultProxy;
pub use harness::{timeout, within, Connected, Harness, Task, Ws, STEP_TIMEOUT};
pub use raw::{encode_frame, Frame, FrameSpec, RawPeer, CLIENT_KEY};
pub(crate) use runtimes::{driver_pair, driver_socket};
pub use runtimes::{AsyncStd, Smol, Tokio};
pub use support::{
    accept_one, binary_payload, connect_to, echo, expect_err, noise_text, pair, pair_with, quiet,
    recv_error, serve_one, text_payload, tokio_thread, EchoStats,
};
pub use tls::{TestPki, Tls, TlsHarness, TlsRuntime};
