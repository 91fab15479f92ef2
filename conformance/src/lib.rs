//! `conformance` is the one test suite of the WebSocket adapters
//! `ws-tokio`, `ws-async-std` and `ws-smol`. Every case is written once,
//! generic over a small [`Harness`] trait (block on a future, bind, accept
//! and connect loopback TCP with the runtime's own types, spawn, sleep, and
//! call the adapter's `accept_with` / `client` / `connect_with`), and
//! [`conformance_suite!`] turns the whole case list into `#[test]`
//! functions for one runtime. The test files `tests/tokio.rs`,
//! `tests/async_std.rs` and `tests/smol.rs` are one line each, so
//! `cargo test -p conformance` runs every case three times:
//!
//! ```text
//! conformance::conformance_suite!(conformance::Smol);
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
//! The crate is not published; it exists for its tests.

pub mod fault_proxy;
mod harness;
pub mod http2;
pub mod proxies;
mod raw;
mod runtimes;
mod support;
pub mod system;

pub mod cases;
pub mod raw_h2;
pub mod tls;

pub use fault_proxy::FaultProxy;
pub use harness::{timeout, within, Connected, Harness, Task, Ws, STEP_TIMEOUT};
pub use raw::{encode_frame, Frame, FrameSpec, RawPeer, CLIENT_KEY};
pub use runtimes::{AsyncStd, Smol, Tokio, TokioCompat};
pub use support::{
    binary_payload, echo, pair, pair_with, quiet, serve_one, text_payload, tokio_thread, EchoStats,
};
pub use tls::{TestPki, Tls, TlsHarness, TlsRuntime};

/// Instantiates every conformance case as a `#[test]` function for the
/// [`Harness`] given, one module per case module:
///
/// ```text
/// conformance::conformance_suite!(conformance::Tokio);
/// // defines handshake::request_inspection, echo::text_sizes, ...
/// ```
///
/// Each test runs its case with [`Harness::block_on`]; the case bounds
/// each of its awaits by [`STEP_TIMEOUT`].
#[macro_export]
macro_rules! conformance_suite {
    ($harness:ty) => {
        $crate::conformance_suite!(@list tcp $harness);
    };
    (tls $harness:ty) => {
        $crate::conformance_suite!(@list tls $crate::Tls<$harness>);
    };
    (@list $transport:ident $harness:ty) => {
        $crate::conformance_suite! {
            @cases $transport $harness;
            handshake {
                request_inspection,
                rejection,
                not_upgrade,
                invalid_upgrade_gets_http_error,
                handshake_timeout,
                invalid_config_refused,
                cross_origin_refused,
                connect_url,
                bytes_after_handshake,
                transport_access,
            }
            echo {
                text_sizes,
                binary_sizes,
                sixteen_mib,
            }
            fragments {
                send_fragments_recv_whole,
                recv_events_with_fin,
            }
            ping_pong {
                client_ping_gets_pong,
                server_ping_gets_auto_pong,
            }
            close {
                client_initiates,
                server_initiates,
            }
            timeouts {
                keepalive_timeout,
                keepalive_answered,
                idle_timeout,
            }
            split {
                halves_in_two_tasks,
            }
            sending {
                feed_then_flush,
                stream_and_sink,
            }
            cancel {
                recv_is_cancel_safe,
            }
            backpressure {
                send_blocks_when_peer_never_reads,
            }
            protocol_errors {
                unmasked_client_frame,
                invalid_utf8,
                oversized_message,
                bad_frames,
                masked_server_frame,
            }
            failure_close {
                invalid_utf8_reaches_a_sending_client,
                too_big_reaches_a_sending_client,
                client_code_reaches_a_sending_server,
                peer_close_explains_a_failed_send,
            }
            #[tcp_only]
            faults {
                in_request,
                in_response,
                in_frame_header,
                in_frame_payload,
                in_server_frame_payload,
                between_fragments,
                in_closing_handshake,
                close_behind_a_stall,
            }
            #[tls_only]
            tls {
                wss_round_trip,
                untrusted_certificate,
                name_mismatch,
                expired_certificate,
                tls_and_plain_mixed_up,
                silent_client_times_out,
                silent_server_times_out,
                server_config_from_pem,
                client_certificate,
            }
            #[tcp_only]
            interop {
                client_against_tokio_server,
                server_against_tokio_client,
            }
        }
    };
    (@cases $transport:ident $harness:ty; $($(#[$only:ident])? $module:ident { $($case:ident),* $(,)? })*) => {
        $(
            $crate::conformance_suite!(@module $transport $harness; $(#[$only])? $module { $($case),* });
        )*
    };
    // Over TLS, the cases that cut or stall the byte stream at chosen
    // offsets (TLS records move them) and those against other libraries'
    // plain peers do not run.
    (@module tls $harness:ty; #[tcp_only] $module:ident { $($case:ident),* }) => {};
    (@module tcp $harness:ty; #[tls_only] $module:ident { $($case:ident),* }) => {};
    (@module $transport:ident $harness:ty; $(#[$only:ident])? $module:ident { $($case:ident),* }) => {
            mod $module {
                #[allow(unused_imports)]
                use super::*;

                $(
                    #[test]
                    fn $case() {
                        <$harness as $crate::Harness>::block_on(
                            $crate::cases::$module::$case::<$harness>(),
                        );
                    }
                )*
            }
    };
}
