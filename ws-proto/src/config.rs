//! Limits, timeouts and automatic replies.
//!
//! Every limit has a safe default, and the setters chain: each takes a
//! value and returns the config. What the values must satisfy together is
//! checked once, by [`Config::validate`], which the adapters call when they
//! accept or connect: a limit or a timeout of zero, a frame limit above the
//! message limit, handshake limits or deflate settings out of their ranges
//! are refused there with a [`ConfigError`], before a byte is read or
//! written, never discovered later on the wire.

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
///     .with_max_message_size(1 << 20)
///     .with_ping_interval(Duration::from_secs(20))
///     .without_idle_timeout();
/// assert_eq!(config.max_message_size(), 1 << 20);
/// // The frame limit follows the message limit unless it was set.
/// assert_eq!(config.max_frame_size(), 1 << 20);
/// config.validate()?;
///
/// // An invalid setting is refused when the config is validated (or used).
/// let err = Config::default().with_max_frame_size(0).validate().unwrap_err();
/// assert_eq!(err.setting(), "max_frame_size");
/// # Ok::<(), ws_proto::ConfigError>(())
/// ```
///
/// # Defaults
///
/// | setting | default | setters |
/// |---|---|---|
/// | max message size (all fragments, after decompression) | 64 MiB | [`with_max_message_size`](Self::with_max_message_size) |
/// | max frame size | 16 MiB, or the message limit if lower | [`with_max_frame_size`](Self::with_max_frame_size) |
/// | write buffer limit | 1 MiB | [`with_write_buffer_limit`](Self::with_write_buffer_limit) |
/// | auto pong, echo of the peer's Close | on | [`with_auto_pong`](Self::with_auto_pong), [`with_auto_close_reply`](Self::with_auto_close_reply) |
/// | ping interval | 20 s | [`with_ping_interval`](Self::with_ping_interval), [`without_keepalive`](Self::without_keepalive) |
/// | pong timeout | 20 s | [`with_pong_timeout`](Self::with_pong_timeout), [`without_keepalive`](Self::without_keepalive) |
/// | close timeout | 10 s | [`with_close_timeout`](Self::with_close_timeout), [`without_close_timeout`](Self::without_close_timeout) |
/// | idle timeout | off | [`with_idle_timeout`](Self::with_idle_timeout), [`without_idle_timeout`](Self::without_idle_timeout) |
/// | handshake timeout | 10 s | [`with_handshake_timeout`](Self::with_handshake_timeout), [`without_handshake_timeout`](Self::without_handshake_timeout) |
/// | handshake head | 8 KiB in all, 100 header fields, 4 KiB a line | [`with_handshake_limits`](Self::with_handshake_limits) |
/// | origins a server accepts | its own, and requests without `Origin` | [`with_allowed_origins`](Self::with_allowed_origins), [`with_any_origin`](Self::with_any_origin) |
/// | permessage-deflate | offered and accepted (with the `deflate` feature): 15-bit windows both ways, context takeover both ways, level 6, messages under 32 bytes uncompressed | `with_deflate`, `without_deflate` |
///
/// # Validity
///
/// [`validate`](Self::validate) refuses: a message limit, write buffer
/// limit or timeout of zero; a frame limit set under 125 bytes (a control
/// frame must fit, RFC 6455 section 5.5) or over the message limit;
/// handshake limits out of the ranges [`HandshakeLimits`] gives; deflate
/// window bits outside 8 to 15 (RFC 7692 section 7.1.2.1) or a level over
/// 9; an origin pattern that does not parse.
#[derive(Debug, Clone)]
pub struct Config {
    max_message_size: usize,
    /// `None` until set: the default frame limit, lowered to the message
    /// limit, so that the order of the two setters does not matter.
    max_frame_size: Option<usize>,
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
    /// The first refusal of a setter whose input has no value to keep
    /// (an origin pattern that does not parse), reported by `validate`.
    refused: Option<ConfigError>,
}

/// The frame limit when none is set: 16 MiB.
const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;

impl Default for Config {
    /// The defaults, listed in the [table](Config#defaults).
    fn default() -> Self {
        Config {
            max_message_size: 64 << 20,
            max_frame_size: None,
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
            refused: None,
        }
    }
}

fn positive(setting: &'static str, value: Option<Duration>) -> Result<(), ConfigError> {
    match value {
        Some(d) if d.is_zero() => Err(ConfigError::new(setting, "must not be zero")),
        _ => Ok(()),
    }
}

