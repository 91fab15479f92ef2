//! Limits, timeouts and automatic replies.
//!
//! Every limit has a safe default and every setter validates its input, so
//! a [`Config`] that exists is a config that makes sense: a limit or a
//! timeout of zero, a frame limit above the message limit, or handshake
//! limits out of their ranges are refused with a [`ConfigError`] when they
//! are set, not discovered later on the wire.

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "deflate")]
use crate::deflate::DeflateConfig;
use crate::error::ConfigError;
use crate::extension::Negotiator;
use crate::frame::MAX_CONTROL_PAYLOAD;
use crate::origin::OriginPolicy;

/// Configuration of a WebSocket connection and of its opening handshake.
///
/// ```
/// use std::time::Duration;
/// use ws_proto::Config;
///
/// let config = Config::default()
///     .with_max_message_size(1 << 20)?
///     .with_ping_interval(Some(Duration::from_secs(20)))?;
/// assert_eq!(config.max_message_size(), 1 << 20);
/// # Ok::<(), ws_proto::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    max_message_size: usize,
    max_frame_size: usize,
    write_buffer_limit: usize,
    auto_pong: bool,
    auto_close_reply: bool,
    ping_interval: Option<Duration>,
    pong_timeout: Option<Duration>,
    close_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    handshake_timeout: Option<Duration>,
    handshake: HandshakeLimits,
    origins: OriginPolicy,
    #[cfg(feature = "deflate")]
    deflate: Option<DeflateConfig>,
    /// The negotiators added with [`Config::with_extension`].
    extensions: Vec<Arc<dyn Negotiator>>,
}

impl Default for Config {
    /// The defaults:
    ///
    /// | setting | default |
    /// |---|---|
    /// | max message size (all fragments) | 64 MiB |
    /// | max frame size | 16 MiB |
    /// | write buffer limit | 1 MiB |
    /// | auto pong, echo of the peer's Close | on |
    /// | keepalive: ping interval, pong timeout | a Ping every 20 s, its Pong due within 20 s |
    /// | close timeout | 10 s |
    /// | idle timeout | off |
    /// | handshake timeout | 10 s |
    /// | handshake limits | see [`HandshakeLimits::default`] |
    /// | origins a server accepts | its own, and requests without `Origin` ([`OriginPolicy::same_origin`]) |
    /// | permessage-deflate | offered and accepted, see `DeflateConfig::default` (with the `deflate` feature) |
    fn default() -> Self {
        Config {
            max_message_size: 64 << 20,
            max_frame_size: 16 << 20,
            write_buffer_limit: 1 << 20,
            auto_pong: true,
            auto_close_reply: true,
            // Keepalive on, as Python websockets has it: a peer that
            // vanished without a FIN (a dead NAT entry, a laptop closed) is
            // found within 40 s instead of never.
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Some(Duration::from_secs(20)),
            close_timeout: Some(Duration::from_secs(10)),
            idle_timeout: None,
            handshake_timeout: Some(Duration::from_secs(10)),
            handshake: HandshakeLimits::default(),
            origins: OriginPolicy::same_origin(),
            #[cfg(feature = "deflate")]
            deflate: Some(DeflateConfig::default()),
            extensions: Vec::new(),
        }
    }
}

fn positive(setting: &'static str, value: Option<Duration>) -> Result<(), ConfigError> {
    match value {
        Some(d) if d.is_zero() => Err(ConfigError::new(setting, "must not be zero")),
        _ => Ok(()),
    }
}

impl Config {
    /// The largest message accepted, counted across all its fragments.
    /// A message that would pass it fails the connection with close code
    /// 1009 (RFC 6455 section 7.4.1); it is never truncated.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Sets [`max_message_size`](Self::max_message_size); at least 1. A
    /// frame limit above the new message limit is lowered to it.
    pub fn with_max_message_size(mut self, bytes: usize) -> Result<Self, ConfigError> {
        if bytes == 0 {
            return Err(ConfigError::new("max_message_size", "must not be zero"));
        }
        self.max_message_size = bytes;
        self.max_frame_size = self.max_frame_size.min(bytes);
        Ok(self)
    }

    /// The largest single data frame accepted (control frames are held to
    /// 125 bytes by the RFC). A frame is held whole in the read buffer before
    /// it is handed out, so this bounds the read buffer.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Sets [`max_frame_size`](Self::max_frame_size): at least 125 (a
    /// control frame must always fit) and at most the message limit.
    pub fn with_max_frame_size(mut self, bytes: usize) -> Result<Self, ConfigError> {
        if bytes < MAX_CONTROL_PAYLOAD {
            return Err(ConfigError::new("max_frame_size", "must be at least 125"));
        }
        if bytes > self.max_message_size {
            return Err(ConfigError::new(
                "max_frame_size",
                "must not exceed max_message_size",
            ));
        }
        self.max_frame_size = bytes;
        Ok(self)
    }

