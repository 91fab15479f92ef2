//! `fanout report FILE...`: the Markdown tables of `bench/fanout.sh` from
//! the `RESULT mode=fanout ...` lines of its runs: per room size and
//! server, the median of the runs (and their range), the ratios of the
//! first server named to each other one, and the runs through Redis.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;

/// One `RESULT` line's fields.
type Line = BTreeMap<String, String>;

/// Reads the files, prints the report on stdout.
pub fn run(files: &[String]) -> Result<(), String> {
    if files.is_empty() {
        return Err("report: no file given".into());
    }
    let mut lines = Vec::new();
    for file in files {
        let text = fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("RESULT ") else {
                continue;
            };
            let fields: Line = rest
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            if fields.get("mode").map(String::as_str) == Some("fanout") {
                lines.push(fields);
            }
        }
    }
    if lines.is_empty() {
        return Err("report: no RESULT mode=fanout line".into());
    }
    print!("{}", render(&lines));
    Ok(())
}

/// The runs of one server at one room size.
struct Cell<'a> {
    members: u64,
    label: &'a str,
    runs: Vec<&'a Line>,
}

impl Cell<'_> {
    /// The values of numeric field `key` over the runs (those that have it).
    fn values(&self, key: &str) -> Vec<f64> {
        self.runs
            .iter()
            .filter_map(|l| l.get(key)?.parse().ok())
            .collect()
    }

    fn median(&self, key: &str) -> Option<f64> {
        median(self.values(key))
    }

    /// The median and the range, `-` without values.
    fn shown(&self, key: &str, digits: usize) -> String {
        let v = self.values(key);
        let Some(m) = median(v.clone()) else {
            return "-".into();
        };
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        if v.len() == 1 {
            format!("{m:.digits$}")
        } else {
            format!("{m:.digits$} ({lo:.digits$} - {hi:.digits$})")
        }
    }

    /// The medians, position by position, of a comma-separated field (the
    /// CPU of each of several servers).
    fn shown_list(&self, key: &str) -> String {
        let lists: Vec<Vec<f64>> = self
            .runs
            .iter()
            .filter_map(|l| l.get(key))
            .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
            .collect();
        let width = lists.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            return "-".into();
        }
        (0..width)
            .map(|i| {
                median(lists.iter().filter_map(|l| l.get(i).copied()).collect())
                    .map_or("-".into(), |m| format!("{m:.0}"))
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// The cells of the runs on `servers` servers, by room size, then
/// servers in the order they first appear.
fn cells<'a>(lines: &'a [Line], servers: &str) -> Vec<Cell<'a>> {
    let mut labels: Vec<&str> = Vec::new();
    let mut cells: Vec<Cell<'_>> = Vec::new();
    for line in lines
        .iter()
        .filter(|l| l.get("servers").map(String::as_str) == Some(servers))
    {
        let label = line.get("label").map_or("-", String::as_str);
        let members = line
            .get("members")
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if !labels.contains(&label) {
            labels.push(label);
        }
        match cells
            .iter_mut()
            .find(|c| c.members == members && c.label == label)
        {
            Some(c) => c.runs.push(line),
            None => cells.push(Cell {
                members,
                label,
                runs: vec![line],
            }),
        }
    }
    let rank = |l: &str| labels.iter().position(|&x| x == l).unwrap_or(usize::MAX);
    cells.sort_by_key(|c| (c.members, rank(c.label)));
    cells
}

fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    let one = cells(lines, "1");
    if !one.is_empty() {
        out.push_str("## One server\n\n");
        out.push_str(
            "| members | server | deliveries/s | latency p50 us | latency p99 us | server CPU ns/delivery | server CPU % | server waited % | generator CPU % | generator ns/delivery | KiB/member | runs |\n\
             |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for c in &one {
            let threads = c.runs[0].get("threads").map_or("?", String::as_str);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} ({threads} thr.) | {} | {} | {} |",
                c.members,
                c.label,
                c.shown("deliveries_per_s", 0),
                c.shown("p50_us", 0),
                c.shown("p99_us", 0),
                c.shown("srv_ns_per_delivery", 0),
                c.shown_list("srv_cpu_pct"),
                c.shown("srv_wait_pct", 0),
                c.shown("gen_cpu_pct", 0),
                c.shown("gen_ns_per_delivery", 0),
                c.shown("kib_per_member", 1),
                c.runs.len(),
            );
        }
        out.push('\n');
        ratios(&mut out, &one);
    }
    let many: Vec<Cell<'_>> = lines
        .iter()
        .filter_map(|l| l.get("servers").filter(|s| s.as_str() != "1"))
        .fold(Vec::<&str>::new(), |mut seen, s| {
            if !seen.contains(&s.as_str()) {
                seen.push(s);
            }
            seen
        })
        .into_iter()
        .flat_map(|s| cells(lines, s))
        .collect();
    if !many.is_empty() {
        out.push_str("## Servers sharing the room through Redis\n\n");
        out.push_str(
            "| members | server | servers | deliveries/s | latency p50 us | latency p99 us | CPU % of each server | servers waited % | redis-server CPU % | generator CPU % | runs |\n\
             |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for c in &many {
            let servers = c.runs[0].get("servers").map_or("?", String::as_str);
            let _ = writeln!(
                out,
                "| {} | {} | {servers} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.members,
                c.label,
                c.shown("deliveries_per_s", 0),
                c.shown("p50_us", 0),
                c.shown("p99_us", 0),
                c.shown_list("srv_cpu_pct"),
                c.shown("srv_wait_pct", 0),
                c.shown("redis_cpu_pct", 0),
                c.shown("gen_cpu_pct", 0),
                c.runs.len(),
            );
        }
        out.push('\n');
    }
    out
}

/// The first server's medians over each other one's, per room size.
fn ratios(out: &mut String, cells: &[Cell<'_>]) {
    let Some(first) = cells.first().map(|c| c.label) else {
        return;
    };
    let others: Vec<&str> =
        cells
            .iter()
            .map(|c| c.label)
            .filter(|&l| l != first)
            .fold(Vec::new(), |mut v, l| {
                if !v.contains(&l) {
                    v.push(l);
                }
                v
            });
    if others.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Ratios of medians, {first} / peer (deliveries/s: higher is better; the others: lower is better):\n"
    );
    out.push_str(
        "| members | peer | deliveries/s | latency p50 | latency p99 | server CPU/delivery | KiB/member |\n\
         |---:|---|---:|---:|---:|---:|---:|\n",
    );
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    };
    for ours in cells.iter().filter(|c| c.label == first) {
        for &peer in &others {
            let Some(theirs) = cells
                .iter()
                .find(|c| c.label == peer && c.members == ours.members)
            else {
                continue;
            };
            let r = |key: &str| ratio(ours.median(key), theirs.median(key));
            let _ = writeln!(
                out,
                "| {} | {peer} | {} | {} | {} | {} | {} |",
                ours.members,
                r("deliveries_per_s"),
                r("p50_us"),
                r("p99_us"),
                r("srv_ns_per_delivery"),
                r("kib_per_member"),
            );
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        text.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn medians_and_ratios() {
        let lines = [
            "mode=fanout label=a members=100 servers=1 threads=1 deliveries_per_s=300 srv_ns_per_delivery=10 srv_cpu_pct=90",
            "mode=fanout label=a members=100 servers=1 threads=1 deliveries_per_s=100 srv_ns_per_delivery=30 srv_cpu_pct=80",
            "mode=fanout label=a members=100 servers=1 threads=1 deliveries_per_s=200 srv_ns_per_delivery=20 srv_cpu_pct=70",
            "mode=fanout label=b members=100 servers=1 threads=1 deliveries_per_s=100 srv_ns_per_delivery=40 srv_cpu_pct=99",
            "mode=fanout label=a members=100 servers=2 threads=1 deliveries_per_s=150 srv_cpu_pct=50,60 redis_cpu_pct=20",
        ]
        .map(line);
        let text = render(&lines);
        assert!(text.contains("| 100 | a | 200 (100 - 300) |"), "{text}");
        assert!(
            text.contains("| 100 | b | 2.00 | - | - | 0.50 | - |"),
            "{text}"
        );
        assert!(text.contains("| 100 | a | 2 | 150 |"), "{text}");
        assert!(text.contains("| 50 + 60 | - | 20 |"), "{text}");
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