fn in_range(
    setting: &'static str,
    value: usize,
    range: std::ops::RangeInclusive<usize>,
    reason: &'static str,
) -> Result<(), ConfigError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(setting, reason))
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
    /// frame limit that was not set follows it down.
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest single data frame accepted (control frames are held to
    /// 125 bytes by the RFC). A frame is held whole in the read buffer before
    /// it is handed out, so this bounds the read buffer.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
            .unwrap_or(DEFAULT_MAX_FRAME_SIZE.min(self.max_message_size))
    }

    /// Sets [`max_frame_size`](Self::max_frame_size): at least 125 (a
    /// control frame must always fit) and at most the message limit.
    pub fn with_max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = Some(bytes);
        self
    }

    /// How many encoded bytes may wait in the write buffer before a send is
    /// refused with [`UsageError::WriteBufferFull`](crate::UsageError):
    /// the backpressure high-water mark. A single message larger than this is
    /// still accepted when the buffer is below the mark.
    pub fn write_buffer_limit(&self) -> usize {
        self.write_buffer_limit
    }

    /// Sets [`write_buffer_limit`](Self::write_buffer_limit); at least 1.
    pub fn with_write_buffer_limit(mut self, bytes: usize) -> Self {
        self.write_buffer_limit = bytes;
        self
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

    /// Sets [`ping_interval`](Self::ping_interval); not zero. After
    /// [`without_keepalive`](Self::without_keepalive), set the
    /// [`pong_timeout`](Self::pong_timeout) too for the Pongs to be waited
    /// for.
    pub fn with_ping_interval(mut self, every: Duration) -> Self {
        self.ping_interval = Some(every);
        self
    }

    /// How long after a keepalive Ping the matching Pong (or any other
    /// input) must arrive before the connection fails with close code 1011.
    pub fn pong_timeout(&self) -> Option<Duration> {
        self.pong_timeout
    }

    /// Sets [`pong_timeout`](Self::pong_timeout); not zero.
    pub fn with_pong_timeout(mut self, within: Duration) -> Self {
        self.pong_timeout = Some(within);
        self
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
    pub fn with_close_timeout(mut self, within: Duration) -> Self {
        self.close_timeout = Some(within);
        self
    }

    /// Turns [`close_timeout`](Self::close_timeout) off: the closing handshake may take as long as the peer likes.
    pub fn without_close_timeout(mut self) -> Self {
        self.close_timeout = None;
        self
    }

    /// How long the connection may receive nothing at all before it is
    /// closed with code 1001 ("going away").
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// Sets [`idle_timeout`](Self::idle_timeout); not zero.
    pub fn with_idle_timeout(mut self, after: Duration) -> Self {
        self.idle_timeout = Some(after);
        self
    }

    /// Turns [`idle_timeout`](Self::idle_timeout) off: a connection may stay silent for ever (the default).
    pub fn without_idle_timeout(mut self) -> Self {
        self.idle_timeout = None;
        self
    }

    /// How long the opening handshake may take. The core has no clock
    /// during the handshake; adapters enforce this one.
    pub fn handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    /// Sets [`handshake_timeout`](Self::handshake_timeout); not zero.
    pub fn with_handshake_timeout(mut self, within: Duration) -> Self {
        self.handshake_timeout = Some(within);
        self
    }

    /// Turns [`handshake_timeout`](Self::handshake_timeout) off: the opening handshake may take as long as the peer likes.
    pub fn without_handshake_timeout(mut self) -> Self {
        self.handshake_timeout = None;
        self
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
    /// [`OriginPolicy::allow`] for the patterns). A pattern that does not
    /// parse is skipped, and [`validate`](Self::validate) refuses the
    /// config for it.
    pub fn with_allowed_origins<I>(mut self, patterns: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for pattern in patterns {
            match self.origins.clone().allow(pattern.as_ref()) {
                Ok(origins) => self.origins = origins,
                Err(e) => {
                    self.refused.get_or_insert(e);
                }
            }
        }
        self
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

    /// Offers (as a client) and accepts (as a server) permessage-deflate
    /// with these settings (RFC 7692).
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = Some(deflate);
        self
    }

    /// Neither offers nor accepts permessage-deflate: every message goes
    /// uncompressed. (Without the `deflate` feature it never is.)
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
    pub fn without_deflate(mut self) -> Self {
        #[cfg(feature = "deflate")]
        {
            self.deflate = None;
        }
        self
    }

    /// Checks the settings together, as the adapters do when they accept
    /// or connect; the rules are listed [above](Config#validity). A
    /// [`Connection`](crate::Connection) or handshake made from a config
    /// that fails this check does not panic, but it is not what was asked
    /// for: a sans-IO caller checks its config once, here.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(refused) = &self.refused {
            return Err(refused.clone());
        }
        if self.max_message_size == 0 {
            return Err(ConfigError::new("max_message_size", "must not be zero"));
        }
        // A frame limit that follows a message limit under 125 bytes is
        // not held to the minimum a set one is.
        if let Some(frame) = self.max_frame_size {
            if frame < MAX_CONTROL_PAYLOAD {
                return Err(ConfigError::new("max_frame_size", "must be at least 125"));
            }
            if frame > self.max_message_size {
                return Err(ConfigError::new(
                    "max_frame_size",
                    "must not exceed max_message_size",
                ));
            }
        }
        if self.write_buffer_limit == 0 {
            return Err(ConfigError::new("write_buffer_limit", "must not be zero"));
        }
        positive("ping_interval", self.ping_interval)?;
        positive("pong_timeout", self.pong_timeout)?;
        positive("close_timeout", self.close_timeout)?;
        positive("idle_timeout", self.idle_timeout)?;
        positive("handshake_timeout", self.handshake_timeout)?;
        self.handshake.validate()?;
        #[cfg(feature = "deflate")]
        if let Some(deflate) = &self.deflate {
            deflate.validate()?;
        }
        Ok(())
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
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets [`max_headers`](Self::max_headers): from 8 (the headers a
    /// WebSocket upgrade needs) to 1024.
    pub fn with_max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }

    /// Sets [`max_line`](Self::max_line): from 64 to 1 MiB.
    pub fn with_max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }

    /// Checks the limits against their ranges; part of
    /// [`Config::validate`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "handshake max_bytes",
            self.max_bytes,
            256..=1 << 20,
            "must be from 256 to 1 MiB",
        )?;
        in_range(
            "handshake max_headers",
            self.max_headers,
            8..=1024,
            "must be from 8 to 1024",
        )?;
        in_range(
            "handshake max_line",
            self.max_line,
            64..=1 << 20,
            "must be from 64 to 1 MiB",
        )
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
    fn invalid_settings_are_refused_when_validated() {
        let refused = |c: Config| c.validate().unwrap_err().setting();
        assert_eq!(
            refused(Config::default().with_max_message_size(0)),
            "max_message_size"
        );
        assert_eq!(
            refused(Config::default().with_max_frame_size(124)),
            "max_frame_size"
        );
        let small = Config::default().with_max_message_size(1000);
        assert_eq!(small.max_frame_size(), 1000);
        assert!(small.validate().is_ok());
        // A message limit under 125 bytes is valid; the frame limit follows.
        let tiny = Config::default().with_max_message_size(10);
        assert_eq!(tiny.max_frame_size(), 10);
        assert!(tiny.validate().is_ok());
        assert_eq!(refused(small.with_max_frame_size(1001)), "max_frame_size");
        assert_eq!(
            refused(Config::default().with_ping_interval(Duration::ZERO)),
            "ping_interval"
        );
        assert_eq!(
            refused(
                Config::default()
                    .with_handshake_limits(HandshakeLimits::default().with_max_headers(2))
            ),
            "handshake max_headers"
        );
        assert_eq!(
            refused(
                Config::default().with_allowed_origins(["https://ok.example", "not a pattern"])
            ),
            "allowed origin"
        );
        let err = Config::default()
            .with_write_buffer_limit(0)
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid write_buffer_limit: must not be zero"
        );
    }

    #[test]
    fn the_order_of_the_limit_setters_does_not_matter() {
        let a = Config::default()
            .with_max_frame_size(4096)
            .with_max_message_size(8192);
        let b = Config::default()
            .with_max_message_size(8192)
            .with_max_frame_size(4096);
        for c in [a, b] {
            assert_eq!((c.max_message_size(), c.max_frame_size()), (8192, 4096));
            assert!(c.validate().is_ok());
        }
    }

    #[test]
    fn optional_timeouts_turn_off_and_on() {
        let off = Config::default()
            .without_close_timeout()
            .without_handshake_timeout()
            .without_keepalive();
        assert_eq!(off.close_timeout(), None);
        assert_eq!(off.handshake_timeout(), None);
        assert_eq!(off.ping_interval(), None);
        assert_eq!(off.pong_timeout(), None);
        let on = off
            .with_idle_timeout(Duration::from_secs(5))
            .with_close_timeout(Duration::from_secs(1));
        assert_eq!(on.idle_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(on.close_timeout(), Some(Duration::from_secs(1)));
        assert_eq!(on.without_idle_timeout().idle_timeout(), None);
    }
}
