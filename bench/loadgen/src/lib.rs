//! What the load generators share: the check of the handshake's answer,
//! the latency histogram and the CPU time and memory of a process read
//! from `/proc`. Two binaries use it: the echo
//! load generator (`loadgen`, `src/main.rs`) and the chat room fan-out
//! generator (`fanout`, `src/bin/fanout/`).

pub mod handshake;
pub mod hist;
pub mod procstat;
