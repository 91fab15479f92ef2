//! The adapters' own API, as their users call it: the socket types each
//! adapter defines (not the driver's), `into_split` and `reunite`,
//! `close` and `close_with`, futures' `StreamExt::split` on the socket,
//! and `connect` with every kind of request. Written once, run on each
//! adapter; and the connect timeout over a network whose names never
//! resolve.

/// The cases for the adapter crate `$adapter` on the harness `$harness`
/// (its runtime), with the runtime's TCP listener and stream.
macro_rules! adapter_api {
    ($module:ident, $adapter:ident, $harness:ty, $listener:ty, $tcp:ty) => {
        mod $module {
            use std::net::SocketAddr;

            use conformance::{within, Harness};
            use futures_util::future::{join, join3};
            use futures_util::{SinkExt, StreamExt};
            use $adapter::{
                Accept, ClientRequest, CloseCode, Config, IntoClientRequest, Message, ReuniteError,
                WebSocket,
            };

            type H = $harness;
            type Server = WebSocket<$tcp>;

            async fn listen() -> ($listener, SocketAddr) {
                let listener = <$listener>::bind("127.0.0.1:0").await.expect("bind");
                let addr = listener.local_addr().expect("address");
                (listener, addr)
            }

            /// A server socket and a client socket over loopback, made by
            /// the adapter's `accept` and `connect`.
            async fn pair() -> (Server, WebSocket) {
                let (listener, addr) = listen().await;
                let server = async {
                    let (tcp, _) = listener.accept().await.expect("accept");
                    $adapter::accept(tcp).await.expect("server handshake")
                };
                let client = $adapter::connect(format!("ws://{addr}/"));
                let (server, client) = within::<H, _>("handshake", join(server, client)).await;
                let (client, _response) = client.expect("client handshake");
                (server, client)
            }

            /// Echoes one message back.
            async fn echo_one(server: &mut Server) {
                let message = within::<H, _>("server: recv", server.recv())
                    .await
                    .expect("a message")
                    .expect("no error");
                within::<H, _>("server: send", server.send(message))
                    .await
                    .expect("server: send");
            }

            /// The next message of `socket`, which must be the text `want`.
            fn assert_text(got: Option<Result<Message, $adapter::Error>>, want: &str) {
                match got {
                    Some(Ok(message)) => assert_eq!(message.as_text(), Some(want)),
                    other => panic!("[{}] expected {want:?}, got {other:?}", H::NAME),
                }
            }

            /// What the server reads once the client closed: its Close
            /// (code and reason), then the end.
            async fn closed_with(server: &mut Server) -> (u16, String) {
                let close = match within::<H, _>("server: recv Close", server.recv()).await {
                    Some(Ok(Message::Close(frame))) => {
                        (frame.code().as_u16(), frame.reason().to_owned())
                    }
                    other => panic!("[{}] expected a Close, got {other:?}", H::NAME),
                };
                let end = within::<H, _>("server: recv end", server.recv()).await;
                assert!(end.is_none(), "[{}] expected the end, got {end:?}", H::NAME);
                close
            }

            /// The adapter's types wrap the driver's and add nothing: a
            /// socket is one pointer (its boxed driver), a half one `Arc`.
            #[test]
            fn socket_types_are_the_drivers_size() {
                use std::mem::size_of;
                assert_eq!(size_of::<WebSocket>(), size_of::<usize>());
                assert_eq!(size_of::<Server>(), size_of::<usize>());
                assert_eq!(size_of::<$adapter::ReadHalf>(), size_of::<usize>());
                assert_eq!(size_of::<$adapter::WriteHalf>(), size_of::<usize>());
                assert_eq!(size_of::<$adapter::hyper::WebSocket>(), size_of::<usize>());
            }

            #[test]
            fn into_split_and_reunite() {
                H::block_on(async {
                    let (mut server, client) = pair().await;
                    let (mut read, mut write) = client.into_split();
                    let exchange = async {
                        within::<H, _>("send", write.send(Message::text("one")))
                            .await
                            .expect("send");
                        within::<H, _>("recv", read.recv()).await
                    };
                    let (echoed, ()) = join(exchange, echo_one(&mut server)).await;
                    assert_text(echoed, "one");

                    assert!(read.is_pair_of(&write));
                    let mut client = read.reunite(write).expect("halves of one socket");
                    let exchange = async {
                        within::<H, _>("send", client.send(Message::text("two")))
                            .await
                            .expect("send");
                        within::<H, _>("recv", client.recv()).await
                    };
                    let (echoed, ()) = join(exchange, echo_one(&mut server)).await;
                    assert_text(echoed, "two");

                    // Halves of two sockets: both come back.
                    let (_other_server, other) = pair().await;
                    let (read, write) = client.into_split();
                    let (other_read, other_write) = other.into_split();
                    let Err(ReuniteError(read, other_write)) = read.reunite(other_write) else {
                        panic!("[{}] halves of two sockets reunited", H::NAME);
                    };
                    assert!(!read.is_pair_of(&other_write));
                    read.reunite(write).expect("the first socket's halves");
                    other_read
                        .reunite(other_write)
                        .expect("the second socket's halves");
                });
            }

            #[test]
            fn close_sends_normal_closure_without_reason() {
                H::block_on(async {
                    let (mut server, mut client) = pair().await;
                    let (closed, seen) = join(
                        within::<H, _>("close", client.close()),
                        closed_with(&mut server),
                    )
                    .await;
                    closed.expect("close");
                    assert_eq!(seen, (1000, String::new()), "[{}]", H::NAME);
                });
            }

            #[test]
            fn close_with_on_the_writing_half() {
                H::block_on(async {
                    let (mut server, client) = pair().await;
                    let (mut read, mut write) = client.into_split();
                    let closing =
                        within::<H, _>("close_with", write.close_with(CloseCode::new(4000), "bye"));
                    let reading = async {
                        // The server's answer, then the end.
                        let answer = within::<H, _>("read: Close", read.recv()).await;
                        let end = within::<H, _>("read: end", read.recv()).await;
                        (answer, end)
                    };
                    let (closed, (answer, end), seen) =
                        join3(closing, reading, closed_with(&mut server)).await;
                    closed.expect("close_with");
                    assert_eq!(seen, (4000, "bye".to_owned()), "[{}]", H::NAME);
                    assert!(
                        matches!(answer, Some(Ok(Message::Close(_)))),
                        "[{}] expected the server's Close, got {answer:?}",
                        H::NAME
                    );
                    assert!(end.is_none(), "[{}] expected the end, got {end:?}", H::NAME);
                });
            }

            #[test]
            fn stream_ext_split_gives_sink_and_stream() {
                H::block_on(async {
                    let (mut server, client) = pair().await;
                    // futures' split, by method syntax: the socket's own
                    // is `into_split`.
                    let (mut sink, mut stream) = client.split();
                    let exchange = async {
                        within::<H, _>("sink: send", sink.send(Message::text("via sink")))
                            .await
                            .expect("sink: send");
                        within::<H, _>("stream: next", stream.next()).await
                    };
                    let (echoed, ()) = join(exchange, echo_one(&mut server)).await;
                    assert_text(echoed, "via sink");
                    let (closed, seen) = join(
                        within::<H, _>("sink: close", sink.close()),
                        closed_with(&mut server),
                    )
                    .await;
                    closed.expect("sink: close");
                    assert_eq!(seen, (1000, String::new()), "[{}]", H::NAME);
                });
            }

            /// Connects with `request` to a server on `listener` that
            /// reads the request's path and its `x-kind` header field.
            async fn seen_by_server(
                listener: &$listener,
                request: impl IntoClientRequest,
            ) -> (String, Option<String>) {
                let server = async {
                    let (tcp, _) = listener.accept().await.expect("accept");
                    let mut seen = None;
                    let ws = $adapter::accept_with(tcp, Config::default(), |request| {
                        let kind = request.header("x-kind").map(str::to_owned);
                        seen = Some((request.path().to_owned(), kind));
                        Ok(Accept::new())
                    })
                    .await
                    .expect("server handshake");
                    (ws, seen.expect("the callback ran"))
                };
                let client = $adapter::connect(request);
                let ((mut server, seen), client) =
                    within::<H, _>("handshake", join(server, client)).await;
                let (mut client, _response): (WebSocket, _) = client.expect("client handshake");
                let (closed, _) = join(
                    within::<H, _>("close", client.close()),
                    closed_with(&mut server),
                )
                .await;
                closed.expect("close");
                seen
            }

            #[test]
            fn connect_takes_every_kind_of_request() {
                H::block_on(async {
                    let (listener, addr) = listen().await;
                    let url = |path: &str| format!("ws://{addr}{path}");
                    let seen = seen_by_server(&listener, url("/str").as_str()).await;
                    assert_eq!(seen, ("/str".to_owned(), None));
                    let seen = seen_by_server(&listener, url("/string")).await;
                    assert_eq!(seen, ("/string".to_owned(), None));
                    let uri: http::Uri = url("/uri").parse().expect("URI");
                    let seen = seen_by_server(&listener, uri).await;
                    assert_eq!(seen, ("/uri".to_owned(), None));
                    let request = http::Request::builder()
                        .uri(url("/request"))
                        .header("x-kind", "http request")
                        .body(())
                        .expect("request");
                    let seen = seen_by_server(&listener, request).await;
                    assert_eq!(
                        seen,
                        ("/request".to_owned(), Some("http request".to_owned()))
                    );
                    let request = ClientRequest::from_url(&url("/client-request"))
                        .and_then(|r| r.header("x-kind", "client request"))
                        .expect("request");
                    let seen = seen_by_server(&listener, request).await;
                    assert_eq!(
                        seen,
                        (
                            "/client-request".to_owned(),
                            Some("client request".to_owned())
                        )
                    );
                });
            }
        }
    };
}

