//! Nothing but the benchmark in `benches/codec_peers.rs`:
//! `cargo bench -p codec-peers` (in `bench/`).
