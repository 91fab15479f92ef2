//! The Autobahn testsuite's client loop on smol, for `wstest -m fuzzingserver`.
//!
//! `cargo run --release -p ws-smol --example autobahn-client -- --addr 127.0.0.1:9001 [--agent ws-smol]`

#[path = "../../examples/shared/autobahn_client.rs"]
mod shared;

fn main() {
    let args = shared::Args::parse("ws-smol");
    let code = smol::block_on(shared::run(args, |url, config| async move {
        ws_smol::connect_with(&url, config).await
    }));
    std::process::exit(code)
}
