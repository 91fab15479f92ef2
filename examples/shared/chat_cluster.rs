//! Rooms across servers (`--redis URL`): several chat servers, on any
//! runtime, share their rooms through Redis pub/sub. Runtime-agnostic:
//! the example spawns [`Cluster::run`], which waits with the runtime's
//! sleep it was given, and redis-rs drives its connections on the runtime
//! it finds.
//!
//! What goes where:
//!
//! - A room's messages are delivered to the local members at once by the
//!   chat, and published once to the channel `chat:room:ROOM`. A server
//!   subscribes to a room's channel while it has local members in it
//!   (SUBSCRIBE on the first, UNSUBSCRIBE after the last leaves).
//! - Joins, leaves, the operator's lines, private lines (`/to`) and kicks
//!   go to `chat:all`, which every server subscribes to: each server
//!   delivers what concerns its own members.
//! - Every event carries its server's id; a server drops its own, so that
//!   nothing is delivered twice.
//! - Presence: each server keeps its members (name → room) in the hash
//!   `chat:members:ID`, which expires [`PRESENCE_TTL`] after its last
//!   refresh (every [`REFRESH`], and at each join and leave), and its id
//!   in the set `chat:servers`. Each refresh reads the other servers'
//!   hashes back, so that `/list`, the welcome line and `/to` know the
//!   members on every server; a server that died vanishes when its hash
//!   expires, and is then taken out of the set.
//!
//! When Redis is down (at start, killed, restarting) each server goes on
//! serving its local rooms, logs that the link is down and reconnects
//! with a bounded exponential backoff ([`BACKOFF_MIN`] to
//! [`BACKOFF_MAX`]); then it resubscribes its rooms and republishes its
//! presence. A message that cannot be published (the link is down, the
//! queue to the publisher is full, or the publish fails) is not claimed
//! as delivered elsewhere: its sender is told [`NotSent::notice`].
//!
//! The chat's mutex is never held over Redis I/O: the chat hands events
//! to a bounded queue ([`OUTBOX_LEN`]) that the publisher drains.
//!
//! Wire format: one JSON object per message, `{"from": ID, "kind": ...}`
//! and the kind's string fields. What comes from Redis is bounded
//! ([`MAX_EVENT`] bytes, each field's length) and checked; anything else
//! is logged and dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncConnectionConfig, Client, Msg, RedisResult};
use serde_json::{json, Value};

use super::rooms::Chat;

/// The channel every server subscribes to.
const ALL: &str = "chat:all";
/// The prefix of a room's channel: `chat:room:ROOM`.
const ROOM_PREFIX: &str = "chat:room:";
/// The set of the servers' ids.
const SERVERS: &str = "chat:servers";
/// The prefix of a server's members hash: `chat:members:ID`.
const MEMBERS_PREFIX: &str = "chat:members:";
/// The field every members hash has, so that a live server with no
/// members still has one: the empty name, which no member has (the chat
/// names a member with no name `guest-N`).
const ALIVE: &str = "";

/// How long a server's members hash outlives its last refresh: three
/// refreshes may be missed before a live server's members vanish.
pub(crate) const PRESENCE_TTL: Duration = Duration::from_secs(15);
/// How often a server rewrites its members hash and reads the others'.
pub(crate) const REFRESH: Duration = Duration::from_secs(5);
/// The first wait before reconnecting; doubled at each failure...
pub(crate) const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// ...up to this.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How long connecting (and subscribing) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one command may wait for its answer. Generous: a loaded
/// machine must not be taken for a dead link.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many events may wait for the publisher.
pub(crate) const OUTBOX_LEN: usize = 1024;
/// The largest message accepted from Redis: a line as long as a client
/// may send (64 KiB) with every byte escaped by JSON (`\u0000`, six bytes
/// each), and the rest of the event.
pub(crate) const MAX_EVENT: usize = 6 * MAX_LINE + 1024;
/// The longest line (a room message with its sender's name) accepted.
const MAX_LINE: usize = (64 << 10) + 256;
/// The longest name, room or server id accepted from Redis, in bytes: the
/// chat's 32 characters of up to 4 bytes each, and a server id.
const MAX_NAME: usize = 128;
/// How many other servers are kept from Redis...
const MAX_SERVERS: usize = 256;
/// ...and how many members of each.
const MAX_MEMBERS: usize = 10_000;

