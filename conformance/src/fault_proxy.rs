//! A TCP proxy that breaks one connection on purpose.
//!
//! [`FaultProxy`] sits between a client and a server that both run on the
//! runtime under test. It forwards bytes faithfully in both directions
//! until the byte stream in one chosen [`Direction`] reaches a chosen
//! offset (a [`Cut`]), and there injects one [`Fault`]: a stall, a drip,
//! a truncation with FIN, or a reset.
//!
//! It is written with plain `std::net` sockets on one thread of its own,
//! not with the runtime under test: a fault must behave the same whatever
//! runtime the two ends use, and the proxy must not be slowed or stopped
//! by a bug in the runtime it is meant to catch. Both of its sockets are
//! non-blocking, and the one thread polls them in turn (sleeping a
//! millisecond when neither had anything to do), so that it owns every
//! file descriptor of the connection: a reset is then one `close` with
//! `SO_LINGER` 0 (set with `socket2`, as `std` cannot), with no clone of
//! the socket left open in another thread to hold the RST back.
//!
//! Offsets are counted in the bytes of one direction. The handshake's
//! length depends on the request's headers, so an offset is either inside
//! the HTTP head ([`Offset::Head`]) or counted from its end, the blank
//! line that ends the request or the 101 ([`Offset::Body`]): the proxy
//! finds that line itself, and the case computes frame boundaries from
//! what it sends with [`FrameHeader::encoded_len`](ws_proto::frame::FrameHeader::encoded_len).
//!
//! A stall is a real one: the proxy stops reading that direction, so the
//! sender's kernel buffers fill and its writes stop completing. The
//! proxy's socket towards the client is given a small receive buffer
//! ([`CLIENT_RECV_BUFFER`]), so that a case knows how much a client can
//! write into a stall: at most its own send buffer and this.
//!
//! The proxy also watches both ends close their sockets: [`ProxyReport`]
//! says whether each end sent its FIN (or failed its socket), so a case
//! sees a connection that an end never let go. A stalled direction is
//! only read again once [`FaultProxy::finish`] is called, when the case
//! has seen both ends finish: then the proxy drains both sockets for at
//! most [`STEP_TIMEOUT`] to see their FINs. Everything it does is bounded:
//! one connection, accepted within [`STEP_TIMEOUT`], served for at most
//! [`LIFETIME`].

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::harness::{Harness, STEP_TIMEOUT};

/// The longest the proxy serves its connection; past it, it gives up
/// (and the case fails on the report).
pub const LIFETIME: Duration = Duration::from_secs(30);

/// How long the proxy sleeps when neither socket had anything to do.
const IDLE_POLL: Duration = Duration::from_millis(1);

/// How many bytes a drip forwards one at a time before forwarding at full
/// speed again: enough to split any frame header and a handshake line.
pub const DRIP_BYTES: usize = 64;

/// The delay between two bytes of a drip.
pub const DRIP_DELAY: Duration = Duration::from_millis(1);

/// The receive buffer (`SO_RCVBUF`) of the proxy's socket towards the
/// client, set before the connection so that TCP does not grow it: the
/// most a stall lets the kernel take from the client beyond the client's
/// own send buffer (Linux doubles the value for its bookkeeping).
pub const CLIENT_RECV_BUFFER: usize = 64 << 10;

/// The most bytes the proxy holds for one direction before it stops
/// reading from that side (TCP backpressure does the rest).
const MAX_BUFFERED: usize = 64 << 10;

/// The longest HTTP head the proxy looks for the end of.
const MAX_HEAD: usize = 16 << 10;

/// The direction of a byte stream through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Direction {
    /// The index in [`Proxy::sockets`] of the socket it reads from.
    fn source(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// Where in one direction's byte stream a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// This many bytes from the start of the stream (inside the request
    /// or the 101, when it is shorter than the HTTP head).
    Head(usize),
    /// This many bytes after the end of the HTTP head (its blank line):
    /// 0 is the first byte of the first frame.
    Body(usize),
}

/// The point of a fault: a direction and an offset in it. The bytes
/// before the offset are forwarded intact; the fault applies from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// The byte stream the fault strikes.
    pub direction: Direction,
    /// Where in it.
    pub offset: Offset,
}

