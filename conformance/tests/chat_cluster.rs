//! Rooms across servers (the chat's `--redis URL`): chat servers on tokio,
//! smol and async-std, in this process, share their rooms through a real
//! Redis (Debian's `redis-server`, see `conformance::redis`), with clients
//! of the project's own on each. The examples' files are built in, so the
//! servers under test are the programs' own code.
//!
//! Every wait is bounded; nothing asserts how long something took.

// The examples' shared files (symlinks to examples/shared/) are built in
// once per runtime, on purpose: each runtime's chat is its own copy.
#![allow(clippy::duplicate_mod)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use conformance::redis::RedisServer;
use tokio::net::{TcpSocket, TcpStream};
use ws_tokio::{ClientRequest, CloseCode, Config, MaybeTlsStream, Message, WebSocket};

#[allow(dead_code)]
#[path = "../../ws-tokio/examples/chat.rs"]
mod tokio_chat;

#[allow(dead_code)]
#[path = "../../ws-smol/examples/chat.rs"]
mod smol_chat;

#[allow(dead_code)]
#[path = "../../ws-async-std/examples/chat.rs"]
mod async_std_chat;

/// Bound on every single wait of these tests (a reconnection backs off 5 s
/// at most, so twice that and more).
const WAIT: Duration = Duration::from_secs(20);

/// The notice of a message that did not reach the other servers.
const NOT_DELIVERED: &str = "* not delivered to other servers: the cluster link is down";

async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, work).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {WAIT:?}: {what}"),
    }
}

