//! Headless Chromium (Debian's `chromium`) driven over WebDriver
//! (`chromedriver`, from Debian's `chromium-driver`) with `fantoccini`,
//! for the chat's browser tests (`browser.rs` over HTTP/1.1,
//! `browser_http2.rs` over HTTP/2): the start-up, the page-driving helpers
//! and the scenario both run, two pages chatting through the server.
//!
//! Chromium and chromedriver are installed from Debian's packages when
//! missing (`conformance::system`); where that cannot be done a test fails
//! (it does not skip). `CHROMIUM` and `CHROMEDRIVER` name
//! other binaries. [`run`] bounds the whole test in time and kills
//! chromedriver and every browser it started at the end, whatever
//! happened.

use std::future::Future;
use std::net::{TcpListener as StdListener, TcpStream as StdStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conformance::system;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::chat_server::Server;

/// The whole test, browsers included.
const TEST_LIMIT: Duration = Duration::from_secs(180);
/// One wait for the page or the server.
const WAIT: Duration = Duration::from_secs(20);

/// Debian's packages of the browser and its WebDriver, installed when
/// missing.
const CHROMIUM_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

/// How Chromium is started, besides its own profile directory and the
/// test's own arguments.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--window-size=1000,760",
];

/// What a browser's session needs: chromedriver, the browser binary, the
/// test's directory (logs, profiles, screenshots) and the arguments the
/// test adds to [`CHROMIUM_ARGS`].
pub(crate) struct Browsers {
    driver: Driver,
    chromium: PathBuf,
    /// Where the test leaves its logs and screenshots.
    dir: PathBuf,
    args: Vec<String>,
}

impl Browsers {
    /// A new browser with a fresh profile named `name` in the test's
    /// directory.
    async fn session(&self, name: &str) -> Client {
        let profile = self.dir.join(format!("profile-{name}"));
        self.driver
            .session(&self.chromium, &profile, &self.args)
            .await
    }
}

