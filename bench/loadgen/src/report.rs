//! `loadgen report FILE...`: the `RESULT` lines of a run as Markdown
//! tables: medians over the rounds, min/max, and each server's ratio to
//! the best peer and to the raw TCP echo of the same run; the load
//! generator's headroom (the raw echoes against the fastest WebSocket
//! server, and the generator's own CPU) and the ratios tracked from run to
//! run; then the performance targets, checked against those ratios, and
//! the memory table. Runs over TLS (`tls=1`) get a section of their own
//! after all that: the same tables against tokio-tungstenite over rustls
//! and the raw TLS echo, and the memory per idle `wss://` connection.
//! Runs of the axum cells (`section=axum`, added by `run.sh`) get one too:
//! our axum upgrade (`ws-tokio-axum`) against axum's own WebSocket
//! (`axum-ws`), with the plain ws-tokio server and the raw echo of the
//! same rounds beside them, the targets against axum-ws, and the memory
//! per idle connection.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;

/// Our servers, in table order.
const OURS: [&str; 3] = ["ws-tokio", "ws-smol", "ws-async-std"];
const RAW: &str = "raw-tcp";
/// The raw TCP echo on smol: the floor under ws-smol and ws-async-std.
const RAW_SMOL: &str = "raw-tcp-smol";
/// The raw echoes, in table order.
const RAWS: [&str; 2] = [RAW, RAW_SMOL];
/// The peers, in table order.
const PEERS: [&str; 4] = [
    "fastwebsockets",
    "tokio-websockets",
    "tokio-tungstenite",
    "async-tungstenite-smol",
];

/// The `wss://` peer, and the raw echo under TLS (tokio-rustls).
const TLS_PEER: &str = "tokio-tungstenite-rustls";
const RAW_TLS: &str = "raw-tls";
/// The TLS peers, in table order.
const TLS_PEERS: [&str; 1] = [TLS_PEER];
/// Our idle `wss://` memory against the TLS peer's: at most this ratio.
const TLS_MEMORY_RATIO: f64 = 0.5;

/// Our WebSocket behind axum: `ws_tokio::axum::WebSocketUpgrade`.
const AXUM_OURS: &str = "ws-tokio-axum";
/// axum's own WebSocket (its `ws` feature, tokio-tungstenite under it).
const AXUM_PEER: &str = "axum-ws";
/// The axum peers, in table order.
const AXUM_PEERS: [&str; 1] = [AXUM_PEER];
/// Ours against axum-ws: msg/s at 16 in flight at least this ratio.
const AXUM_RATE_RATIO: f64 = 1.3;
/// Ours against axum-ws: CPU per message at 1 in flight at most this ratio.
const AXUM_CPU_RATIO: f64 = 0.8;

type Record = BTreeMap<String, String>;

/// Cells in first-seen order, each with its servers' figures.
type Cells = Vec<(String, BTreeMap<String, Cell>)>;

/// Idle memory: (server, permessage-deflate offered or not) -> the
/// bytes per connection of the runs and "accepted/connections".
type Memory = BTreeMap<(String, String), (Stats, String)>;

fn parse(line: &str) -> Option<Record> {
    let rest = line.trim().strip_prefix("RESULT ")?;
    Some(
        rest.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

fn num(r: &Record, key: &str) -> f64 {
    r.get(key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

#[derive(Default)]
struct Stats {
    values: Vec<f64>,
}

impl Stats {
    fn push(&mut self, v: f64) {
        if v.is_finite() {
            self.values.push(v);
        }
    }
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }
    fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
    fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }
    fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }
}

#[derive(Default)]
struct Cell {
    rate: Stats,
    cpu: Stats,
    p50: Stats,
    p99: Stats,
    gen: Stats,
    /// The generator threads of the runs (older lines, without the field,
    /// are of the one-thread generator).
    threads: BTreeSet<u64>,
}

fn order(server: &str) -> usize {
    [AXUM_OURS]
        .iter()
        .chain(OURS.iter())
        .chain(AXUM_PEERS.iter())
        .chain(PEERS.iter())
        .chain(TLS_PEERS.iter())
        .chain(RAWS.iter())
        .chain([RAW_TLS].iter())
        .position(|s| *s == server)
        .unwrap_or(99)
}

/// Whether a `RESULT` line is of a run over TLS.
fn is_tls(r: &Record) -> bool {
    r.get("tls").map(String::as_str) == Some("1")
}

/// Whether a `RESULT` line is of the axum cells or their memory probe.
fn is_axum(r: &Record) -> bool {
    r.get("section").map(String::as_str) == Some("axum")
}

fn cell_name(r: &Record) -> String {
    let size = num(r, "size") as u64;
    let size = match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    };
    let inflight = num(r, "inflight") as u64;
    let mut name = format!(
        "{} x {size} {}",
        r.get("conns").map_or("?", String::as_str),
        r.get("kind").map_or("?", String::as_str)
    );
    if inflight > 1 {
        let _ = write!(name, ", {inflight} in flight");
    }
    name
}

