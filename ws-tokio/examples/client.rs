//! A line client on tokio: sends stdin lines, prints what comes back.
//!
//! `cargo run -p ws-tokio --example client -- ws://127.0.0.1:9001/`
//! (or `wss://localhost:9001/ --ca cert.pem` to trust a test certificate)

// The adapter under the name that the shared code (shared/*.rs) uses.
use ws_tokio as ws;

#[path = "shared/client.rs"]
mod shared;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_stream_lines::Lines;

mod tokio_stream_lines {
    //! tokio's `Lines` as a `Stream`.
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_util::Stream;
    use tokio::io::AsyncBufRead;

    pub(crate) struct Lines<R>(pub(crate) tokio::io::Lines<R>);

    impl<R: AsyncBufRead + Unpin> Stream for Lines<R> {
        type Item = std::io::Result<String>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Pin::new(&mut self.0)
                .poll_next_line(cx)
                .map(Result::transpose)
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = shared::Args::parse();
    let connector = args.connector();
    let (ws, _) =
        shared::connect_or_exit(connector.connect(args.url.as_str(), ws_tokio::Config::default()))
            .await;
    let lines = Lines(BufReader::new(tokio::io::stdin()).lines());
    shared::session(ws, lines).await;
}
