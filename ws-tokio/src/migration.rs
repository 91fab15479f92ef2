//! Coming from tokio-tungstenite: its names and ours, name for name.
//!
//! | tokio-tungstenite | ws-tokio |
//! |---|---|
//! | `connect_async(url)` | [`connect(url)`](crate::connect), with the same kinds of request ([`IntoClientRequest`](crate::IntoClientRequest): `&str`, `String`, `http::Uri`, `http::Request<()>` whose header fields are sent, [`ClientRequest`](crate::ClientRequest)) |
//! | `connect_async_with_config(url, Some(config), nodelay)` | [`connect_with(url, config)`](crate::connect_with) (`TCP_NODELAY` is always set) |
//! | `connect_async_tls_with_config(url, config, nodelay, Some(Connector::Rustls(tls)))` | [`Connector::new().with_tls_config(tls).connect(url, config)`](crate::Connector) |
//! | `client_async(request, stream)` | [`client(stream, request, config)`](crate::client) |
//! | `accept_async(stream)` | [`accept(stream)`](crate::accept) |
//! | `accept_async_with_config(stream, Some(config))` | [`accept_with(stream, config, \|_\| Ok(Accept::new()))`](crate::accept_with) |
//! | `accept_hdr_async(stream, callback)` | [`accept_with(stream, Config::default(), callback)`](crate::accept_with): the callback reads a [`Request`](crate::Request) and returns `Ok(`[`Accept`](crate::Accept)`)` (a subprotocol, header fields) or `Err(`[`Reject`](crate::Reject)`)` (any HTTP response) |
//! | `WebSocketStream<S>` | [`WebSocket<S>`](crate::WebSocket); plain `WebSocket` is the socket `connect` opens |
//! | `WebSocketStream<MaybeTlsStream<TcpStream>>` | [`WebSocket`](crate::WebSocket) (over [`MaybeTlsStream<TcpStream>`](crate::MaybeTlsStream)) |
//! | `tungstenite::Message` | [`Message`](crate::Message) |
//! | `Message::Text(text.into())`, `Message::text(text)` | the same: [`Message::Text`](crate::Message::Text) holds [`Utf8Bytes`](crate::Utf8Bytes) |
//! | `Message::Binary(bytes.into())`, `Message::binary(bytes)` | the same |
//! | `Message::Ping(..)`, `Message::Pong(..)` | the same; Pings are answered while the socket is read, as tungstenite does |
//! | `Message::Close(Option<CloseFrame>)` | [`Message::Close(CloseFrame)`](crate::Message::Close): a Close without a body comes as code 1005, [`CloseCode::NO_STATUS`](crate::CloseCode::NO_STATUS) (RFC 6455 section 7.1.5) |
//! | `Message::Frame(frame)` | [`recv_event`](crate::WebSocket::recv_event), which yields each fragment as an [`Event`](crate::Event) |
//! | `msg.is_text()`, `is_binary()`, `is_ping()`, `is_pong()`, `is_close()` | the same; [`msg.is_data()`](crate::Message::is_data) for text or binary |
//! | `msg.len()`, `msg.is_empty()`, `msg.into_data()` | the same |
//! | `msg.to_text()?` | [`msg.as_text()`](crate::Message::as_text), an `Option<&str>` |
//! | `msg.into_text()?` | [`msg.into_text()`](crate::Message::into_text): `Ok(Utf8Bytes)`, or the message back when it is not text |
//! | `CloseFrame { code, reason }` | [`CloseFrame::new(code, reason)?`](crate::CloseFrame::new), [`frame.code()`](crate::CloseFrame::code), [`frame.reason()`](crate::CloseFrame::reason) |
//! | `CloseCode::Normal`, `CloseCode::Away`, `CloseCode::Library(4000)` | [`CloseCode::NORMAL`](crate::CloseCode::NORMAL), [`CloseCode::GOING_AWAY`](crate::CloseCode::GOING_AWAY), [`CloseCode::new(4000)`](crate::CloseCode::new) |
//! | `ws.next().await` (`StreamExt`) | [`ws.recv().await`](crate::WebSocket::recv); `next` still works, the socket is a `Stream` |
//! | `ws.send(msg).await` (`SinkExt`) | [`ws.send(msg).await`](crate::WebSocket::send), a method of the socket; `SinkExt` works too, the socket is a `Sink` |
//! | `ws.close(None).await` | [`ws.close().await`](crate::WebSocket::close): code 1000, no reason, and waits for the peer's Close |
//! | `ws.close(Some(CloseFrame { code, reason })).await` | [`ws.close_with(code, reason).await`](crate::WebSocket::close_with) |
//! | `ws.split()` (`StreamExt`: sink, stream) | [`ws.into_split()`](crate::WebSocket::into_split): a [`ReadHalf`](crate::ReadHalf) and a [`WriteHalf`](crate::WriteHalf), joined again by [`reunite`](crate::ReadHalf::reunite); `StreamExt::split` still gives a sink and a stream |
//! | `ws.get_ref()`, `ws.get_mut()` | the same; [`into_inner`](crate::WebSocket::into_inner) gives the stream back |
//! | `tungstenite::Error` | [`Error`](crate::Error) |
//! | `Error::ConnectionClosed` from `next` | `None` from `recv` or `next`; [`Error::is_closed`](crate::Error::is_closed) for the errors of a closed connection |
//! | `Error::AlreadyClosed` from `send` | [`Error::PeerClosed`](crate::Error::PeerClosed) (with the peer's Close), or a usage error once we closed |
//! | `WebSocketConfig` | [`Config`](crate::Config): `Config::default().with_max_message_size(n)`, timeouts, permessage-deflate (on by default), checked once when used ([`Error::Config`](crate::Error::Config)) |
//! | `tungstenite::handshake::server::{Request, Response}` | [`Request`](crate::Request), [`Accept`](crate::Accept), [`Reject`](crate::Reject) |
//!
//! # An echo server and its client, ported
//!
//! As a tokio-tungstenite user wrote them, with only the renames above:
//! `accept_async` → `accept`, `connect_async` → `connect`,
//! `tungstenite::Message` → `Message`, `tungstenite::Error` → `Error`,
//! `close(None)` → `close()`, and no `SinkExt` import (the socket's own
//! `send`).
//!
//! ```
//! use futures_util::StreamExt;
//! use tokio::net::TcpListener;
//! use ws_tokio::{accept, connect, Error, Message};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # runtime.block_on(async {
//! // The server: echoes every text and binary message of one connection.
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let server = tokio::spawn(async move {
//!     let (stream, _) = listener.accept().await?;
//!     let mut ws = accept(stream).await?;
//!     while let Some(msg) = ws.next().await {
//!         let msg = msg?;
//!         if msg.is_text() || msg.is_binary() {
//!             ws.send(msg).await?;
//!         }
//!     }
//!     Ok::<_, Error>(())
//! });
//!
//! // The client: one message, its echo, and the closing handshake.
//! let (mut ws, _response) = connect(format!("ws://{addr}/")).await?;
//! ws.send(Message::Text("hello".into())).await?;
//! let reply = ws.next().await.expect("an echo")?;
//! assert_eq!(reply, Message::Text("hello".into()));
//! ws.close().await?;
//! server.await??;
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
