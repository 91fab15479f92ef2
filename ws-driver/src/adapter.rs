//! The socket types of every adapter, written once: [`WebSocket`],
//! [`ReadHalf`], [`WriteHalf`] and [`ReuniteError`] of this crate wrapped
//! in types of the adapter's own, so that the adapter's documentation
//! shows their methods and the compiler's messages name the adapter's
//! types.
//!
//! [`WebSocket`]: crate::WebSocket
//! [`ReadHalf`]: crate::ReadHalf
//! [`WriteHalf`]: crate::WriteHalf
//! [`ReuniteError`]: crate::ReuniteError

/// Defines an adapter's `WebSocket<S, T>`, `ReadHalf<S, T>`,
/// `WriteHalf<S, T>` and `ReuniteError<S, T>` over its `Runtime`: `S` is
/// the caller's stream (`default` unless named), `T` the
/// [`Transport`](crate::Transport) the driver runs over (`io`, written in
/// terms of `S`). Each wraps the driver's type and nothing else
/// (`#[repr(transparent)]`, inlined delegation), and converts from and
/// into it with `From`.
#[doc(hidden)]
#[macro_export]
macro_rules! define_socket_types {
    (default = $default:ty, io = $io:ty $(,)?) => {
        /// A WebSocket connection over the stream `S` (by default the
        /// stream [`connect`] opens).
        ///
        /// Receive with [`recv`](Self::recv) (whole messages) or
        /// [`recv_event`](Self::recv_event) (fragment by fragment), send
        /// with [`send`](Self::send), [`feed`](Self::feed) +
        /// [`flush`](Self::flush) or [`send_fragment`](Self::send_fragment),
        /// end with [`close`](Self::close) or [`close_with`](Self::close_with).
        /// It is also a `Stream` of messages and a `Sink` for them (so
        /// `futures::StreamExt::split` gives a sink and a stream), and
        /// [`into_split`](Self::into_split)s into halves for two tasks.
        ///
        /// Pings are answered and the peer's Close is echoed while the
        /// socket is read, and the timers of the [`Config`] (keepalive,
        /// idle, close) run while it is read too: keep a task in `recv`.
        ///
        /// `T` is the stream as the driver sees it, a shim around `S`;
        /// leave it to its default.
        #[repr(transparent)]
        pub struct WebSocket<S = $default, T = $io> {
            inner: $crate::WebSocket<T, Runtime>,
            stream: std::marker::PhantomData<fn() -> S>,
        }

        /// The reading half of a [`WebSocket`] (see
        /// [`WebSocket::into_split`]): receives messages and answers Pings
        /// and Closes while it does.
        #[repr(transparent)]
        pub struct ReadHalf<S = $default, T = $io> {
            inner: $crate::ReadHalf<T, Runtime>,
            stream: std::marker::PhantomData<fn() -> S>,
        }

        /// The writing half of a [`WebSocket`] (see
        /// [`WebSocket::into_split`]).
        #[repr(transparent)]
        pub struct WriteHalf<S = $default, T = $io> {
            inner: $crate::WriteHalf<T, Runtime>,
            stream: std::marker::PhantomData<fn() -> S>,
        }

        /// [`ReadHalf::reunite`] was given the writing half of another
        /// socket; both halves come back.
        pub struct ReuniteError<S = $default, T = $io>(pub ReadHalf<S, T>, pub WriteHalf<S, T>);

        impl<S, T> WebSocket<S, T> {
            /// Where the connection is in its life: open, closing, closed,
            /// failed (with its error) or ended.
            #[inline]
            pub fn state(&self) -> &$crate::__proto::State {
                self.inner.state()
            }

            /// The driver's socket inside, for code generic over runtimes.
            #[doc(hidden)]
            #[inline]
            pub fn into_driver(self) -> $crate::WebSocket<T, Runtime> {
                self.inner
            }
        }

        impl<S, T: $crate::Transport<Inner = S>> WebSocket<S, T> {
            /// The stream.
            ///
            /// Do not read from or write to it: the connection's framing
            /// would be lost. Inspect it (addresses, TLS session) or set
            /// options.
            #[inline]
            pub fn get_ref(&self) -> &S {
                self.inner.get_ref()
            }

            /// The stream. As for [`get_ref`](Self::get_ref): do not read
            /// from or write to it.
            #[inline]
            pub fn get_mut(&mut self) -> &mut S {
                self.inner.get_mut()
            }

            /// The stream, back from the socket: after the closing
            /// handshake (once `recv` has returned `None`; its write side
            /// is shut down then), to use it for something else. Taken
            /// earlier, it holds whatever the connection left unread or
            /// unwritten.
            #[inline]
            pub fn into_inner(self) -> S {
                self.inner.into_inner()
            }

            /// The address of the peer, over a TCP transport.
            #[inline]
            pub fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr>
            where
                S: $crate::PeerAddr<Runtime>,
            {
                self.inner.peer_addr()
            }
        }

        impl<S, T: $crate::Transport> WebSocket<S, T> {
            /// The next message, joined from its fragments; `None` once the
            /// connection has closed.
            ///
            /// Cancel safety: safe. Everything received is kept in the
            /// connection, so dropping the future (in a `select!`, say)
            /// loses nothing and the next call continues where this one
            /// stopped.
            #[inline]
            pub fn recv(
                &mut self,
            ) -> impl std::future::Future<
                Output = Option<Result<$crate::__proto::Message, $crate::Error>>,
            > + '_ {
                self.inner.recv()
            }

            /// The next event: a data fragment (as it arrived, with its
            /// `fin` flag), a Ping, a Pong or a Close. For messages too
            /// large to hold whole. Do not mix with [`recv`](Self::recv)
            /// inside one message. Cancel safety: as for `recv`.
            #[inline]
            pub fn recv_event(
                &mut self,
            ) -> impl std::future::Future<
                Output = Option<Result<$crate::__proto::Event, $crate::Error>>,
            > + '_ {
                self.inner.recv_event()
            }

            /// Sends a message and flushes it to the transport.
            ///
            /// Waits while the write buffer is at its limit
            /// (backpressure). When the peer has closed the connection the
            /// error is [`Error::PeerClosed`], with the peer's Close frame
            /// if it sent one. Cancel safety: the message is queued whole
            /// or not at all; if the future is dropped after queueing, the
            /// bytes go out with the next write or flush.
            #[inline]
            pub fn send(
                &mut self,
                message: $crate::__proto::Message,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.send(message)
            }

            /// Sends a message uncompressed even when permessage-deflate
            /// was negotiated, and flushes it. Cancel safety: as for
            /// [`send`](Self::send).
            #[inline]
            pub fn send_uncompressed(
                &mut self,
                message: $crate::__proto::Message,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.send_uncompressed(message)
            }

            /// Queues a message without flushing, waiting only while the
            /// write buffer is full: a burst of feeds leaves in few
            /// writes. `recv` flushes what is queued before it waits for
            /// input, and so does [`flush`](Self::flush).
            #[inline]
            pub fn feed(
                &mut self,
                message: $crate::__proto::Message,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.feed(message)
            }

            /// Sends one fragment of a message (RFC 6455 section 5.4: the
            /// first names the `kind`, the last has `fin` set) and flushes
            /// it.
            #[inline]
            pub fn send_fragment(
                &mut self,
                kind: $crate::__proto::MessageKind,
                payload: impl Into<$crate::__bytes::Bytes>,
                fin: bool,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.send_fragment(kind, payload.into(), fin)
            }

            /// Writes everything queued.
            #[inline]
            pub fn flush(
                &mut self,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.flush()
            }

            /// Closes the connection normally: a Close with code 1000
            /// (RFC 6455 section 7.4.1, Normal Closure) and no reason, as
            /// [`close_with`](Self::close_with) sends and waits.
            #[inline]
            pub fn close(
                &mut self,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.close()
            }

            /// Closes the connection: sends a Close with `code` and
            /// `reason`, then reads (dropping any data still in flight)
            /// until the peer's Close arrives and the transport is shut
            /// down, or the close timeout passes. If a Close was already
            /// sent or answered, it only waits.
            #[inline]
            pub fn close_with<'a>(
                &'a mut self,
                code: $crate::__proto::CloseCode,
                reason: &'a str,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + 'a {
                self.inner.close_with(code, reason)
            }

            /// Splits the socket into a reading and a writing half that can
            /// be used from two tasks at once; [`ReadHalf::reunite`] joins
            /// them again. Named as tokio's `into_split`; the socket's own
            /// `futures::StreamExt::split` (sink, stream) works too.
            ///
            /// The reading half answers Pings and fails the connection on
            /// a bad frame by itself: an application whose replies must
            /// precede such a Close (an echo, say) lets the writer queue
            /// each reply before the reader reads on.
            #[inline]
            pub fn into_split(self) -> (ReadHalf<S, T>, WriteHalf<S, T>) {
                let (read, write) = self.inner.into_split();
                (ReadHalf::from(read), WriteHalf::from(write))
            }
        }

        impl<S, T> ReadHalf<S, T> {
            /// Joins the halves back into one socket, or gives them back if
            /// they are halves of different sockets.
            #[inline]
            pub fn reunite(
                self,
                write: WriteHalf<S, T>,
            ) -> Result<WebSocket<S, T>, ReuniteError<S, T>> {
                match self.inner.reunite(write.inner) {
                    Ok(socket) => Ok(WebSocket::from(socket)),
                    Err($crate::ReuniteError(read, write)) => {
                        Err(ReuniteError(ReadHalf::from(read), WriteHalf::from(write)))
                    }
                }
            }

            /// Whether `write` is the other half of this socket.
            #[inline]
            pub fn is_pair_of(&self, write: &WriteHalf<S, T>) -> bool {
                self.inner.is_pair_of(&write.inner)
            }
        }

        impl<S, T: $crate::Transport> ReadHalf<S, T> {
            /// See [`WebSocket::recv`].
            #[inline]
            pub fn recv(
                &mut self,
            ) -> impl std::future::Future<
                Output = Option<Result<$crate::__proto::Message, $crate::Error>>,
            > + '_ {
                self.inner.recv()
            }

            /// See [`WebSocket::recv_event`].
            #[inline]
            pub fn recv_event(
                &mut self,
            ) -> impl std::future::Future<
                Output = Option<Result<$crate::__proto::Event, $crate::Error>>,
            > + '_ {
                self.inner.recv_event()
            }
        }

        impl<S, T: $crate::Transport> WriteHalf<S, T> {
            /// See [`WebSocket::send`].
            #[inline]
            pub fn send(
                &mut self,
                message: $crate::__proto::Message,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.send(message)
            }

            /// See [`WebSocket::send_uncompressed`].
            #[inline]
            pub fn send_uncompressed(
                &mut self,
                message: $crate::__proto::Message,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.send_uncompressed(message)
            }

            /// See [`WebSocket::feed`].
            #[inline]
            pub fn feed(
                &mut self,
                message: $crate::__proto::Message,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.feed(message)
            }

            /// See [`WebSocket::send_fragment`].
            #[inline]
            pub fn send_fragment(
                &mut self,
                kind: $crate::__proto::MessageKind,
                payload: impl Into<$crate::__bytes::Bytes>,
                fin: bool,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.send_fragment(kind, payload.into(), fin)
            }

            /// See [`WebSocket::flush`].
            #[inline]
            pub fn flush(
                &mut self,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.flush()
            }

            /// Sends a normal Close, code 1000 (RFC 6455 section 7.4.1) and
            /// no reason, as [`close_with`](Self::close_with) does.
            #[inline]
            pub fn close(
                &mut self,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + '_ {
                self.inner.close()
            }

            /// Sends a Close with `code` and `reason` (unless one was sent)
            /// and flushes it. The reading half sees the peer's answer and
            /// then ends; its close timer bounds the flush too.
            #[inline]
            pub fn close_with<'a>(
                &'a mut self,
                code: $crate::__proto::CloseCode,
                reason: &'a str,
            ) -> impl std::future::Future<Output = Result<(), $crate::Error>> + 'a {
                self.inner.close_with(code, reason)
            }
        }

        $crate::__socket_conversions!(WebSocket, ReadHalf, WriteHalf);

        /// Broadcast: see [`Subscriber`]($crate::Subscriber).
        impl<S, T: Send> $crate::Subscriber for WriteHalf<S, T> {
            #[inline]
            fn offer(
                &self,
                message: &$crate::__proto::PreparedMessage,
                policy: $crate::Backpressure,
            ) -> $crate::Offered {
                self.inner.offer(message, policy)
            }

            #[inline]
            fn begin_close(&self, code: $crate::__proto::CloseCode, reason: &str) -> bool {
                self.inner.begin_close(code, reason)
            }

            #[inline]
            fn dropped(&self) -> u64 {
                self.inner.dropped()
            }

            #[inline]
            fn buffered(&self) -> usize {
                self.inner.buffered()
            }
        }

        impl<S, T: $crate::Transport> $crate::__futures_core::Stream for WebSocket<S, T> {
            type Item = Result<$crate::__proto::Message, $crate::Error>;

            #[inline]
            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::__futures_core::Stream::poll_next(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                )
            }
        }

        impl<S, T: $crate::Transport> $crate::__futures_core::Stream for ReadHalf<S, T> {
            type Item = Result<$crate::__proto::Message, $crate::Error>;

            #[inline]
            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::__futures_core::Stream::poll_next(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                )
            }
        }

        $crate::__socket_sink!(WebSocket);
        $crate::__socket_sink!(WriteHalf);

        impl<S, T> std::fmt::Debug for ReuniteError<S, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("ReuniteError(..)")
            }
        }

        impl<S, T> std::fmt::Display for ReuniteError<S, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the halves belong to different sockets")
            }
        }

        impl<S, T> std::error::Error for ReuniteError<S, T> {}
    };
}