fn fmt(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "-".into()
    }
}

fn ratio(a: f64, b: f64) -> String {
    fmt(a / b, 2)
}

pub fn run(files: &[String]) -> Result<(), String> {
    if files.is_empty() {
        return Err("report: no file given".into());
    }
    let mut records = Vec::new();
    for f in files {
        let text = fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
        records.extend(text.lines().filter_map(parse));
    }
    // cell -> server -> stats, cells in first-seen order; TLS apart.
    let mut cells: Cells = Vec::new();
    let mut memory: Memory = BTreeMap::new();
    let mut tls_cells: Cells = Vec::new();
    let mut tls_memory: Memory = BTreeMap::new();
    let mut axum_cells: Cells = Vec::new();
    let mut axum_memory: Memory = BTreeMap::new();
    for r in &records {
        let server = r.get("label").cloned().unwrap_or_default();
        let (cells, memory) = if is_axum(r) {
            (&mut axum_cells, &mut axum_memory)
        } else if is_tls(r) {
            (&mut tls_cells, &mut tls_memory)
        } else {
            (&mut cells, &mut memory)
        };
        match r.get("mode").map(String::as_str) {
            Some("load") => {
                let name = cell_name(r);
                let idx = match cells.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => {
                        cells.push((name, BTreeMap::new()));
                        cells.len() - 1
                    }
                };
                let c = cells[idx].1.entry(server).or_default();
                c.rate.push(num(r, "msg_per_s"));
                c.cpu.push(num(r, "srv_us_per_msg"));
                c.p50.push(num(r, "p50_us"));
                c.p99.push(num(r, "p99_us"));
                c.gen.push(num(r, "gen_cpu_pct"));
                c.threads
                    .insert(r.get("threads").and_then(|t| t.parse().ok()).unwrap_or(1));
            }
            Some("idle") => {
                let offered = if num(r, "deflate_offered") > 0.0 {
                    "offered"
                } else {
                    "not offered"
                };
                let e = memory
                    .entry((server, offered.to_owned()))
                    .or_insert_with(|| (Stats::default(), String::new()));
                e.0.push(num(r, "bytes_per_conn"));
                e.1 = format!(
                    "{}/{}",
                    r.get("deflate_accepted").map_or("?", String::as_str),
                    r.get("conns").map_or("?", String::as_str)
                );
            }
            _ => {}
        }
    }
    let mut out = String::new();
    let mut medians: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    cell_tables(&mut out, &cells, &PEERS, RAW, "raw TCP", &mut medians);
    // A run of the TLS cells alone has none of these.
    if !cells.is_empty() {
        let mut head = summary(&cells, &medians);
        headroom(&mut head, &cells, &RAWS);
        tracked(&mut head, &medians);
        out.insert_str(0, &head);
    }
    if !cells.is_empty() || !memory.is_empty() {
        targets(&mut out, &cells, &medians, &memory);
    }
    memory_table(&mut out, &memory, "");
    tls_section(&mut out, &tls_cells, &tls_memory);
    axum_section(&mut out, &axum_cells, &axum_memory);
    print!("{out}");
    Ok(())
}

