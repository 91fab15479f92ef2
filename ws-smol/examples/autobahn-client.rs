//! The Autobahn testsuite's client loop on smol, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-smol --example autobahn-client -- --addr 127.0.0.1:9001 [--split] [--agent ws-smol]`

#[path = "../../examples/shared/autobahn_client.rs"]
mod shared;

use std::sync::Arc;

use smol::Executor;

fn main() {
    let args = shared::Args::parse("ws-smol");
    // One executor on this thread runs the case loop and the writer tasks.
    let executor = Arc::new(Executor::new());
    let spawn: shared::Spawn = {
        let executor = executor.clone();
        Arc::new(move |task| executor.spawn(task).detach())
    };
    let code = smol::block_on(executor.run(shared::run(
        args,
        |url, config| async move { ws_smol::connect_with(&url, config).await },
        spawn,
    )));
    std::process::exit(code)
}
