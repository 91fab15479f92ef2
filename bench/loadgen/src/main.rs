//! A WebSocket echo load generator in the style of uWebSockets' `load_test`:
//! each of `--threads` threads (one by default) drives its share of the
//! connections on an epoll of its own (mio), so that it costs less CPU per
//! message than the servers it measures.
//!
//! ```text
//! loadgen [--addr 127.0.0.1:9001] [--conns 100] [--size 16] [--inflight 1]
//!         [--text] [--warmup 1] [--duration 5] [--server-pid PID] [--raw]
//!         [--label NAME] [--threads 1] [--count K] [--tls CERT.pem]
//! loadgen --idle [--conns 10000] [--deflate] [--settle 2] [--idle-echo]
//!         [--tls CERT.pem] --server-pid PID
//! loadgen report FILE...
//! ```
//!
//! Each connection sends a masked message of `--size` bytes and waits for
//! its echo before sending the next, or keeps `--inflight` messages in
//! flight. Every echo is checked (opcode, length, every byte, order); any
//! difference ends the run with an error. After `--warmup` seconds it
//! measures for `--duration` seconds: messages/s, MB/s (payload bytes
//! echoed, one way), p50/p99 round trip, and with `--server-pid` the
//! server's CPU time per message from `/proc/PID/stat`; its own CPU per
//! message too (all its threads), to show whether it is the bottleneck.
//! `--count K` sends exactly K messages per connection instead, all
//! measured, `--duration` then being a time limit.
//!
//! `--raw` talks to a TCP echo (no handshake): the same frames go out and
//! must come back byte for byte. `--idle` opens the connections, completes
//! the handshakes (offering permessage-deflate with `--deflate`), waits
//! `--settle` seconds and reports the server's resident memory per
//! connection; with `--idle-echo`, after one message and its echo on
//! every connection.
//!
//! `--tls CERT.pem` speaks `wss://`: TLS (rustls, its `ring` provider
//! chosen explicitly, TLS 1.3 or 1.2, no session resumption, ALPN
//! `http/1.1`) to a server whose certificate is the one in the file (a
//! self-signed one; it is the only root trusted), checked against the
//! address's IP or `--tls-name NAME`. Every run prints one `RESULT key=value ...` line;
//! `loadgen report` turns a file of them into the Markdown tables.

mod conn;
mod report;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

use conn::{Conn, Payload, Progress, Rng, TlsClient};
use loadgen::hist::Histogram;
use loadgen::procstat;

struct Args {
    addr: SocketAddr,
    conns: usize,
    size: usize,
    inflight: u64,
    text: bool,
    warmup: f64,
    duration: f64,
    server_pid: Option<String>,
    raw: bool,
    deflate: bool,
    idle: bool,
    settle: f64,
    sources: u8,
    label: String,
    stall: f64,
    /// Messages per connection, then stop (for instruction counts).
    count: Option<u64>,
    /// Generator threads, each with its share of the connections; by
    /// default [`Args::threads`] decides.
    threads: Option<usize>,
    /// `wss://`: the server's certificate (the only root trusted).
    tls: Option<PathBuf>,
    /// The name the certificate must carry (default: the address's IP).
    tls_name: Option<String>,
    /// `--idle`: one message and its echo per connection before settling.
    idle_echo: bool,
}

impl Args {
    /// The generator threads of a load run, at most one per connection.
    /// By default one: on the two CPUs the benchmark runs on, the server
    /// has the other CPU, and more threads on the generator's CPU add only
    /// switches between them (bench/README.md has the measurements).
    fn threads(&self) -> usize {
        self.threads.unwrap_or(1).min(self.conns)
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen [--addr 127.0.0.1:9001] [--conns N] [--size BYTES] [--inflight D] [--text]\n\
         \x20              [--warmup S] [--duration S] [--server-pid PID] [--raw] [--label NAME]\n\
         \x20              [--sources K] [--stall S] [--count K] [--threads N]\n\
         \x20              [--tls CERT.pem [--tls-name NAME]]\n\
         \x20      loadgen --idle [--conns N] [--deflate] [--settle S] [--idle-echo] --server-pid PID ...\n\
         \x20      loadgen report FILE..."
    );
    std::process::exit(2)
}

