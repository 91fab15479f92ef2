//! The operations a [`WebSocket`](crate::WebSocket) and its split halves
//! share, written once against a [`Handle`] on the driver.

use std::future::poll_fn;
use std::task::{ready, Context, Poll};

use ws_proto::{CloseCode, Connection, Event, Message, UsageError};

use crate::drive::{Handle, Next};
use crate::{Error, Transport};

pub(crate) fn poll_next<H, T>(
    h: &mut H,
    cx: &mut Context<'_>,
    next: Next<T>,
) -> Poll<Option<Result<T, Error>>>
where
    H: Handle,
    H::Io: Transport,
{
    h.drive(cx, |driver, cx, wakers| driver.poll_next(cx, wakers, next))
}

pub(crate) async fn recv<H>(h: &mut H) -> Option<Result<Message, Error>>
where
    H: Handle,
    H::Io: Transport,
{
    poll_fn(|cx| poll_next(h, cx, Connection::next_message)).await
}

pub(crate) async fn recv_event<H>(h: &mut H) -> Option<Result<Event, Error>>
where
    H: Handle,
    H::Io: Transport,
{
    poll_fn(|cx| poll_next(h, cx, Connection::next_event)).await
}

/// Waits for room in the write buffer, then queues with `op`, in one poll
/// of the driver.
pub(crate) async fn queue<H>(
    h: &mut H,
    op: impl FnOnce(&mut Connection) -> Result<(), ws_proto::Error>,
) -> Result<(), Error>
where
    H: Handle,
    H::Io: Transport,
{
    let mut op = Some(op);
    poll_fn(|cx| {
        h.drive(cx, |driver, cx, wakers| {
            ready!(driver.poll_ready(cx, wakers))?;
            let Some(op) = op.take() else {
                return Poll::Ready(Ok(()));
            };
            Poll::Ready(op(&mut driver.conn).map_err(Error::from))
        })
    })
    .await
}

pub(crate) fn poll_flush<H>(h: &mut H, cx: &mut Context<'_>) -> Poll<Result<(), Error>>
where
    H: Handle,
    H::Io: Transport,
{
    h.drive(cx, |driver, cx, wakers| driver.poll_flush(cx, wakers))
}

pub(crate) async fn flush<H>(h: &mut H) -> Result<(), Error>
where
    H: Handle,
    H::Io: Transport,
{
    poll_fn(|cx| poll_flush(h, cx)).await
}

/// Queues and flushes with `op`.
pub(crate) async fn send<H>(
    h: &mut H,
    op: impl FnOnce(&mut Connection) -> Result<(), ws_proto::Error>,
) -> Result<(), Error>
where
    H: Handle,
    H::Io: Transport,
{
    queue(h, op).await?;
    flush(h).await
}

pub(crate) fn poll_ready<H>(h: &mut H, cx: &mut Context<'_>) -> Poll<Result<(), Error>>
where
    H: Handle,
    H::Io: Transport,
{
    h.drive(cx, |driver, cx, wakers| driver.poll_ready(cx, wakers))
}

/// Queues a Close with `code` and `reason`, without writing it; a Close
/// already sent is no error.
pub(crate) fn queue_close(
    conn: &mut Connection,
    code: CloseCode,
    reason: &str,
) -> Result<(), Error> {
    match conn.close(code, reason) {
        Ok(()) | Err(ws_proto::Error::Usage(UsageError::Closed)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
