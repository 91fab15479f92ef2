//! A half waiting for the transport is woken when the other half releases
//! it. The writer flushes into a full transport and waits; the transport
//! makes room without a wake-up of its own yet (its readiness event is
//! still on the way); the reader then writes what was queued, completes
//! the closing handshake and releases the transport, whose event will now
//! never come. The writer must be woken to see the transport gone, or it
//! waits forever (which the Autobahn client on split halves hit, once in
//! a few runs, on the 4 MiB messages of cases 9.3.x).

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_io::{AsyncRead, AsyncWrite};
use ws_driver::{AsyncIo, WebSocket};
use ws_proto::{Config, Connection, Message};

/// A transport whose write side is full until the test makes room, and
/// whose read side yields what the test puts in, then end of stream.
#[derive(Default)]
struct Pipe {
    room: usize,
    written: usize,
    input: Vec<u8>,
    write_waker: Option<Waker>,
}

#[derive(Clone, Default)]
struct Transport(Arc<Mutex<Pipe>>);

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = self.0.lock().expect("pipe");
        let n = pipe.input.len().min(buf.len());
        buf[..n].copy_from_slice(&pipe.input[..n]);
        pipe.input.drain(..n);
        // Empty: end of stream.
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = self.0.lock().expect("pipe");
        if pipe.room == 0 {
            pipe.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = pipe.room.min(buf.len());
        pipe.room -= n;
        pipe.written += n;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_flush_waiting_on_a_released_transport_is_woken() {
    let transport = Transport::default();
    let ws: WebSocket<Transport, AsyncIo> =
        WebSocket::from_parts(transport.clone(), Connection::server(Config::default()));
    let (mut reader, mut writer) = ws.split();

    let writer_wakes = Arc::new(Count::default());
    let writer_waker = Waker::from(writer_wakes.clone());
    let mut send = pin!(writer.send(Message::binary(vec![7u8; 64 << 10])));
    assert!(send
        .as_mut()
        .poll(&mut Context::from_waker(&writer_waker))
        .is_pending());
    let woken_before = writer_wakes.0.load(Ordering::SeqCst);

    // Room for everything, without the transport's own wake-up; the
    // client's Close (code 1000, masked with a zero key), then EOF.
    {
        let mut pipe = transport.0.lock().expect("pipe");
        pipe.room = usize::MAX;
        pipe.input = vec![0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8];
        // The transport forgets the waiter, as a deregistered socket does.
        pipe.write_waker = None;
    }
    let reader_waker = Waker::from(Arc::new(Count::default()));
    let mut cx = Context::from_waker(&reader_waker);
    let mut polls = 0;
    loop {
        let mut recv = pin!(reader.recv());
        match recv.as_mut().poll(&mut cx) {
            Poll::Ready(None) => break,
            Poll::Ready(Some(_)) => {}
            Poll::Pending => panic!("the reader waits with everything it needs at hand"),
        }
        polls += 1;
        assert!(polls < 10, "the reader does not end");
    }
    assert!(
        transport.0.lock().expect("pipe").written > 64 << 10,
        "the reader wrote the writer's message and its Close"
    );
    assert!(
        writer_wakes.0.load(Ordering::SeqCst) > woken_before,
        "the writer, waiting on the released transport, was not woken"
    );
    // Woken, the writer finds everything written and the transport gone.
    assert!(matches!(
        send.as_mut().poll(&mut Context::from_waker(&writer_waker)),
        Poll::Ready(Ok(()))
    ));
}
