//! What the `autobahn-client` examples of every runtime share: flags, the
//! configuration, the connector (TLS roots included) and the Autobahn
//! testsuite's client loop. Each example adds only its runtime's executor,
//! spawn and `Connector`.
//!
//! The loop is the standard one for `wstest -m fuzzingserver`: ask
//! `/getCaseCount`, run `/runCase?case=N&agent=AGENT` for every case,
//! echoing every text and binary message until the server closes (with
//! `--split` through the socket's split halves: a reader task hands
//! messages to a writer task), then `/updateReports?agent=AGENT` so the
//! reports include this agent.

use std::env;
use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use super::ws::{self, Config, Connector, Error, Message, WebSocket};

#[path = "echo_loop.rs"]
mod echo_loop;
// The client half of it: `--ca` and the connector.
#[allow(dead_code)]
#[path = "tls.rs"]
mod tls;

pub(crate) use echo_loop::Spawn;

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:9001) or
/// `--url ws://HOST:PORT` / `--url wss://HOST:PORT` (the fuzzing server's
/// base URL, over TLS with `wss://`), `--ca PEM` (the certificates to
/// trust for `wss://` instead of the built-in roots: a test server's
/// self-signed one), `--split` (echo through split halves in two tasks)
/// and `--agent NAME` (default: the example's runtime, as `ws-tokio`, with
/// `-split` appended when split).
pub(crate) struct Args {
    /// The fuzzing server's base URL, without a trailing `/`.
    pub(crate) url: String,
    pub(crate) agent: String,
    pub(crate) split: bool,
    ca: Option<PathBuf>,
}

impl Args {
    pub(crate) fn parse(default_agent: &str) -> Args {
        let mut url = "ws://127.0.0.1:9001".to_owned();
        let mut ca = None;
        let mut agent = None;
        let mut split = false;
        let mut argv = env::args().skip(1);
        while let Some(flag) = argv.next() {
            if flag == "--split" {
                split = true;
                continue;
            }
            let value = argv.next();
            match (flag.as_str(), value) {
                ("--addr", Some(value)) => url = format!("ws://{value}"),
                ("--url", Some(value)) if valid_url(&value) => {
                    url = value.trim_end_matches('/').to_owned()
                }
                ("--ca", Some(value)) => match tls::ca_flag(&value) {
                    Ok(path) => ca = Some(path),
                    Err(e) => {
                        eprintln!("autobahn-client: {e}");
                        usage()
                    }
                },
                ("--agent", Some(value)) if valid_agent(&value) => agent = Some(value),
                _ => usage(),
            }
        }
        let agent = agent.unwrap_or_else(|| match split {
            true => format!("{default_agent}-split"),
            false => default_agent.to_owned(),
        });
        Args {
            url,
            agent,
            split,
            ca,
        }
    }

    /// The connector to connect with: with `--ca`, trusting those
    /// certificates for `wss://`.
    pub(crate) fn connector(&self) -> Connector {
        tls::connector(self.ca.as_deref())
    }
}

/// A base URL: `ws://` or `wss://`, a host, no path beyond `/`, no query.
fn valid_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"));
    rest.is_some_and(|rest| {
        let authority = rest.trim_end_matches('/');
        !authority.is_empty() && !authority.contains(['/', '?', '#'])
    })
}

/// The agent goes into a query string unescaped: keep it to characters
/// that need no escaping.
fn valid_agent(agent: &str) -> bool {
    !agent.is_empty()
        && agent
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn usage() -> ! {
    eprintln!(
        "usage: autobahn-client [--addr 127.0.0.1:9001 | --url ws[s]://127.0.0.1:9001] \
         [--ca CA.pem] [--split] [--agent NAME]"
    );
    std::process::exit(2)
}

/// Messages and frames up to 64 MiB, as the echo servers: the testsuite
/// sends up to 16 MiB in one frame.
pub(crate) fn config() -> Config {
    Config::default()
        .with_max_message_size(64 << 20)
        .with_max_frame_size(64 << 20)
}

/// Runs every case of the fuzzing server at `args.url`, connecting with
/// `connect(url, config)` and (with `--split`) spawning each case's writer
/// task with `spawn`; returns the process's exit code.
pub(crate) async fn run<C, F, S, I, Resp>(args: Args, connect: C, spawn: Spawn) -> i32
where
    C: Fn(String, Config) -> F,
    F: Future<Output = Result<(WebSocket<S, I>, Resp), Error>>,
    S: 'static,
    I: ws::Transport + Send + 'static,
{
    let base = args.url.clone();
    let count = match case_count(&connect, &base).await {
        Ok(count) => count,
        Err(e) => {
            eprintln!("{}: getCaseCount failed: {e}", args.agent);
            return 1;
        }
    };
    eprintln!("{}: running {count} cases against {base}", args.agent);
    let start = Instant::now();
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={}", args.agent);
        match connect(url, config()).await {
            Ok((ws, _)) => echo_loop::echo(ws, args.split, &spawn).await,
            // A case may refuse the handshake or drop the connection on
            // purpose; the testsuite judges it, not us.
            Err(e) => eprintln!("{}: case {case}: connect failed: {e}", args.agent),
        }
        if case % 50 == 0 {
            eprintln!(
                "{}: {case}/{count} cases in {:.1} s",
                args.agent,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let url = format!("{base}/updateReports?agent={}", args.agent);
    match connect(url, config()).await {
        Ok((ws, _)) => {
            let mut ws = ws;
            while let Some(Ok(_)) = ws.recv().await {}
        }
        Err(e) => {
            eprintln!("{}: updateReports failed: {e}", args.agent);
            return 1;
        }
    }
    eprintln!(
        "{}: {count} cases in {:.1} s, reports updated",
        args.agent,
        start.elapsed().as_secs_f64()
    );
    0
}

/// Asks `/getCaseCount`: the server sends the count as a text message,
/// then closes.
async fn case_count<C, F, S, I, Resp>(connect: &C, base: &str) -> Result<u32, String>
where
    C: Fn(String, Config) -> F,
    F: Future<Output = Result<(WebSocket<S, I>, Resp), Error>>,
    I: ws::Transport,
{
    let (ws, _) = connect(format!("{base}/getCaseCount"), config())
        .await
        .map_err(|e| e.to_string())?;
    let mut ws = ws;
    let mut count = None;
    while let Some(message) = ws.recv().await {
        let message = match message {
            Ok(message) => message,
            // The testsuite resets the TCP connection right after the
            // closing handshake: the count has arrived by then.
            Err(_) if count.is_some() => break,
            Err(e) => return Err(e.to_string()),
        };
        if let Message::Text(text) = message {
            count = Some(
                text.as_str()
                    .trim()
                    .parse()
                    .map_err(|e| format!("case count {:?} is not a number: {e}", text.as_str()))?,
            );
        }
    }
    count.ok_or_else(|| "the server closed without sending the case count".to_owned())
}
