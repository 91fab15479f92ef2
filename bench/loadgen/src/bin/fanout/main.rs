//! The chat room fan-out load generator, after uWebSockets'
//! `broadcast_test`: N clients in one room, rounds in which S of them
//! send one message each, every message delivered to every other member.
//!
//! ```text
//! fanout [--addr 127.0.0.1:9001[,127.0.0.1:9002...]] [--members 100] [--senders S]
//!        [--room bench] [--warmup 1] [--duration 3] [--min-rounds 3] [--threads 1]
//!        [--server-pid PID[,PID...]] [--redis-pid PID] [--sources 8] [--stall 10]
//!        [--join-window 16] [--join-lag 64] [--settle 1] [--label NAME]
//! fanout report FILE...
//! ```
//!
//! The members join in order (`/ws?name=mI&room=ROOM`, no Origin header,
//! no extension offered), `--join-window` handshakes at a time (member i
//! connects once i - W was welcomed); with several addresses they are dealt
//! round the servers. A join waits while a member may be more than
//! `--join-lag` notices behind, so that no server's queue for a member
//! fills during the joins. Once every member has had every notice
//! (quiescent: of every two members on one server, exactly one was told of
//! the other) and the room was quiet for `--settle` seconds, the server's
//! resident memory per member is read. Then the rounds: in round `r` each of the S
//! senders (`--senders`, by default 100 or all members if fewer; spread
//! evenly over the members) sends one 64-byte text carrying `r`, its slot
//! and the time it was sent; the round ends when all S x (N - 1)
//! deliveries have arrived, each checked (see `member.rs`); then the next.
//! Rounds that start after `--warmup` seconds are measured, until
//! `--duration` seconds and at least `--min-rounds` rounds. 10 s
//! (`--stall`) without a message is an error.
//!
//! Printed: deliveries per second over the measured rounds, p50/p99 of
//! the delivery latency (send to receipt, one clock), the servers' CPU
//! (`/proc/PID/stat`, user + system) per delivery and the generator's
//! own, and one `RESULT key=value ...` line; `fanout report` turns files
//! of them into the Markdown tables.

mod member;
mod report;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use loadgen::hist::Histogram;
use loadgen::procstat::{self, Cpu};
use mio::{Events, Interest, Poll, Token};

use member::{Member, Rules, Tally};

/// The command line.
struct Args {
    addrs: Vec<SocketAddr>,
    members: u32,
    senders: Option<u32>,
    room: String,
    warmup: f64,
    duration: f64,
    min_rounds: u32,
    threads: usize,
    server_pids: Vec<String>,
    redis_pid: Option<String>,
    sources: u8,
    stall: Duration,
    join_window: u32,
    join_lag: u32,
    settle: f64,
    label: String,
}

impl Args {
    /// S: by default 100, or every member of a smaller room.
    fn senders(&self) -> u32 {
        self.senders.unwrap_or(100).min(self.members)
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: fanout [--addr HOST:PORT[,HOST:PORT...]] [--members N] [--senders S] [--room NAME]\n\
         \x20             [--warmup S] [--duration S] [--min-rounds K] [--threads T]\n\
         \x20             [--server-pid PID[,PID...]] [--redis-pid PID] [--sources K] [--stall S]\n\
         \x20             [--join-window W] [--join-lag K] [--settle S] [--label NAME]\n\
         \x20      fanout report FILE..."
    );
    std::process::exit(2)
}

