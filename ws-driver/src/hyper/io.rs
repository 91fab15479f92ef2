//! hyper's I/O traits seen through the `futures-io` traits the driver
//! uses: how the stream hyper hands over after an upgrade reaches it.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ::hyper::rt::{Read, ReadBuf, Write};

/// A stream with hyper's `rt::Read` and `rt::Write` (the
/// [`Upgraded`](::hyper::upgrade::Upgraded) stream of an HTTP/1.1 upgrade
/// or an HTTP/2 extended CONNECT) with the `futures-io` traits.
///
/// Closing it is hyper's `poll_shutdown`: on HTTP/1.1 the write side of
/// the TCP connection is shut down, on HTTP/2 the stream is ended with
/// `END_STREAM` (RFC 9113 section 8.5: a CONNECT tunnel's end is the
/// stream's), so the peer reads the end of the stream either way.
#[derive(Debug)]
pub struct HyperIo<T>(T);

impl<T> HyperIo<T> {
    /// Wraps a hyper stream.
    pub fn new(stream: T) -> Self {
        HyperIo(stream)
    }
}

/// hyper's streams do their own readiness bookkeeping, and their
/// `poll_shutdown` ends the stream: the defaults serve.
impl<T: Read + Write + Unpin> crate::Transport for HyperIo<T> {
    type Inner = T;

    fn get_ref(&self) -> &T {
        &self.0
    }

    fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }

    fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Read + Unpin> futures_io::AsyncRead for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, buf.unfilled()))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<T: Write + Unpin> futures_io::AsyncWrite for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    /// Forwarded, so that a frame's header and a large payload go out in
    /// one write when the stream can take both.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