adapter_api!(
    tokio,
    ws_tokio,
    conformance::Tokio,
    tokio::net::TcpListener,
    tokio::net::TcpStream
);
adapter_api!(
    smol,
    ws_smol,
    conformance::Smol,
    smol::net::TcpListener,
    smol::net::TcpStream
);
adapter_api!(
    async_std,
    ws_async_std,
    conformance::AsyncStd,
    async_std::net::TcpListener,
    async_std::net::TcpStream
);

/// The connect timeout bounds name resolution too: over a network whose
/// every name stays unresolved, `connect` fails with the handshake
/// timeout, the connector's or the `Config`'s.
mod connect_timeout {
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::time::{Duration, Instant};

    use tokio::net::TcpStream;
    use ws_driver::{Connector, Error};
    use ws_proto::Config;
    use ws_tokio::{MaybeTlsStream, TokioIo};

    /// tokio, with a resolver that never answers: ws-tokio's clock, timer
    /// and spawn, and a `Network` of its own.
    struct Unresolved;

    type Tokio = ws_tokio::Runtime;

    impl ws_driver::Runtime for Unresolved {
        type Timer = <Tokio as ws_driver::Runtime>::Timer;

        fn now() -> Instant {
            <Tokio as ws_driver::Runtime>::now()
        }