/// The runtime's sleep, for the backoff, the refresh and the timeouts.
pub(crate) type Sleep = fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a server tells the others.
#[derive(Debug)]
pub(crate) enum Event {
    /// A line for everyone in `room`: a member's message.
    Room { room: String, line: String },
    /// `name` joined `room`: `line` is the notice its room gets.
    Joined {
        name: String,
        room: String,
        line: String,
    },
    /// `name` left `room`: `line` is the notice its room gets.
    Left {
        name: String,
        room: String,
        line: String,
    },
    /// A line for every client: the operator's.
    All { line: String },
    /// A line for the client called `name` only.
    To { name: String, line: String },
    /// The operator closes the client called `name`.
    Kick { name: String, reason: String },
}

impl Event {
    /// The channel it is published to.
    fn channel(&self) -> String {
        match self {
            Event::Room { room, .. } => format!("{ROOM_PREFIX}{room}"),
            _ => ALL.to_owned(),
        }
    }

    /// The event on the wire, from server `from`.
    fn encode(&self, from: &str) -> String {
        let value = match self {
            Event::Room { room, line } => json!({"kind": "room", "room": room, "line": line}),
            Event::Joined { name, room, line } => {
                json!({"kind": "joined", "name": name, "room": room, "line": line})
            }
            Event::Left { name, room, line } => {
                json!({"kind": "left", "name": name, "room": room, "line": line})
            }
            Event::All { line } => json!({"kind": "all", "line": line}),
            Event::To { name, line } => json!({"kind": "to", "name": name, "line": line}),
            Event::Kick { name, reason } => json!({"kind": "kick", "name": name, "reason": reason}),
        };
        let mut value = value;
        if let Value::Object(fields) = &mut value {
            fields.insert("from".to_owned(), Value::from(from));
        }
        value.to_string()
    }

    /// The event in `payload` and the server it came from; why not, for
    /// the log, when it is too long, not JSON, or lacks a field.
    fn decode(payload: &[u8]) -> Result<(String, Event), String> {
        if payload.len() > MAX_EVENT {
            return Err(format!("{} bytes, over {MAX_EVENT}", payload.len()));
        }
        let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(fields) = value else {
            return Err("not a JSON object".to_owned());
        };
        let get = |key: &str, limit: usize| -> Result<String, String> {
            match fields.get(key) {
                Some(Value::String(s)) if s.len() <= limit => Ok(s.clone()),
                Some(Value::String(_)) => Err(format!("its {key} is over {limit} bytes")),
                _ => Err(format!("no string {key}")),
            }
        };
        let from = get("from", MAX_NAME)?;
        let event = match get("kind", 16)?.as_str() {
            "room" => Event::Room {
                room: get("room", MAX_NAME)?,
                line: get("line", MAX_LINE)?,
            },
            "joined" => Event::Joined {
                name: get("name", MAX_NAME)?,
                room: get("room", MAX_NAME)?,
                line: get("line", MAX_LINE)?,
            },
            "left" => Event::Left {
                name: get("name", MAX_NAME)?,
                room: get("room", MAX_NAME)?,
                line: get("line", MAX_LINE)?,
            },
            "all" => Event::All {
                line: get("line", MAX_LINE)?,
            },
            "to" => Event::To {
                name: get("name", MAX_NAME)?,
                line: get("line", MAX_LINE)?,
            },
            "kick" => Event::Kick {
                name: get("name", MAX_NAME)?,
                reason: get("reason", MAX_LINE)?,
            },
            kind => return Err(format!("unknown kind {kind:?}")),
        };
        Ok((from, event))
    }
}