fn parse_args(argv: &[String]) -> Args {
    let mut a = Args {
        addrs: vec!["127.0.0.1:9001".parse().expect("valid")],
        members: 100,
        senders: None,
        room: "bench".into(),
        warmup: 1.0,
        duration: 3.0,
        min_rounds: 3,
        threads: 1,
        server_pids: Vec::new(),
        redis_pid: None,
        sources: 8,
        stall: Duration::from_secs(10),
        join_window: 16,
        join_lag: 64,
        settle: 1.0,
        label: "-".into(),
    };
    fn num<T: std::str::FromStr>(s: &str) -> T {
        s.parse().unwrap_or_else(|_| usage())
    }
    let list = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let value = it.next().map(String::as_str).unwrap_or_else(|| usage());
        match flag.as_str() {
            "--addr" => a.addrs = list(value).iter().map(|s| num(s)).collect(),
            "--members" => a.members = num(value),
            "--senders" => a.senders = Some(num(value)),
            "--room" => a.room = value.into(),
            "--warmup" => a.warmup = num(value),
            "--duration" => a.duration = num(value),
            "--min-rounds" => a.min_rounds = num(value),
            "--threads" => a.threads = num(value),
            "--server-pid" => a.server_pids = list(value),
            "--redis-pid" => a.redis_pid = Some(value.into()),
            "--sources" => a.sources = num(value),
            "--stall" => a.stall = Duration::from_secs_f64(num::<f64>(value).clamp(0.1, 3600.0)),
            "--join-window" => a.join_window = num(value),
            "--join-lag" => a.join_lag = num(value),
            "--settle" => a.settle = num(value),
            "--label" => a.label = value.replace(char::is_whitespace, "_"),
            _ => usage(),
        }
    }
    // Names and room go into the request line unescaped: keep the room to
    // characters a query may hold as they are.
    let room_ok = !a.room.is_empty()
        && a.room.len() <= 32
        && a.room
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let valid = room_ok
        && a.members >= 2
        && a.senders.is_none_or(|s| s > 0)
        && a.senders() <= 0xFFFF
        && a.threads > 0
        && a.threads as u32 <= a.members
        && a.duration > 0.0
        && a.warmup >= 0.0
        && a.min_rounds > 0
        && a.sources > 0
        && a.sources < 250
        && a.join_window > 0
        && a.join_lag >= 2 * a.join_window + 2
        && a.settle >= 0.0
        && a.settle <= 60.0;
    if !valid {
        eprintln!(
            "invalid flags (2 or more members, 1 to 65535 senders, a thread per member at most, \
             --join-lag at least twice --join-window and 2, a room of letters, digits, - and _)"
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
        run(&parse_args(&argv))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout: {e}");
            ExitCode::FAILURE
        }
    }
}

fn connect(addr: SocketAddr, source: IpAddr) -> std::io::Result<mio::net::TcpStream> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    sock.bind(&SocketAddr::new(source, 0).into())?;
    sock.connect_timeout(&addr.into(), Duration::from_secs(5))?;
    sock.set_nodelay(true)?;
    sock.set_nonblocking(true)?;
    Ok(mio::net::TcpStream::from_std(sock.into()))
}

/// xorshift64*: handshake nonces and masking keys need no cryptography.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The member indices of the sender slots: spread evenly, so that every
/// generator thread's share (a run of consecutive members) has its part.
fn sender_indices(members: u32, senders: u32) -> Vec<u32> {
    (0..senders)
        .map(|s| (u64::from(s) * u64::from(members) / u64::from(senders)) as u32)
        .collect()
}

/// The sum of the resident memory of `pids`, KiB.
fn rss_kib(pids: &[String]) -> Result<u64, String> {
    pids.iter().map(|p| procstat::rss_kib(p)).sum()
}

/// The CPU times of `pids`.
fn cpus(pids: &[String]) -> Result<Vec<Cpu>, String> {
    pids.iter().map(|p| procstat::cpu(p)).collect()
}

/// The join phase on one poll: what it needs besides the members.
struct Joining<'a> {
    args: &'a Args,
    poll: Poll,
    events: Events,
    buf: Vec<u8>,
    senders: &'a [u32],
    epoch: Instant,
    last_message: Instant,
}

