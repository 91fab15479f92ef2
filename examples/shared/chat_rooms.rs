//! The chat's rooms and the operator's commands, runtime-agnostic: a
//! `std` mutex over the members, and for each member a bounded
//! `async-channel` queue that its session drains. Nothing here waits: a
//! message is put in each queue with `try_send`, and a member whose queue
//! is full is dropped from the chat and closed by its session (1008), so
//! a slow client never holds up the others.
//!
//! With a cluster link (`--redis`, `chat_cluster.rs`) the chat also hands
//! what the other servers should see to the link, without waiting, and
//! delivers to its own members what the link brings from them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use async_channel::{Receiver, Sender, TrySendError};
use futures_util::future::{select, Either};

use super::cluster::{Event, Link};
use super::ws::{CloseCode, Utf8Bytes};

/// How many messages may wait for one client. A client whose queue is
/// full (it reads more slowly than its room talks) is closed.
pub(crate) const QUEUE_LEN: usize = 256;

/// The longest name or room name kept, in characters.
const NAME_LEN: usize = 32;

/// Why the server closes a client's connection.
#[derive(Debug, Clone)]
pub(crate) struct Kick {
    pub(crate) code: CloseCode,
    pub(crate) reason: String,
}

/// A client in the chat, as its session sees it.
pub(crate) struct Joined {
    pub(crate) id: u64,
    /// Its name in the chat: the name asked for, made unique.
    pub(crate) name: String,
    /// What the chat says to it, in order.
    pub(crate) queue: Receiver<Utf8Bytes>,
    /// Set when the server closes it: too slow, or kicked.
    pub(crate) kicked: Receiver<Kick>,
}

struct Member {
    name: String,
    room: String,
    peer: SocketAddr,
    /// The HTTP version its WebSocket was opened over: `HTTP/1.1` (an
    /// Upgrade, RFC 6455 section 4) or `HTTP/2` (an extended CONNECT
    /// stream, RFC 8441 section 5).
    version: &'static str,
    queue: Sender<Utf8Bytes>,
    kick: Sender<Kick>,
}

#[derive(Default)]
struct Members {
    next_id: u64,
    by_id: BTreeMap<u64, Member>,
}

/// Who a message goes to.
enum To<'a> {
    All,
    Room { room: &'a str, except: Option<u64> },
    One(u64),
}

impl To<'_> {
    fn includes(&self, id: u64, member: &Member) -> bool {
        match self {
            To::All => true,
            To::Room { room, except } => member.room == *room && *except != Some(id),
            To::One(one) => id == *one,
        }
    }
}

/// The runtime's sleep, for the limits the chat sets itself (the grace
/// a kicked client has to answer our Close).
pub(crate) type Sleep = fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// The chat: its members by room, the server's log, its runtime's sleep
/// and its link to the other servers, if any.
pub(crate) struct Chat {
    members: Mutex<Members>,
    log: Box<dyn Fn(&str) + Send + Sync>,
    sleep: Sleep,
    cluster: OnceLock<Arc<Link>>,
}

impl Chat {
    /// A chat with no members that logs each line (or block of lines)
    /// with `log` (the examples print it, tests keep it) and waits with
    /// `sleep`.
    pub(crate) fn new(log: impl Fn(&str) + Send + Sync + 'static, sleep: Sleep) -> Arc<Chat> {
        Arc::new(Chat {
            members: Mutex::new(Members::default()),
            log: Box::new(log),
            sleep,
            cluster: OnceLock::new(),
        })
    }

    /// Shares the rooms with the other servers through `link` (made by
    /// `Cluster::new`); a chat has one link at most.
    pub(crate) fn attach(&self, link: Arc<Link>) -> Result<(), Arc<Link>> {
        self.cluster.set(link)
    }

    fn cluster(&self) -> Option<&Link> {
        self.cluster.get().map(|link| &**link)
    }

    /// Waits `limit` on the chat's runtime.
    pub(crate) fn sleep(&self, limit: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        (self.sleep)(limit)
    }

    /// Runs `work` for at most `limit`.
    pub(crate) async fn within<T>(
        &self,
        limit: Duration,
        work: impl Future<Output = T>,
    ) -> Option<T> {
        match select(pin!(work), (self.sleep)(limit)).await {
            Either::Left((out, _)) => Some(out),
            Either::Right(_) => None,
        }
    }

    /// Writes to the server's log.
    pub(crate) fn log(&self, line: &str) {
        (self.log)(line)
    }