/// Why an event was not handed to the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotSent {
    /// The link to Redis is down.
    Down,
    /// [`OUTBOX_LEN`] events already wait for the publisher.
    Full,
}

impl NotSent {
    /// What the sender of a message that did not go out is told.
    pub(crate) fn notice(self) -> &'static str {
        match self {
            NotSent::Down => "* not delivered to other servers: the cluster link is down",
            NotSent::Full => "* not delivered to other servers: the cluster link is overloaded",
        }
    }
}

/// An event waiting for the publisher, and the local member who sent it
/// (told if it does not go out).
struct Outgoing {
    event: Event,
    sender: Option<u64>,
}

/// A member on another server.
#[derive(Debug)]
pub(crate) struct Remote {
    pub(crate) name: String,
    pub(crate) room: String,
    pub(crate) server: String,
}

/// The chat's side of the cluster: the publisher's queue, whether the
/// link is up, and the members on the other servers as last read.
pub(crate) struct Link {
    id: String,
    outbox: async_channel::Sender<Outgoing>,
    up: AtomicBool,
    /// Server id → member name → room.
    remote: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Link {
    /// This server's id in the cluster.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Whether the link to Redis is up.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Hands `event` to the publisher without waiting; `sender`, a local
    /// member, is told if it then fails to go out.
    pub(crate) fn send(&self, event: Event, sender: Option<u64>) -> Result<(), NotSent> {
        if !self.is_up() {
            return Err(NotSent::Down);
        }
        self.outbox
            .try_send(Outgoing { event, sender })
            .map_err(|e| match e {
                async_channel::TrySendError::Full(_) => NotSent::Full,
                // The cluster task is gone: as good as down.
                async_channel::TrySendError::Closed(_) => NotSent::Down,
            })
    }

    fn remote(&self) -> MutexGuard<'_, BTreeMap<String, BTreeMap<String, String>>> {
        // Each change is one insert or remove: nothing is left half done.
        self.remote.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The names of the members of `room` on other servers, sorted.
    pub(crate) fn names_in(&self, room: &str) -> Vec<String> {
        let remote = self.remote();
        let mut names: Vec<String> = remote
            .values()
            .flat_map(|members| members.iter())
            .filter(|(_, r)| *r == room)
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// Whether a member on another server is called `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.remote().values().any(|m| m.contains_key(name))
    }

    /// The members on the other servers.
    pub(crate) fn members(&self) -> Vec<Remote> {
        let remote = self.remote();
        remote
            .iter()
            .flat_map(|(server, members)| {
                members.iter().map(move |(name, room)| Remote {
                    name: name.clone(),
                    room: room.clone(),
                    server: server.clone(),
                })
            })
            .collect()
    }
}

/// The cluster task of one chat: connects to Redis, publishes what the
/// chat hands it, delivers what the other servers publish, keeps the
/// presence, and reconnects when the link fails.
pub(crate) struct Cluster {
    chat: Arc<Chat>,
    link: Arc<Link>,
    client: Client,
    url: String,
    outbox: async_channel::Receiver<Outgoing>,
    sleep: Sleep,
}

impl Cluster {
    /// Links `chat` to the Redis at `url` under an id made of `name` (the
    /// server's address, say) and a random suffix, so that a restarted
    /// server is a new one; it waits with `sleep`. The link comes up once [`run`](Self::run),
    /// which the example spawns, connects; until then the chat serves its
    /// local rooms only. Fails on a URL redis-rs does not take, or when
    /// `chat` already has a link.
    pub(crate) fn new(
        chat: &Arc<Chat>,
        url: &str,
        name: &str,
        sleep: Sleep,
    ) -> Result<Cluster, String> {
        let client = Client::open(url).map_err(|e| format!("--redis {url}: {e}"))?;
        let (outbox_tx, outbox) = async_channel::bounded(OUTBOX_LEN);
        let link = Arc::new(Link {
            id: format!("{name}/{:08x}", random_u32()),
            outbox: outbox_tx,
            up: AtomicBool::new(false),
            remote: Mutex::new(BTreeMap::new()),
        });
        chat.attach(link.clone())
            .map_err(|_| "the chat already has a cluster link".to_owned())?;
        Ok(Cluster {
            chat: chat.clone(),
            link,
            client,
            url: url.to_owned(),
            outbox,
            sleep,
        })
    }

