//! A client and a server joined by in-memory queues under a simulated
//! clock ([`common::Pair`]): the closing handshake from either side and
//! from both at once, ping and pong, keepalive, and every timeout. No
//! sockets, no sleeps: time moves only when a test advances it.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Pair, WireFrame};
use ws_proto::frame::OpCode;
use ws_proto::{CloseCode, Config, Error, Event, TimeoutKind, UsageError};

const SECOND: Duration = Duration::from_secs(1);

fn opcodes(frames: &[WireFrame]) -> Vec<OpCode> {
    frames.iter().map(|f| f.header.opcode).collect()
}

fn close_of(frames: &[WireFrame]) -> (CloseCode, String) {
    let last = frames.last().expect("a frame was written");
    let close = last.close();
    (close.code(), close.reason().to_owned())
}

// ---- closing handshake ---------------------------------------------------

#[test]
fn close_initiated_by_the_client() {
    let mut pair = Pair::default_pair();
    // Hold the server's TCP close back to see the client wait for it.
    pair.server.auto_shutdown = false;
    pair.client.conn.close(CloseCode::NORMAL, "done").unwrap();
    assert!(!pair.client.conn.is_closed(), "waiting for the reply");
    assert!(!pair.client.conn.should_shutdown());
    pair.drive();

    let server_saw = pair.server.closes();
    assert_eq!(server_saw.len(), 1);
    assert_eq!(
        (server_saw[0].code(), server_saw[0].reason()),
        (CloseCode::NORMAL, "done")
    );
    // The echo carries the same code (section 5.5.1).
    let client_saw = pair.client.closes();
    assert_eq!(client_saw.len(), 1);
    assert_eq!(client_saw[0].code(), CloseCode::NORMAL);
    assert_eq!(opcodes(&pair.client.written_frames()), [OpCode::Close]);
    assert_eq!(opcodes(&pair.server.written_frames()), [OpCode::Close]);

    // Both handshakes are done; the server closes the transport first
    // (section 7.1.1), the client waits for that.
    assert!(pair.server.conn.is_closed() && pair.client.conn.is_closed());
    assert!(pair.server.conn.should_shutdown());
    assert!(!pair.client.conn.should_shutdown());

    pair.server.auto_shutdown = true;
    pair.drive();
    assert!(pair.server.shut_down && pair.client.saw_eof);
    assert!(pair.client.conn.should_shutdown());
    assert!(pair.client.shut_down);
    assert_eq!(
        (pair.client.error.as_ref(), pair.server.error.as_ref()),
        (None, None)
    );
    assert_eq!(pair.client.conn.next_event(), Ok(None));
    assert_eq!(pair.server.conn.next_event(), Ok(None));
}

#[test]
fn close_initiated_by_the_server() {
    let mut pair = Pair::default_pair();
    pair.server
        .conn
        .close(CloseCode::GOING_AWAY, "restart")
        .unwrap();
    // One step: the Close reaches the client, which answers at once.
    pair.step();
    assert!(pair.client.conn.is_closed());
    assert!(
        !pair.client.conn.should_shutdown(),
        "the client waits for the server"
    );
    assert!(!pair.server.conn.is_closed(), "the reply is not there yet");
    assert!(!pair.server.conn.should_shutdown());
    pair.drive();

    let client_saw = pair.client.closes();
    assert_eq!(client_saw.len(), 1);
    assert_eq!(
        (client_saw[0].code(), client_saw[0].reason()),
        (CloseCode::GOING_AWAY, "restart")
    );
    let server_saw = pair.server.closes();
    assert_eq!(server_saw.len(), 1);
    assert_eq!(server_saw[0].code(), CloseCode::GOING_AWAY);
    assert!(pair.server.conn.is_closed() && pair.server.conn.should_shutdown());
    assert!(pair.server.shut_down);
    assert!(pair.client.saw_eof && pair.client.conn.should_shutdown());
    assert_eq!(
        (pair.client.error.as_ref(), pair.server.error.as_ref()),
        (None, None)
    );
}

