//! The Autobahn testsuite's client loop on async-std, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-async-std --example autobahn-client -- --addr 127.0.0.1:9001 [--split] [--agent ws-async-std]`
//! (`--url wss://127.0.0.1:9001 --ca cert.pem` instead of `--addr` for a fuzzing server over TLS)

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_async_std as ws;

#[path = "shared/autobahn_client.rs"]
mod shared;

use std::sync::Arc;

fn main() {
    let args = shared::Args::parse("ws-async-std");
    let connector = args.connector();
    let spawn: shared::Spawn = Arc::new(|task| drop(async_std::task::spawn(task)));
    let code = async_std::task::block_on(shared::run(
        args,
        move |url, config| connector.connect(url, config),
        spawn,
    ));
    std::process::exit(code)
}