    /// Keeps the link up for ever: connects, serves it until it fails,
    /// then waits (100 ms, doubled after each failed attempt, at most
    /// 5 s) and connects again. Never panics; every failure is logged.
    pub(crate) async fn run(self) {
        let mut backoff = BACKOFF_MIN;
        // Logged once per outage, not at every attempt.
        let mut down_logged = false;
        loop {
            match self.connect().await {
                Ok((conn, sink, stream)) => {
                    let why = self.serve(conn, sink, stream).await;
                    self.link.up.store(false, Ordering::Release);
                    self.link.remote().clear();
                    self.fail_waiting();
                    self.chat.log(&format!(
                        "[cluster] link to Redis down: {why}; local rooms go on, reconnecting"
                    ));
                    down_logged = true;
                    backoff = BACKOFF_MIN;
                }
                Err(e) => {
                    if !down_logged {
                        self.chat.log(&format!(
                            "[cluster] link to Redis down: cannot connect to {}: {e}; \
                             local rooms go on, reconnecting",
                            self.url
                        ));
                        down_logged = true;
                    }
                    (self.sleep)(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            }
            (self.sleep)(backoff).await;
        }
    }

    /// Opens the publishing connection and the subscribing one,
    /// subscribes to [`ALL`] and the local rooms and writes the presence:
    /// the link is then up.
    async fn connect(&self) -> Result<(MultiplexedConnection, PubSubSink, PubSubStream), String> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let opened = self.within(CONNECT_TIMEOUT * 2, async {
            let conn = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            let (mut sink, stream) = self.client.get_async_pubsub().await?.split();
            sink.subscribe(ALL).await?;
            RedisResult::Ok((conn, sink, stream))
        });
        let (mut conn, mut sink, stream) = match opened.await {
            Some(Ok(opened)) => opened,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err(format!("no answer within {:?}", CONNECT_TIMEOUT * 2)),
        };
        let mut subscribed = BTreeSet::new();
        self.sync_rooms(&mut sink, &mut subscribed)
            .await
            .map_err(|e| format!("subscribing: {e}"))?;
        self.refresh(&mut conn)
            .await
            .map_err(|e| format!("writing the presence: {e}"))?;
        self.link.up.store(true, Ordering::Release);
        self.chat.log(&format!(
            "[cluster] linked to Redis at {} as {}",
            self.url, self.link.id
        ));
        Ok((conn, sink, stream))
    }

    /// Runs `work` for at most `limit`.
    async fn within<T>(&self, limit: Duration, work: impl Future<Output = T>) -> Option<T> {
        match select(pin!(work), (self.sleep)(limit)).await {
            Either::Left((out, _)) => Some(out),
            Either::Right(_) => None,
        }
    }

    /// Serves a connected link until it fails: what comes in, what goes
    /// out, and the presence every [`REFRESH`]. Returns why it failed.
    async fn serve(
        &self,
        mut conn: MultiplexedConnection,
        mut sink: PubSubSink,
        mut stream: PubSubStream,
    ) -> String {
        let incoming = pin!(async {
            while let Some(msg) = stream.next().await {
                self.receive(&msg);
            }
            "the subscription's connection ended".to_owned()
        });
        let outgoing = pin!(async {
            // The rooms subscribed to besides ALL, kept in step with the
            // chat's local rooms before each publish and each refresh.
            let mut subscribed: BTreeSet<String> = self.chat.local_rooms();
            let mut next_refresh = Instant::now() + REFRESH;
            loop {
                let wait = next_refresh.saturating_duration_since(Instant::now());
                let step = match select(pin!(self.outbox.recv()), (self.sleep)(wait)).await {
                    Either::Left((Ok(out), _)) => {
                        let synced = self.sync_rooms(&mut sink, &mut subscribed).await;
                        match synced {
                            Ok(()) => self.publish(&mut conn, &out.event).await,
                            Err(e) => Err(e),
                        }
                        .map_err(|e| {
                            if let Some(id) = out.sender {
                                self.chat.notify(id, NotSent::Down.notice());
                            }
                            format!("publishing: {e}")
                        })
                    }
                    // The chat holds the queue's sender for ever.
                    Either::Left((Err(_), _)) => Err("the chat is gone".to_owned()),
                    Either::Right(_) => {
                        next_refresh = Instant::now() + REFRESH;
                        match self.sync_rooms(&mut sink, &mut subscribed).await {
                            Ok(()) => self.refresh(&mut conn).await,
                            Err(e) => Err(e),
                        }
                        .map_err(|e| format!("refreshing the presence: {e}"))
                    }
                };
                if let Err(why) = step {
                    return why;
                }
            }
        });
        match select(incoming, outgoing).await {
            Either::Left((why, _)) | Either::Right((why, _)) => why,
        }
    }

    /// Subscribes to the channels of the rooms that have local members
    /// and unsubscribes from the others.
    async fn sync_rooms(
        &self,
        sink: &mut PubSubSink,
        subscribed: &mut BTreeSet<String>,
    ) -> RedisResult<()> {
        let wanted = self.chat.local_rooms();
        for room in wanted.difference(subscribed) {
            sink.subscribe(format!("{ROOM_PREFIX}{room}")).await?;
        }
        for room in subscribed.difference(&wanted) {
            sink.unsubscribe(format!("{ROOM_PREFIX}{room}")).await?;
        }
        *subscribed = wanted;
        Ok(())
    }

    /// Publishes `event`; a join or a leave updates this server's members
    /// hash in the same transaction, so that a server that reads the
    /// hash after the notice sees the member it announced.
    async fn publish(&self, conn: &mut MultiplexedConnection, event: &Event) -> RedisResult<()> {
        let key = format!("{MEMBERS_PREFIX}{}", self.link.id);
        let mut pipe = redis::pipe();
        pipe.atomic();
        match event {
            Event::Joined { name, room, .. } => {
                pipe.hset(&key, ALIVE, "")
                    .ignore()
                    .hset(&key, name, room)
                    .ignore()
                    .expire(&key, ttl_secs())
                    .ignore();
            }
            Event::Left { name, .. } => {
                pipe.hdel(&key, name).ignore();
            }
            _ => {}
        }
        pipe.publish(event.channel(), event.encode(&self.link.id))
            .ignore();
        pipe.query_async(conn).await
    }

    /// Rewrites this server's members hash (with its expiry) and its
    /// entry in [`SERVERS`], then reads the other servers' members; a
    /// server whose hash has expired is taken out of the set.
    async fn refresh(&self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        let key = format!("{MEMBERS_PREFIX}{}", self.link.id);
        let members = self.chat.local_members();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(&key)
            .ignore()
            .hset(&key, ALIVE, "")
            .ignore();
        if !members.is_empty() {
            pipe.hset_multiple(&key, &members).ignore();
        }
        pipe.expire(&key, ttl_secs())
            .ignore()
            .sadd(SERVERS, &self.link.id)
            .ignore();
        pipe.query_async::<()>(&mut *conn).await?;

        let servers: Vec<String> = redis::cmd("SMEMBERS")
            .arg(SERVERS)
            .query_async(&mut *conn)
            .await?;
        let mut read = BTreeMap::new();
        for server in servers.into_iter().filter(|s| *s != self.link.id) {
            if read.len() == MAX_SERVERS {
                self.chat.log(&format!(
                    "[cluster] over {MAX_SERVERS} servers: the others are not shown"
                ));
                break;
            }
            let fields: Vec<(String, String)> = redis::cmd("HGETALL")
                .arg(format!("{MEMBERS_PREFIX}{server}"))
                .query_async(&mut *conn)
                .await?;
            if fields.is_empty() {
                // Expired: its server is gone.
                redis::cmd("SREM")
                    .arg(SERVERS)
                    .arg(&server)
                    .query_async::<()>(&mut *conn)
                    .await?;
                continue;
            }
            let members: BTreeMap<String, String> = fields
                .into_iter()
                .filter(|(name, room)| {
                    name != ALIVE && name.len() <= MAX_NAME && room.len() <= MAX_NAME
                })
                .take(MAX_MEMBERS)
                .collect();
            read.insert(server, members);
        }
        *self.link.remote() = read;
        Ok(())
    }

    /// Handles a message from Redis: drops this server's own, logs and
    /// drops what is malformed, applies the rest to the chat.
    fn receive(&self, msg: &Msg) {
        let channel = msg.get_channel_name();
        let (from, event) = match Event::decode(msg.get_payload_bytes()) {
            Ok(decoded) => decoded,
            Err(why) => {
                self.chat.log(&format!(
                    "[cluster] dropped a message on {}: {why}",
                    printable(channel)
                ));
                return;
            }
        };
        if from == self.link.id {
            return;
        }
        if event.channel() != channel {
            self.chat.log(&format!(
                "[cluster] dropped a message from {}: sent on {}, not its channel",
                printable(&from),
                printable(channel)
            ));
            return;
        }
        match event {
            Event::Room { room, line } => self.chat.deliver_room(&room, &line, false),
            Event::Joined { name, room, line } => {
                self.chat.log(&format!(
                    "[cluster] {} joined {} on {}",
                    printable(&name),
                    printable(&room),
                    printable(&from)
                ));
                let mut remote = self.link.remote();
                if remote.len() < MAX_SERVERS || remote.contains_key(&from) {
                    let members = remote.entry(from).or_default();
                    if members.len() < MAX_MEMBERS {
                        members.insert(name, room.clone());
                    }
                }
                drop(remote);
                self.chat.deliver_room(&room, &line, true);
            }
            Event::Left { name, room, line } => {
                self.chat.log(&format!(
                    "[cluster] {} left {} on {}",
                    printable(&name),
                    printable(&room),
                    printable(&from)
                ));
                if let Some(members) = self.link.remote().get_mut(&from) {
                    members.remove(&name);
                }
                self.chat.deliver_room(&room, &line, true);
            }
            Event::All { line } => self.chat.deliver_all(&line),
            Event::To { name, line } => {
                self.chat.deliver_to(&name, &line);
            }
            Event::Kick { name, reason } => {
                self.chat.kick(&name, &reason);
            }
        }
    }

    /// Tells the senders of the events still queued when the link fails
    /// that they did not go out.
    fn fail_waiting(&self) {
        while let Ok(out) = self.outbox.try_recv() {
            if let Some(id) = out.sender {
                self.chat.notify(id, NotSent::Down.notice());
            }
        }
    }
}

/// [`PRESENCE_TTL`] in whole seconds, as EXPIRE takes it.
fn ttl_secs() -> i64 {
    PRESENCE_TTL.as_secs() as i64
}

/// A random number for the server's id, from the standard library's
/// randomly keyed hasher (no dependency for four bytes that need only
/// differ between servers).
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish() as u32
}

/// `text` from Redis for the log: control characters escaped.
fn printable(text: &str) -> String {
    text.escape_debug().to_string()
}

/// A future the example spawns: the cluster link of `--redis URL` for
/// `chat` serving `addr`, waiting with the runtime's `sleep`, if the flag
/// was given. Exits with a usage error on a URL redis-rs does not take.
pub(crate) fn link(
    chat: &Arc<Chat>,
    url: Option<&str>,
    addr: std::net::SocketAddr,
    sleep: Sleep,
) -> Option<impl Future<Output = ()> + Send + 'static> {
    let url = url?;
    match Cluster::new(chat, url, &addr.to_string(), sleep) {
        Ok(cluster) => Some(cluster.run()),
        Err(e) => {
            eprintln!("chat: {e}");
            std::process::exit(2)
        }
    }
}
