//! A line client on smol: sends stdin lines, prints what comes back.
//!
//! `cargo run -p ws-smol --example client -- ws://127.0.0.1:9001/`
//! (or `wss://localhost:9001/ --ca cert.pem` to trust a test certificate)

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_smol as ws;

#[path = "shared/client.rs"]
mod shared;

use smol::io::{AsyncBufReadExt, BufReader};

fn main() {
    smol::block_on(async {
        let args = shared::Args::parse();
        let connector = args.connector();
        let (ws, _) = shared::connect_or_exit(
            connector.connect(args.url.as_str(), ws_smol::Config::default()),
        )
        .await;
        let lines = BufReader::new(smol::Unblock::new(std::io::stdin())).lines();
        shared::session(ws, lines).await;
    })
}
