//! permessage-deflate against other implementations, on loopback: our
//! client against Python's `websockets` as an echo server, and our server
//! against Node's `ws` as an echo client. Each gets the messages that
//! break a sender that ends a message with an empty, already flushed
//! fragment (an empty final fragment; an empty message after compressed
//! data, with and without context takeover; smaller windows), and each
//! must echo them back intact.
//!
//! The peers are installed by the test from their registries into
//! `target/tmp/peers/` (pinned versions, reused once installed) with
//! `python3 -m pip` and `npm`, which are installed from Debian's packages
//! when missing (`conformance::system`); where that cannot be done the
//! test fails (it does not skip). Every wait is bounded, and the peer processes are killed
//! at the end, whatever happened.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use conformance::system;
use tokio::net::TcpListener;
use ws_proto::deflate::DeflateConfig;
use ws_tokio::{Accept, CloseCode, Config, Message, MessageKind, WebSocket};

/// The peers' versions, pinned so that a run tests what it says.
const WEBSOCKETS: &str = "websockets==17.4";
const WS: &str = "ws@8.23.0";

/// One install, one connection, one wait for a peer.
const WAIT: Duration = Duration::from_secs(120);

// ---- what is sent ---------------------------------------------------------

/// One message as it goes out: in one frame, or as these fragments.
enum Outgoing {
    Whole(Message),
    Fragments(MessageKind, &'static [&'static [u8]]),
}

/// The messages, each with what must come back.
fn script() -> Vec<(Outgoing, Message)> {
    let long = "a message long enough to be compressed at any threshold";
    vec![
        // An empty final fragment after compressed data.
        (
            Outgoing::Fragments(MessageKind::Text, &[b"hello, ", b"world", b""]),
            Message::text("hello, world"),
        ),
        (
            Outgoing::Fragments(MessageKind::Binary, &[&[7; 100], b""]),
            Message::binary(vec![7; 100]),
        ),
        // Empty fragments everywhere, an empty message made of them.
        (
            Outgoing::Fragments(MessageKind::Binary, &[b"", b"", b""]),
            Message::binary(Vec::new()),
        ),
        // An empty message after compressed data: with context takeover,
        // the compressor was flushed by the message before.
        (Outgoing::Whole(Message::text(long)), Message::text(long)),
        (Outgoing::Whole(Message::text("")), Message::text("")),
        (
            Outgoing::Whole(Message::binary(Vec::new())),
            Message::binary(Vec::new()),
        ),
        // And the stream goes on.
        (Outgoing::Whole(Message::text(long)), Message::text(long)),
        (
            Outgoing::Whole(Message::binary(vec![7; 100])),
            Message::binary(vec![7; 100]),
        ),
    ]
}

/// Sends the script and reads every echo back, in order.
async fn exchange<S>(ws: &mut WebSocket<S>, who: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let script = script();
    for (outgoing, _) in &script {
        match outgoing {
            Outgoing::Whole(message) => ws.send(message.clone()).await,
            Outgoing::Fragments(kind, pieces) => {
                let mut sent = Ok(());
                for (i, piece) in pieces.iter().enumerate() {
                    sent = ws.send_fragment(*kind, *piece, i + 1 == pieces.len()).await;
                    if sent.is_err() {
                        break;
                    }
                }
                sent
            }
        }
        .unwrap_or_else(|e| panic!("{who}: sending failed: {e}"));
    }
    for (i, (_, expected)) in script.iter().enumerate() {
        // The peers' keepalive Pings (every 20 s in both) may come between.
        let echo = loop {
            match ws.recv().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => break other,
            }
        };
        match echo {
            Some(Ok(message)) => assert_eq!(&message, expected, "{who}: echo {i}"),
            other => panic!("{who}: echo {i}: expected {expected:?}, got {other:?}"),
        }
    }
}