#[test]
fn the_client_shuts_down_after_the_close_timeout_without_eof() {
    let timeout = 3 * SECOND;
    let config = Config::default().with_close_timeout(timeout);
    let mut pair = Pair::new(config.clone(), config);
    pair.server.auto_shutdown = false;
    pair.client.conn.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert!(pair.client.conn.is_closed() && !pair.client.conn.should_shutdown());
    // The close timer started at the tick after the Close was queued.
    assert_eq!(pair.client.conn.poll_timeout(), Some(pair.now + timeout));

    pair.advance(timeout - Duration::from_millis(1));
    pair.drive();
    assert!(!pair.client.conn.should_shutdown());
    pair.advance(Duration::from_millis(1));
    pair.drive();
    assert!(pair.client.conn.should_shutdown());
    assert!(pair.client.shut_down);
    // The handshake itself completed: no error.
    assert_eq!(pair.client.error, None);
    assert_eq!(pair.client.conn.poll_timeout(), None);
}

#[test]
fn simultaneous_close() {
    let mut pair = Pair::default_pair();
    pair.client.conn.close(CloseCode::NORMAL, "client").unwrap();
    pair.server
        .conn
        .close(CloseCode::GOING_AWAY, "server")
        .unwrap();
    pair.drive();

    // Each reads the other's Close and sends no second one.
    let client_saw = pair.client.closes();
    let server_saw = pair.server.closes();
    assert_eq!(client_saw.len(), 1);
    assert_eq!(server_saw.len(), 1);
    assert_eq!(
        (client_saw[0].code(), client_saw[0].reason()),
        (CloseCode::GOING_AWAY, "server")
    );
    assert_eq!(
        (server_saw[0].code(), server_saw[0].reason()),
        (CloseCode::NORMAL, "client")
    );
    assert_eq!(opcodes(&pair.client.written_frames()), [OpCode::Close]);
    assert_eq!(opcodes(&pair.server.written_frames()), [OpCode::Close]);
    assert!(pair.client.conn.is_closed() && pair.server.conn.is_closed());
    assert!(pair.server.shut_down && pair.client.saw_eof && pair.client.shut_down);
    assert_eq!(
        (pair.client.error.as_ref(), pair.server.error.as_ref()),
        (None, None)
    );
}

#[test]
fn without_auto_close_reply_the_application_answers() {
    let server_cfg = Config::default().with_auto_close_reply(false);
    let mut pair = Pair::new(Config::default(), server_cfg);
    pair.client.conn.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert_eq!(pair.server.closes().len(), 1);
    assert!(!pair.server.conn.is_closed(), "no reply yet");
    assert!(pair.server.written_frames().is_empty());
    // Data may still be sent before the reply.
    pair.server.conn.send_text("last words").unwrap();
    pair.server.conn.close(CloseCode::NORMAL, "ok").unwrap();
    pair.drive();
    assert_eq!(
        opcodes(&pair.server.written_frames()),
        [OpCode::Text, OpCode::Close]
    );
    assert!(pair.server.conn.is_closed() && pair.client.conn.is_closed());
    assert!(pair.client.saw_eof && pair.client.conn.should_shutdown());
}

#[test]
fn close_timeout_when_the_peer_never_answers() {
    let timeout = 5 * SECOND;
    let config = Config::default().with_close_timeout(timeout);
    for client_closes in [true, false] {
        let mut pair = Pair::new(config.clone(), config.clone());
        let (us, peer) = if client_closes {
            (&mut pair.client, &mut pair.server)
        } else {
            (&mut pair.server, &mut pair.client)
        };
        // The peer never reads our Close, so it never answers.
        peer.reading = false;
        us.conn.close(CloseCode::NORMAL, "bye").unwrap();
        pair.drive();
        let us = if client_closes {
            &pair.client
        } else {
            &pair.server
        };
        assert!(!us.conn.is_closed() && !us.conn.should_shutdown());
        assert_eq!(us.conn.poll_timeout(), Some(pair.now + timeout));

        assert!(pair.advance_to_next_deadline(timeout));
        assert_eq!(pair.elapsed(), timeout);
        let us = if client_closes {
            &mut pair.client
        } else {
            &mut pair.server
        };
        assert_eq!(us.error, Some(Error::Timeout(TimeoutKind::Close)));
        assert_eq!(
            us.conn.next_event(),
            Err(Error::Timeout(TimeoutKind::Close))
        );
        assert!(us.conn.is_closed() && us.conn.should_shutdown() && us.shut_down);
        // Our Close was the only frame: no second Close after the timeout.
        assert_eq!(opcodes(&us.written_frames()), [OpCode::Close]);
        assert_eq!(us.conn.poll_timeout(), None);
    }
}