/// The table of every cell: each server's medians, min - max and ratios
/// to the best of `peers` and to the raw echo `raw` (shown as
/// `raw_name`). Fills `medians`.
fn cell_tables(
    out: &mut String,
    cells: &Cells,
    peers: &[&str],
    raw: &str,
    raw_name: &str,
    medians: &mut BTreeMap<(String, String), (f64, f64)>,
) {
    let best_peer = if peers.len() == 1 {
        peers[0]
    } else {
        "best peer"
    };
    for (name, servers) in cells {
        let rounds = servers
            .values()
            .map(|c| c.rate.values.len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "### {name} ({rounds} rounds)\n");
        let _ = writeln!(
            out,
            "| server | msg/s (median) | min - max | server CPU us/msg (median) | min - max | msg/s vs {best_peer} | msg/s vs {raw_name} | CPU/msg vs {best_peer} | CPU/msg vs {raw_name} | RTT p50 / p99 us | loadgen CPU |"
        );
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        let peer = |f: &dyn Fn(&Cell) -> f64, best: fn(f64, f64) -> f64, init: f64| {
            peers
                .iter()
                .filter_map(|p| servers.get(*p))
                .map(f)
                .filter(|v| v.is_finite())
                .fold(init, best)
        };
        let best_rate = peer(&|c| c.rate.median(), f64::max, f64::NAN);
        let best_cpu = peer(&|c| c.cpu.median(), f64::min, f64::NAN);
        let raw = servers.get(raw);
        let raw_rate = raw.map_or(f64::NAN, |c| c.rate.median());
        let raw_cpu = raw.map_or(f64::NAN, |c| c.cpu.median());
        let mut names: Vec<&String> = servers.keys().collect();
        names.sort_by_key(|s| (order(s), (*s).clone()));
        for s in names {
            let c = &servers[s];
            let (rate, cpu) = (c.rate.median(), c.cpu.median());
            medians.insert((name.clone(), s.clone()), (rate, cpu));
            let bold = if OURS.contains(&s.as_str()) || s == AXUM_OURS {
                "**"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {bold}{s}{bold} | {} | {} - {} | {} | {} - {} | {} | {} | {} | {} | {} / {} | {}% |",
                fmt(rate, 0),
                fmt(c.rate.min(), 0),
                fmt(c.rate.max(), 0),
                fmt(cpu, 3),
                fmt(c.cpu.min(), 3),
                fmt(c.cpu.max(), 3),
                ratio(rate, best_rate),
                ratio(rate, raw_rate),
                ratio(cpu, best_cpu),
                ratio(cpu, raw_cpu),
                fmt(c.p50.median(), 0),
                fmt(c.p99.median(), 0),
                fmt(c.gen.median(), 0),
            );
        }
        let _ = writeln!(out);
    }
}

/// The memory table (`what` after its title: "" or " over TLS").
fn memory_table(out: &mut String, memory: &Memory, what: &str) {
    if !memory.is_empty() {
        let _ = writeln!(out, "### Memory: server RSS per idle connection{what}\n");
        let _ = writeln!(
            out,
            "| server | permessage-deflate | accepted | bytes per connection (median) | min - max |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        let mut keys: Vec<&(String, String)> = memory.keys().collect();
        keys.sort_by_key(|(s, d)| (order(s), s.clone(), d.clone()));
        for key in keys {
            let (stats, accepted) = &memory[key];
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} - {} |",
                key.0,
                key.1,
                accepted,
                fmt(stats.median(), 0),
                fmt(stats.min(), 0),
                fmt(stats.max(), 0)
            );
        }
        let _ = writeln!(out);
    }
}