fn parse_args(argv: &[String]) -> Args {
    let mut a = Args {
        addr: "127.0.0.1:9001".parse().expect("valid"),
        conns: 100,
        size: 16,
        inflight: 1,
        text: false,
        warmup: 1.0,
        duration: 5.0,
        server_pid: None,
        raw: false,
        deflate: false,
        idle: false,
        settle: 2.0,
        sources: 1,
        label: String::new(),
        stall: 10.0,
        count: None,
        threads: None,
        tls: None,
        tls_name: None,
        idle_echo: false,
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_else(|| usage());
        fn num<T: std::str::FromStr>(s: String) -> T {
            s.parse().unwrap_or_else(|_| usage())
        }
        match flag.as_str() {
            "--addr" => a.addr = num(value()),
            "--conns" => a.conns = num(value()),
            "--size" => a.size = num(value()),
            "--inflight" => a.inflight = num(value()),
            "--warmup" => a.warmup = num(value()),
            "--duration" => a.duration = num(value()),
            "--server-pid" => a.server_pid = Some(value()),
            "--settle" => a.settle = num(value()),
            "--sources" => a.sources = num(value()),
            "--label" => a.label = value(),
            "--stall" => a.stall = num(value()),
            "--count" => a.count = Some(num(value())),
            "--threads" => a.threads = Some(num(value())),
            "--tls" => a.tls = Some(PathBuf::from(value())),
            "--tls-name" => a.tls_name = Some(value()),
            "--idle-echo" => a.idle_echo = true,
            "--text" => a.text = true,
            "--raw" => a.raw = true,
            "--deflate" => a.deflate = true,
            "--idle" => a.idle = true,
            _ => usage(),
        }
    }
    let valid = a.conns > 0
        && a.size > 0
        && a.inflight > 0
        && a.sources > 0
        && a.sources < 250
        && a.duration > 0.0
        && a.warmup >= 0.0
        && a.stall > 0.0
        && a.count.is_none_or(|k| k >= a.inflight)
        && a.threads.is_none_or(|t| t > 0 && !a.idle)
        && (!a.deflate || a.idle)
        && !(a.raw && a.deflate)
        && (!a.idle_echo || (a.idle && !a.raw))
        && (a.tls_name.is_none() || a.tls.is_some());
    if !valid {
        eprintln!(
            "invalid flags (--deflate only with --idle: the generator does not compress; \
             --threads not with --idle; --idle-echo only with --idle, not --raw; \
             --tls-name only with --tls)"
        );
        usage();
    }
    a
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = if argv.first().map(String::as_str) == Some("report") {
        report::run(&argv[1..])
    } else {
        let args = parse_args(&argv);
        if args.idle {
            idle(&args)
        } else {
            load(&args)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The TLS client of `--tls`: rustls with `ring` chosen explicitly (not
/// a process default), trusting only the certificates of the file, with
/// session resumption off so that every connection makes a full handshake
/// whatever server it talks to.
fn tls_client(args: &Args) -> Result<Option<TlsClient>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::{client::Resumption, crypto::ring, ClientConfig, RootCertStore};

    let Some(path) = &args.tls else {
        return Ok(None);
    };
    let shown = path.display();
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| format!("{shown}: {e}"))? {
        let cert = cert.map_err(|e| format!("{shown}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{shown}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{shown}: no certificate"));
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = Resumption::disabled();
    let name = match &args.tls_name {
        Some(n) => ServerName::try_from(n.clone()).map_err(|e| format!("--tls-name {n}: {e}"))?,
        None => ServerName::IpAddress(args.addr.ip().into()),
    };
    Ok(Some(TlsClient {
        config: Arc::new(config),
        name,
    }))
}

fn connect(addr: SocketAddr, source: Option<IpAddr>) -> std::io::Result<mio::net::TcpStream> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if let Some(ip) = source {
        sock.bind(&SocketAddr::new(ip, 0).into())?;
    }
    sock.connect_timeout(&addr.into(), Duration::from_secs(5))?;
    sock.set_nodelay(true)?;
    sock.set_nonblocking(true)?;
    Ok(mio::net::TcpStream::from_std(sock.into()))
}

/// Opens `args.conns` connections and completes their handshakes, a batch
/// at a time (so the server's accept backlog never overflows).
fn open_all(
    args: &Args,
    poll: &mut Poll,
    payload: &Arc<Payload>,
) -> Result<(Vec<Conn>, usize), String> {
    const BATCH: usize = 200;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let rbuf = if args.idle { 4 << 10 } else { 256 << 10 };
    let host = args.addr.to_string();
    let tls = tls_client(args)?;
    let mut conns: Vec<Conn> = Vec::with_capacity(args.conns);
    let mut deflate = 0;
    let mut events = Events::with_capacity(1024);
    while conns.len() < args.conns {
        let first = conns.len();
        let last = (first + BATCH).min(args.conns);
        for i in first..last {
            // 127.0.0.1, .2, ...: each source address has its own ports.
            let source = (args.sources > 1).then(|| {
                IpAddr::V4(Ipv4Addr::new(
                    127,
                    0,
                    0,
                    1 + (i % args.sources as usize) as u8,
                ))
            });
            let mut stream =
                connect(args.addr, source).map_err(|e| format!("connect #{i}: {e}"))?;
            poll.registry()
                .register(
                    &mut stream,
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .map_err(|e| format!("register: {e}"))?;
            let conn = Conn::new(
                stream,
                payload.clone(),
                args.raw,
                args.deflate,
                &mut rng,
                rbuf,
                &host,
                tls.as_ref(),
            )
            .map_err(|e| format!("connection #{i}: {e}"))?;
            conns.push(conn);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while conns[first..last].iter().any(|c| !c.is_open()) {
            let now = Instant::now();
            if now >= deadline {
                return Err("handshakes not done after 10 s".into());
            }
            poll.poll(&mut events, Some(deadline - now))
                .map_err(|e| format!("poll: {e}"))?;
            for ev in events.iter() {
                let i = ev.token().0;
                if ev.is_readable() {
                    let mut progress = Progress::default();
                    conns[i]
                        .on_readable(&mut progress, &mut |_| {})
                        .map_err(|e| format!("connection #{i}: {e}"))?;
                    deflate += usize::from(progress.deflate);
                }
                // TLS: the handshake's next flight, then the request.
                conns[i]
                    .flush()
                    .map_err(|e| format!("connection #{i}: write: {e}"))?;
            }
        }
    }
    Ok((conns, deflate))
}

fn idle(args: &Args) -> Result<(), String> {
    let pid = args
        .server_pid
        .as_deref()
        .ok_or("--idle needs --server-pid")?;
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let payload = Arc::new(Payload::new(16, false, 1));
    let before = procstat::rss_kib(pid)?;
    let started = Instant::now();
    let (mut conns, deflate) = open_all(args, &mut poll, &payload)?;
    if args.idle_echo {
        echo_once(&mut conns, &mut poll)?;
    }
    let opened = started.elapsed();
    // Let the server settle (tasks parked in their first read), and fail
    // if it sends anything or closes.
    let mut events = Events::with_capacity(1024);
    let until = Instant::now() + Duration::from_secs_f64(args.settle);
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        poll.poll(&mut events, Some(until - now))
            .map_err(|e| format!("poll: {e}"))?;
        for ev in events.iter() {
            let i = ev.token().0;
            if !(ev.is_readable() || ev.is_read_closed()) {
                continue;
            }
            if args.tls.is_none() {
                return Err(format!(
                    "connection #{i}: the server sent or closed while idle"
                ));
            }
            // TLS: the session may get records of its own (TLS 1.3 session
            // tickets) that carry no WebSocket byte; a frame or a close is
            // an error.
            let mut progress = Progress::default();
            conns[i]
                .on_readable(&mut progress, &mut |_| {})
                .map_err(|e| format!("connection #{i} while idle: {e}"))?;
        }
    }
    let after = procstat::rss_kib(pid)?;
    let per_conn = (after.saturating_sub(before) * 1024) as f64 / conns.len() as f64;
    println!(
        "{} idle {}connections (opened{} in {:.1} s), permessage-deflate offered: {}, accepted by {}; \
         server RSS {} KiB -> {} KiB: {:.0} bytes per connection",
        conns.len(),
        if args.tls.is_some() { "wss:// " } else { "" },
        if args.idle_echo {
            ", one message echoed each,"
        } else {
            ""
        },
        opened.as_secs_f64(),
        args.deflate,
        deflate,
        before,
        after,
        per_conn
    );
    println!(
        "RESULT mode=idle label={} conns={} deflate_offered={} deflate_accepted={} rss_before_kib={} rss_after_kib={} bytes_per_conn={:.0}{}",
        label(args),
        conns.len(),
        u8::from(args.deflate),
        deflate,
        before,
        after,
        per_conn,
        tls_fields(args)
    );
    Ok(())
}

/// The fields a TLS run adds to its `RESULT` line (none for plain runs,
/// whose lines stay as they were).
fn tls_fields(args: &Args) -> String {
    match (&args.tls, args.idle && args.idle_echo) {
        (None, false) => String::new(),
        (None, true) => " echoed=1".into(),
        (Some(_), false) => " tls=1".into(),
        (Some(_), true) => " tls=1 echoed=1".into(),
    }
}

/// `--idle-echo`: one message on every connection and its echo, within
/// 10 s.
fn echo_once(conns: &mut [Conn], poll: &mut Poll) -> Result<(), String> {
    let now = Instant::now();
    for (i, c) in conns.iter_mut().enumerate() {
        c.queue_send(now);
        c.flush()
            .map_err(|e| format!("connection #{i}: write: {e}"))?;
    }
    let mut left = conns.len();
    let deadline = now + Duration::from_secs(10);
    let mut events = Events::with_capacity(1024);
    while left > 0 {
        let now = Instant::now();
        if now >= deadline {
            return Err(format!("{left} echoes missing after 10 s"));
        }
        poll.poll(&mut events, Some(deadline - now))
            .map_err(|e| format!("poll: {e}"))?;
        for ev in events.iter() {
            let i = ev.token().0;
            let c = &mut conns[i];
            if ev.is_readable() || ev.is_read_closed() {
                let mut progress = Progress::default();
                c.on_readable(&mut progress, &mut |_| {})
                    .map_err(|e| format!("connection #{i}: {e}"))?;
                left = left
                    .checked_sub(progress.echoes as usize)
                    .ok_or("more echoes than messages")?;
            }
            c.flush()
                .map_err(|e| format!("connection #{i}: write: {e}"))?;
        }
    }
    Ok(())
}

fn label(args: &Args) -> String {
    if args.label.is_empty() {
        "-".into()
    } else {
        args.label.replace(char::is_whitespace, "_")
    }
}

/// What the measured window saw.
struct Window {
    start: Instant,
    server: Option<procstat::Cpu>,
    own: procstat::Cpu,
}

/// The run's schedule, the same for every generator thread.
struct Plan {
    warm_end: Instant,
    run_end: Instant,
    stall: Duration,
    inflight: u64,
    count: Option<u64>,
    duration: f64,
}

/// What one generator thread measured.
struct Share {
    measured: u64,
    hist: Histogram,
    end: Instant,
}

fn load(args: &Args) -> Result<(), String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let payload = Arc::new(Payload::new(args.size, args.text, 0x5EED));
    let (mut conns, _) = open_all(args, &mut poll, &payload)?;
    // Each thread polls its own share on its own epoll.
    for c in &mut conns {
        poll.registry()
            .deregister(&mut c.stream)
            .map_err(|e| format!("deregister: {e}"))?;
    }
    let threads = args.threads();
    let mut shares: Vec<(usize, Vec<Conn>)> = Vec::with_capacity(threads);
    for t in (0..threads).rev() {
        let first = t * conns.len() / threads;
        shares.push((first, conns.split_off(first)));
    }
    let started = Instant::now();
    // With --count, everything is measured and the duration is a time limit.
    let warmup = if args.count.is_some() {
        0.0
    } else {
        args.warmup
    };
    let warm_end = started + Duration::from_secs_f64(warmup);
    let plan = Plan {
        warm_end,
        run_end: warm_end + Duration::from_secs_f64(args.duration),
        stall: Duration::from_secs_f64(args.stall),
        inflight: args.inflight,
        count: args.count,
        duration: args.duration,
    };
    let failed = AtomicBool::new(false);
    let (window, results) = std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|(first, share)| {
                let (plan, failed) = (&plan, &failed);
                scope.spawn(move || {
                    let result = drive(share, first, plan, failed);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    result
                })
            })
            .collect();
        // This thread only keeps the clock: it sleeps through the warm-up
        // and reads the CPU times where the measured window opens.
        std::thread::sleep(warm_end.saturating_duration_since(Instant::now()));
        let window = (|| {
            Ok::<_, String>(Window {
                server: args.server_pid.as_deref().map(procstat::cpu).transpose()?,
                own: procstat::cpu("self")?,
                start: Instant::now(),
            })
        })();
        let results: Vec<_> = workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("a generator thread panicked".into()))
            })
            .collect();
        (window, results)
    });
    let mut hist = Histogram::new();
    let mut measured = 0;
    let mut end = started;
    for result in results {
        // None: stopped because another thread failed, whose error is here.
        if let Some(share) = result? {
            hist.merge(&share.hist);
            measured += share.measured;
            end = end.max(share.end);
        }
    }
    let w = window?;
    let own = procstat::cpu("self")?.since(&w.own);
    let server = match (&args.server_pid, w.server) {
        (Some(pid), Some(before)) => Some(procstat::cpu(pid)?.since(&before)),
        _ => None,
    };

    let secs = end.duration_since(w.start).as_secs_f64();
    if measured == 0 {
        return Err("no echo in the measured window".into());
    }
    let rate = measured as f64 / secs;
    let mbps = rate * args.size as f64 / 1e6;
    let p50 = hist.quantile(0.50) as f64 / 1e3;
    let p99 = hist.quantile(0.99) as f64 / 1e3;
    let per_msg = |cpu: f64| cpu * 1e6 / measured as f64;
    let kind = if args.text { "text" } else { "binary" };
    println!(
        "{} x {} B {kind}, {} in flight: {:.0} msg/s, {:.1} MB/s, RTT p50 {:.1} us p99 {:.1} us ({} echoes checked in {:.2} s)",
        args.conns, args.size, args.inflight, rate, mbps, p50, p99, measured, secs
    );
    if let Some(s) = &server {
        println!(
            "server CPU {:.2} s ({:.0}%): {:.3} us/msg (user {:.3}, sys {:.3})",
            s.total(),
            100.0 * s.total() / secs,
            per_msg(s.total()),
            per_msg(s.user),
            per_msg(s.sys)
        );
    }

    println!(
        "loadgen CPU {:.2} s ({:.0}% of one CPU, {} threads): {:.3} us/msg",
        own.total(),
        100.0 * own.total() / secs,
        args.threads(),
        per_msg(own.total())
    );
    let (su, ss) = server.map_or((f64::NAN, f64::NAN), |s| (s.user, s.sys));
    println!(
        "RESULT mode=load label={} conns={} size={} inflight={} kind={kind} secs={:.3} msgs={} msg_per_s={:.0} mb_per_s={:.2} p50_us={:.1} p99_us={:.1} srv_user_s={:.3} srv_sys_s={:.3} srv_us_per_msg={:.4} gen_us_per_msg={:.4} gen_cpu_pct={:.0} threads={}{}",
        label(args),
        args.conns,
        args.size,
        args.inflight,
        secs,
        measured,
        rate,
        mbps,
        p50,
        p99,
        su,
        ss,
        per_msg(su + ss),
        per_msg(own.total()),
        100.0 * own.total() / secs,
        args.threads(),
        tls_fields(args)
    );
    Ok(())
}