#[test]
fn the_close_timeout_drops_what_a_peer_that_stopped_reading_left_unsent() {
    let timeout = 5 * SECOND;
    let config = Config::default().with_close_timeout(timeout);
    let mut pair = Pair::new(config.clone(), config);
    // The server's transport accepts nothing: its peer stopped reading.
    pair.server.blocked = true;
    pair.server.conn.send_binary(vec![7u8; 100_000]).unwrap();
    pair.server.conn.close(CloseCode::NORMAL, "bye").unwrap();
    pair.drive();
    assert!(pair.server.conn.write_buffer_len() > 100_000);
    assert!(!pair.server.conn.should_shutdown());

    assert!(pair.advance_to_next_deadline(timeout));
    assert_eq!(pair.elapsed(), timeout);
    // Nothing is left to write, so the transport can be shut down at once.
    assert_eq!(pair.server.conn.write_buffer_len(), 0);
    assert!(!pair.server.conn.wants_write());
    assert!(pair.server.conn.should_shutdown());
    assert_eq!(pair.server.error, Some(Error::Timeout(TimeoutKind::Close)));
}

/// A pair whose client has closed and whose server, with the automatic
/// reply off and `timeout` as its close timeout, has not answered.
fn peers_close_unanswered(timeout: Duration) -> Pair {
    let server_cfg = Config::default()
        .with_auto_close_reply(false)
        .with_close_timeout(timeout);
    let mut pair = Pair::new(Config::default(), server_cfg);
    pair.client
        .conn
        .close(CloseCode::NORMAL, "bye")
        .expect("the client closes");
    pair.drive();
    assert_eq!(pair.server.closes().len(), 1);
    pair
}

#[test]
fn the_close_timeout_queues_nothing_behind_bytes_it_dropped() {
    // The peer's Close is unanswered and the server's last message never
    // left: what the timeout drops may end inside a frame, so no Close may
    // follow it (it would be read as that frame's payload, or as garbage).
    let timeout = 4 * SECOND;
    let mut pair = peers_close_unanswered(timeout);
    pair.server.blocked = true;
    pair.server.conn.send_binary(vec![1u8; 10_000]).unwrap();
    pair.drive();

    assert!(pair.advance_to_next_deadline(timeout));
    assert_eq!(pair.server.error, Some(Error::Timeout(TimeoutKind::Close)));
    assert!(
        !pair.server.conn.wants_write(),
        "nothing queued after the cut"
    );
    assert!(pair.server.conn.should_shutdown());
}

#[test]
fn close_timeout_when_the_application_never_answers_the_peers_close() {
    // Section 5.5.1: an endpoint that receives a Close MUST answer it. With
    // the automatic reply off and an application that never does, the
    // timeout answers for it, so the peer still sees a clean close.
    let timeout = 4 * SECOND;
    let mut pair = peers_close_unanswered(timeout);
    assert!(pair.server.written_frames().is_empty());

    assert!(pair.advance_to_next_deadline(timeout));
    assert_eq!(pair.elapsed(), timeout);
    assert_eq!(pair.server.error, Some(Error::Timeout(TimeoutKind::Close)));
    assert_eq!(opcodes(&pair.server.written_frames()), [OpCode::Close]);
    assert!(pair.server.conn.should_shutdown() && pair.server.shut_down);
    assert_eq!(pair.client.closes()[0].code(), CloseCode::NORMAL);
    assert_eq!(pair.client.error, None, "the client saw a clean close");
    assert!(pair.client.conn.should_shutdown());
}

#[test]
fn data_in_flight_when_a_close_is_sent_still_arrives() {
    let mut pair = Pair::default_pair();
    pair.client.conn.close(CloseCode::NORMAL, "").unwrap();
    pair.server.conn.send_text("crossing").unwrap();
    pair.drive();
    // Section 7.1.2: after sending a Close the client still reads data
    // until the peer's Close.
    assert_eq!(
        pair.client.take_events(),
        [
            Event::Text {
                payload: Bytes::from_static(b"crossing"),
                fin: true
            },
            Event::Close(ws_proto::CloseFrame::new(CloseCode::NORMAL, "").unwrap())
        ]
    );
    assert!(pair.client.conn.is_closed() && pair.client.conn.should_shutdown());
    assert_eq!(pair.client.error, None);
}

