//! permessage-deflate (RFC 7692): compression negotiated in the opening
//! handshake and applied to whole messages.
//!
//! Enable it with [`Config::with_deflate`](crate::Config::with_deflate)
//! (the `deflate` cargo feature turns it on in
//! [`Config::default`](crate::Config::default)); the
//! handshakes then offer it (client) or accept the first acceptable offer
//! (server), and the [`Connection`](crate::Connection) they hand over
//! compresses what it sends and inflates what it receives:
//!
//! - all four parameters of section 7.1 in both roles, offers checked as
//!   section 7.1 asks (an unknown, duplicate or out-of-range parameter
//!   declines that offer; a server's answer that breaks the offer fails
//!   the handshake);
//! - RSV1 on the first frame of a compressed message only (section 6);
//!   control frames never compressed;
//! - inflate bounded by the message limit: it stops with close code 1009
//!   the moment the decompressed size passes
//!   [`Config::max_message_size`](crate::Config::max_message_size), and
//!   never buffers more (decompression bombs);
//! - messages under a size threshold, or sent with
//!   [`Connection::send_uncompressed`](crate::Connection::send_uncompressed),
//!   go out uncompressed, which section 6 allows for any message.
//!
//! ```
//! use ws_proto::deflate::DeflateConfig;
//! use ws_proto::Config;
//!
//! // Smaller windows: less memory per connection, a little less compression.
//! let deflate = DeflateConfig::default()
//!     .with_server_max_window_bits(12)
//!     .with_client_max_window_bits(12);
//! let config = Config::default().with_deflate(deflate);
//! assert_eq!(config.deflate().map(|d| d.server_max_window_bits()), Some(12));
//! config.validate()?;
//! # Ok::<(), ws_proto::ConfigError>(())
//! ```

mod codec;
mod negotiate;

pub(crate) use codec::compress_alone;
use codec::PerMessageDeflate;
use negotiate::{accept_offer, client_offer, read_response};

use crate::error::ConfigError;
use crate::extension::{Extension, Negotiator};
use crate::handshake::ExtensionOffer;

/// The extension's registered name (section 5).
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The settings of permessage-deflate on one endpoint.
///
/// Window bits bound the LZ77 window of each direction's compressor (and so
/// the memory it takes: about `2^(bits + 2)` bytes to compress, `2^bits` to
/// inflate); "no context takeover" resets a direction's compressor after
/// each message, which saves memory between messages at some cost in
/// ratio. Which values apply on a connection is negotiated: the stricter of
/// both ends' wishes wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflateConfig {
    server_max_window_bits: u8,
    client_max_window_bits: u8,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    level: u32,
    threshold: usize,
}

impl Default for DeflateConfig {
    /// Windows of 15 bits both ways (the most any peer accepts), context
    /// takeover allowed both ways, compression level 6 (zlib's default),
    /// and messages under 32 bytes sent as they are.
    fn default() -> Self {
        DeflateConfig {
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            level: 6,
            threshold: 32,
        }
    }
}

fn window_bits(setting: &'static str, bits: u8) -> Result<(), ConfigError> {
    // Section 7.1.2.1: "a decimal integer value [...] between 8 to 15".
    if (8..=15).contains(&bits) {
        Ok(())
    } else {
        Err(ConfigError::new(setting, "must be from 8 to 15"))
    }
}

impl DeflateConfig {
    /// The largest window the server's compressor may use, as log2 of its
    /// size in bytes.
    pub fn server_max_window_bits(&self) -> u8 {
        self.server_max_window_bits
    }

    /// Sets [`server_max_window_bits`](Self::server_max_window_bits): 8 to 15.
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits;
        self
    }

    /// The largest window the client's compressor may use.
    pub fn client_max_window_bits(&self) -> u8 {
        self.client_max_window_bits
    }

    /// Sets [`client_max_window_bits`](Self::client_max_window_bits): 8 to 15.
    pub fn with_client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits;
        self
    }

    /// Whether the server's compressor starts afresh with every message.
    pub fn server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover
    }

    /// Sets [`server_no_context_takeover`](Self::server_no_context_takeover).
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Whether the client's compressor starts afresh with every message.
    pub fn client_no_context_takeover(&self) -> bool {
        self.client_no_context_takeover
    }

    /// Sets [`client_no_context_takeover`](Self::client_no_context_takeover).
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// The compression level this endpoint uses, 0 (none) to 9 (best).
    pub fn level(&self) -> u32 {
        self.level
    }

    /// Sets [`level`](Self::level): 0 to 9.
    pub fn with_level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    /// Messages shorter than this many bytes are sent uncompressed: for
    /// them the 5-odd bytes deflate adds outweigh what it saves.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Sets [`threshold`](Self::threshold).
    pub fn with_threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Checks the window bits (8 to 15) and the level (0 to 9); part of
    /// [`Config::validate`](crate::Config::validate).
    pub fn validate(&self) -> Result<(), ConfigError> {
        window_bits("server_max_window_bits", self.server_max_window_bits)?;
        window_bits("client_max_window_bits", self.client_max_window_bits)?;
        if self.level > 9 {
            return Err(ConfigError::new("deflate level", "must be from 0 to 9"));
        }
        Ok(())
    }
}

/// permessage-deflate negotiates through the handshake's extension seam
/// like any other extension (section 7.1).
impl Negotiator for DeflateConfig {
    fn name(&self) -> &str {
        EXTENSION_NAME
    }

    fn offer(&self) -> String {
        client_offer(self)
    }

    fn accept(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)> {
        // Settings that were never validated are not handed to zlib, which
        // asserts its window and level ranges: compression is declined.
        self.validate().ok()?;
        let (agreed, value) = accept_offer(self, offers)?;
        Some((value, Box::new(PerMessageDeflate::new(agreed, self))))
    }

    fn finalize(&self, answer: &ExtensionOffer) -> Result<Box<dyn Extension>, &'static str> {
        self.validate()
            .map_err(|_| "the deflate settings are invalid")?;
        let agreed = read_response(self, answer)?;
        Ok(Box::new(PerMessageDeflate::new(agreed, self)))
    }
}