    /// How many encoded bytes may wait in the write buffer before a send is
    /// refused with [`UsageError::WriteBufferFull`](crate::UsageError):
    /// the backpressure high-water mark. A single message larger than this is
    /// still accepted when the buffer is below the mark.
    pub fn write_buffer_limit(&self) -> usize {
        self.write_buffer_limit
    }

    /// Sets [`write_buffer_limit`](Self::write_buffer_limit); at least 1.
    pub fn with_write_buffer_limit(mut self, bytes: usize) -> Result<Self, ConfigError> {
        if bytes == 0 {
            return Err(ConfigError::new("write_buffer_limit", "must not be zero"));
        }
        self.write_buffer_limit = bytes;
        Ok(self)
    }

    /// Whether a Ping is answered with a Pong by the connection itself
    /// (RFC 6455 section 5.5.2). The Ping is still reported as an event.
    pub fn auto_pong(&self) -> bool {
        self.auto_pong
    }

    /// Sets [`auto_pong`](Self::auto_pong).
    pub fn with_auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Whether the peer's Close is echoed by the connection itself
    /// (RFC 6455 section 5.5.1). When off, the application answers with
    /// [`Connection::close`](crate::Connection::close).
    pub fn auto_close_reply(&self) -> bool {
        self.auto_close_reply
    }

    /// Sets [`auto_close_reply`](Self::auto_close_reply).
    pub fn with_auto_close_reply(mut self, on: bool) -> Self {
        self.auto_close_reply = on;
        self
    }

    /// How often a keepalive Ping is sent, if at all.
    pub fn ping_interval(&self) -> Option<Duration> {
        self.ping_interval
    }

    /// Sets [`ping_interval`](Self::ping_interval); not zero.
    pub fn with_ping_interval(mut self, every: Option<Duration>) -> Result<Self, ConfigError> {
        positive("ping_interval", every)?;
        self.ping_interval = every;
        Ok(self)
    }

    /// How long after a keepalive Ping the matching Pong (or any other
    /// input) must arrive before the connection fails with close code 1011.
    pub fn pong_timeout(&self) -> Option<Duration> {
        self.pong_timeout
    }

    /// Sets [`pong_timeout`](Self::pong_timeout); not zero.
    pub fn with_pong_timeout(mut self, within: Option<Duration>) -> Result<Self, ConfigError> {
        positive("pong_timeout", within)?;
        self.pong_timeout = within;
        Ok(self)
    }

    /// Turns keepalive off: no Ping is sent and none is waited for. An
    /// idle connection to a peer that vanished then stays open until a
    /// write fails (or the [`idle_timeout`](Self::idle_timeout), if set).
    pub fn without_keepalive(mut self) -> Self {
        self.ping_interval = None;
        self.pong_timeout = None;
        self
    }

    /// How long the closing handshake may take, from the first Close sent or
    /// received until the transport can be shut down.
    pub fn close_timeout(&self) -> Option<Duration> {
        self.close_timeout
    }

    /// Sets [`close_timeout`](Self::close_timeout); not zero.
    pub fn with_close_timeout(mut self, within: Option<Duration>) -> Result<Self, ConfigError> {
        positive("close_timeout", within)?;
        self.close_timeout = within;
        Ok(self)
    }

    /// How long the connection may receive nothing at all before it is
    /// closed with code 1001 ("going away").
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// Sets [`idle_timeout`](Self::idle_timeout); not zero.
    pub fn with_idle_timeout(mut self, after: Option<Duration>) -> Result<Self, ConfigError> {
        positive("idle_timeout", after)?;
        self.idle_timeout = after;
        Ok(self)
    }

    /// How long the opening handshake may take. The core has no clock
    /// during the handshake; adapters enforce this one.
    pub fn handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    /// Sets [`handshake_timeout`](Self::handshake_timeout); not zero.
    pub fn with_handshake_timeout(mut self, within: Option<Duration>) -> Result<Self, ConfigError> {
        positive("handshake_timeout", within)?;
        self.handshake_timeout = within;
        Ok(self)
    }

    /// The limits of the HTTP upgrade exchange.
    pub fn handshake_limits(&self) -> &HandshakeLimits {
        &self.handshake
    }

    /// Sets [`handshake_limits`](Self::handshake_limits).
    pub fn with_handshake_limits(mut self, limits: HandshakeLimits) -> Self {
        self.handshake = limits;
        self
    }

    /// Which `Origin`s a server accepts; others are refused with 403
    /// before the application sees the request (see [`crate::origin`]).
    /// The client role ignores it.
    pub fn origin_policy(&self) -> &OriginPolicy {
        &self.origins
    }

    /// Sets [`origin_policy`](Self::origin_policy).
    pub fn with_origin_policy(mut self, policy: OriginPolicy) -> Self {
        self.origins = policy;
        self
    }

