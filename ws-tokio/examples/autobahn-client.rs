//! The Autobahn testsuite's client loop on tokio, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-tokio --example autobahn-client -- --addr 127.0.0.1:9001 [--split] [--agent ws-tokio]`

#[path = "../../examples/shared/autobahn_client.rs"]
mod shared;

use std::sync::Arc;

fn main() -> std::io::Result<()> {
    let args = shared::Args::parse("ws-tokio");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let spawn: shared::Spawn = Arc::new(|task| drop(tokio::spawn(task)));
    let code = runtime.block_on(shared::run(
        args,
        |url, config| async move { ws_tokio::connect_with(&url, config).await },
        spawn,
    ));
    std::process::exit(code)
}