/// The settings both sides' variants run with: everything compressed (the
/// empty messages too), the default windows and context takeover, then
/// none, then small windows.
fn variants() -> Vec<(&'static str, DeflateConfig, &'static str)> {
    let eager = DeflateConfig::default().with_threshold(0);
    let no_takeover = eager
        .clone()
        .with_client_no_context_takeover(true)
        .with_server_no_context_takeover(true);
    let small = eager
        .clone()
        .with_client_max_window_bits(9)
        .with_server_max_window_bits(9);
    vec![
        ("context takeover", eager, r#"{"threshold":0}"#),
        (
            "no context takeover",
            no_takeover,
            r#"{"threshold":0,"clientNoContextTakeover":true,"serverNoContextTakeover":true}"#,
        ),
        (
            "9-bit windows",
            small,
            r#"{"threshold":0,"clientMaxWindowBits":9,"serverMaxWindowBits":9}"#,
        ),
    ]
}

// ---- the tests ------------------------------------------------------------

#[test]
fn our_client_against_python_websockets() {
    let site = install_python_websockets();
    let server = Peer::spawn(
        Command::new("python3")
            .arg(peers_source().join("websockets_echo_server.py"))
            .env("PYTHONPATH", &site),
    );
    let (mut server, mut stdout) = server;
    let banner = read_line(&mut stdout, &mut server, "the server's port");
    let port = banner
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    println!("Python websockets server: {banner}");
    runtime().block_on(async {
        for (name, settings, _) in variants() {
            let url = format!("ws://127.0.0.1:{port}/");
            let config = Config::default().with_deflate(settings);
            let connected = ws_tokio::connect_with(&url, config);
            let (mut ws, response) = tokio::time::timeout(WAIT, connected)
                .await
                .unwrap_or_else(|_| panic!("{name}: connecting timed out"))
                .unwrap_or_else(|e| panic!("{name}: connecting failed: {e}"));
            let agreed = response.header("Sec-WebSocket-Extensions").unwrap_or("");
            println!("{name}: agreed {agreed:?}");
            assert!(
                agreed.starts_with("permessage-deflate"),
                "{name}: {agreed:?}"
            );
            let who = format!("our client ({name})");
            tokio::time::timeout(WAIT, async {
                exchange(&mut ws, &who).await;
                ws.close_with(CloseCode::NORMAL, "").await
            })
            .await
            .unwrap_or_else(|_| panic!("{who}: timed out"))
            .unwrap_or_else(|e| panic!("{who}: closing failed: {e}"));
        }
    });
}

#[test]
fn our_server_against_node_ws() {
    let modules = install_node_ws();
    runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/", listener.local_addr().expect("address"));
        for (name, settings, options) in variants() {
            let (mut client, stdout) = Peer::spawn(
                Command::new("node")
                    .arg(peers_source().join("ws_echo_client.js"))
                    .args([&url, options])
                    .env("NODE_PATH", &modules),
            );
            let who = format!("our server ({name})");
            let config = Config::default().with_deflate(settings);
            let mut offered = String::new();
            tokio::time::timeout(WAIT, async {
                let (stream, _) = listener.accept().await.expect("accept");
                let mut ws = ws_tokio::accept_with(stream, config, |request| {
                    offered = request
                        .header("Sec-WebSocket-Extensions")
                        .unwrap_or("")
                        .to_owned();
                    Ok(Accept::new())
                })
                .await
                .unwrap_or_else(|e| panic!("{who}: the handshake failed: {e}"));
                exchange(&mut ws, &who).await;
                ws.close_with(CloseCode::NORMAL, "").await
            })
            .await
            .unwrap_or_else(|_| panic!("{who}: timed out"))
            .unwrap_or_else(|e| panic!("{who}: closing failed: {e}"));
            let output = client.wait_output(stdout, &who);
            println!("{name}: offered {offered:?}; the client said {output}");
            assert!(
                output.contains(r#""extensions":"permessage-deflate"#),
                "{who}: permessage-deflate was not agreed: {output}"
            );
            assert!(output.contains(r#""close":1000"#), "{who}: {output}");
        }
    });
}

// ---- peers and their installation ----------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// `conformance/peers/`, where the peers' programs are.
fn peers_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// `target/tmp/peers/NAME`, where a peer is installed.
fn install_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("peers")
        .join(name)
}

/// Installs `websockets` with pip unless that version is there already;
/// returns the directory to put on `PYTHONPATH`.
fn install_python_websockets() -> PathBuf {
    system::require(
        "python3 with pip",
        || system::succeeds(Command::new("python3").args(["-m", "pip", "--version"])),
        &["python3", "python3-pip"],
    );
    let dir = install_dir("python");
    install_once(&dir, WEBSOCKETS, || {
        let mut pip = Command::new("python3");
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-input", "--root-user-action=ignore", "--target"])
        .arg(&dir)
        .arg(WEBSOCKETS);
        pip
    });
    dir
}

/// Installs `ws` with npm unless that version is there already; returns
/// the directory to put on `NODE_PATH`.
fn install_node_ws() -> PathBuf {
    system::require(
        "node with npm",
        || {
            system::succeeds(Command::new("node").arg("--version"))
                && system::succeeds(Command::new("npm").arg("--version"))
        },
        &["nodejs", "npm"],
    );
    let dir = install_dir("node");
    install_once(&dir, WS, || {
        let mut npm = Command::new("npm");
        npm.args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--silent",
        ])
        .arg("--prefix")
        .arg(&dir)
        .arg(WS);
        npm
    });
    dir.join("node_modules")
}

/// Runs `install` unless `dir` records that `what` was installed there.
fn install_once(dir: &Path, what: &str, install: impl FnOnce() -> Command) {
    let stamp = dir.join(".installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == what) {
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("a directory for the peer");
    let mut command = install();
    command.stdin(Stdio::null());
    let (mut child, _) = Peer::spawn(&mut command);
    let status = child.wait(WAIT, &format!("installing {what}"));
    assert!(status.success(), "installing {what} failed: {status}");
    std::fs::write(&stamp, what).expect("the install stamp");
}

/// A child process, killed when dropped.
struct Peer(Child);

impl Peer {
    /// Starts `command` with its stdout piped to the test.
    fn spawn(command: &mut Command) -> (Peer, BufReader<ChildStdout>) {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program} (it is needed here): {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        (Peer(child), BufReader::new(stdout))
    }

    /// Waits for the process to exit, for at most [`WAIT`].
    fn wait(&mut self, limit: Duration, what: &str) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("the peer's status") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: no exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a successful exit and returns what the process printed.
    fn wait_output(&mut self, mut stdout: BufReader<ChildStdout>, who: &str) -> String {
        let status = self.wait(WAIT, who);
        let mut output = String::new();
        stdout
            .read_to_string(&mut output)
            .expect("the peer's output");
        assert!(
            status.success(),
            "{who}: the peer exited with {status}: {output}"
        );
        output
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads one line the peer prints; fails if it exits first.
fn read_line(stdout: &mut BufReader<ChildStdout>, peer: &mut Peer, what: &str) -> String {
    let mut line = String::new();
    let read = stdout.read_line(&mut line).expect("the peer's output");
    if read == 0 {
        let status = peer.wait(WAIT, what);
        panic!("the peer exited with {status} before printing {what}");
    }
    line.trim().to_owned()
}
