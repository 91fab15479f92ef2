//! The echo loops that `echo-server` and `autobahn-client` share: one
//! task on the whole socket, or (`--split`) a reader task and a writer
//! task on its two halves. Runtime-agnostic: the example passes its
//! runtime's spawn as a [`Spawn`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::ws::{self, Message, ReadHalf, WebSocket, WriteHalf};

/// A task to spawn: the writer of a split echo.
pub(crate) type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Spawns a task on the example's runtime, detached.
pub(crate) type Spawn = Arc<dyn Fn(Task) + Send + Sync>;

/// Echoes every text and binary message until the connection ends: on the
/// whole socket in this task, or with `split` through its two halves in
/// two tasks (the writer spawned with `spawn`). `ws` is an adapter's
/// socket, which wraps the driver's.
pub(crate) async fn echo<S, I>(ws: WebSocket<S, I>, split: bool, spawn: &Spawn)
where
    S: 'static,
    I: ws::Transport + Send + 'static,
{
    if split {
        echo_split(ws, spawn).await
    } else {
        echo_whole(ws).await
    }
}

/// One task on the whole socket. Replies are fed, not flushed one by one:
/// `recv` flushes them in one write before it waits for more input.
async fn echo_whole<S, I>(mut ws: WebSocket<S, I>)
where
    I: ws::Transport,
{
    while let Some(message) = ws.recv().await {
        match message {
            Ok(message) if message.is_data() => {
                if ws.feed(message).await.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Split halves: this task reads and hands every data message over a
/// bounded channel to a writer task, which sends them. Returns once both
/// have ended.
///
/// The reader waits until the writer has queued each message before it
/// reads on. Its next `recv` may fail the connection (a bad frame after
/// the message: the driver queues a Close with 1002 or 1007 at once), and
/// that Close must not overtake the echo: the testsuite expects the echo
/// of every valid message before the failure (cases 3.2, 3.3, 4.1.3,
/// 4.1.4, 4.2.3, 4.2.4 and 5.15 are NON-STRICT otherwise). Both tasks still
/// write at once: the writer flushes while the reader reads and answers
/// Pings and Closes.
async fn echo_split<S, I>(ws: WebSocket<S, I>, spawn: &Spawn)
where
    S: 'static,
    I: ws::Transport + Send + 'static,
{
    let (reader, writer) = ws.into_split();
    let (messages, inbox) = async_channel::bounded(1);
    let (queued, queued_rx) = async_channel::bounded(1);
    // Closed (never sent on) when the writer task ends.
    let (writer_alive, writer_done) = async_channel::bounded::<()>(1);
    spawn(Box::pin(async move {
        write_loop(writer, inbox, queued).await;
        drop(writer_alive);
    }));
    read_loop(reader, messages, queued_rx).await;
    let _ = writer_done.recv().await;
}

/// Reads until the connection ends, handing data messages to the writer
/// and waiting until each is queued. Pings and the peer's Close are
/// answered here, by the driver, while it reads. It keeps reading when
/// the writer has stopped (its sends fail after our Close, say), so the
/// closing handshake still completes; the channel closes when this
/// returns, which ends the writer.
async fn read_loop<S, I>(
    mut reader: ReadHalf<S, I>,
    messages: async_channel::Sender<Message>,
    queued: async_channel::Receiver<()>,
) where
    I: ws::Transport,
{
    while let Some(message) = reader.recv().await {
        match message {
            Ok(message) if message.is_data() => {
                if messages.send(message).await.is_ok() {
                    let _ = queued.recv().await;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Sends what the reader hands over: queues each message, tells the
/// reader, and flushes when nothing more is waiting. Ends when the reader
/// has ended (the channel is closed and empty) or a send fails.
async fn write_loop<S, I>(
    mut writer: WriteHalf<S, I>,
    inbox: async_channel::Receiver<Message>,
    queued: async_channel::Sender<()>,
) where
    I: ws::Transport,
{
    while let Ok(message) = inbox.recv().await {
        if writer.feed(message).await.is_err() {
            break;
        }
        let _ = queued.send(()).await;
        if inbox.is_empty() && writer.flush().await.is_err() {
            break;
        }
    }
}
