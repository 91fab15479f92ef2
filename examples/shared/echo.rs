//! What the `echo-server` examples of every runtime share: flags, the
//! configuration and the echo loops. Each example adds only its runtime's
//! listener, spawn and executor.

use std::env;

use ws_proto::Config;

#[path = "echo_loop.rs"]
mod echo_loop;

pub(crate) use echo_loop::{echo, Spawn};

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:9001),
/// `--threads N` (default 1: a current-thread runtime) and `--split`
/// (echo through the socket's split halves: a reader task hands messages
/// to a writer task).
pub(crate) struct Args {
    pub(crate) addr: String,
    pub(crate) threads: usize,
    pub(crate) split: bool,
}

impl Args {
    pub(crate) fn parse() -> Args {
        let mut args = Args {
            addr: "127.0.0.1:9001".to_owned(),
            threads: 1,
            split: false,
        };
        let mut argv = env::args().skip(1);
        while let Some(flag) = argv.next() {
            if flag == "--split" {
                args.split = true;
                continue;
            }
            let value = argv.next();
            match (flag.as_str(), value) {
                ("--addr", Some(addr)) => args.addr = addr,
                ("--threads", Some(n)) => match n.parse() {
                    Ok(n) if n > 0 => args.threads = n,
                    _ => usage(),
                },
                _ => usage(),
            }
        }
        args
    }
}

fn usage() -> ! {
    eprintln!("usage: echo-server [--addr 127.0.0.1:9001] [--threads N] [--split]");
    std::process::exit(2)
}

/// Messages and frames up to 64 MiB: the Autobahn testsuite and the
/// benchmarks send up to 16 MiB in one frame.
pub(crate) fn config() -> Config {
    Config::default()
        .with_max_message_size(64 << 20)
        .and_then(|c| c.with_max_frame_size(64 << 20))
        .expect("valid limits")
}
