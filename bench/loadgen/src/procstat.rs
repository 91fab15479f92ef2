//! CPU time and memory of a process, from `/proc`.

use std::fs;

/// User and system CPU time of a process (all its threads, live and
/// exited), in seconds, from fields 14 and 15 of `/proc/PID/stat`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cpu {
    /// Time in user space, seconds.
    pub user: f64,
    /// Time in the kernel on the process's behalf, seconds.
    pub sys: f64,
}

impl Cpu {
    /// User plus system time, seconds.
    pub fn total(&self) -> f64 {
        self.user + self.sys
    }

    /// The time spent between `earlier` and this reading.
    pub fn since(&self, earlier: &Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            sys: self.sys - earlier.sys,
        }
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// The CPU time of process `pid` ("self" or a number) so far.
pub fn cpu(pid: &str) -> Result<Cpu, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // The command name (field 2) may hold spaces: count from its ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| format!("{path}: no ')'"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> Result<f64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .map(|t| t as f64)
            .ok_or_else(|| format!("{path}: bad field {}", i + 3))
    };
    let tck = clock_ticks();
    // After ')', index 0 is field 3 (state): utime is field 14, stime 15.
    Ok(Cpu {
        user: field(11)? / tck,
        sys: field(12)? / tck,
    })
}

/// Resident set size in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: &str) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path}: no VmRSS"))
}

/// How long the threads of process `pid` ("self" or a number) have been
/// runnable but waiting for a CPU, in seconds: the second field of each
/// `/proc/PID/task/TID/schedstat` (nanoseconds), summed over the live
/// threads. Over a window, time that other processes took from it: a
/// server that waited much was held back by the machine, not by itself.
pub fn run_queue_wait(pid: &str) -> Result<f64, String> {
    let dir = format!("/proc/{pid}/task");
    let tasks = fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut nanos: u64 = 0;
    for task in tasks {
        let path = task
            .map_err(|e| format!("{dir}: {e}"))?
            .path()
            .join("schedstat");
        // A thread that has just exited has no file any more: not counted.
        let Ok(stat) = fs::read_to_string(&path) else {
            continue;
        };
        let wait = stat
            .split_whitespace()
            .nth(1)
            .and_then(|f| f.parse::<u64>().ok())
            .ok_or_else(|| format!("{}: no wait time", path.display()))?;
        nanos = nanos.saturating_add(wait);
    }
    Ok(nanos as f64 / 1e9)
}
