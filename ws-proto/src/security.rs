//! Security: what a hostile peer can try, the limit or check that stops
//! it, its default, and how to report a vulnerability.
//!
//! Every limit below holds in both roles: a client faces a hostile server
//! with the same defences a server has against a hostile client. Each one
//! is set in [`Config`](crate::Config), validated when the config is used
//! ([`Config::validate`](crate::Config::validate)), and
//! refuses with the close code or HTTP status RFC 6455 gives (a peer is
//! told why; the caller gets a typed [`Error`](crate::Error)).
//!
//! # Limits and their defaults
//!
//! | limit | default | stops |
//! |---|---|---|
//! | [`max_message_size`](crate::Config::max_message_size), counted across all fragments and after inflating | 64 MiB | memory exhaustion by one message; decompression bombs (inflating stops with 1009 the byte the limit passes, never buffers more) |
//! | [`max_frame_size`](crate::Config::max_frame_size) | 16 MiB | a frame that declares a huge length: refused from its header, before any payload is read or any buffer sized from it |
//! | [`write_buffer_limit`](crate::Config::write_buffer_limit) | 1 MiB | a peer that sends but never reads: sends are refused past it, a Ping's Pong is held back (only the latest), keepalive Pings are not queued |
//! | [`handshake_limits`](crate::Config::handshake_limits) | 8 KiB head, 100 header fields, 4 KiB per line | oversized or header-flooded requests and responses (431/414), each byte scanned once |
//! | [`handshake_timeout`](crate::Config::handshake_timeout) | 10 s | slowloris: a peer that opens TCP and sends its head slowly or never, in either role; it bounds the whole handshake, not each read |
//! | [`close_timeout`](crate::Config::close_timeout) | 10 s | a peer that never answers a Close, or stops reading during it |
//! | keepalive ([`ping_interval`](crate::Config::ping_interval), [`pong_timeout`](crate::Config::pong_timeout)) | a Ping every 20 s, its Pong due within 20 s | half-open connections (a peer gone without a FIN) held forever; off with [`without_keepalive`](crate::Config::without_keepalive) |
//! | [`idle_timeout`](crate::Config::idle_timeout) | off | connections that send nothing at all |
//! | [`origin_policy`](crate::Config::origin_policy) | the server's own origin, and requests without `Origin` | cross-site WebSocket hijacking (below) |
//!
//! Fragments cost what their payload costs: a message arriving as a
//! million empty continuation frames, or as 1-byte ones, is assembled in
//! one buffer bounded by the message limit (`tests/memory.rs` measures it
//! with a counting allocator).
//!
//! # A failure's Close reaches the peer
//!
//! When a connection fails, the peer must learn why: a peer told 1009 can
//! send smaller messages, one told 1006 retries the same. Dropping the
//! socket right after the Close, with the peer's bytes still unread, makes
//! the kernel answer its next segment with a reset, and the peer loses our
//! Close with it. A failed connection therefore drains: it follows the
//! peer's frames without processing them until the peer's Close (its last
//! frame), the end of its stream or the close timeout, and only then ends
//! ([`State::Failed`](crate::State::Failed)). The drain holds one frame
//! header at most, whatever the peer sends, and the close timeout bounds
//! it. `conformance`'s `failure_close` cases have a peer keep writing
//! megabytes after its violation, in both roles.
//!
//! # Cross-site WebSocket hijacking
//!
//! A browser lets a page of any site open a WebSocket to any server, and
//! sends that server's cookies with the request. A server that
//! authenticates sockets by cookie would then talk to `evil.example`'s
//! script as the logged-in user. RFC 6455 section 10.2 has servers check
//! the `Origin` header field browsers send; ours refuse with 403, before
//! the application's callback runs, a request whose `Origin` is not the
//! host and port it was sent to ([`crate::origin`]). Requests without
//! `Origin` (not from a browser) pass. Allow other sites by pattern
//! ([`Config::with_allowed_origins`](crate::Config::with_allowed_origins)),
//! or every site ([`Config::with_any_origin`](crate::Config::with_any_origin))
//! for a public service that does not rely on cookies.
//!
//! # What others shipped, and the test that keeps it out
//!
//! | advisory | what went wrong | kept out by |
//! |---|---|---|
//! | tungstenite CVE-2023-43669 | headers re-scanned on every read: minutes of CPU for a slow client | the incremental head reader (each byte scanned once, head parsed once; `handshake::server` tests count the parses) |
//! | rust-websocket CVE-2022-35922 | allocation from a frame's declared length | lengths checked against the frame limit before anything is allocated (`tests/protocol_errors.rs`) |
//! | ws-rs CVE-2020-35896 | a peer that pings and never reads grew the write buffer without bound | the write buffer limit, one held-back Pong (`tests/harness.rs`) |
//! | gorilla CVE-2020-27813 | length arithmetic overflow bypassed the limit | 64-bit lengths with the top bit set and non-minimal encodings refused; checked arithmetic (`tests/protocol_errors.rs`, the header proptests) |
//! | decompression bombs (undici, autobahn-python, Python websockets) | limits checked on compressed bytes only | inflate bounded by the message limit (`tests/deflate.rs`) |
//! | Python websockets, 2026 | a message just over the limit silently truncated | over the limit is refused, never cut (the limit proptest) |
//! | Node ws | 1-byte fragments cost 15 times their size | one assembly buffer (`tests/memory.rs`) |
//! | undici CVE-2026-12151 | a server's fragment flood grew the client's memory | the same limits in the client role (`tests/memory.rs`) |
//! | actix-ws #651 | empty continuations not counted | every fragment counted toward the message, empty ones cost nothing (`tests/memory.rs`) |
//! | Deno CVE-2026-55517 | bytes 0x80-0xFF in a response header crashed the client | header values are bytes, read as text only after a UTF-8 check (the handshake tests) |
//!
//! # Reporting a vulnerability
//!
//! Report it privately through the repository's security advisories
//! ("Report a vulnerability" on its GitHub Security page), not in a public
//! issue; include what a peer sends and what happens. We answer within a
//! week and publish the fix with an advisory naming the affected versions.