/// `From` the driver's type and into it, and `Debug`, for each of the
/// adapter's socket types.
#[doc(hidden)]
#[macro_export]
macro_rules! __socket_conversions {
    ($($name:ident),*) => {$(
        impl<S, T> From<$crate::$name<T, Runtime>> for $name<S, T> {
            #[inline]
            fn from(inner: $crate::$name<T, Runtime>) -> Self {
                $name {
                    inner,
                    stream: std::marker::PhantomData,
                }
            }
        }

        impl<S, T> From<$name<S, T>> for $crate::$name<T, Runtime> {
            #[inline]
            fn from(outer: $name<S, T>) -> Self {
                outer.inner
            }
        }

        impl<S, T> std::fmt::Debug for $name<S, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.inner, f)
            }
        }
    )*};
}

/// The `Sink` of an adapter's socket type, the driver's own.
#[doc(hidden)]
#[macro_export]
macro_rules! __socket_sink {
    ($name:ident) => {
        impl<S, T: $crate::Transport> $crate::__futures_sink::Sink<$crate::__proto::Message>
            for $name<S, T>
        {
            type Error = $crate::Error;

            #[inline]
            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), $crate::Error>> {
                $crate::__futures_sink::Sink::poll_ready(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                )
            }

            #[inline]
            fn start_send(
                self: std::pin::Pin<&mut Self>,
                message: $crate::__proto::Message,
            ) -> Result<(), $crate::Error> {
                $crate::__futures_sink::Sink::start_send(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    message,
                )
            }

            #[inline]
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), $crate::Error>> {
                $crate::__futures_sink::Sink::poll_flush(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                )
            }

            /// Sends a normal Close (1000) unless one was sent, and
            /// flushes it.
            #[inline]
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), $crate::Error>> {
                $crate::__futures_sink::Sink::poll_close(
                    std::pin::Pin::new(&mut self.get_mut().inner),
                    cx,
                )
            }
        }
    };
}