    /// Accepts the origins `patterns` match besides the server's own (see
    /// [`OriginPolicy::allow`] for the patterns).
    pub fn with_allowed_origins<I>(mut self, patterns: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for pattern in patterns {
            self.origins = self.origins.allow(pattern.as_ref())?;
        }
        Ok(self)
    }

    /// Accepts every `Origin` ([`OriginPolicy::any`]): for a server that
    /// pages of any site may use, and that does not authenticate its
    /// sockets with cookies.
    pub fn with_any_origin(self) -> Self {
        self.with_origin_policy(OriginPolicy::any())
    }

    /// The extensions the handshakes negotiate, in order of preference:
    /// permessage-deflate first when it is enabled, then those added with
    /// [`with_extension`](Self::with_extension). A client offers each, a
    /// server accepts each the client offered acceptably, as long as no
    /// two own the same reserved bit.
    pub fn extensions(&self) -> impl Iterator<Item = &dyn Negotiator> {
        #[cfg(feature = "deflate")]
        let deflate = self.deflate.as_ref().map(|d| d as &dyn Negotiator);
        #[cfg(not(feature = "deflate"))]
        let deflate = None;
        deflate
            .into_iter()
            .chain(self.extensions.iter().map(|e| &**e as &dyn Negotiator))
    }

    /// Adds an extension for the handshakes to negotiate through its
    /// [`Negotiator`], after those already there. The handshake needs no
    /// other change for it: the negotiated extension owns its reserved
    /// bits on the connection.
    pub fn with_extension(mut self, negotiator: impl Negotiator + 'static) -> Self {
        self.extensions.push(Arc::new(negotiator));
        self
    }

    /// The permessage-deflate settings, or `None` when compression is
    /// neither offered nor accepted.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&DeflateConfig> {
        self.deflate.as_ref()
    }

    /// Sets [`deflate`](Self::deflate).
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }
}

/// Limits of the HTTP/1.1 upgrade request or response.
///
/// A request over a limit is answered with 431 (too many or too large
/// header fields) or 400 (a line too long), never buffered without bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeLimits {
    max_bytes: usize,
    max_headers: usize,
    max_line: usize,
}

impl Default for HandshakeLimits {
    /// 8 KiB for the whole head, 100 header fields, 4 KiB for one line.
    fn default() -> Self {
        HandshakeLimits {
            max_bytes: 8 << 10,
            max_headers: 100,
            max_line: 4 << 10,
        }
    }
}

impl HandshakeLimits {
    /// The most bytes the request or response head may take, up to and
    /// including the blank line that ends it.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The most header fields accepted.
    pub fn max_headers(&self) -> usize {
        self.max_headers
    }

    /// The longest single line (request line or header field) accepted.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Sets [`max_bytes`](Self::max_bytes): from 256 to 1 MiB.
    pub fn with_max_bytes(mut self, bytes: usize) -> Result<Self, ConfigError> {
        if !(256..=1 << 20).contains(&bytes) {
            return Err(ConfigError::new(
                "handshake max_bytes",
                "must be from 256 to 1 MiB",
            ));
        }
        self.max_bytes = bytes;
        Ok(self)
    }

    /// Sets [`max_headers`](Self::max_headers): from 8 (the headers a
    /// WebSocket upgrade needs) to 1024.
    pub fn with_max_headers(mut self, count: usize) -> Result<Self, ConfigError> {
        if !(8..=1024).contains(&count) {
            return Err(ConfigError::new(
                "handshake max_headers",
                "must be from 8 to 1024",
            ));
        }
        self.max_headers = count;
        Ok(self)
    }

    /// Sets [`max_line`](Self::max_line): from 64 to 1 MiB.
    pub fn with_max_line(mut self, bytes: usize) -> Result<Self, ConfigError> {
        if !(64..=1 << 20).contains(&bytes) {
            return Err(ConfigError::new(
                "handshake max_line",
                "must be from 64 to 1 MiB",
            ));
        }
        self.max_line = bytes;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let c = Config::default();
        assert_eq!(c.max_message_size(), 64 << 20);
        assert_eq!(c.max_frame_size(), 16 << 20);
        assert!(c.auto_pong() && c.auto_close_reply());
        assert_eq!(c.handshake_limits().max_headers(), 100);
    }

    #[test]
    fn invalid_settings_are_refused_when_set() {
        assert!(Config::default().with_max_message_size(0).is_err());
        assert!(Config::default().with_max_frame_size(124).is_err());
        let small = Config::default().with_max_message_size(1000).unwrap();
        assert_eq!(small.max_frame_size(), 1000);
        assert!(small.clone().with_max_frame_size(1001).is_err());
        assert!(Config::default()
            .with_ping_interval(Some(Duration::ZERO))
            .is_err());
        assert!(HandshakeLimits::default().with_max_headers(2).is_err());
        let err = Config::default().with_write_buffer_limit(0).unwrap_err();
        assert_eq!(err.setting(), "write_buffer_limit");
        assert_eq!(
            err.to_string(),
            "invalid write_buffer_limit: must not be zero"
        );
    }
}
