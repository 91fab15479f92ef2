//! The connection's deadlines, kept as data.
//!
//! The core reads no clock. It learns the time from
//! [`Connection::handle_timeout`](crate::Connection::handle_timeout) and
//! states its next deadline through
//! [`Connection::poll_timeout`](crate::Connection::poll_timeout); the adapter
//! only sleeps until then. Things that start a timer between two ticks
//! (input arriving, a close starting) are noted and the timer is armed from
//! the next tick's time.

use std::time::{Duration, Instant};

use crate::config::Config;

/// Which deadline a tick found expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// The closing handshake did not end in time.
    Close,
    /// No input after a keepalive ping.
    Pong,
    /// No input for the idle timeout.
    Idle,
    /// Time to send a keepalive ping.
    Ping,
}

#[derive(Debug)]
pub(super) struct Timers {
    ping_interval: Option<Duration>,
    pong_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    close_timeout: Option<Duration>,
    /// Input arrived since the last tick.
    input_seen: bool,
    /// The closing handshake started since the last tick.
    close_started: bool,
    next_ping: Option<Instant>,
    pong_deadline: Option<Instant>,
    idle_deadline: Option<Instant>,
    close_deadline: Option<Instant>,
}

impl Timers {
    pub(super) fn new(config: &Config) -> Self {
        Timers {
            ping_interval: config.ping_interval(),
            pong_timeout: config.pong_timeout(),
            idle_timeout: config.idle_timeout(),
            close_timeout: config.close_timeout(),
            input_seen: false,
            close_started: false,
            next_ping: None,
            pong_deadline: None,
            idle_deadline: None,
            close_deadline: None,
        }
    }

    pub(super) fn on_input(&mut self) {
        self.input_seen = true;
    }

    /// The closing handshake began: keepalive and idle timers stop, the
    /// close timer starts at the next tick.
    pub(super) fn on_close_started(&mut self) {
        if self.close_deadline.is_none() {
            self.close_started = true;
        }
        self.ping_interval = None;
        self.idle_timeout = None;
        self.next_ping = None;
        self.pong_deadline = None;
        self.idle_deadline = None;
    }

    /// Stops every timer: the connection has ended.
    pub(super) fn stop(&mut self) {
        self.on_close_started();
        self.close_started = false;
        self.close_deadline = None;
    }

    /// Whether a tick can arm or fire anything: false while no timer is
    /// configured or running (the common case of a connection without
    /// keepalive or idle timeout, before its closing handshake), so that a
    /// driver need not read the clock for every read.
    pub(super) fn is_active(&self) -> bool {
        self.ping_interval.is_some()
            || self.idle_timeout.is_some()
            || self.close_started
            || self.close_deadline.is_some()
            || self.pong_deadline.is_some()
            || self.next_ping.is_some()
            || self.idle_deadline.is_some()
    }

    /// Arms what started since the last tick and reports the earliest
    /// deadline that has passed at `now`, if any.
    pub(super) fn tick(&mut self, now: Instant) -> Option<Expired> {
        if !self.is_active() {
            self.input_seen = false;
            return None;
        }
        if std::mem::take(&mut self.input_seen) {
            // Any input proves the peer alive (section 5.5.2 lets a Pong go
            // unanswered for a while; data is as good a sign).
            self.pong_deadline = None;
            self.idle_deadline = self.idle_timeout.map(|t| now + t);
        }
        if std::mem::take(&mut self.close_started) {
            self.close_deadline = self.close_timeout.map(|t| now + t);
        }
        if self.idle_deadline.is_none() {
            self.idle_deadline = self.idle_timeout.map(|t| now + t);
        }
        if self.next_ping.is_none() {
            self.next_ping = self.ping_interval.map(|t| now + t);
        }
        let due = |deadline: Option<Instant>| deadline.is_some_and(|d| d <= now);
        if due(self.close_deadline) {
            self.close_deadline = None;
            Some(Expired::Close)
        } else if due(self.pong_deadline) {
            Some(Expired::Pong)
        } else if due(self.idle_deadline) {
            Some(Expired::Idle)
        } else if due(self.next_ping) {
            self.next_ping = self.ping_interval.map(|t| now + t);
            if self.pong_deadline.is_none() {
                self.pong_deadline = self.pong_timeout.map(|t| now + t);
            }
            Some(Expired::Ping)
        } else {
            None
        }
    }

    /// The earliest armed deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        [
            self.close_deadline,
            self.pong_deadline,
            self.idle_deadline,
            self.next_ping,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
