//! The Autobahn testsuite's client loop on async-std, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-async-std --example autobahn-client -- --addr 127.0.0.1:9001 [--split] [--agent ws-async-std]`

#[path = "../../examples/shared/autobahn_client.rs"]
mod shared;

use std::sync::Arc;

fn main() {
    let args = shared::Args::parse("ws-async-std");
    let spawn: shared::Spawn = Arc::new(|task| drop(async_std::task::spawn(task)));
    let code = async_std::task::block_on(shared::run(
        args,
        |url, config| async move { ws_async_std::connect_with(&url, config).await },
        spawn,
    ));
    std::process::exit(code)
}
