//! The Autobahn testsuite's client loop on smol, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-smol --example autobahn-client -- --addr 127.0.0.1:9001 [--split] [--agent ws-smol]`
//! (`--url wss://127.0.0.1:9001 --ca cert.pem` instead of `--addr` for a fuzzing server over TLS)

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_smol as ws;

#[path = "shared/autobahn_client.rs"]
mod shared;

use std::sync::Arc;

use smol::Executor;

fn main() {
    let args = shared::Args::parse("ws-smol");
    let connector = args.connector();
    // One executor on this thread runs the case loop and the writer tasks.
    let executor = Arc::new(Executor::new());
    let spawn: shared::Spawn = {
        let executor = executor.clone();
        Arc::new(move |task| executor.spawn(task).detach())
    };
    let code = smol::block_on(executor.run(shared::run(
        args,
        move |url, config| connector.connect(url, config),
        spawn,
    )));
    std::process::exit(code)
}
