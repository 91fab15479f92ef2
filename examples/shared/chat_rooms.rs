//! The chat's rooms and the operator's commands, runtime-agnostic: a
//! `std` mutex over the members, each held as the writing half of its
//! socket. Nothing here waits: a line is encoded once
//! ([`PreparedMessage`]) and offered to every member it goes to, which
//! queues it in that member's write buffer; the member's session, reading,
//! writes it out with whatever else was queued.
//!
//! A member whose queued output passes [`BACKLOG_LIMIT`] reads more slowly
//! than its room talks: a line from a client or the operator closes it
//! (1008), and a notice (a join, a leave) is only dropped for it. So a
//! member's leaving never pushes the others over, and a burst that every
//! member reads, however many senders it has, closes nobody.
//!
//! With a cluster link (`--redis`, `chat_cluster.rs`) the chat also hands
//! what the other servers should see to the link, without waiting, and
//! delivers to its own members what the link brings from them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::cluster::{Event, Link, NotSent};
use super::ws::{Backpressure, CloseCode, Offered, PreparedMessage, Subscriber};

/// How many bytes of output may wait for one client (about 4,000 lines of
/// chat) before it counts as too slow.
pub(crate) const BACKLOG_LIMIT: usize = 256 << 10;

/// What is said in a room, or by the operator: a member over the limit is
/// closed.
const SAID: Backpressure = Backpressure::close_above(BACKLOG_LIMIT);

/// The chat's own notices: a member over the limit misses them (they are
/// counted), and is closed only by what someone says.
const NOTICE: Backpressure = Backpressure::drop_above(BACKLOG_LIMIT);

/// The longest name or room name kept, in characters.
const NAME_LEN: usize = 32;

/// A client in the chat, as its session sees it.
pub(crate) struct Joined {
    pub(crate) id: u64,
    /// Its name in the chat: the name asked for, made unique.
    pub(crate) name: String,
}