impl Joining<'_> {
    /// Polls and handles events until `done(members)`, failing after the
    /// stall limit without a message; `what` names the wait in the error.
    fn until(
        &mut self,
        members: &mut [Member],
        what: &str,
        done: impl Fn(&[Member]) -> bool,
    ) -> Result<(), String> {
        // Bounded by the stall limit: every pass takes a message or waits
        // at most 100 ms.
        while !done(members) {
            self.poll_once(members, Duration::from_millis(100))?;
            if self.last_message.elapsed() > self.args.stall {
                return Err(format!(
                    "{what}: no message for {:.0} s",
                    self.args.stall.as_secs_f64()
                ));
            }
        }
        Ok(())
    }

    /// One poll of at most `timeout`, its events handled.
    fn poll_once(&mut self, members: &mut [Member], timeout: Duration) -> Result<(), String> {
        self.poll
            .poll(&mut self.events, Some(timeout))
            .map_err(|e| format!("poll: {e}"))?;
        let rules = Rules {
            room: &self.args.room,
            servers: self.args.addrs.len() as u32,
            joined: members.len() as u32,
            senders: self.senders,
            round: None,
            epoch: self.epoch,
        };
        let mut tally = Tally {
            messages: 0,
            deliveries: 0,
            latencies: None,
        };
        for ev in self.events.iter() {
            let m = &mut members[ev.token().0];
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                m.on_readable(&mut self.buf, &rules, &mut tally)
                    .map_err(|e| format!("m{}: {e}", m.index))?;
            }
            m.flush().map_err(|e| format!("m{}: write: {e}", m.index))?;
        }
        if tally.messages > 0 {
            self.last_message = Instant::now();
        }
        Ok(())
    }
}

/// At most how many notices of its own server member `i` is owed once
/// `joined` members have connected, `window` at a time: one for each that
/// joined after it, and those are among the members from i - window on
/// (a server that relays joins through Redis may add the others').
fn owed_at_most(i: u32, joined: u32, window: u32, servers: u32) -> u32 {
    // The members dealt round: one in `servers` is on its server.
    (joined.saturating_sub(i + 1) + window).div_ceil(servers)
}

