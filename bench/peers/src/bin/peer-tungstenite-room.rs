//! The chat's room on tokio-tungstenite, as a tokio user writes a chat:
//! one task per client, one `tokio::sync::broadcast` channel per room,
//! and each client's task receives everything said in its room from the
//! channel and sends it on its own socket (one encode per receiver),
//! skipping its own lines. The fan-out benchmark's peer
//! (`bench/fanout.sh`).
//!
//! The same protocol as the chat example, for what the benchmark uses:
//! `/ws?name=NAME&room=ROOM` (an empty room is `lobby`); the joiner gets
//! `* welcome, NAME: you are in ROOM with A, B` (or `, alone for now`)
//! and the room `* NAME joined ROOM`; a text from a client goes as `NAME:
//! text` to everyone else in the room; `* NAME left ROOM` when it goes.
//! Messages up to 64 KiB, no compression, as the chat is configured. Not
//! the chat's extras (unique names, name cleaning, percent-decoding, the
//! page, the operator console, the Origin check).
//!
//! A burst is fed and flushed once (`feed` while the channel holds more,
//! then `flush`), as the chat's writer does, rather than a `send` (a
//! flush, so a write) per line: the benchmark compares fan-out, not
//! flushing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// How many lines a room's channel holds for its slowest member. The
/// benchmark has at most a round's 100 lines, or the joins' notices it
/// lets run ahead (under 100), in flight: far below. A member that falls
/// further behind gets `RecvError::Lagged` and, as tokio's documentation
/// suggests, goes on from the oldest line still held: the lines it missed
/// are lost to it (and the benchmark fails, a delivery missing).
const CAPACITY: usize = 4096;

/// The largest message accepted, as the chat's.
const MAX_MESSAGE: usize = 64 << 10;

/// A line said in a room: by client `from` (0: the server's notices).
#[derive(Clone)]
struct Line {
    from: u64,
    text: Utf8Bytes,
}

/// A room: its channel and who is in it.
struct Room {
    channel: broadcast::Sender<Line>,
    names: Vec<(u64, String)>,
}

/// Every room, by name.
#[derive(Default)]
struct Rooms {
    last_id: u64,
    by_name: HashMap<String, Room>,
}

type Shared = Arc<Mutex<Rooms>>;

fn main() -> std::io::Result<()> {
    let addr = bench_peers::addr();
    bench_peers::current_thread()?.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("peer-tungstenite-room on {}", listener.local_addr()?);
        let rooms = Shared::default();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(client(stream, rooms.clone()));
        }
    })
}

/// The value of `key` in a query string (not percent-decoded), or "".
fn param<'a>(query: &'a str, key: &str) -> &'a str {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or("")
}

/// One client: the handshake, the join, then its lines to the room and
/// the room's lines to it, until either side ends.
async fn client(stream: TcpStream, rooms: Shared) {
    let mut query = String::new();
    // The signature is tungstenite's `Callback`, its error a whole response.
    #[allow(clippy::result_large_err)]
    let remember = |request: &Request, response: Response| {
        query = request.uri().query().unwrap_or("").to_owned();
        Ok(response)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let Ok(mut ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, remember, Some(config)).await
    else {
        return;
    };
    let room_name = match param(&query, "room") {
        "" => "lobby".to_owned(),
        room => room.to_owned(),
    };
    let (id, name, mut lines, channel, welcome) = {
        let mut rooms = rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.last_id += 1;
        let id = rooms.last_id;
        let name = match param(&query, "name") {
            "" => format!("guest-{id}"),
            name => name.to_owned(),
        };
        let room = rooms
            .by_name
            .entry(room_name.clone())
            .or_insert_with(|| Room {
                channel: broadcast::channel(CAPACITY).0,
                names: Vec::new(),
            });
        let welcome = if room.names.is_empty() {
            format!("* welcome, {name}: you are in {room_name}, alone for now")
        } else {
            let here: Vec<&str> = room.names.iter().map(|(_, n)| n.as_str()).collect();
            format!(
                "* welcome, {name}: you are in {room_name} with {}",
                here.join(", ")
            )
        };
        // Told before it subscribes: the notice is for the others.
        // (No receiver yet is no error here.)
        let _ = room.channel.send(Line {
            from: 0,
            text: format!("* {name} joined {room_name}").into(),
        });
        let lines = room.channel.subscribe();
        room.names.push((id, name.clone()));
        (id, name, lines, room.channel.clone(), welcome)
    };
    if ws.send(Message::text(welcome)).await.is_ok() {
        let (mut write, mut read) = ws.split();
        let mut unflushed = false;
        // Until the client goes or a write fails.
        loop {
            tokio::select! {
                message = read.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        let text = format!("{name}: {}", text.as_str()).into();
                        let _ = channel.send(Line { from: id, text });
                    }
                    // tungstenite answers a Ping itself.
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
                line = lines.recv() => {
                    match line {
                        Ok(line) if line.from != id => {
                            if write.feed(Message::Text(line.text)).await.is_err() {
                                break;
                            }
                            unflushed = true;
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => break,
                    }
                    if unflushed && lines.is_empty() {
                        if write.flush().await.is_err() {
                            break;
                        }
                        unflushed = false;
                    }
                }
            }
        }
    }
    let mut rooms = rooms.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(room) = rooms.by_name.get_mut(&room_name) {
        room.names.retain(|(i, _)| *i != id);
        let _ = room.channel.send(Line {
            from: 0,
            text: format!("* {name} left {room_name}").into(),
        });
        if room.names.is_empty() {
            rooms.by_name.remove(&room_name);
        }
    }
}
