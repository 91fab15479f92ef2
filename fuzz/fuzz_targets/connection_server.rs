//! A server `Connection` that negotiated permessage-deflate, fed arbitrary
//! and real client frames in arbitrary pieces between arbitrary commands
//! and clock ticks. Checks: no panic; the write buffer stays within its
//! limit plus one frame, one Pong and one Close; errors are sticky, and a
//! protocol error's Close (with its close code) is the last frame queued;
//! no message delivered passes the message limit; text messages are UTF-8;
//! everything written is well-formed, unmasked, with nothing after the
//! Close. See `src/connection.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_proto::Role;

fuzz_target!(|data: &[u8]| ws_proto_fuzz::connection::run(Role::Server, data));