/// Opens the members one by one and waits until the room is quiet.
/// Returns them, the servers' RSS growth per member (KiB) and how long
/// the joins took.
fn join_all(
    args: &Args,
    senders: &[u32],
    epoch: Instant,
) -> Result<(Vec<Member>, f64, f64), String> {
    let rss_before = rss_kib(&args.server_pids)?;
    let servers = args.addrs.len() as u32;
    let mut j = Joining {
        args,
        poll: Poll::new().map_err(|e| e.to_string())?,
        events: Events::with_capacity(1024),
        buf: vec![0; 256 << 10],
        senders,
        epoch,
        last_message: Instant::now(),
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let mut members: Vec<Member> = Vec::with_capacity(args.members as usize);
    let started = Instant::now();
    let (window, lag) = (args.join_window, args.join_lag);
    for i in 0..args.members {
        // At most `window` handshakes at a time: member i joins after
        // every member up to i - window (and before every one from i +
        // window on), which bounds what each is owed.
        if i >= window {
            let before = (i - window) as usize;
            j.until(&mut members, "joins: no welcome", |ms| ms[before].welcomed)?;
        }
        // A join notice reaches every member: wait while one may be far
        // behind, so that the server's queue for it never fills (the chat
        // closes a member whose queue is full). Checked every 16 joins.
        if i >= lag && i % 16 == 0 {
            j.until(&mut members, "joins: a member behind on notices", |ms| {
                ms.iter()
                    .all(|m| m.notices + lag >= owed_at_most(m.index, i, window, servers))
            })?;
        }
        let server = i % servers;
        let addr = args.addrs[server as usize];
        // 127.0.0.1, .2, ...: each source address has its own ports, so
        // that they stay plentiful however many runs left TIME_WAIT.
        let source = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % u32::from(args.sources)) as u8,
        ));
        let mut stream = connect(addr, source).map_err(|e| format!("connect m{i}: {e}"))?;
        j.poll
            .registry()
            .register(
                &mut stream,
                Token(i as usize),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| format!("register: {e}"))?;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&rng.next().to_le_bytes());
        nonce[8..].copy_from_slice(&rng.next().to_le_bytes());
        let member = Member::new(
            stream,
            i,
            &args.room,
            &addr.to_string(),
            args.members,
            senders.len(),
            nonce,
        )
        .map_err(|e| format!("m{i}: {e}"))?;
        members.push(member);
        j.last_message = Instant::now();
    }
    let n = args.members;
    // Of every two members on one server, the later to join is told to
    // the other: as many notices as such pairs.
    let pairs: u64 = (0..servers)
        .map(|s| u64::from((n - s).div_ceil(servers)))
        .map(|k| k * k.saturating_sub(1) / 2)
        .sum();
    j.until(&mut members, "joins: notices missing", |ms| {
        ms.iter().all(|m| m.welcomed)
            && ms.iter().map(|m| u64::from(m.notices)).sum::<u64>() == pairs
    })?;
    for a in 0..n {
        for b in (a + servers..n).step_by(servers as usize) {
            let (ma, mb) = (&members[a as usize], &members[b as usize]);
            if ma.was_told(b) == mb.was_told(a) {
                return Err(format!(
                    "joins: m{a} and m{b} were {} told of the other",
                    if ma.was_told(b) { "both" } else { "neither" }
                ));
            }
        }
    }
    let join_secs = started.elapsed().as_secs_f64();
    // Quiet for `settle` seconds (through several servers, relayed
    // notices may still come, and a notice after that fails the rounds).
    let quiet = Duration::from_secs_f64(args.settle.max(if servers > 1 { 0.5 } else { 0.0 }));
    let quiet_from = Instant::now();
    // Bounded: each pass waits at most 100 ms until `quiet` has passed
    // with no message (one restarts it), within the stall limit.
    while j.last_message.max(quiet_from).elapsed() < quiet {
        j.poll_once(&mut members, Duration::from_millis(100))?;
        if quiet_from.elapsed() > args.stall {
            return Err("the room did not go quiet after the joins".into());
        }
    }
    let rss_idle = rss_kib(&args.server_pids)?;
    let kib_per_member = rss_idle.saturating_sub(rss_before) as f64 / f64::from(n);
    for m in &mut members {
        j.poll
            .registry()
            .deregister(&mut m.stream)
            .map_err(|e| format!("deregister: {e}"))?;
    }
    println!(
        "{n} members joined in {join_secs:.1} s; server RSS {rss_before} KiB -> {rss_idle} KiB idle: \
         {kib_per_member:.1} KiB per member"
    );
    Ok((members, kib_per_member, join_secs))
}

/// What the threads are told at a barrier: run round `round` (its
/// latencies recorded if `measured`), or stop.
#[derive(Clone, Copy)]
enum Step {
    Round { round: u32, measured: bool },
    Stop,
}

/// The run's schedule, kept by whichever thread reaches a barrier last.
struct Schedule<'a> {
    args: &'a Args,
    round: Option<u32>,
    /// The round that just ended was measured.
    measuring: bool,
    measured_rounds: u32,
    warm_end: Instant,
    run_end: Instant,
    /// Where the measured window opened and closed, with the CPU times
    /// read there: the servers', Redis', the generator's.
    start: Option<Reading>,
    end: Option<Reading>,
}

struct Reading {
    at: Instant,
    servers: Vec<Cpu>,
    redis: Option<Cpu>,
    own: Cpu,
    /// The servers' time runnable but waiting for a CPU, seconds.
    servers_waited: f64,
}

