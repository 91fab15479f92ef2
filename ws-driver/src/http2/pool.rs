//! The HTTP/2 connections a connector opened, by origin, so that a later
//! socket to the same origin opens a stream on a live one (RFC 9113
//! section 9.1: "clients SHOULD NOT open more than one HTTP/2 connection
//! to a given host and port pair").

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;
use h2::client::SendRequest;
use rustls::ClientConfig;

/// Where a connection goes: the host and port of the URL, and the TLS
/// configuration it was opened with (a connection made with other roots
/// or another client certificate is not this one).
#[derive(Clone)]
pub(crate) struct Origin {
    host: String,
    port: u16,
    tls: Arc<ClientConfig>,
}

impl Origin {
    pub(crate) fn new(host: &str, port: u16, tls: Arc<ClientConfig>) -> Self {
        Origin {
            host: host.to_ascii_lowercase(),
            port,
            tls,
        }
    }
}

impl PartialEq for Origin {
    fn eq(&self, other: &Self) -> bool {
        self.host == other.host && self.port == other.port && Arc::ptr_eq(&self.tls, &other.tls)
    }
}

impl Eq for Origin {}

impl Hash for Origin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.host.hash(state);
        self.port.hash(state);
        Arc::as_ptr(&self.tls).hash(state);
    }
}

/// A live connection: its handle for new streams, how many sockets run on
/// it, and whether its task has ended.
struct Entry {
    /// Tells this connection from a later one to the same origin.
    id: u64,
    send: SendRequest<Bytes>,
    /// The TCP peer, for the sockets' `peer_addr`.
    peer: Option<SocketAddr>,
    sockets: usize,
    closed: Arc<AtomicBool>,
}

#[derive(Default)]
struct Connections {
    by_origin: HashMap<Origin, Entry>,
    next_id: u64,
}

/// The live HTTP/2 connections of a connector and its clones. A
/// connection stays here while a socket runs on it; with the last one
/// gone, it is dropped from the pool, and h2 closes it once its streams
/// are done (a GOAWAY, RFC 9113 section 6.8).
#[derive(Default)]
pub(crate) struct Pool {
    connections: Mutex<Connections>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Connections> {
        // A panic elsewhere while the lock was held leaves the map as
        // consistent as any single insert or remove does.
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A stream's place on the live connection to `origin`, when there is
    /// one with room for another stream (fewer sockets than the server's
    /// SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 section 6.5.2).
    pub(crate) fn checkout(
        self: &Arc<Self>,
        origin: &Origin,
    ) -> Option<(SendRequest<Bytes>, Option<SocketAddr>, Lease)> {
        let mut connections = self.lock();
        let entry = connections.by_origin.get_mut(origin)?;
        if entry.closed.load(Ordering::Acquire) {
            connections.by_origin.remove(origin);
            return None;
        }
        if entry.sockets >= entry.send.current_max_send_streams() {
            return None;
        }
        entry.sockets += 1;
        let lease = Lease {
            pool: Arc::downgrade(self),
            origin: origin.clone(),
            id: entry.id,
        };
        Some((entry.send.clone(), entry.peer, lease))
    }

    /// Keeps a new connection to `origin`, with one socket on its way,
    /// in place of any other (full, or closing) to the same origin, whose
    /// sockets run on undisturbed.
    pub(crate) fn insert(
        self: &Arc<Self>,
        origin: Origin,
        send: SendRequest<Bytes>,
        peer: Option<SocketAddr>,
        closed: Arc<AtomicBool>,
    ) -> Lease {
        let mut connections = self.lock();
        let id = connections.next_id;
        connections.next_id += 1;
        let entry = Entry {
            id,
            send,
            peer,
            sockets: 1,
            closed,
        };
        connections.by_origin.insert(origin.clone(), entry);
        Lease {
            pool: Arc::downgrade(self),
            origin,
            id,
        }
    }

    /// Forgets the connection of `lease`, whose handle failed: the next
    /// socket to its origin dials anew.
    pub(crate) fn discard(&self, lease: &Lease) {
        let mut connections = self.lock();
        if connections
            .by_origin
            .get(&lease.origin)
            .is_some_and(|entry| entry.id == lease.id)
        {
            connections.by_origin.remove(&lease.origin);
        }
    }
}

/// One socket's place on a pooled connection, given back when the socket
/// is dropped.
pub(crate) struct Lease {
    pool: Weak<Pool>,
    origin: Origin,
    id: u64,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let mut connections = pool.lock();
        let Some(entry) = connections.by_origin.get_mut(&self.origin) else {
            return;
        };
        if entry.id != self.id {
            return;
        }
        entry.sockets -= 1;
        if entry.sockets == 0 {
            connections.by_origin.remove(&self.origin);
        }
    }
}
