//! A line client on smol: sends stdin lines, prints what comes back.
//!
//! `cargo run -p ws-smol --example client -- ws://127.0.0.1:9001/`

#[path = "../../examples/shared/client.rs"]
mod shared;

use smol::io::{AsyncBufReadExt, BufReader};

fn main() {
    smol::block_on(async {
        let (ws, _) = shared::connect_or_exit(ws_smol::connect(&shared::url())).await;
        let lines = BufReader::new(smol::Unblock::new(std::io::stdin())).lines();
        shared::session(ws, lines).await;
    })
}