impl Reading {
    fn now(args: &Args) -> Result<Reading, String> {
        let waited = args
            .server_pids
            .iter()
            .map(|p| procstat::run_queue_wait(p))
            .sum::<Result<f64, String>>()?;
        Ok(Reading {
            servers: cpus(&args.server_pids)?,
            redis: args.redis_pid.as_deref().map(procstat::cpu).transpose()?,
            own: procstat::cpu("self")?,
            servers_waited: waited,
            at: Instant::now(),
        })
    }
}

impl Schedule<'_> {
    /// The next step, between two rounds.
    fn next(&mut self) -> Result<Step, String> {
        let now = Instant::now();
        if self.measuring {
            self.measured_rounds += 1;
            if now >= self.run_end && self.measured_rounds >= self.args.min_rounds {
                self.end = Some(Reading::now(self.args)?);
                return Ok(Step::Stop);
            }
        } else if now >= self.warm_end {
            self.measuring = true;
            self.run_end = now + Duration::from_secs_f64(self.args.duration);
            self.start = Some(Reading::now(self.args)?);
        }
        let round = self.round.map_or(0, |r| r + 1);
        self.round = Some(round);
        Ok(Step::Round {
            round,
            measured: self.measuring,
        })
    }
}

/// A barrier for the generator threads between rounds: the last to
/// arrive computes the next step for all. Waits are bounded: a thread
/// that failed sets `failed`, and no thread waits longer than the stall
/// limit.
struct Barrier<'a> {
    threads: usize,
    state: Mutex<BarrierState<'a>>,
    turned: Condvar,
}

struct BarrierState<'a> {
    arrived: usize,
    generation: u64,
    step: Result<Step, String>,
    schedule: Schedule<'a>,
}

impl<'a> Barrier<'a> {
    fn new(threads: usize, schedule: Schedule<'a>) -> Self {
        Barrier {
            threads,
            state: Mutex::new(BarrierState {
                arrived: 0,
                generation: 0,
                step: Ok(Step::Stop),
                schedule,
            }),
            turned: Condvar::new(),
        }
    }

    fn wait(&self, failed: &AtomicBool, stall: Duration) -> Result<Step, String> {
        let mut s = self.state.lock().map_err(|_| "a thread panicked")?;
        s.arrived += 1;
        if s.arrived == self.threads {
            s.arrived = 0;
            s.generation += 1;
            s.step = s.schedule.next();
            self.turned.notify_all();
            return s.step.clone();
        }
        let generation = s.generation;
        let deadline = Instant::now() + stall;
        // Bounded by the deadline.
        while s.generation == generation {
            if failed.load(Ordering::Relaxed) {
                return Err("another generator thread failed".into());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err("another generator thread did not finish its round".into());
            }
            let timeout = (deadline - now).min(Duration::from_millis(100));
            s = self
                .turned
                .wait_timeout(s, timeout)
                .map_err(|_| "a thread panicked")?
                .0;
        }
        s.step.clone()
    }
}

/// What one generator thread measured.
struct Share {
    hist: Histogram,
}