struct Member {
    name: String,
    room: String,
    peer: SocketAddr,
    /// The HTTP version its WebSocket was opened over: `HTTP/1.1` (an
    /// Upgrade, RFC 6455 section 4) or `HTTP/2` (an extended CONNECT
    /// stream, RFC 8441 section 5).
    version: &'static str,
    /// The writing half of its socket.
    outbox: Box<dyn Subscriber>,
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

/// The chat: its members by room, the server's log and its link to the
/// other servers, if any.
pub(crate) struct Chat {
    members: Mutex<Members>,
    log: Box<dyn Fn(&str) + Send + Sync>,
    cluster: OnceLock<Arc<Link>>,
}

impl Chat {
    /// A chat with no members that logs each line (or block of lines)
    /// with `log` (the examples print it, tests keep it).
    pub(crate) fn new(log: impl Fn(&str) + Send + Sync + 'static) -> Arc<Chat> {
        Arc::new(Chat {
            members: Mutex::new(Members::default()),
            log: Box::new(log),
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
    /// over, for the log and `/list`; `outbox` is the writing half of its
    /// socket, whose reading half the session keeps reading.
    pub(crate) fn join(
        &self,
        name: &str,
        room: &str,
        peer: SocketAddr,
        version: &'static str,
        outbox: Box<dyn Subscriber>,
    ) -> Joined {
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
        // A new connection has room for the greeting.
        let _ = outbox.offer(&PreparedMessage::text(welcome), NOTICE);
        self.log(&format!(
            "[join] {name} ({peer}) joined {room} over {version}"
        ));
        let joined = format!("* {name} joined {room}");
        let to = To::Room {
            room: &room,
            except: None,
        };
        self.deliver(&mut members, to, &joined, NOTICE);
        members.by_id.insert(
            id,
            Member {
                name: name.clone(),
                room: room.clone(),
                peer,
                version,
                outbox,
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
        Joined { id, name }
    }

    /// Removes a client whose connection ended, and tells its room;
    /// whether it was still in the chat (not if the server had closed it).
    pub(crate) fn leave(&self, id: u64, why: &str) -> bool {
        let mut members = self.lock();
        let Some(member) = members.by_id.remove(&id) else {
            return false;
        };
        self.log(&format!(
            "[leave] {} ({}) left {}: {why}",
            member.name, member.peer, member.room
        ));
        let left = format!("* {} left {}", member.name, member.room);
        let to = To::Room {
            room: &member.room,
            except: None,
        };
        self.deliver(&mut members, to, &left, NOTICE);
        self.publish_left(member, left);
        true
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
        self.deliver(&mut members, to, &line, SAID);
        if let Err(not_sent) = self.publish(Event::Room { room, line }, Some(id)) {
            self.deliver(&mut members, To::One(id), not_sent.notice(), NOTICE);
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
                self.deliver(&mut members, To::All, &line, SAID);
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
                        self.deliver(&mut members, To::One(id), &private, SAID);
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
                        let code = Some(CloseCode::POLICY_VIOLATION);
                        self.remove(&mut members, id, code, reason);
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
                "{} ({}, {}, {} B queued, {} notices missed)",
                m.name,
                m.peer,
                m.version,
                m.outbox.buffered(),
                m.outbox.dropped()
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
    fn publish(&self, event: Event, sender: Option<u64>) -> Result<(), NotSent> {
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

    /// A line from another server for the local members of `room`: said
    /// (a member's message) or a notice (a join, a leave).
    pub(crate) fn deliver_room(&self, room: &str, line: &str, notice: bool) {
        let to = To::Room { room, except: None };
        let policy = if notice { NOTICE } else { SAID };
        self.deliver(&mut self.lock(), to, line, policy);
    }

    /// The operator's line from another server for every local member.
    pub(crate) fn deliver_all(&self, line: &str) {
        self.deliver(&mut self.lock(), To::All, line, SAID);
    }

    /// The operator's line from another server for the local member
    /// called `name`; whether there is one.
    pub(crate) fn deliver_to(&self, name: &str, line: &str) -> bool {
        let mut members = self.lock();
        let found = find(&members, name);
        if let Some(id) = found {
            self.deliver(&mut members, To::One(id), line, SAID);
        }
        found.is_some()
    }

    /// Closes the local member called `name` (1008, `reason`), for an
    /// operator on another server; whether there was one.
    pub(crate) fn kick(&self, name: &str, reason: &str) -> bool {
        let mut members = self.lock();
        let found = find(&members, name);
        if let Some(id) = found {
            let code = Some(CloseCode::POLICY_VIOLATION);
            self.remove(&mut members, id, code, reason);
        }
        found.is_some()
    }

    /// A notice for local member `id` only: what the cluster link says
    /// about its message.
    pub(crate) fn notify(&self, id: u64, line: &str) {
        self.deliver(&mut self.lock(), To::One(id), line, NOTICE);
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

    /// Offers `text`, encoded once, to everyone `to` names, under
    /// `policy`. A member it closes (too slow) is removed and its room told
    /// with a notice, which closes nobody.
    fn deliver(&self, members: &mut Members, to: To<'_>, text: &str, policy: Backpressure) {
        let message = PreparedMessage::text(text.to_owned());
        let mut slow = Vec::new();
        for (&id, member) in &members.by_id {
            if to.includes(id, member) && member.outbox.offer(&message, policy) == Offered::Closed {
                slow.push(id);
            }
        }
        for id in slow {
            let reason = format!("too slow: over {BACKLOG_LIMIT} bytes waiting");
            self.remove(members, id, None, &reason);
        }
    }

    /// Removes member `id` and tells its room; closes it with `close` and
    /// `reason` (when the fan-out has not closed it already).
    fn remove(&self, members: &mut Members, id: u64, close: Option<CloseCode>, reason: &str) {
        let Some(member) = members.by_id.remove(&id) else {
            return;
        };
        let code = close.unwrap_or(CloseCode::POLICY_VIOLATION);
        self.log(&format!(
            "[leave] {} ({}) removed from {}: {code} {reason}",
            member.name, member.peer, member.room
        ));
        if let Some(code) = close {
            member.outbox.begin_close(code, reason);
        }
        let left = format!("* {} left {} ({reason})", member.name, member.room);
        let to = To::Room {
            room: &member.room,
            except: None,
        };
        self.deliver(members, to, &left, NOTICE);
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