        fn timer(deadline: Instant) -> Self::Timer {
            <Tokio as ws_driver::Runtime>::timer(deadline)
        }

        fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant) {
            <Tokio as ws_driver::Runtime>::reset(timer, deadline)
        }
    }

    impl ws_driver::Spawn for Unresolved {
        fn spawn<F>(task: F)
        where
            F: std::future::Future<Output = ()> + Send + 'static,
        {
            <Tokio as ws_driver::Spawn>::spawn(task)
        }
    }

    impl ws_driver::PeerAddr<Unresolved> for TcpStream {
        fn peer_addr(&self) -> std::io::Result<SocketAddr> {
            TcpStream::peer_addr(self)
        }
    }

    impl ws_driver::Network for Unresolved {
        type Tcp = TcpStream;
        type Stream = TokioIo<MaybeTlsStream<TcpStream>>;

        async fn connect_tcp(_host: String, _port: u16) -> std::io::Result<TcpStream> {
            std::future::pending().await
        }

        fn tcp_io(
            tcp: &mut TcpStream,
        ) -> impl futures_io::AsyncRead + futures_io::AsyncWrite + Unpin + Send + '_ {
            TokioIo::new(tcp)
        }

        fn plain(tcp: TcpStream) -> Self::Stream {
            TokioIo::new(MaybeTlsStream::Plain(tcp))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_connectors_limit_covers_resolution() {
        let connector = Connector::<Unresolved>::new().with_timeout(Duration::from_secs(3));
        let out = connector
            .connect("ws://never.invalid/", Config::default())
            .await;
        assert!(
            matches!(out, Err(Error::HandshakeTimeout)),
            "expected HandshakeTimeout, got {out:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_configs_limit_covers_resolution() {
        let config = Config::default().with_handshake_timeout(Duration::from_secs(3));
        let out = Connector::<Unresolved>::new()
            .connect("ws://never.invalid/", config)
            .await;
        assert!(
            matches!(out, Err(Error::HandshakeTimeout)),
            "expected HandshakeTimeout, got {out:?}"
        );
    }
}