/// One generator thread: its members on a poll of its own, round after
/// round as the barrier says. `Ok(None)` when another thread failed.
fn drive(
    mut members: Vec<Member>,
    args: &Args,
    senders: &[u32],
    epoch: Instant,
    barrier: &Barrier<'_>,
    failed: &AtomicBool,
) -> Result<Option<Share>, String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    for (t, m) in members.iter_mut().enumerate() {
        poll.registry()
            .register(
                &mut m.stream,
                Token(t),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| format!("register: {e}"))?;
    }
    // This share's senders (their slots) and what its members receive in
    // a round: every sender's message, but a sender not its own.
    let mine: Vec<(usize, u32)> = members
        .iter()
        .enumerate()
        .filter_map(|(t, m)| Some((t, senders.iter().position(|&s| s == m.index)? as u32)))
        .collect();
    let expected = (members.len() * senders.len() - mine.len()) as u64;
    let mut buf = vec![0u8; 256 << 10];
    let mut events = Events::with_capacity(1024);
    let mut hist = Histogram::new();
    // Bounded: the schedule stops after the duration; each round ends or
    // fails within the stall limit.
    loop {
        let (round, measured) = match barrier.wait(failed, args.stall) {
            Ok(Step::Round { round, measured }) => (round, measured),
            Ok(Step::Stop) => break,
            Err(_) if failed.load(Ordering::Relaxed) => return Ok(None),
            Err(e) => return Err(e),
        };
        for &(t, slot) in &mine {
            let m = &mut members[t];
            let stamp = epoch.elapsed().as_nanos() as u64;
            m.queue_text(&member::text(round, slot, stamp));
            m.flush().map_err(|e| format!("m{}: write: {e}", m.index))?;
        }
        let rules = Rules {
            room: &args.room,
            servers: args.addrs.len() as u32,
            joined: args.members,
            senders,
            round: Some(round),
            epoch,
        };
        let mut tally = Tally {
            messages: 0,
            deliveries: 0,
            latencies: measured.then_some(&mut hist),
        };
        let mut last_message = Instant::now();
        // Bounded by the stall limit: every pass takes a message or waits
        // at most 100 ms.
        while tally.deliveries < expected {
            if failed.load(Ordering::Relaxed) {
                return Ok(None);
            }
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .map_err(|e| format!("poll: {e}"))?;
            let before = tally.messages;
            for ev in events.iter() {
                let m = &mut members[ev.token().0];
                if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                    m.on_readable(&mut buf, &rules, &mut tally)
                        .map_err(|e| format!("m{}: {e}", m.index))?;
                }
                m.flush().map_err(|e| format!("m{}: write: {e}", m.index))?;
            }
            if tally.messages > before {
                last_message = Instant::now();
            } else if last_message.elapsed() > args.stall {
                return Err(format!(
                    "round {round}: {} of {expected} deliveries, none for {:.0} s",
                    tally.deliveries,
                    args.stall.as_secs_f64()
                ));
            }
        }
    }
    Ok(Some(Share { hist }))
}