#[test]
fn large_messages_cross_in_one_delivery() {
    // Several hundred KiB arrive in a single `receive`, past any read chunk.
    let mut pair = Pair::default_pair();
    let sizes = [300_000, 1, 700_000];
    for (i, &len) in sizes.iter().enumerate() {
        pair.client
            .conn
            .send_binary(common::filler(len, i as u64))
            .unwrap();
        pair.server
            .conn
            .send_text(common::text_filler(len, i as u64))
            .unwrap();
    }
    pair.drive();
    let expect_binary: Vec<(bool, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| (false, common::filler(len, i as u64)))
        .collect();
    let expect_text: Vec<(bool, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| (true, common::text_filler(len, i as u64).into_bytes()))
        .collect();
    assert_eq!(common::messages(&pair.server.events), expect_binary);
    assert_eq!(common::messages(&pair.client.events), expect_text);
}

// ---- ping and pong --------------------------------------------------------

#[test]
fn ping_is_answered_automatically() {
    let mut pair = Pair::default_pair();
    pair.client.conn.send_ping(&b"are you there"[..]).unwrap();
    pair.drive();
    assert_eq!(
        pair.server.take_events(),
        [Event::Ping(Bytes::from_static(b"are you there"))]
    );
    assert_eq!(
        pair.client.take_events(),
        [Event::Pong(Bytes::from_static(b"are you there"))]
    );

    pair.server.conn.send_ping(&b"and you"[..]).unwrap();
    pair.drive();
    assert_eq!(
        pair.client.take_events(),
        [Event::Ping(Bytes::from_static(b"and you"))]
    );
    assert_eq!(
        pair.server.take_events(),
        [Event::Pong(Bytes::from_static(b"and you"))]
    );
}

#[test]
fn without_auto_pong_the_application_answers() {
    let server_cfg = Config::default().with_auto_pong(false);
    let mut pair = Pair::new(Config::default(), server_cfg);
    pair.client.conn.send_ping(&b"1"[..]).unwrap();
    pair.drive();
    assert_eq!(
        pair.server.take_events(),
        [Event::Ping(Bytes::from_static(b"1"))]
    );
    assert!(pair.client.events.is_empty(), "no automatic pong");
    assert!(pair.server.written_frames().is_empty());

    pair.server.conn.send_pong(&b"1"[..]).unwrap();
    pair.drive();
    assert_eq!(
        pair.client.take_events(),
        [Event::Pong(Bytes::from_static(b"1"))]
    );
}

#[test]
fn every_ping_is_answered_while_the_peer_reads() {
    let mut pair = Pair::default_pair();
    for i in 0..5u8 {
        pair.client.conn.send_ping(vec![i]).unwrap();
    }
    pair.drive();
    let pings: Vec<Event> = (0..5u8)
        .map(|i| Event::Ping(Bytes::from(vec![i])))
        .collect();
    let pongs: Vec<Event> = (0..5u8)
        .map(|i| Event::Pong(Bytes::from(vec![i])))
        .collect();
    assert_eq!(pair.server.take_events(), pings);
    assert_eq!(pair.client.take_events(), pongs);
}

/// The pong payloads in `frames`, as the big-endian counters the tests
/// put in their pings.
fn pong_counters(frames: &[common::WireFrame]) -> Vec<u32> {
    frames
        .iter()
        .filter(|f| f.header.opcode == OpCode::Pong)
        .map(|f| u32::from_be_bytes([f.payload[0], f.payload[1], f.payload[2], f.payload[3]]))
        .collect()
}

#[test]
fn a_peer_that_pings_and_never_reads_cannot_grow_the_write_buffer() {
    // CVE-2020-35896: the server's transport accepts nothing (its peer does
    // not read), while the peer keeps pinging. Every step the server reads
    // a ping and tries to write, as an adapter would.
    const LIMIT: usize = 1024;
    let server_cfg = Config::default().with_write_buffer_limit(LIMIT);
    let mut pair = Pair::new(Config::default(), server_cfg);
    pair.server.blocked = true;
    pair.server.conn.send_text("queued before").unwrap();
    for i in 0..2000u32 {
        let mut payload = vec![0u8; 125];
        payload[..4].copy_from_slice(&i.to_be_bytes());
        pair.client.conn.send_ping(payload).unwrap();
        pair.step();
        // Below the limit one more pong frame (2 + 125 bytes) may go in.
        assert!(
            pair.server.conn.write_buffer_len() < LIMIT + 2 + 125,
            "after {i} pings the write buffer holds {} bytes",
            pair.server.conn.write_buffer_len()
        );
    }
    assert_eq!(pair.server.events.len(), 2000);
    assert!(pair.server.conn.wants_write());

    // Once the peer reads again it gets what was queued: the pongs that
    // fitted under the limit, in order, then one for the latest ping.
    pair.server.blocked = false;
    pair.drive();
    let frames = pair.server.written_frames();
    assert_eq!(frames[0].header.opcode, OpCode::Text);
    let pongs = pong_counters(&frames[1..]);
    let fitted = pongs.len() - 1;
    assert!((1..10).contains(&fitted), "{fitted} pongs fitted");
    assert_eq!(pongs[..fitted], (0..fitted as u32).collect::<Vec<_>>());
    assert_eq!(pongs[fitted], 1999);
}

