//! The handshake futures are one pointer: the handshake's state (stream,
//! configuration, parser, request, timer) lives on the heap while it runs.
//! A server task that awaits the handshake and then serves the connection
//! is allocated once, at its largest state, and keeps that size for the
//! connection's life; with the handshake inline it held a few KiB more
//! than an idle connection needs.

mod support;

use std::mem::{size_of, size_of_val};

use futures_util::io::Cursor;
use ws_driver::{
    accept, accept_or_http, accept_with, client, Connector, Network, SocketStream, Upgrade,
    WebSocket,
};
use ws_proto::handshake::{Accept, ClientRequest};
use ws_proto::Config;

type Stream = SocketStream<Cursor<Vec<u8>>>;
type Rt = support::NoTimer;

/// A network whose every connection is an empty in-memory stream.
struct Nowhere;

impl ws_driver::Runtime for Nowhere {
    type Timer = <Rt as ws_driver::Runtime>::Timer;

    fn now() -> std::time::Instant {
        Rt::now()
    }

    fn timer(deadline: std::time::Instant) -> Self::Timer {
        Rt::timer(deadline)
    }

    fn reset(timer: std::pin::Pin<&mut Self::Timer>, deadline: std::time::Instant) {
        Rt::reset(timer, deadline)
    }
}

/// Nowhere runs no task: only HTTP/2, which `ws://` never reaches, spawns.
impl ws_driver::Spawn for Nowhere {
    fn spawn<F>(task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        drop(task);
    }
}

/// An in-memory stream has no peer.
impl ws_driver::PeerAddr<Nowhere> for Cursor<Vec<u8>> {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        Err(std::io::ErrorKind::NotConnected.into())
    }
}

impl Network for Nowhere {
    type Tcp = Cursor<Vec<u8>>;
    type Stream = Stream;

    async fn connect_tcp(_: String, _: u16) -> std::io::Result<Self::Tcp> {
        Ok(Cursor::new(Vec::new()))
    }

    fn tcp_io(
        tcp: &mut Self::Tcp,
    ) -> impl futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + '_ {
        tcp
    }

    fn plain(tcp: Self::Tcp) -> Self::Stream {
        SocketStream::plain(tcp)
    }
}

fn stream() -> Stream {
    SocketStream::plain(Cursor::new(Vec::new()))
}

#[test]
fn handshake_futures_are_one_pointer() {
    let pointer = size_of::<usize>();
    let request = || ClientRequest::from_url("ws://example.com/chat").unwrap();
    assert_eq!(size_of_val(&accept::<Rt, _>(stream())), pointer);
    let with = accept_with::<Rt, _, _>(stream(), Config::default(), |_| Ok(Accept::new()));
    assert_eq!(size_of_val(&with), pointer);
    let or_http = accept_or_http::<Rt, _, _>(stream(), Config::default(), |_| Ok(Accept::new()));
    assert_eq!(size_of_val(&or_http), pointer);
    let client = client::<Rt, _>(stream(), request(), Config::default());
    assert_eq!(size_of_val(&client), pointer);
    let connect = Connector::<Nowhere>::new().connect("ws://example.com/", Config::default());
    assert_eq!(size_of_val(&connect), pointer);
}

#[test]
fn a_connection_task_holds_no_handshake() {
    // What a server spawns per connection: the handshake, then an echo.
    let task = async {
        let Ok(Upgrade::WebSocket(mut ws)) =
            accept_or_http::<Rt, _, _>(stream(), Config::default(), |_| Ok(Accept::new())).await
        else {
            return;
        };
        while let Some(Ok(message)) = ws.recv().await {
            if ws.send(message).await.is_err() {
                break;
            }
        }
    };
    // The socket is one pointer (its connection is boxed, so each future
    // that takes it by value holds a pointer, not a copy of the state);
    // the message in hand and the nested send futures that each hold it
    // are most of the rest (about 350 bytes). The handshake inline made
    // this 1.7-4.5 KiB.
    assert_eq!(size_of::<WebSocket<Stream, Rt>>(), size_of::<usize>());
    assert!(
        size_of_val(&task) <= 512,
        "connection task is {} bytes",
        size_of_val(&task)
    );
}