fn run(args: &Args) -> Result<(), String> {
    let n = args.members;
    let senders = sender_indices(n, args.senders());
    let epoch = Instant::now();
    let (mut members, kib_per_member, join_secs) = join_all(args, &senders, epoch)?;
    // Each thread takes a run of consecutive members.
    let mut shares: Vec<Vec<Member>> = Vec::with_capacity(args.threads);
    for t in (0..args.threads).rev() {
        shares.push(members.split_off(t * n as usize / args.threads));
    }
    let warm_end = Instant::now() + Duration::from_secs_f64(args.warmup);
    let barrier = Barrier::new(
        args.threads,
        Schedule {
            args,
            round: None,
            measuring: false,
            measured_rounds: 0,
            warm_end,
            run_end: warm_end,
            start: None,
            end: None,
        },
    );
    let failed = AtomicBool::new(false);
    let results: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| {
                let (barrier, failed, senders) = (&barrier, &failed, &senders);
                scope.spawn(move || {
                    let result = drive(share, args, senders, epoch, barrier, failed);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    result
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("a generator thread panicked".into()))
            })
            .collect()
    });
    let mut hist = Histogram::new();
    for result in results {
        // None: stopped because another thread failed, whose error is here.
        if let Some(share) = result? {
            hist.merge(&share.hist);
        }
    }
    let schedule = barrier
        .state
        .into_inner()
        .map_err(|_| "a thread panicked")?
        .schedule;
    let (Some(start), Some(end)) = (&schedule.start, &schedule.end) else {
        return Err("no measured round".into());
    };
    let rounds = schedule.measured_rounds;
    let s = senders.len() as u64;
    let deliveries = u64::from(rounds) * s * u64::from(n - 1);
    let secs = end.at.duration_since(start.at).as_secs_f64();
    let rate = deliveries as f64 / secs;
    let p50 = hist.quantile(0.50) as f64 / 1e3;
    let p99 = hist.quantile(0.99) as f64 / 1e3;
    let ns_per = |cpu: f64| cpu * 1e9 / deliveries as f64;
    let pct = |cpu: f64| 100.0 * cpu / secs;
    let server: Vec<Cpu> = end
        .servers
        .iter()
        .zip(&start.servers)
        .map(|(e, s)| e.since(s))
        .collect();
    let server_total: f64 = server.iter().map(Cpu::total).sum();
    let own = end.own.since(&start.own);
    let redis = end.redis.zip(start.redis).map(|(e, s)| e.since(&s));
    // Over the servers: time they could have run but others had the CPU.
    let waited = end.servers_waited - start.servers_waited;
    println!(
        "{n} members, {s} senders, {rounds} rounds in {secs:.2} s: {rate:.0} deliveries/s, \
         latency p50 {p50:.0} us p99 {p99:.0} us ({deliveries} deliveries checked)"
    );
    for (pid, cpu) in args.server_pids.iter().zip(&server) {
        println!(
            "server {pid} CPU {:.2} s ({:.0}%): {:.0} ns/delivery (user {:.0}, sys {:.0})",
            cpu.total(),
            pct(cpu.total()),
            ns_per(cpu.total()),
            ns_per(cpu.user),
            ns_per(cpu.sys)
        );
    }
    if !server.is_empty() {
        println!(
            "servers runnable but waiting for a CPU: {:.2} s ({:.0}% of the window)",
            waited,
            pct(waited)
        );
    }
    if let Some(r) = &redis {
        println!(
            "redis-server CPU {:.2} s ({:.0}%)",
            r.total(),
            pct(r.total())
        );
    }
    println!(
        "fanout CPU {:.2} s ({:.0}% of one CPU, {} threads): {:.0} ns/delivery",
        own.total(),
        pct(own.total()),
        args.threads,
        ns_per(own.total())
    );
    let srv_pct: Vec<String> = server
        .iter()
        .map(|c| format!("{:.0}", pct(c.total())))
        .collect();
    println!(
        "RESULT mode=fanout label={} members={n} senders={s} servers={} threads={} rounds={rounds} \
         deliveries={deliveries} secs={secs:.3} deliveries_per_s={rate:.0} p50_us={p50:.0} p99_us={p99:.0} \
         srv_ns_per_delivery={:.1} srv_cpu_pct={} srv_wait_pct={:.0} redis_cpu_pct={} gen_ns_per_delivery={:.1} \
         gen_cpu_pct={:.0} kib_per_member={kib_per_member:.2} join_secs={join_secs:.1}",
        args.label,
        args.addrs.len(),
        args.threads,
        ns_per(server_total),
        if srv_pct.is_empty() { "-".into() } else { srv_pct.join(",") },
        pct(waited),
        redis.map_or("-".into(), |r| format!("{:.0}", pct(r.total()))),
        ns_per(own.total()),
        pct(own.total()),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_are_spread_and_distinct() {
        assert_eq!(sender_indices(5, 5), vec![0, 1, 2, 3, 4]);
        let s = sender_indices(5000, 100);
        assert_eq!(s.len(), 100);
        assert_eq!((s[0], s[1], s[99]), (0, 50, 4950));
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn notices_owed_at_most() {
        // One server, no window: every later joiner.
        assert_eq!(owed_at_most(0, 10, 0, 1), 9);
        assert_eq!(owed_at_most(9, 10, 0, 1), 0);
        // Up to 4 at a time: 3 may have joined after 0..=2 as well.
        assert_eq!(owed_at_most(3, 10, 4, 1), 10);
        // Two servers: 3 is owed 5, 7, 9 (and 1 might have been later).
        assert_eq!(owed_at_most(3, 10, 0, 2), 3);
        assert_eq!(owed_at_most(3, 10, 2, 2), 4);
    }
}