/// Runs `test` with chromedriver started, in `target/tmp/NAME/`, with
/// Chromium started with `args` besides [`CHROMIUM_ARGS`], on a tokio
/// runtime, bounded by [`TEST_LIMIT`]; then stops the runtime (the server
/// and its connections), chromedriver and its browsers, and removes the
/// profiles.
pub(crate) fn run(name: &str, args: &[&str], test: impl AsyncFnOnce(&Browsers)) {
    let chromium = system::program(
        "CHROMIUM",
        &["chromium", "chromium-browser"],
        CHROMIUM_PACKAGES,
    );
    let chromedriver = system::program("CHROMEDRIVER", &["chromedriver"], CHROMIUM_PACKAGES);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory for the browser test");
    let browsers = Browsers {
        driver: Driver::start(&chromedriver, &dir),
        chromium,
        dir,
        args: args.iter().map(|a| a.to_string()).collect(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome =
        runtime.block_on(async { tokio::time::timeout(TEST_LIMIT, test(&browsers)).await });
    // Ends the server and the clients' connections.
    drop(runtime);
    let Browsers { driver, dir, .. } = browsers;
    drop(driver);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("profile-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    if outcome.is_err() {
        panic!("the browser test took more than {TEST_LIMIT:?}");
    }
}

/// What the server must have logged of the pages' upgrades, which differ
/// with the HTTP version the browser used.
pub(crate) struct Upgrades {
    /// The start of the request line of Alice's upgrade, as the server
    /// logs it (`[open] ADDRESS` comes before it).
    pub(crate) request_line: String,
    /// The start of the `Origin` header's line in the server's log: the
    /// page's origin, under the field name as the version writes it
    /// (lowercase over HTTP/2: RFC 9113 section 8.2.1).
    pub(crate) origin: String,
    /// The HTTP version every join must have come over, as the chat logs
    /// it (`HTTP/1.1`, `HTTP/2`).
    pub(crate) version: &'static str,
    /// The protocol the browser loaded the page over, as its Navigation
    /// Timing's `nextHopProtocol` names it (the ALPN identifier: `http/1.1`,
    /// `h2`).
    pub(crate) page_protocol: &'static str,
}

/// Two pages join one room at `page` (the chat's page on `server`): one
/// sends, the other shows it; an operator line reaches both; the server
/// saw the query parameters and the cookie the page set, and `upgrades`;
/// permessage-deflate was negotiated (the page shows the `extensions` the
/// server answered); a server-side close shows its code and reason, and
/// the page's own Close, its code; Reconnect joins again. Screenshots of
/// both pages are left in the test's directory.
pub(crate) async fn chat_in_two_browsers(
    browsers: &Browsers,
    server: &Server,
    page: &str,
    upgrades: &Upgrades,
) {
    let dir = &browsers.dir;
    let alice = browsers.session("alice").await;
    let bob = browsers.session("bob").await;

    // Alice fills in the form; Bob's page is filled in from its query.
    alice.goto(page).await.expect("open the page");
    wait_text(&alice, "state", "not connected").await;
    fill(&alice, "name", "alice").await;
    fill(&alice, "room", "lobby").await;
    alice
        .find(Locator::Id("theme"))
        .await
        .expect("the theme menu")
        .select_by_value("dark")
        .await
        .expect("pick the dark theme");
    click(&alice, "connect").await;
    wait_text(&alice, "state", "connected, can talk").await;
    wait_log(
        &alice,
        "received system",
        "welcome, alice: you are in lobby, alone for now",
    )
    .await;

    bob.goto(&format!("{page}?name=bob&room=lobby&theme=light"))
        .await
        .expect("open the page");
    click(&bob, "connect").await;
    wait_text(&bob, "state", "connected, can talk").await;
    wait_log(
        &bob,
        "received system",
        "welcome, bob: you are in lobby with alice",
    )
    .await;
    wait_log(&alice, "received system", "bob joined lobby").await;

    // One sends, the other shows it with the sender's name.
    fill(&alice, "text", "hello from alice").await;
    click(&alice, "send").await;
    wait_log(&alice, "sent", "hello from alice").await;
    wait_log(&bob, "received", "alice: hello from alice").await;
    fill(&bob, "text", "hi alice, bob here").await;
    click(&bob, "send").await;
    wait_log(&alice, "received", "bob: hi alice, bob here").await;

    // The operator console's line reaches both; a private line one.
    server.chat.command("hello from the operator");
    server.chat.command("/to bob just for you");
    for page in [&alice, &bob] {
        wait_log(
            page,
            "received operator",
            "[operator] hello from the operator",
        )
        .await;
    }
    wait_log(&bob, "received operator", "[operator to you] just for you").await;

    // permessage-deflate, as the server answered it to Chromium.
    for page in [&alice, &bob] {
        let extensions = text(page, "extensions").await;
        assert!(
            extensions.starts_with("permessage-deflate"),
            "the page's WebSocket.extensions: {extensions:?}"
        );
    }

    // Each browser loaded the page over the protocol expected, and so had
    // a connection of it to open its WebSocket on.
    let protocol = "return performance.getEntriesByType('navigation')[0].nextHopProtocol";
    for page in [&alice, &bob] {
        assert_eq!(
            script(page, protocol, vec![]).await,
            json!(upgrades.page_protocol),
            "the page's nextHopProtocol"
        );
    }

    // The server saw the query parameters, the cookie each page set and
    // the upgrades as this HTTP version makes them.
    for needle in [
        upgrades.request_line.as_str(),
        "query: name=alice",
        "query: room=lobby",
        "query: name=bob",
        "cookie: chat_theme=dark",
        "cookie: chat_theme=light",
        "extension offered: permessage-deflate",
        upgrades.origin.as_str(),
        "[lobby] alice: hello from alice",
        "[http] 127.0.0.1:",
        "[join] alice (127.0.0.1:",
        &format!("joined lobby over {}", upgrades.version),
    ] {
        assert!(server.logged(needle), "the server did not log {needle:?}");
    }

    screenshot(&alice, &dir.join("alice.png")).await;
    screenshot(&bob, &dir.join("bob.png")).await;

    // The server closes Bob: his page shows the code and the reason.
    server.chat.command("/kick bob see you later");
    wait_text(&bob, "state", "closed or could not open").await;
    wait_text(&bob, "closeinfo", "1008 see you later").await;
    wait_log(&bob, "closed", "code 1008 see you later").await;
    wait_log(&alice, "received system", "bob left lobby (see you later)").await;

    // Alice closes: her page shows the code of the closing handshake.
    click(&alice, "close").await;
    wait_text(&alice, "state", "closed or could not open").await;
    wait_text(&alice, "closeinfo", "1000 bye").await;
    server
        .wait_logged("left lobby: closed by the client: 1000 bye")
        .await;

    // Reconnect joins again.
    click(&alice, "reconnect").await;
    wait_text(&alice, "state", "connected, can talk").await;
    wait_until("alice to be welcomed twice", || async {
        logs(&alice, "received system")
            .await
            .iter()
            .filter(|line| line.starts_with("welcome, alice"))
            .count()
            == 2
    })
    .await;
    server.chat.command("welcome back");
    wait_log(&alice, "received operator", "[operator] welcome back").await;
    screenshot(&bob, &dir.join("bob-closed.png")).await;

    // Every join (Alice twice, Bob once) came over this HTTP version.
    let joins = server.lines_with("[join] ");
    assert_eq!(joins.len(), 3, "the server's joins: {joins:?}");
    for join in &joins {
        assert!(
            join.ends_with(&format!(" over {}", upgrades.version)),
            "a join not over {}: {join:?}",
            upgrades.version
        );
    }

    alice.close().await.expect("end alice's session");
    bob.close().await.expect("end bob's session");
}

/// chromedriver, in its own process group so that it and every browser
/// it started can be killed together.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(chromedriver: &Path, dir: &Path) -> Driver {
        // A free port: bound, read, released. chromedriver takes it a
        // moment later; nothing else on this machine races for it.
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + WAIT;
        while StdStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// A new browser with a fresh profile in `profile`, started with
    /// `extra` besides [`CHROMIUM_ARGS`].
    async fn session(&self, chromium: &Path, profile: &Path, extra: &[String]) -> Client {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.extend(extra.iter().cloned());
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGKILL to the whole group: chromedriver and its browsers.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it is true; fails after [`WAIT`].
async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What `script` returns on `page`, run with `args`.
async fn script(page: &Client, script: &str, args: Vec<Value>) -> Value {
    page.execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("the script {script:?} failed: {e}"))
}

/// The text of the element with `id`.
async fn text(page: &Client, id: &str) -> String {
    let found = "return document.getElementById(arguments[0]).textContent";
    match script(page, found, vec![json!(id)]).await {
        Value::String(text) => text,
        other => panic!("the text of #{id}: {other:?}"),
    }
}

/// Waits until the element with `id` reads `want`.
async fn wait_text(page: &Client, id: &str, want: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = text(page, id).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "#{id} reads {now:?}, not {want:?}, after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The texts of the page's log entries of class `kind` (such as
/// `received system`).
async fn logs(page: &Client, kind: &str) -> Vec<String> {
    let entries = "return Array.from(document.querySelectorAll('#log li'))\
                   .filter(li => li.className === arguments[0])\
                   .map(li => li.querySelector('.text').textContent)";
    match script(page, entries, vec![json!(kind)]).await {
        Value::Array(items) => items
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => panic!("the page's log: {other:?}"),
    }
}

/// Waits until the page's log has an entry of class `kind` reading `want`.
async fn wait_log(page: &Client, kind: &str, want: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let entries = logs(page, kind).await;
        if entries.iter().any(|e| e == want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind:?} log entry {want:?} after {WAIT:?}; the log: {:?}",
            text(page, "log").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types `value` into the input with `id`, replacing what it held.
async fn fill(page: &Client, id: &str, value: &str) {
    let input = page.find(Locator::Id(id)).await.expect("an input");
    input.clear().await.expect("clear the input");
    input.send_keys(value).await.expect("type into the input");
}

/// Clicks the button with `id`.
async fn click(page: &Client, id: &str) {
    page.find(Locator::Id(id))
        .await
        .expect("a button")
        .click()
        .await
        .unwrap_or_else(|e| panic!("click #{id}: {e}"));
}

/// Saves a screenshot of `page` at `path`.
async fn screenshot(page: &Client, path: &Path) {
    let png = page.screenshot().await.expect("a screenshot");
    std::fs::write(path, png).expect("write the screenshot");
}