/// The runs over TLS: their cells against tokio-tungstenite over rustls
/// and the raw TLS echo, the generator's headroom there, ws-tokio's ratios
/// to the TLS peer, and the memory per idle `wss://` connection with our
/// servers' ratio to the TLS peer's.
fn tls_section(out: &mut String, cells: &Cells, memory: &Memory) {
    if cells.is_empty() && memory.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Over TLS (wss://)\n");
    let _ = writeln!(
        out,
        "rustls 0.23 with its ring provider on both sides, TLS 1.3 (ECDHE X25519, \
         AES-128-GCM as rustls prefers), a self-signed P-256 certificate; every connection \
         makes a full handshake before the measured window. `{RAW_TLS}` is the raw echo \
         under tokio-rustls: the TLS limit of a tokio server here, and the generator's \
         headroom.\n"
    );
    let mut medians: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut tables = String::new();
    cell_tables(
        &mut tables,
        cells,
        &TLS_PEERS,
        RAW_TLS,
        RAW_TLS,
        &mut medians,
    );
    if !cells.is_empty() {
        headroom(out, cells, &[RAW_TLS]);
        let _ = writeln!(out, "### Ratios over TLS (medians of this run)\n");
        let _ = writeln!(
            out,
            "| cell | server | msg/s | {TLS_PEER} msg/s | ratio | CPU us/msg | {TLS_PEER} CPU us/msg | ratio |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
        for (name, servers) in cells {
            let theirs = medians
                .get(&(name.clone(), TLS_PEER.to_owned()))
                .copied()
                .unwrap_or((f64::NAN, f64::NAN));
            for ours in OURS.iter().filter(|s| servers.contains_key(**s)) {
                let m = medians[&(name.clone(), (*ours).to_owned())];
                let _ = writeln!(
                    out,
                    "| {name} | {ours} | {} | {} | {} | {} | {} | {} |",
                    fmt(m.0, 0),
                    fmt(theirs.0, 0),
                    ratio(m.0, theirs.0),
                    fmt(m.1, 3),
                    fmt(theirs.1, 3),
                    ratio(m.1, theirs.1)
                );
            }
        }
        let _ = writeln!(out);
    }
    out.push_str(&tables);
    memory_table(
        out,
        memory,
        " over TLS (after the handshake and one 16 B message echoed)",
    );
    let theirs = memory
        .get(&(TLS_PEER.to_owned(), "not offered".to_owned()))
        .map_or(f64::NAN, |(s, _)| s.median());
    let rows: Vec<String> = OURS
        .iter()
        .filter_map(|ours| {
            let (stats, _) = memory.get(&((*ours).to_owned(), "not offered".to_owned()))?;
            let r = stats.median() / theirs;
            let verdict = if !r.is_finite() {
                "not measured"
            } else if r <= TLS_MEMORY_RATIO {
                "met"
            } else {
                "**not met**"
            };
            Some(format!(
                "| {ours}: bytes per idle wss:// connection vs {TLS_PEER} | {} | {} | {} | <= {TLS_MEMORY_RATIO} | {verdict} |",
                fmt(stats.median(), 0),
                fmt(theirs, 0),
                fmt(r, 2)
            ))
        })
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(out, "### Memory target over TLS (medians)\n");
        let _ = writeln!(out, "| target | ours | theirs | ratio | wanted | |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
        for r in rows {
            let _ = writeln!(out, "{r}");
        }
        let _ = writeln!(out);
    }
}

/// The axum cells: our axum upgrade against axum's own WebSocket, both
/// behind `axum::serve` over HTTP/1.1, with the plain ws-tokio server and
/// the raw TCP echo of the same rounds; the generator's headroom; the
/// targets against axum-ws (msg/s at 16 in flight, CPU per message at 1
/// in flight) and the cost of the axum path against the plain server; and
/// the memory per idle connection.
fn axum_section(out: &mut String, cells: &Cells, memory: &Memory) {
    if cells.is_empty() && memory.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Behind axum (HTTP/1.1 upgrade)\n");
    let _ = writeln!(
        out,
        "`{AXUM_OURS}`: `ws_tokio::axum::WebSocketUpgrade` and `on_upgrade`, the socket echoing \
         as `ws-tokio`'s echo server does; `{AXUM_PEER}`: axum's own `ws` feature \
         (tokio-tungstenite), `recv` then `send` as axum documents it. Both are served by \
         `axum::serve` on one thread; `ws-tokio` is our plain echo server and `{RAW}` the raw \
         echo, in the same rounds.\n"
    );
    let mut medians: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut tables = String::new();
    cell_tables(
        &mut tables,
        cells,
        &AXUM_PEERS,
        RAW,
        "raw TCP",
        &mut medians,
    );
    if !cells.is_empty() {
        headroom(out, cells, &[RAW]);
        let get = |cell: &str, server: &str| {
            medians
                .get(&(cell.to_owned(), server.to_owned()))
                .copied()
                .unwrap_or((f64::NAN, f64::NAN))
        };
        let best = |cell: &str, server: &str| {
            cells
                .iter()
                .find(|(name, _)| name == cell)
                .and_then(|(_, servers)| servers.get(server))
                .map_or((f64::NAN, f64::NAN), |c| (c.rate.max(), c.cpu.min()))
        };
        let _ = writeln!(out, "### Targets against axum-ws\n");
        let _ = writeln!(out, "| target | medians | best rounds | wanted | |");
        let _ = writeln!(out, "|---|---:|---:|---:|---|");
        for (cell, _) in cells {
            let in_flight = cell.contains("in flight");
            let (figure, name, op, limit): (Figure, &str, &str, f64) = if in_flight {
                (rate, "msg/s", ">=", AXUM_RATE_RATIO)
            } else {
                (cpu, "CPU/msg", "<=", AXUM_CPU_RATIO)
            };
            let value = figure(&get, cell, AXUM_OURS, AXUM_PEER);
            let met = if op == ">=" {
                value >= limit
            } else {
                value <= limit
            };
            let verdict = match (value.is_finite(), met) {
                (false, _) => "not measured",
                (true, true) => "met",
                (true, false) => "**not met**",
            };
            let _ = writeln!(
                out,
                "| {AXUM_OURS}: {cell}, {name} vs {AXUM_PEER} | {} | {} | {op} {limit} | {verdict} |",
                fmt(value, 2),
                fmt(figure(&best, cell, AXUM_OURS, AXUM_PEER), 2)
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "### The axum path against the plain server (medians)\n"
        );
        let _ = writeln!(
            out,
            "| cell | {AXUM_OURS} msg/s | ws-tokio msg/s | ratio | {AXUM_OURS} CPU us/msg | ws-tokio CPU us/msg | ratio |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
        for (cell, _) in cells {
            let (a, b) = (get(cell, AXUM_OURS), get(cell, "ws-tokio"));
            let _ = writeln!(
                out,
                "| {cell} | {} | {} | {} | {} | {} | {} |",
                fmt(a.0, 0),
                fmt(b.0, 0),
                ratio(a.0, b.0),
                fmt(a.1, 3),
                fmt(b.1, 3),
                ratio(a.1, b.1)
            );
        }
        let _ = writeln!(out);
    }
    out.push_str(&tables);
    memory_table(out, memory, " behind axum (after the handshake)");
}

/// Formats one figure of a server's (msg/s, CPU/msg) medians.
type Column = fn((f64, f64)) -> String;

/// Every cell in two small tables, servers side by side: msg/s and the
/// server's CPU time per message (medians). The README quotes these.
fn summary(cells: &Cells, medians: &BTreeMap<(String, String), (f64, f64)>) -> String {
    let servers: Vec<&str> = OURS
        .iter()
        .chain(PEERS.iter())
        .chain(RAWS.iter())
        .copied()
        .filter(|s| cells.iter().any(|(_, c)| c.contains_key(*s)))
        .collect();
    let mut out = String::new();
    let tables: [(&str, Column); 2] = [
        ("msg/s (median; higher is better)", |(rate, _)| fmt(rate, 0)),
        (
            "server CPU us per message (median; lower is better)",
            |(_, cpu)| fmt(cpu, 2),
        ),
    ];
    for (title, value) in tables {
        let _ = writeln!(out, "### Summary: {title}\n");
        let _ = writeln!(out, "| cell | {} |", servers.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(servers.len()));
        for (name, _) in cells {
            let row: Vec<String> = servers
                .iter()
                .map(|s| {
                    medians
                        .get(&(name.clone(), (*s).to_owned()))
                        .map_or("-".to_owned(), |m| value(*m))
                })
                .collect();
            let _ = writeln!(out, "| {name} | {} |", row.join(" | "));
        }
        let _ = writeln!(out);
    }
    out
}

/// Whether the load generator is the ceiling, cell by cell: the raw TCP
/// echoes against the fastest WebSocket server (a raw echo clearly faster
/// than all of them shows the generator had room), and the generator's own
/// CPU (near 100% of its core in a cell where the raw echo is no faster
/// says it is the limit there).
fn headroom(out: &mut String, cells: &Cells, raws: &[&str]) {
    let _ = writeln!(out, "### The load generator's headroom (medians)\n");
    let col = |f: &dyn Fn(&str) -> String| raws.iter().map(|r| f(r)).collect::<String>();
    let _ = writeln!(
        out,
        "| cell | generator threads | loadgen CPU, % of one CPU (lowest - highest server) | {}fastest WebSocket server | its msg/s | {}",
        col(&|r| format!("{r} msg/s | ")),
        col(&|r| format!("{r} / fastest | ")).trim_end()
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|{}---|---:|{}",
        "---:|".repeat(raws.len()),
        "---:|".repeat(raws.len())
    );
    for (name, servers) in cells {
        let threads: BTreeSet<u64> = servers
            .values()
            .flat_map(|c| c.threads.iter().copied())
            .collect();
        let threads: Vec<String> = threads.iter().map(u64::to_string).collect();
        let gen: Vec<f64> = servers
            .values()
            .map(|c| c.gen.median())
            .filter(|v| v.is_finite())
            .collect();
        let gen_min = gen.iter().copied().fold(f64::NAN, f64::min);
        let gen_max = gen.iter().copied().fold(f64::NAN, f64::max);
        let rate = |s: &str| servers.get(s).map_or(f64::NAN, |c| c.rate.median());
        let fastest = servers
            .iter()
            .filter(|(s, _)| !raws.contains(&s.as_str()))
            .map(|(s, c)| (s, c.rate.median()))
            .filter(|(_, r)| r.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let (fastest, fastest_rate) = fastest.map_or(("-", f64::NAN), |(s, r)| (s.as_str(), r));
        let _ = writeln!(
            out,
            "| {name} | {} | {} - {} | {}{fastest} | {} | {}",
            threads.join(", "),
            fmt(gen_min, 0),
            fmt(gen_max, 0),
            col(&|r| format!("{} | ", fmt(rate(r), 0))),
            fmt(fastest_rate, 0),
            col(&|r| format!("{} | ", ratio(rate(r), fastest_rate))).trim_end(),
        );
    }
    let _ = writeln!(out);
}

/// The ratios followed from run to run, each of two servers in one cell
/// of this run (medians).
fn tracked(out: &mut String, medians: &BTreeMap<(String, String), (f64, f64)>) {
    const C16: &str = "100 x 16 B binary";
    const C16X16: &str = "100 x 16 B binary, 16 in flight";
    const C1K: &str = "100 x 1 KiB binary";
    // (cell, ours, theirs, the figure compared: msg/s or CPU/msg).
    let rows = [
        (C16, "ws-tokio", "fastwebsockets", false),
        (C16X16, "ws-tokio", "tokio-tungstenite", true),
        (C16X16, "ws-tokio", RAW, false),
        (C16, "ws-smol", RAW_SMOL, false),
        (C16, "ws-async-std", RAW_SMOL, false),
        (C1K, "ws-smol", RAW_SMOL, false),
        (C1K, "ws-async-std", RAW_SMOL, false),
    ];
    let get = |cell: &str, server: &str| {
        medians
            .get(&(cell.to_owned(), server.to_owned()))
            .copied()
            .unwrap_or((f64::NAN, f64::NAN))
    };
    let _ = writeln!(out, "### Tracked ratios (medians of this run)\n");
    let _ = writeln!(
        out,
        "| cell | figure | server | its median | against | its median | ratio |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---|---:|---:|");
    for (cell, ours, theirs, by_rate) in rows {
        let (a, b, figure) = if by_rate {
            (
                get(cell, ours).0,
                get(cell, theirs).0,
                "msg/s (higher is better)",
            )
        } else {
            (
                get(cell, ours).1,
                get(cell, theirs).1,
                "server CPU us/msg (lower is better)",
            )
        };
        let digits = if by_rate { 0 } else { 3 };
        let _ = writeln!(
            out,
            "| {cell} | {figure} | {ours} | {} | {theirs} | {} | {} |",
            fmt(a, digits),
            fmt(b, digits),
            ratio(a, b)
        );
    }
    let _ = writeln!(out);
}

/// Medians or best rounds of a cell's servers: (msg/s, CPU/msg).
type Lookup<'a> = &'a dyn Fn(&str, &str) -> (f64, f64);

/// A ratio of two servers in one cell.
type Figure = fn(Lookup<'_>, &str, &str, &str) -> f64;

/// CPU per message of `ours` over `peer`'s.
fn cpu(f: Lookup<'_>, cell: &str, ours: &str, peer: &str) -> f64 {
    f(cell, ours).1 / f(cell, peer).1
}

/// Messages per second of `ours` over `peer`'s.
fn rate(f: Lookup<'_>, cell: &str, ours: &str, peer: &str) -> f64 {
    f(cell, ours).0 / f(cell, peer).0
}

/// The performance targets, each as measured here (medians of this run).
fn targets(
    out: &mut String,
    cells: &Cells,
    medians: &BTreeMap<(String, String), (f64, f64)>,
    memory: &Memory,
) {
    let get = |cell: &str, server: &str| {
        medians
            .get(&(cell.to_owned(), server.to_owned()))
            .copied()
            .unwrap_or((f64::NAN, f64::NAN))
    };
    // The best round of each server (highest msg/s, lowest CPU/msg): other
    // jobs on the machine only ever add time, so when they make a cell
    // bimodal the best rounds still compare the servers themselves.
    let best = |cell: &str, server: &str| {
        cells
            .iter()
            .find(|(name, _)| name == cell)
            .and_then(|(_, servers)| servers.get(server))
            .map_or((f64::NAN, f64::NAN), |c| (c.rate.max(), c.cpu.min()))
    };
    let mut rows = Vec::new();
    let mut check = |what: String, value: f64, in_best: f64, op: &str, limit: f64| {
        let met = match op {
            "<=" => value <= limit,
            _ => value >= limit,
        };
        let verdict = if !value.is_finite() {
            "not measured"
        } else if met {
            "met"
        } else {
            "**not met**"
        };
        rows.push(format!(
            "| {what} | {} | {} | {op} {limit} | {verdict} |",
            fmt(value, 2),
            fmt(in_best, 2)
        ));
    };
    // (cell, figure and its name, peer, comparison, limit) for each of
    // our servers.
    let versus: [(&str, Figure, &str, &str, &str, f64); 6] = [
        (
            "100 x 16 B binary",
            cpu,
            "CPU/msg",
            "fastwebsockets",
            "<=",
            0.97,
        ),
        ("100 x 16 B binary", cpu, "CPU/msg", RAW, "<=", 1.03),
        (
            "10 x 64 KiB binary",
            cpu,
            "CPU/msg",
            "tokio-websockets",
            "<=",
            0.9,
        ),
        (
            "10 x 64 KiB text",
            cpu,
            "CPU/msg",
            "tokio-websockets",
            "<=",
            0.9,
        ),
        (
            "100 x 16 B binary, 16 in flight",
            rate,
            "msg/s",
            "tokio-tungstenite",
            ">=",
            1.3,
        ),
        (
            "100 x 16 B binary, 16 in flight",
            rate,
            "msg/s",
            RAW,
            ">=",
            0.6,
        ),
    ];
    for ours in OURS {
        for (cell, figure, name, peer, op, limit) in versus {
            check(
                format!("{ours}: {cell}, {name} vs {peer}"),
                figure(&get, cell, ours, peer),
                figure(&best, cell, ours, peer),
                op,
                limit,
            );
        }
    }
    for ours in ["ws-smol", "ws-async-std"] {
        let worst = |f: &dyn Fn(&str) -> f64| {
            cells
                .iter()
                .map(|(c, _)| f(c))
                .filter(|v| v.is_finite())
                .fold(f64::NAN, f64::min)
        };
        check(
            format!("{ours}: msg/s vs ws-tokio, worst cell"),
            worst(&|c| rate(&get, c, ours, "ws-tokio")),
            worst(&|c| rate(&best, c, ours, "ws-tokio")),
            ">=",
            0.95,
        );
        check(
            format!("{ours}: ws-tokio CPU/msg / {ours} CPU/msg, worst cell"),
            worst(&|c| cpu(&get, c, "ws-tokio", ours)),
            worst(&|c| cpu(&best, c, "ws-tokio", ours)),
            ">=",
            0.95,
        );
    }
    for ours in OURS {
        for offered in ["not offered", "offered"] {
            if let Some((stats, _)) = memory.get(&(ours.to_owned(), offered.to_owned())) {
                check(
                    format!("{ours}: KiB per idle connection, permessage-deflate {offered}"),
                    stats.median() / 1024.0,
                    stats.min() / 1024.0,
                    "<=",
                    3.0,
                );
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Performance targets\n");
    let _ = writeln!(
        out,
        "Measured from the medians above (the verdict), and from each server's best round \
         (highest msg/s, lowest CPU/msg), which other jobs on the machine cannot make \
         better than the server is.\n"
    );
    let _ = writeln!(out, "| target | medians | best rounds | wanted | |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for r in rows {
        let _ = writeln!(out, "{r}");
    }
    let _ = writeln!(out);
}