#[test]
fn single_slice_writes_that_stall_do_not_queue_a_pong_per_ping() {
    // The same attack against an adapter that writes one chunk at a time.
    const LIMIT: usize = 64;
    let mut server = common::server(Config::default().with_write_buffer_limit(LIMIT));
    for i in 0..500u32 {
        let ping = common::peer_frame(ws_proto::Role::Server, OpCode::Ping, true, &i.to_be_bytes());
        assert_eq!(common::receive_events(&mut server, &ping).len(), 1);
        // The write is attempted and would block.
        assert!(!server.transmit_chunk().is_empty());
        server.advance_transmit(0);
        assert!(server.write_buffer_len() < LIMIT + 2 + 4, "after {i} pings");
    }
    let mut wire = Vec::new();
    while server.wants_write() {
        let chunk = server.transmit_chunk().to_vec();
        server.advance_transmit(chunk.len());
        wire.extend(chunk);
    }
    let frames = common::parse_frames(ws_proto::Role::Server, &wire);
    let pongs = pong_counters(&frames);
    let fitted = pongs.len() - 1;
    assert_eq!(fitted, LIMIT.div_ceil(2 + 4));
    assert_eq!(pongs[..fitted], (0..fitted as u32).collect::<Vec<_>>());
    assert_eq!(pongs[fitted], 499);
}

// ---- keepalive and idle ---------------------------------------------------

fn keepalive(interval: u32, timeout: u32) -> Config {
    Config::default()
        .with_ping_interval(interval * SECOND)
        .with_pong_timeout(timeout * SECOND)
}

#[test]
fn keepalive_pings_keep_an_answering_peer_open() {
    let mut pair = Pair::new(keepalive(10, 5), Config::default());
    assert_eq!(pair.next_deadline(), Some(pair.now + 10 * SECOND));
    while pair.elapsed() < 60 * SECOND {
        assert!(pair.advance_to_next_deadline(60 * SECOND));
    }
    let pings = pair
        .server
        .events
        .iter()
        .filter(|e| matches!(e, Event::Ping(_)))
        .count();
    assert_eq!(pings, 6, "one every 10 s for 60 s");
    let pongs = pair
        .client
        .events
        .iter()
        .filter(|e| matches!(e, Event::Pong(_)))
        .count();
    assert_eq!(pongs, 6);
    assert_eq!(
        (pair.client.error.as_ref(), pair.server.error.as_ref()),
        (None, None)
    );
    assert!(!pair.client.conn.is_closed());
    pair.client.conn.send_text("still here").unwrap();
}

#[test]
fn keepalive_fails_a_silent_peer_with_1011() {
    let mut pair = Pair::new(keepalive(10, 5), Config::default());
    // The server reads but its bytes, pongs included, are lost.
    pair.server.drop_output = true;
    assert!(pair.advance_to_next_deadline(10 * SECOND));
    assert_eq!(opcodes(&pair.client.written_frames()), [OpCode::Ping]);
    assert_eq!(pair.client.error, None);
    assert_eq!(pair.next_deadline(), Some(pair.now + 5 * SECOND));

    assert!(pair.advance_to_next_deadline(5 * SECOND));
    assert_eq!(pair.elapsed(), 15 * SECOND);
    let expected = Error::Timeout(TimeoutKind::Keepalive);
    assert_eq!(pair.client.error, Some(expected.clone()));
    assert_eq!(pair.client.conn.next_event(), Err(expected));
    let frames = pair.client.written_frames();
    assert_eq!(opcodes(&frames), [OpCode::Ping, OpCode::Close]);
    assert_eq!(close_of(&frames).0, CloseCode::INTERNAL_ERROR);
    // The server was told why.
    assert_eq!(pair.server.closes()[0].code(), CloseCode::INTERNAL_ERROR);
    assert!(pair.client.conn.should_shutdown());
    assert_eq!(
        pair.client.conn.send_text("x"),
        Err(Error::Usage(UsageError::Closed))
    );
}