    fn lock(&self) -> MutexGuard<'_, Members> {
        // No step leaves the members half changed: keep going after a
        // panic elsewhere.
        self.members
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a client to `room` (default `lobby`) under `name` (default
    /// `guest-N`, made unique with `-2`, `-3`...), greets it and tells
    /// the room. `version` is the HTTP version its WebSocket was opened
    /// over, for the log and `/list`.
    pub(crate) fn join(
        &self,
        name: &str,
        room: &str,
        peer: SocketAddr,
        version: &'static str,
    ) -> Joined {
        let (queue_tx, queue) = async_channel::bounded(QUEUE_LEN);
        let (kick, kicked) = async_channel::bounded(1);
        let mut members = self.lock();
        members.next_id += 1;
        let id = members.next_id;
        let room = match clean(room) {
            room if room.is_empty() => "lobby".to_owned(),
            room => room,
        };
        let cluster = self.cluster();
        let elsewhere = |name: &str| cluster.is_some_and(|link| link.has(name));
        let name = unique_name(&members, &clean(name), id, elsewhere);
        let mut here: Vec<String> = members
            .by_id
            .values()
            .filter(|m| m.room == room)
            .map(|m| m.name.clone())
            .collect();
        if let Some(link) = cluster {
            here.extend(link.names_in(&room));
        }
        let welcome = match here.is_empty() {
            true => format!("* welcome, {name}: you are in {room}, alone for now"),
            false => format!(
                "* welcome, {name}: you are in {room} with {}",
                here.join(", ")
            ),
        };
        // A new queue has room for the greeting.
        let _ = queue_tx.try_send(welcome.into());
        self.log(&format!(
            "[join] {name} ({peer}) joined {room} over {version}"
        ));
        let joined = format!("* {name} joined {room}");
        self.deliver(
            &mut members,
            To::Room {
                room: &room,
                except: None,
            },
            &joined,
        );
        members.by_id.insert(
            id,
            Member {
                name: name.clone(),
                room: room.clone(),
                peer,
                version,
                queue: queue_tx,
                kick,
            },
        );
        // A notice lost while the link is down has no sender to tell;
        // the presence republished on reconnecting makes up for it.
        let _ = self.publish(
            Event::Joined {
                name: name.clone(),
                room,
                line: joined,
            },
            None,
        );
        Joined {
            id,
            name,
            queue,
            kicked,
        }
    }

    /// Removes a client whose connection ended, and tells its room. Does
    /// nothing for a client already removed (closed by the server).
    pub(crate) fn leave(&self, id: u64, why: &str) {
        let mut members = self.lock();
        if let Some(member) = members.by_id.remove(&id) {
            self.log(&format!(
                "[leave] {} ({}) left {}: {why}",
                member.name, member.peer, member.room
            ));
            let left = format!("* {} left {}", member.name, member.room);
            let to = To::Room {
                room: &member.room,
                except: None,
            };
            self.deliver(&mut members, to, &left);
            self.publish_left(member, left);
        }
    }

    /// A text message from client `id`: printed on the console, and sent
    /// with the sender's name to everyone else in its room.
    pub(crate) fn say(&self, id: u64, text: &str) {
        let mut members = self.lock();
        let Some(member) = members.by_id.get(&id) else {
            return;
        };
        let (name, room) = (member.name.clone(), member.room.clone());
        self.log(&format!("[{room}] {name}: {}", printable(text)));
        let to = To::Room {
            room: &room,
            except: Some(id),
        };
        let line = format!("{name}: {text}");
        self.deliver(&mut members, to, &line);
        if let Err(not_sent) = self.publish(Event::Room { room, line }, Some(id)) {
            self.deliver(&mut members, To::One(id), not_sent.notice());
        }
    }

    /// Logs something about client `id` under its name.
    pub(crate) fn note(&self, id: u64, what: &str) {
        if let Some(member) = self.lock().by_id.get(&id) {
            self.log(&format!("{} ({}): {what}", member.name, member.peer));
        }
    }

    /// Runs one line of the operator console: a line to every client;
    /// `/to NAME text` to one; `/kick NAME [reason]`; `/list`; `/help`.
    pub(crate) fn command(&self, line: &str) {
        let line = line.trim_end_matches(['\r', '\n']);
        let Some(command) = line.strip_prefix('/') else {
            if !line.trim().is_empty() {
                let mut members = self.lock();
                let n = members.by_id.len() + self.cluster().map_or(0, |l| l.members().len());
                self.log(&format!("[operator to all {n}] {}", printable(line)));
                let line = format!("[operator] {line}");
                self.deliver(&mut members, To::All, &line);
                drop(members);
                if let Err(not_sent) = self.publish(Event::All { line }, None) {
                    self.log(&format!("console: {}", not_sent.notice()));
                }
            }
            return;
        };
        let (verb, rest) = command.split_once(' ').unwrap_or((command, ""));
        let (name, text) = rest.trim_start().split_once(' ').unwrap_or((rest, ""));
        match verb {
            "to" if !name.is_empty() && !text.is_empty() => {
                let mut members = self.lock();
                let private = format!("[operator to you] {text}");
                match find(&members, name) {
                    Some(id) => {
                        self.log(&format!("[operator to {name}] {}", printable(text)));
                        self.deliver(&mut members, To::One(id), &private);
                    }
                    None if self.cluster().is_some_and(|link| link.has(name)) => {
                        self.log(&format!(
                            "[operator to {name}, on another server] {}",
                            printable(text)
                        ));
                        let to = Event::To {
                            name: name.to_owned(),
                            line: private,
                        };
                        if let Err(not_sent) = self.publish(to, None) {
                            self.log(&format!("console: {}", not_sent.notice()));
                        }
                    }
                    None => self.log(&format!("console: no client called {name}")),
                }
            }
            "kick" if !name.is_empty() => {
                let reason = match text.trim() {
                    "" => "kicked by the operator",
                    reason => reason,
                };
                let mut members = self.lock();
                match find(&members, name) {
                    Some(id) => {
                        self.remove(&mut members, id, CloseCode::POLICY_VIOLATION, reason);
                    }
                    None if self.cluster().is_some_and(|link| link.has(name)) => {
                        self.log(&format!("console: kicking {name} on another server"));
                        let kick = Event::Kick {
                            name: name.to_owned(),
                            reason: reason.to_owned(),
                        };
                        if let Err(not_sent) = self.publish(kick, None) {
                            self.log(&format!("console: {}", not_sent.notice()));
                        }
                    }
                    None => self.log(&format!("console: no client called {name}")),
                }
            }
            "list" => self.log(&self.list()),
            _ => self.log(
                "console: a line goes to every client; /to NAME text sends to one; \
                 /kick NAME [reason] closes one (1008); /list shows the rooms",
            ),
        }
    }

    /// The rooms and their members, for `/list`: with a cluster link,
    /// the members on the other servers too, as last read from Redis.
    pub(crate) fn list(&self) -> String {
        let members = self.lock();
        let remote = self
            .cluster()
            .map(|link| link.members())
            .unwrap_or_default();
        let mut rooms: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for m in members.by_id.values() {
            rooms.entry(&m.room).or_default().push(format!(
                "{} ({}, {}, {} queued)",
                m.name,
                m.peer,
                m.version,
                m.queue.len()
            ));
        }
        for m in &remote {
            let entry = format!("{} (on {})", m.name, m.server);
            rooms.entry(&m.room).or_default().push(entry);
        }
        let mut out = match (members.by_id.len(), remote.len()) {
            (0, 0) => "no clients".to_owned(),
            (n, 0) => format!("{n} clients"),
            (n, r) => format!("{} clients ({r} on other servers)", n + r),
        };
        for (room, entries) in rooms {
            let _ = write!(out, "\n  {room}: {}", entries.join(" "));
        }
        match self.cluster() {
            Some(link) if !link.is_up() => {
                out.push_str("\n  (the cluster link is down: other servers not shown)")
            }
            Some(link) => {
                let _ = write!(out, "\n  (this server is {} in the cluster)", link.id());
            }
            None => {}
        }
        out
    }

    /// Hands `event` to the cluster link, if there is one; `sender` is
    /// told if it then fails to go out.
    fn publish(&self, event: Event, sender: Option<u64>) -> Result<(), super::cluster::NotSent> {
        match self.cluster() {
            Some(link) => link.send(event, sender),
            None => Ok(()),
        }
    }

    /// Tells the other servers that `member` left, with the notice `line`
    /// its room got here.
    fn publish_left(&self, member: Member, line: String) {
        let left = Event::Left {
            name: member.name,
            room: member.room,
            line,
        };
        // No sender to tell: the presence refresh makes up for it.
        let _ = self.publish(left, None);
    }

    /// A line from another server for the local members of `room`.
    pub(crate) fn deliver_room(&self, room: &str, line: &str) {
        let to = To::Room { room, except: None };
        self.deliver(&mut self.lock(), to, line);
    }

    /// A line from another server for every local member.
    pub(crate) fn deliver_all(&self, line: &str) {
        self.deliver(&mut self.lock(), To::All, line);
    }

    /// A line from another server for the local member called `name`;
    /// whether there is one.
    pub(crate) fn deliver_to(&self, name: &str, line: &str) -> bool {
        let mut members = self.lock();
        let found = find(&members, name);
        if let Some(id) = found {
            self.deliver(&mut members, To::One(id), line);
        }
        found.is_some()
    }

    /// Closes the local member called `name` (1008, `reason`), for an
    /// operator on another server; whether there was one.
    pub(crate) fn kick(&self, name: &str, reason: &str) -> bool {
        let mut members = self.lock();
        let found = find(&members, name);
        if let Some(id) = found {
            self.remove(&mut members, id, CloseCode::POLICY_VIOLATION, reason);
        }
        found.is_some()
    }

    /// A line for local member `id` only: what the cluster link says
    /// about its message.
    pub(crate) fn notify(&self, id: u64, line: &str) {
        self.deliver(&mut self.lock(), To::One(id), line);
    }

    /// The local members' names and rooms, for the presence in Redis.
    pub(crate) fn local_members(&self) -> Vec<(String, String)> {
        let members = self.lock();
        members
            .by_id
            .values()
            .map(|m| (m.name.clone(), m.room.clone()))
            .collect()
    }

    /// The rooms that have local members, whose channels the cluster link
    /// subscribes to.
    pub(crate) fn local_rooms(&self) -> BTreeSet<String> {
        let members = self.lock();
        members.by_id.values().map(|m| m.room.clone()).collect()
    }

    /// Puts `text` in the queue of everyone `to` names. A member whose
    /// queue is full is removed and closed with 1008, and its room told,
    /// which may find another full queue: repeated until none is.
    fn deliver(&self, members: &mut Members, to: To<'_>, text: &str) {
        let text = Utf8Bytes::from(text);
        let mut slow = Vec::new();
        for (&id, member) in &members.by_id {
            if !to.includes(id, member) {
                continue;
            }
            match member.queue.try_send(text.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => slow.push(id),
                // Its session has ended; `leave` removes it.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        for id in slow {
            let reason = format!("too slow: {QUEUE_LEN} messages waiting");
            self.remove(members, id, CloseCode::POLICY_VIOLATION, &reason);
        }
    }

    /// Removes member `id`, has its session close it with `code` and
    /// `reason`, and tells its room.
    fn remove(&self, members: &mut Members, id: u64, code: CloseCode, reason: &str) {
        let Some(member) = members.by_id.remove(&id) else {
            return;
        };
        self.log(&format!(
            "[leave] {} ({}) removed from {}: {code} {reason}",
            member.name, member.peer, member.room
        ));
        let kick = Kick {
            code,
            reason: reason.to_owned(),
        };
        let _ = member.kick.try_send(kick);
        let left = format!("* {} left {} ({reason})", member.name, member.room);
        let to = To::Room {
            room: &member.room,
            except: None,
        };
        self.deliver(members, to, &left);
        self.publish_left(member, left);
    }
}

/// The member called `name`.
fn find(members: &Members, name: &str) -> Option<u64> {
    members
        .by_id
        .iter()
        .find(|(_, m)| m.name == name)
        .map(|(&id, _)| id)
}

/// A name or room as given, trimmed, without control characters, with
/// spaces as `_` (so that `/to NAME text` can name it), and cut to
/// [`NAME_LEN`] characters.
fn clean(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .take(NAME_LEN)
        .collect()
}

/// `wanted` if no member has it (here, or `elsewhere`: on another server
/// as far as this one knows), else `wanted-2`, `wanted-3`...; `guest-ID`
/// for an empty name.
fn unique_name(
    members: &Members,
    wanted: &str,
    id: u64,
    elsewhere: impl Fn(&str) -> bool,
) -> String {
    let base = match wanted {
        "" => format!("guest-{id}"),
        name => name.to_owned(),
    };
    let taken = |name: &str| members.by_id.values().any(|m| m.name == name) || elsewhere(name);
    let mut name = base.clone();
    let mut n = 1;
    while taken(&name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}

/// `text` for the console: control characters (a newline that would fake
/// a log line, say) escaped.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}