/// What the proxy does once the stream reaches the [`Cut`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwards nothing more in that direction and stops reading it: the
    /// sender's writes stop completing once its buffers are full, and its
    /// FIN is not passed on either. The other direction goes on.
    Stall,
    /// Forwards the next [`DRIP_BYTES`] bytes of that direction one at a
    /// time, [`DRIP_DELAY`] apart, then at full speed: slow, but nothing is
    /// lost.
    Drip,
    /// Shuts down both connections for writing (each end gets a FIN),
    /// then reads and drops whatever the ends still send until they close.
    Truncate,
    /// Closes both connections with `SO_LINGER` 0: each end gets a RST.
    Reset,
}

impl Fault {
    /// Every fault, in the order the cases run them.
    pub const ALL: [Fault; 4] = [Fault::Stall, Fault::Drip, Fault::Truncate, Fault::Reset];
}

/// What the proxy saw of its connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyReport {
    /// Whether the stream reached the cut and the fault was injected.
    pub injected: bool,
    /// Whether the client closed its socket (a FIN or an error was read
    /// from it) by the time the proxy stopped.
    pub client_closed: bool,
    /// Whether the server closed its socket by the time the proxy stopped.
    pub server_closed: bool,
}

/// A one-connection proxy on 127.0.0.1 that injects one fault (see the
/// module documentation). Dropping it stops its thread and waits for it.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    control: Arc<Control>,
    thread: Option<JoinHandle<io::Result<ProxyReport>>>,
}

impl FaultProxy {
    /// Binds a listener on 127.0.0.1 and starts the proxy's thread: it
    /// accepts one connection, connects it to `server` and applies
    /// `fault` at `cut`.
    pub fn start(server: SocketAddr, cut: Cut, fault: Fault) -> io::Result<Self> {
        let listener = listen()?;
        let addr = listener.local_addr()?;
        let control = Arc::new(Control::default());
        let shared = control.clone();
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || serve(listener, server, cut, fault, &shared))?;
        Ok(FaultProxy {
            addr,
            control,
            thread: Some(thread),
        })
    }

    /// The address the client connects to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Ends a stall (the proxy reads and drops everything from now on),
    /// waits (on `H`'s timer, so as not to block the runtime) for the
    /// proxy to see both ends close or to give up, and returns what it
    /// saw. Call it once both ends have finished. Panics if the proxy
    /// itself failed.
    pub async fn finish<H: Harness>(mut self) -> ProxyReport {
        self.control.release.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("the proxy thread is joined once");
        let deadline = Instant::now() + LIFETIME;
        while !thread.is_finished() && Instant::now() < deadline {
            H::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            thread.is_finished(),
            "[{}] the fault proxy did not stop",
            H::NAME
        );
        match thread.join() {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => panic!("[{}] fault proxy: {e}", H::NAME),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread checks the flag every poll; its outcome no
            // longer matters to anyone.
            let _ = thread.join();
        }
    }
}

/// What the case tells the proxy's thread.
#[derive(Debug, Default)]
struct Control {
    /// Both ends have finished: end any stall and drain both sockets.
    release: AtomicBool,
    /// Stop now (the proxy is dropped).
    stop: AtomicBool,
}

/// The listener on 127.0.0.1, with the receive buffer that the accepted
/// socket inherits set before any connection.
fn listen() -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_recv_buffer_size(CLIENT_RECV_BUFFER)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    socket.listen(1)?;
    Ok(socket.into())
}

/// The proxy's thread: one connection, from accept to the last close.
fn serve(
    listener: TcpListener,
    server: SocketAddr,
    cut: Cut,
    fault: Fault,
    control: &Control,
) -> io::Result<ProxyReport> {
    let client = accept(&listener, &control.stop)?;
    let server = TcpStream::connect_timeout(&server, STEP_TIMEOUT)?;
    for socket in [&client, &server] {
        socket.set_nodelay(true)?;
        socket.set_nonblocking(true)?;
    }
    let mut proxy = Proxy {
        sockets: [client, server],
        pipes: [Pipe::new(), Pipe::new()],
        cut,
        fault,
        injected: false,
    };
    proxy.run(control)
}

/// Accepts one connection within [`STEP_TIMEOUT`], polling so that the
/// stop flag is seen.
fn accept(listener: &TcpListener, stop: &AtomicBool) -> io::Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(IDLE_POLL),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        "no client connected to the fault proxy",
    ))
}