#[test]
fn keepalive_pings_obey_the_write_buffer_limit() {
    // The client keeps sending and never reads: the server's transport
    // accepts nothing. One Ping fits under the limit; the rest are held
    // back instead of growing the buffer by one per interval.
    let server_cfg = keepalive(10, 5).with_write_buffer_limit(1);
    let mut pair = Pair::new(Config::default().without_keepalive(), server_cfg);
    pair.server.blocked = true;
    for i in 0..10_000 {
        pair.client.conn.send_text("still talking").unwrap();
        pair.advance(10 * SECOND);
        pair.drive();
        let queued = pair.server.conn.write_buffer_len();
        assert!(queued <= 2 + 4, "{queued} bytes queued after {i} intervals");
    }
    assert_eq!(pair.server.error, None, "input kept the peer alive");
    // The held-back Pings still count as unanswered: once the peer is
    // silent too, the pong deadline fails the connection.
    assert!(pair.advance_to_next_deadline(10 * SECOND));
    assert!(pair.advance_to_next_deadline(10 * SECOND));
    assert_eq!(
        pair.server.error,
        Some(Error::Timeout(TimeoutKind::Keepalive))
    );
    // What reaches the peer once it reads: the one Ping that fitted, and
    // the Close (queued past the limit, as a Close always is).
    pair.server.blocked = false;
    pair.drive();
    let frames = pair.server.written_frames();
    assert_eq!(opcodes(&frames), [OpCode::Ping, OpCode::Close]);
}

#[test]
fn default_keepalive_keeps_an_answering_peer_and_finds_a_dead_one() {
    // Both ends ping every 20 s; an hour of silence with Pings answered
    // keeps the connection open.
    let mut pair = Pair::default_pair();
    while pair.elapsed() < 3600 * SECOND {
        assert!(pair.advance_to_next_deadline(20 * SECOND));
    }
    assert_eq!((&pair.client.error, &pair.server.error), (&None, &None));
    let pings = |events: &[Event]| {
        events
            .iter()
            .filter(|e| matches!(e, Event::Ping(_)))
            .count()
    };
    assert_eq!(pings(&pair.server.events), 180, "one Ping every 20 s");
    assert_eq!(pings(&pair.client.events), 180);

    // The server vanishes (its bytes, Pongs included, are lost): the client
    // finds out within one interval and one Pong deadline.
    pair.server.drop_output = true;
    let vanished = pair.elapsed();
    while pair.client.error.is_none() {
        assert!(pair.advance_to_next_deadline(20 * SECOND));
        assert!(pair.elapsed() - vanished <= 40 * SECOND);
    }
    assert_eq!(
        pair.client.error,
        Some(Error::Timeout(TimeoutKind::Keepalive))
    );
}

#[test]
fn idle_timeout_closes_with_1001() {
    let server_cfg = Config::default()
        .without_keepalive()
        .with_idle_timeout(30 * SECOND);
    let mut pair = Pair::new(Config::default().without_keepalive(), server_cfg);
    // Traffic at 20 s postpones it.
    pair.advance(20 * SECOND);
    pair.client.conn.send_text("hi").unwrap();
    pair.drive();
    assert_eq!(pair.next_deadline(), Some(pair.now + 30 * SECOND));
    assert!(pair.advance_to_next_deadline(30 * SECOND));
    assert_eq!(pair.elapsed(), 50 * SECOND);

    assert_eq!(pair.server.error, Some(Error::Timeout(TimeoutKind::Idle)));
    let frames = pair.server.written_frames();
    assert_eq!(close_of(&frames).0, CloseCode::GOING_AWAY);
    assert_eq!(pair.client.closes()[0].code(), CloseCode::GOING_AWAY);
    assert!(pair.server.conn.should_shutdown() && pair.server.shut_down);
    assert!(pair.client.saw_eof && pair.client.conn.should_shutdown());
    assert_eq!(pair.client.error, None, "the client saw a clean close");
}

#[test]
fn poll_timeout_is_none_without_timers() {
    let config = Config::default()
        .without_keepalive()
        .without_close_timeout();
    let mut pair = Pair::new(config.clone(), config);
    assert_eq!(pair.next_deadline(), None);
    pair.client.conn.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert_eq!(pair.next_deadline(), None);
    assert!(pair.client.conn.should_shutdown());
}