/// The lines a server logged.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    /// The chat's log function: prints under `server` and keeps the line.
    fn sink(&self, server: &'static str) -> impl Fn(&str) + Send + Sync + 'static {
        let log = self.clone();
        move |line| {
            println!("[{server}] {line}");
            log.0.lock().expect("log").push(line.to_owned());
        }
    }

    /// How many logged lines contain `needle`.
    fn count(&self, needle: &str) -> usize {
        let lines = self.0.lock().expect("log");
        lines.iter().filter(|line| line.contains(needle)).count()
    }

    /// The first logged line that contains `needle`.
    fn find(&self, needle: &str) -> Option<String> {
        let lines = self.0.lock().expect("log");
        lines.iter().find(|line| line.contains(needle)).cloned()
    }

    /// Waits until `n` logged lines contain `needle`.
    async fn wait_count(&self, needle: &str, n: usize) {
        within(&format!("{n} logged lines with {needle:?}"), async {
            while self.count(needle) < n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
    }

    async fn wait(&self, needle: &str) {
        self.wait_count(needle, 1).await
    }
}

/// A chat server linked to Redis, on one runtime.
struct Node {
    addr: SocketAddr,
    log: Log,
    /// The operator console of its chat.
    command: Box<dyn Fn(&str) + Send + Sync>,
    /// Dropped, it ends the runtime thread of a smol or async-std server.
    _stop: Option<async_channel::Sender<()>>,
}

/// The chat example of `$example` (an async-io runtime's) serving on a
/// thread of its own, run by `$block_on` with the runtime's
/// `$listener`: the two differ in their types only.
macro_rules! on_own_thread {
    ($name:literal, $redis:expr, $example:ident, $block_on:path, $listener:ty) => {{
        use $example::shared::{cluster::Cluster, Chat};
        Node::on_thread($name, $redis, |log, redis, started, stop| {
            $block_on(async move {
                let listener = <$listener>::bind("127.0.0.1:0").await.expect("bind");
                let addr = listener.local_addr().expect("local address");
                let chat = Chat::new(log);
                let name = addr.to_string();
                let cluster = Cluster::new(&chat, &redis, &name, $example::sleep).expect("cluster");
                let command = chat.clone();
                let _ = started.send((addr, Box::new(move |line: &str| command.command(line))));
                let running = futures_util::future::join(
                    $example::serve(listener, chat, None),
                    cluster.run(),
                );
                futures_util::future::select(pin!(running), pin!(stop.recv())).await;
            })
        })
    }};
}

impl Node {
    /// The tokio chat example's server, on the test's runtime.
    async fn tokio(redis: &str) -> Node {
        use tokio_chat::shared::cluster::{Cluster, Sleep};
        use tokio_chat::shared::Chat;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local address");
        let log = Log::default();
        let chat = Chat::new(log.sink("tokio"));
        let sleep: Sleep = |limit| Box::pin(tokio::time::sleep(limit));
        let cluster = Cluster::new(&chat, redis, &addr.to_string(), sleep).expect("cluster");
        tokio::spawn(cluster.run());
        tokio::spawn(tokio_chat::serve(listener, chat.clone(), None));
        Node {
            addr,
            log,
            command: Box::new(move |line| chat.command(line)),
            _stop: None,
        }
    }

    /// The smol chat example's server, on a thread of its own.
    fn smol(redis: &str) -> Node {
        on_own_thread!(
            "smol",
            redis,
            smol_chat,
            smol::block_on,
            smol::net::TcpListener
        )
    }

    /// The async-std chat example's server, on a thread of its own.
    fn async_std(redis: &str) -> Node {
        on_own_thread!(
            "async-std",
            redis,
            async_std_chat,
            async_std::task::block_on,
            async_std::net::TcpListener
        )
    }

    /// Runs `server` (a runtime's executor serving the chat until `stop`
    /// ends) on a thread, and waits until it says where it listens.
    fn on_thread<F>(name: &'static str, redis: &str, server: F) -> Node
    where
        F: FnOnce(
                Box<dyn Fn(&str) + Send + Sync>,
                String,
                std::sync::mpsc::Sender<Started>,
                async_channel::Receiver<()>,
            ) + Send
            + 'static,
    {
        let log = Log::default();
        let (started, start) = std::sync::mpsc::channel();
        let (stop, stopped) = async_channel::bounded(1);
        let sink = Box::new(log.sink(name));
        let redis = redis.to_owned();
        std::thread::spawn(move || server(sink, redis, started, stopped));
        let (addr, command) = start.recv_timeout(WAIT).expect("the server started");
        Node {
            addr,
            log,
            command,
            _stop: Some(stop),
        }
    }

    /// Runs `line` on its operator console.
    fn console(&self, line: &str) {
        (self.command)(line)
    }

    /// Waits until its link to Redis has come up `n` times.
    async fn linked(&self, n: usize) {
        self.log.wait_count("[cluster] linked to Redis", n).await
    }

    /// Runs `/list` until its answer contains `needle` (the other
    /// servers' members come with their presence): the answer.
    async fn list_until(&self, needle: &str) -> String {
        within(&format!("/list showing {needle:?}"), async {
            loop {
                self.console("/list");
                if let Some(line) = self.log.find(needle) {
                    return line;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
    }
}

/// What a server thread says once it listens: where, and its console.
type Started = (SocketAddr, Box<dyn Fn(&str) + Send + Sync>);

type Client = WebSocket<MaybeTlsStream<TcpStream>>;

/// Joins the chat at `node` with the query `query`.
async fn join(node: &Node, query: &str) -> Client {
    let url = format!("ws://{}/ws?{query}", node.addr);
    within("connect", ws_tokio::connect(&url))
        .await
        .expect("connect")
        .0
}

/// The next text message; panics on anything else.
async fn next_text(ws: &mut Client) -> String {
    loop {
        match within("a text message", ws.recv()).await {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

async fn say(ws: &mut Client, text: &str) {
    within("send", ws.send(Message::text(text)))
        .await
        .expect("send")
}

/// The Close that ends the connection, reading on until the end.
async fn close_frame(ws: &mut Client) -> (u16, String) {
    within("the server's Close", async {
        let mut close = None;
        while let Some(message) = ws.recv().await {
            match message {
                Ok(Message::Close(frame)) => {
                    close = Some((frame.code().as_u16(), frame.reason().to_owned()))
                }
                Ok(_) => {}
                Err(e) => panic!("expected a Close, got {e}"),
            }
        }
        close.expect("a Close before the end")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_span_servers_on_three_runtimes() {
    let redis = RedisServer::start();
    let tokio = Node::tokio(&redis.url()).await;
    let smol = Node::smol(&redis.url());
    let async_std = Node::async_std(&redis.url());
    for node in [&tokio, &smol, &async_std] {
        node.linked(1).await;
    }

    // Joins are announced on every server, and the welcome line names the
    // room's members wherever they are.
    let mut alice = join(&tokio, "name=alice&room=lobby").await;
    assert_eq!(
        next_text(&mut alice).await,
        "* welcome, alice: you are in lobby, alone for now"
    );
    smol.log.wait("[cluster] alice joined lobby on").await;
    let mut bob = join(&smol, "name=bob&room=lobby").await;
    assert_eq!(
        next_text(&mut bob).await,
        "* welcome, bob: you are in lobby with alice"
    );
    assert_eq!(next_text(&mut alice).await, "* bob joined lobby");
    async_std.log.wait("[cluster] bob joined lobby on").await;
    async_std.log.wait("[cluster] alice joined lobby on").await;
    let mut carol = join(&async_std, "name=carol&room=lobby").await;
    assert_eq!(
        next_text(&mut carol).await,
        "* welcome, carol: you are in lobby with alice, bob"
    );
    assert_eq!(next_text(&mut alice).await, "* carol joined lobby");
    assert_eq!(next_text(&mut bob).await, "* carol joined lobby");
    // A name taken on another server is made unique here too.
    let mut other_alice = join(&async_std, "name=alice&room=attic").await;
    assert_eq!(
        next_text(&mut other_alice).await,
        "* welcome, alice-2: you are in attic, alone for now"
    );

    // A room's messages reach its members on every server, once: each
    // sender's next message is the other's, not its own back.
    say(&mut alice, "hello from tokio").await;
    assert_eq!(next_text(&mut bob).await, "alice: hello from tokio");
    assert_eq!(next_text(&mut carol).await, "alice: hello from tokio");
    say(&mut bob, "hello from smol").await;
    assert_eq!(next_text(&mut alice).await, "bob: hello from smol");
    assert_eq!(next_text(&mut carol).await, "bob: hello from smol");
    say(&mut carol, "hello from async-std").await;
    assert_eq!(next_text(&mut alice).await, "carol: hello from async-std");
    assert_eq!(next_text(&mut bob).await, "carol: hello from async-std");

    // The operator's lines: to one client on another server, to all.
    tokio.log.wait("[cluster] carol joined lobby on").await;
    tokio.console("/to carol psst");
    assert_eq!(next_text(&mut carol).await, "[operator to you] psst");
    smol.console("all hands");
    for ws in [&mut alice, &mut bob, &mut carol, &mut other_alice] {
        assert_eq!(next_text(ws).await, "[operator] all hands");
    }

    // /list shows every server's members.
    let list = async_std.list_until("4 clients (2 on other servers)").await;
    assert!(list.contains("\n  attic: alice-2 (127.0.0.1:"), "{list}");
    assert!(list.contains("\n  lobby: carol (127.0.0.1:"), "{list}");
    assert!(list.contains(" alice (on 127.0.0.1:"), "{list}");
    assert!(list.contains(" bob (on 127.0.0.1:"), "{list}");

    // A kick from another server's console, and a leave.
    tokio.console("/kick bob be nice");
    assert_eq!(close_frame(&mut bob).await, (1008, "be nice".to_owned()));
    assert_eq!(next_text(&mut alice).await, "* bob left lobby (be nice)");
    assert_eq!(next_text(&mut carol).await, "* bob left lobby (be nice)");
    within("close", carol.close_with(CloseCode::NORMAL, "bye"))
        .await
        .expect("close");
    assert_eq!(next_text(&mut alice).await, "* carol left lobby");
    let list = tokio.list_until("2 clients (1 on other servers)").await;
    assert!(list.contains(" alice-2 (on 127.0.0.1:"), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_rooms_go_on_while_redis_is_down_and_the_link_comes_back() {
    let mut redis = RedisServer::start();
    let tokio = Node::tokio(&redis.url()).await;
    let smol = Node::smol(&redis.url());
    tokio.linked(1).await;
    smol.linked(1).await;

    let mut alice = join(&tokio, "name=alice&room=r").await;
    next_text(&mut alice).await;
    let mut dave = join(&tokio, "name=dave&room=r").await;
    next_text(&mut dave).await;
    assert_eq!(next_text(&mut alice).await, "* dave joined r");
    smol.log.wait("[cluster] dave joined r on").await;
    let mut bob = join(&smol, "name=bob&room=r").await;
    assert_eq!(
        next_text(&mut bob).await,
        "* welcome, bob: you are in r with alice, dave"
    );
    assert_eq!(next_text(&mut alice).await, "* bob joined r");
    assert_eq!(next_text(&mut dave).await, "* bob joined r");
    say(&mut alice, "before").await;
    assert_eq!(next_text(&mut bob).await, "alice: before");
    assert_eq!(next_text(&mut dave).await, "alice: before");

    // Redis dies: each server logs it and serves its own room on; a
    // message's sender hears that it did not reach the other servers.
    redis.kill();
    tokio.log.wait("[cluster] link to Redis down").await;
    smol.log.wait("[cluster] link to Redis down").await;
    say(&mut alice, "while down").await;
    assert_eq!(next_text(&mut dave).await, "alice: while down");
    assert_eq!(next_text(&mut alice).await, NOT_DELIVERED);
    say(&mut bob, "smol while down").await;
    assert_eq!(next_text(&mut bob).await, NOT_DELIVERED);
    let list = tokio.list_until("the cluster link is down").await;
    assert!(list.starts_with("2 clients\n"), "{list}");

    // Redis comes back, empty: both servers reconnect, resubscribe and
    // republish their members, without a restart.
    redis.restart();
    tokio.linked(2).await;
    smol.linked(2).await;
    say(&mut alice, "after").await;
    assert_eq!(next_text(&mut dave).await, "alice: after");
    assert_eq!(next_text(&mut bob).await, "alice: after");
    say(&mut bob, "smol after").await;
    assert_eq!(next_text(&mut alice).await, "bob: smol after");
    assert_eq!(next_text(&mut dave).await, "bob: smol after");
    let list = smol.list_until("3 clients (2 on other servers)").await;
    assert!(list.contains("\n  r: bob (127.0.0.1:"), "{list}");
}

/// How many lines the talker sends before the readers read them.
const BATCH: u64 = 50;

/// Reads the [`BATCH`] lines of `batch` from the talker, in order, on `ws` (the
/// client `who`); whether the slow client's leaving was announced among
/// them.
async fn read_batch(who: &str, ws: &mut Client, batch: u64) -> bool {
    let mut left = false;
    let mut got = 0;
    while got < BATCH {
        let text = next_text(ws).await;
        if text.starts_with("* slow left busy") {
            left = true;
            continue;
        }
        assert!(
            text.starts_with(&format!("talker: {batch}/{got} ")),
            "{who}, batch {batch}, message {got}: {}",
            &text[..text.len().min(40)]
        );
        got += 1;
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_on_one_server_does_not_hold_up_the_room_elsewhere() {
    let redis = RedisServer::start();
    let tokio = Node::tokio(&redis.url()).await;
    let smol = Node::smol(&redis.url());
    tokio.linked(1).await;
    smol.linked(1).await;

    let mut talker = join(&tokio, "name=talker&room=busy").await;
    next_text(&mut talker).await;
    let mut fast = join(&tokio, "name=fast&room=busy").await;
    next_text(&mut fast).await;
    assert_eq!(next_text(&mut talker).await, "* fast joined busy");
    smol.log.wait("[cluster] fast joined busy on").await;
    let mut bob = join(&smol, "name=bob&room=busy").await;
    next_text(&mut bob).await;
    assert_eq!(next_text(&mut talker).await, "* bob joined busy");
    assert_eq!(next_text(&mut fast).await, "* bob joined busy");

    // On the smol server, a client that never reads, with a small receive
    // buffer and no compression, so that what the room says piles up.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = within("connect", socket.connect(smol.addr))
        .await
        .expect("connect");
    let request = ClientRequest::from_url(&format!("ws://{}/ws?name=slow&room=busy", smol.addr))
        .expect("request");
    let config = Config::default().without_deflate();
    let (_slow, _) = within("handshake", ws_tokio::client(stream, request, config))
        .await
        .expect("handshake");
    assert_eq!(next_text(&mut talker).await, "* slow joined busy");

    assert_eq!(next_text(&mut fast).await, "* slow joined busy");
    assert_eq!(next_text(&mut bob).await, "* slow joined busy");

    // The talker talks in batches; after each, the readers on both
    // servers have had all of it: the slow one holds nobody up, here or
    // there. A batch (50 lines of 4 KB) is less than the backlog a server
    // lets a client have, so a reader that reads each before the next
    // keeps up. At most 128 batches (25 MB), until the smol server closes
    // the slow one.
    let mut closed = None;
    for batch in 0..128u64 {
        for i in 0..BATCH {
            let text = format!(
                "{batch}/{i} {}",
                conformance::noise_text(batch * BATCH + i, 4000)
            );
            within("send", talker.feed(Message::text(text)))
                .await
                .expect("send");
        }
        within("flush", talker.flush()).await.expect("flush");
        // Both read at once: one that waits for the other falls behind.
        let (fast_saw, bob_saw) = tokio::join!(
            read_batch("fast (tokio)", &mut fast, batch),
            read_batch("bob (smol)", &mut bob, batch)
        );
        if fast_saw || bob_saw {
            closed = Some(batch);
        }
        if closed.is_some() {
            break;
        }
    }
    let batch = closed.expect("the slow client was never closed");
    println!("the slow client was closed during batch {batch}");
    smol.log.wait("[leave] slow (127.0.0.1:").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_comes_from_redis_is_checked_and_bad_input_dropped() {
    let redis = RedisServer::start();
    let tokio = Node::tokio(&redis.url()).await;
    tokio.linked(1).await;
    let mut alice = join(&tokio, "name=alice&room=lobby").await;
    next_text(&mut alice).await;

    // Another program on the same Redis, publishing what no chat server
    // would, and then one line as a server would.
    let client = redis::Client::open(redis.url()).expect("client");
    let mut conn = within(
        "connect to Redis",
        client.get_multiplexed_async_connection(),
    )
    .await
    .expect("connect to Redis");
    let too_long = format!(
        r#"{{"from":"x","kind":"all","line":"{}"}}"#,
        "a".repeat(1 << 20)
    );
    let published = [
        ("chat:all", "not JSON".to_owned()),
        ("chat:all", r#"["an", "array"]"#.to_owned()),
        (
            "chat:all",
            r#"{"from":"x","kind":"shout","line":"hi"}"#.to_owned(),
        ),
        ("chat:all", r#"{"from":"x","kind":"all"}"#.to_owned()),
        (
            "chat:all",
            r#"{"from":"x","kind":"all","line":7}"#.to_owned(),
        ),
        ("chat:all", too_long),
        // A room's line on the wrong channel.
        (
            "chat:all",
            r#"{"from":"x","kind":"room","room":"lobby","line":"wrong channel"}"#.to_owned(),
        ),
        (
            "chat:room:lobby",
            r#"{"from":"x","kind":"room","room":"lobby","line":"ghost: hi"}"#.to_owned(),
        ),
    ];
    for (channel, payload) in published {
        let receivers: usize = within(
            "PUBLISH",
            redis::cmd("PUBLISH")
                .arg(channel)
                .arg(payload)
                .query_async(&mut conn),
        )
        .await
        .expect("PUBLISH");
        assert_eq!(receivers, 1, "the chat server subscribes to {channel}");
    }
    // Only the well-formed line arrives; each of the others was logged.
    assert_eq!(next_text(&mut alice).await, "ghost: hi");
    for why in [
        "not JSON",
        "not a JSON object",
        "unknown kind \"shout\"",
        "no string line",
        "bytes, over",
        "sent on chat:all, not its channel",
    ] {
        tokio.log.wait(why).await;
    }
    assert_eq!(tokio.log.count("[cluster] dropped a message"), 7);
    // The link stayed up.
    assert_eq!(tokio.log.count("[cluster] link to Redis down"), 0);
}
