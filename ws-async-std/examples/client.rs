//! A line client on async-std: sends stdin lines, prints what comes back.
//!
//! `cargo run -p ws-async-std --example client -- ws://127.0.0.1:9001/`

#[path = "../../examples/shared/client.rs"]
mod shared;

use async_std::io::{prelude::BufReadExt, BufReader};

fn main() {
    async_std::task::block_on(async {
        let (ws, _) = shared::connect_or_exit(ws_async_std::connect(&shared::url())).await;
        let lines = BufReader::new(async_std::io::stdin()).lines();
        shared::session(ws, lines).await;
    })
}