/// One generator thread: `conns` (the first is connection #`first` of
/// the run) on an epoll of their own, until the plan's end or, with
/// `--count`, until each connection has its count of echoes. `Ok(None)`
/// when another thread failed first.
fn drive(
    mut conns: Vec<Conn>,
    first: usize,
    plan: &Plan,
    failed: &AtomicBool,
) -> Result<Option<Share>, String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    for (i, c) in conns.iter_mut().enumerate() {
        poll.registry()
            .register(
                &mut c.stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| format!("register: {e}"))?;
    }
    let started = Instant::now();
    for (i, c) in conns.iter_mut().enumerate() {
        for _ in 0..plan.inflight {
            c.queue_send(started);
        }
        c.flush()
            .map_err(|e| format!("connection #{}: write: {e}", first + i))?;
    }
    let limit = plan.count.map_or(u64::MAX, |k| k * conns.len() as u64);
    let mut completed: u64 = 0;
    let mut hist = Histogram::new();
    let mut measured: u64 = 0;
    let mut last_echo = started;
    let mut events = Events::with_capacity(1024);
    // Bounded by `run_end` (or the stall limit before it).
    let end = loop {
        let now = Instant::now();
        if failed.load(Ordering::Relaxed) {
            return Ok(None);
        }
        if completed >= limit {
            break now;
        }
        if now >= plan.run_end {
            if plan.count.is_some() {
                return Err(format!(
                    "{completed} of {limit} echoes (connections #{first}..#{}) after {:.0} s",
                    first + conns.len() - 1,
                    plan.duration
                ));
            }
            break now;
        }
        if now.duration_since(last_echo) > plan.stall {
            return Err(format!(
                "no echo for {:.0} s: the server stalled",
                plan.stall.as_secs_f64()
            ));
        }
        let recording = now >= plan.warm_end;
        let next = if recording {
            plan.run_end
        } else {
            plan.warm_end
        };
        let timeout = next
            .saturating_duration_since(now)
            .min(Duration::from_millis(100));
        poll.poll(&mut events, Some(timeout))
            .map_err(|e| format!("poll: {e}"))?;
        for ev in events.iter() {
            let i = ev.token().0;
            let c = &mut conns[i];
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                let mut progress = Progress::default();
                let mut record = |nanos: u64| {
                    if recording {
                        hist.record(nanos);
                    }
                };
                c.on_readable(&mut progress, &mut record)
                    .map_err(|e| format!("connection #{}: {e}", first + i))?;
                if progress.echoes > 0 {
                    let now = Instant::now();
                    last_echo = now;
                    if recording {
                        measured += u64::from(progress.echoes);
                    }
                    completed += u64::from(progress.echoes);
                    for _ in 0..progress.echoes {
                        if c.next_send < plan.count.unwrap_or(u64::MAX) {
                            c.queue_send(now);
                        }
                    }
                }
            }
            c.flush()
                .map_err(|e| format!("connection #{}: write: {e}", first + i))?;
        }
    };
    Ok(Some(Share {
        measured,
        hist,
        end,
    }))
}