/// How a direction forwards its bytes now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Everything, as fast as the receiver takes it.
    Forward,
    /// One byte at a time: this many more, the next one not before the
    /// instant.
    Drip(usize, Instant),
    /// Nothing, and nothing is read: a stall.
    Hold,
    /// Nothing: what arrives is read and dropped.
    Drop,
}

/// One direction: bytes read from its source and not yet written to its
/// destination.
#[derive(Debug)]
struct Pipe {
    buf: Vec<u8>,
    /// Bytes written to the destination so far.
    sent: usize,
    /// Where the HTTP head ends (the offset just past its blank line),
    /// once the bytes read so far contain it.
    head_end: Option<usize>,
    /// The head read so far, while its end is not found.
    head: Vec<u8>,
    mode: Mode,
    /// The source sent its FIN (or failed).
    eof: bool,
    /// The FIN was passed on to the destination.
    fin_sent: bool,
}

impl Pipe {
    fn new() -> Self {
        Pipe {
            buf: Vec::new(),
            sent: 0,
            head_end: None,
            head: Vec::new(),
            mode: Mode::Forward,
            eof: false,
            fin_sent: false,
        }
    }

    /// Takes bytes read from the source, looking for the end of the head.
    fn take(&mut self, bytes: &[u8]) {
        if self.head_end.is_none() && self.head.len() < MAX_HEAD {
            // Search from 3 bytes back: the blank line may straddle reads.
            let from = self.head.len().saturating_sub(3);
            self.head.extend_from_slice(bytes);
            if let Some(at) = self.head[from..].windows(4).position(|w| w == b"\r\n\r\n") {
                self.head_end = Some(from + at + 4);
                self.head = Vec::new();
            }
        }
        if self.mode != Mode::Drop {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The absolute offset of `offset` in this stream, once known.
    fn position(&self, offset: Offset) -> Option<usize> {
        match offset {
            Offset::Head(n) => Some(n),
            Offset::Body(n) => self.head_end.map(|end| end + n),
        }
    }
}

/// Whether a socket operation failed only because it would block.
fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// The connection: the client's socket and the server's, and one
/// [`Pipe`] per direction (indexed by the source: 0 from the client, 1
/// from the server).
struct Proxy {
    sockets: [TcpStream; 2],
    pipes: [Pipe; 2],
    cut: Cut,
    fault: Fault,
    injected: bool,
}

impl Proxy {
    /// Polls both directions until both ends have closed (or a reset
    /// closed both), the proxy is stopped, or [`LIFETIME`] passes (or
    /// [`STEP_TIMEOUT`] since the release, whichever comes first).
    fn run(&mut self, control: &Control) -> io::Result<ProxyReport> {
        let mut deadline = Instant::now() + LIFETIME;
        let mut released = false;
        while Instant::now() < deadline && !control.stop.load(Ordering::Relaxed) {
            if !released && control.release.load(Ordering::Relaxed) {
                released = true;
                deadline = deadline.min(Instant::now() + STEP_TIMEOUT);
                for pipe in &mut self.pipes {
                    pipe.buf.clear();
                    pipe.mode = Mode::Drop;
                }
            }
            let mut busy = false;
            for from in 0..2 {
                busy |= self.pump(from)?;
                if self.injected && self.fault == Fault::Reset {
                    return Ok(self.report());
                }
            }
            if self.pipes.iter().all(|pipe| pipe.eof) {
                break;
            }
            if !busy {
                std::thread::sleep(IDLE_POLL);
            }
        }
        Ok(self.report())
    }

    fn report(&self) -> ProxyReport {
        ProxyReport {
            injected: self.injected,
            client_closed: self.pipes[0].eof,
            server_closed: self.pipes[1].eof,
        }
    }

    /// Moves what it can of one direction; whether anything moved.
    fn pump(&mut self, from: usize) -> io::Result<bool> {
        let to = 1 - from;
        let faulted = self.cut.direction.source() == from;
        let mut busy = self.read(from);
        if faulted && !self.injected && self.at_cut(from) {
            self.inject(from)?;
            busy = true;
        }
        if self.injected && self.fault == Fault::Reset {
            return Ok(busy);
        }
        let limit = if faulted && !self.injected {
            // Up to the cut; while its offset is not known yet (the head's
            // end is not read yet), every byte held is still in the head,
            // before it.
            let pipe = &self.pipes[from];
            match pipe.position(self.cut.offset) {
                Some(at) => at.saturating_sub(pipe.sent),
                None => pipe.buf.len(),
            }
        } else {
            usize::MAX
        };
        busy |= self.write(from, to, limit)?;
        if faulted && !self.injected && self.at_cut(from) {
            self.inject(from)?;
            busy = true;
        }
        let pipe = &mut self.pipes[from];
        let forwards = matches!(pipe.mode, Mode::Forward | Mode::Drip(..));
        if pipe.eof && pipe.buf.is_empty() && !pipe.fin_sent && forwards {
            pipe.fin_sent = true;
            // The destination may have gone already; its own close is
            // what the report records.
            let _ = self.sockets[to].shutdown(Shutdown::Write);
        }
        Ok(busy)
    }

    fn at_cut(&self, from: usize) -> bool {
        let pipe = &self.pipes[from];
        pipe.position(self.cut.offset) == Some(pipe.sent)
    }

    /// Reads what the source has, unless the pipe holds enough already.
    fn read(&mut self, from: usize) -> bool {
        let pipe = &mut self.pipes[from];
        if pipe.eof || pipe.mode == Mode::Hold || pipe.buf.len() >= MAX_BUFFERED {
            return false;
        }
        let mut chunk = [0u8; 8 << 10];
        match self.sockets[from].read(&mut chunk) {
            Ok(0) => {
                pipe.eof = true;
                true
            }
            Ok(n) => {
                pipe.take(&chunk[..n]);
                true
            }
            Err(e) if would_block(&e) => false,
            // A reset or any other failure of that end: it is gone.
            Err(_) => {
                pipe.eof = true;
                true
            }
        }
    }

    /// Writes at most `limit` of the bytes held, as the mode allows.
    fn write(&mut self, from: usize, to: usize, limit: usize) -> io::Result<bool> {
        let pipe = &mut self.pipes[from];
        let now = Instant::now();
        let allowed = match pipe.mode {
            Mode::Forward => limit,
            Mode::Drip(_, next) if now < next => 0,
            Mode::Drip(..) => 1,
            Mode::Hold | Mode::Drop => 0,
        };
        let n = allowed.min(pipe.buf.len());
        if n == 0 {
            return Ok(false);
        }
        match self.sockets[to].write(&pipe.buf[..n]) {
            Ok(written) => {
                pipe.buf.drain(..written);
                pipe.sent += written;
                if let Mode::Drip(left, _) = pipe.mode {
                    pipe.mode = match left.saturating_sub(written) {
                        0 => Mode::Forward,
                        left => Mode::Drip(left, now + DRIP_DELAY),
                    };
                }
                Ok(written > 0)
            }
            Err(e) if would_block(&e) => Ok(false),
            // The destination end is gone: what it did not take is lost
            // to it, as on a real network. Its close shows in the report.
            Err(_) => {
                pipe.buf.clear();
                pipe.mode = Mode::Drop;
                Ok(true)
            }
        }
    }

    /// Injects the fault into the direction read from `from`, which has
    /// just reached the cut.
    fn inject(&mut self, from: usize) -> io::Result<()> {
        self.injected = true;
        match self.fault {
            Fault::Stall => {
                let pipe = &mut self.pipes[from];
                pipe.buf.clear();
                pipe.mode = Mode::Hold;
            }
            Fault::Drip => self.pipes[from].mode = Mode::Drip(DRIP_BYTES, Instant::now()),
            Fault::Truncate => {
                for (pipe, socket) in self.pipes.iter_mut().zip(&self.sockets) {
                    pipe.buf.clear();
                    pipe.mode = Mode::Drop;
                    // An end that closed already makes this fail: it has
                    // its FIN anyway.
                    let _ = socket.shutdown(Shutdown::Write);
                }
            }
            Fault::Reset => {
                for socket in &self.sockets {
                    socket2::SockRef::from(socket).set_linger(Some(Duration::ZERO))?;
                }
                // `run` returns at once and drops both sockets: with a
                // zero linger, their close sends the RSTs.
            }
        }
        Ok(())
    }
}
