//! The Autobahn testsuite's client loop on tokio, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-tokio --example autobahn-client -- --addr 127.0.0.1:9001 [--split] [--agent ws-tokio]`
//! (`--url wss://127.0.0.1:9001 --ca cert.pem` instead of `--addr` for a fuzzing server over TLS)

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_tokio as ws;

#[path = "shared/autobahn_client.rs"]
mod shared;

use std::sync::Arc;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse("ws-tokio");
    let connector = args.connector();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let spawn: shared::Spawn = Arc::new(|task| drop(tokio::spawn(task)));
    let code = runtime.block_on(shared::run(
        args,
        move |url, config| connector.connect(url, config),
        spawn,
    ));
    std::process::exit(code)
}
