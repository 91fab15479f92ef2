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

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

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

/// The chat: its members by room and the server's log.
pub(crate) struct Chat {
    members: Mutex<Members>,
    log: Box<dyn Fn(&str) + Send + Sync>,
}

impl Chat {
    /// A chat with no members that logs each line (or block of lines)
    /// with `log` (the examples print it, tests keep it).
    pub(crate) fn new(log: impl Fn(&str) + Send + Sync + 'static) -> Arc<Chat> {
        Arc::new(Chat {
            members: Mutex::new(Members::default()),
            log: Box::new(log),
        })
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
        let name = unique_name(&members, &clean(name), id);
        let here: Vec<&str> = members
            .by_id
            .values()
            .filter(|m| m.room == room)
            .map(|m| m.name.as_str())
            .collect();
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
                room,
                peer,
                version,
                outbox,
            },
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
        self.deliver(&mut members, to, &format!("{name}: {text}"), SAID);
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
                let n = members.by_id.len();
                self.log(&format!("[operator to all {n}] {}", printable(line)));
                let line = format!("[operator] {line}");
                self.deliver(&mut members, To::All, &line, SAID);
            }
            return;
        };
        let (verb, rest) = command.split_once(' ').unwrap_or((command, ""));
        let (name, text) = rest.trim_start().split_once(' ').unwrap_or((rest, ""));
        match verb {
            "to" if !name.is_empty() && !text.is_empty() => {
                let mut members = self.lock();
                match find(&members, name) {
                    Some(id) => {
                        self.log(&format!("[operator to {name}] {}", printable(text)));
                        let private = format!("[operator to you] {text}");
                        self.deliver(&mut members, To::One(id), &private, SAID);
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

    /// The rooms and their members, for `/list`.
    pub(crate) fn list(&self) -> String {
        let members = self.lock();
        if members.by_id.is_empty() {
            return "no clients".to_owned();
        }
        let mut rooms: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
        for member in members.by_id.values() {
            rooms.entry(&member.room).or_default().push(member);
        }
        let mut out = format!("{} clients", members.by_id.len());
        for (room, members) in rooms {
            let _ = write!(out, "\n  {room}:");
            for m in members {
                let _ = write!(
                    out,
                    " {} ({}, {}, {} B queued, {} notices missed)",
                    m.name,
                    m.peer,
                    m.version,
                    m.outbox.buffered(),
                    m.outbox.dropped()
                );
            }
        }
        out
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

/// `wanted` if no member has it, else `wanted-2`, `wanted-3`...; `guest-ID`
/// for an empty name.
fn unique_name(members: &Members, wanted: &str, id: u64) -> String {
    let base = match wanted {
        "" => format!("guest-{id}"),
        name => name.to_owned(),
    };
    let taken = |name: &str| members.by_id.values().any(|m| m.name == name);
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
