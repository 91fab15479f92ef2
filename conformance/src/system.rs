//! The programs some tests drive (Chromium and chromedriver, Python with
//! pip, Node with npm): found on `PATH`, or installed from Debian's
//! packages when they are missing, so that `cargo test --workspace` passes
//! on a machine that has only the Rust toolchain.
//!
//! Installing needs root or password-less `sudo` and a reachable package
//! mirror; without them the calling test fails and says what to install:
//! a test never passes without the program it drives. Every command here
//! is bounded in time and killed, with its process group, past its limit.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long `apt-get update` may take.
const UPDATE_TIMEOUT: Duration = Duration::from_secs(600);
/// How long `apt-get install` may take (Chromium is a large package).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(1200);

/// Installs run one at a time within a test process; apt's own lock
/// (waited for, not failed on) orders them between processes.
static INSTALLING: Mutex<()> = Mutex::new(());

/// The program a test needs: the path in the environment variable `var`
/// when set, else the first of `names` on `PATH`, else the first of
/// `names` after installing the Debian `packages`. Panics, saying what to
/// install, when it cannot be had.
pub fn program(var: &str, names: &[&str], packages: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    if let Some(path) = find(names) {
        return path;
    }
    let installed = install(packages);
    find(names).unwrap_or_else(|| {
        panic!(
            "{} not found on PATH, and installing Debian's {} {}: install them, or set {var}",
            names[0],
            packages.join(" "),
            match installed {
                Ok(()) => "did not provide it".to_owned(),
                Err(e) => format!("failed ({e})"),
            },
        )
    })
}

/// Makes sure `present` holds, installing the Debian `packages` if it does
/// not; panics, saying what `what` needs, when it still does not.
pub fn require(what: &str, present: impl Fn() -> bool, packages: &[&str]) {
    if present() {
        return;
    }
    let installed = install(packages);
    assert!(
        present(),
        "{what} is missing, and installing Debian's {} {}",
        packages.join(" "),
        match installed {
            Ok(()) => "did not provide it".to_owned(),
            Err(e) => format!("failed ({e})"),
        },
    );
}

/// Whether `command` runs and exits with success within 60 s.
pub fn succeeds(command: &mut Command) -> bool {
    run_bounded(command, Duration::from_secs(60)).is_ok()
}

/// The first of `names` found in a directory of `PATH`.
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// `apt-get update`, then `apt-get install` of `packages`, as root or
/// through `sudo -n`.
fn install(packages: &[&str]) -> Result<(), String> {
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let mut id = Command::new("id");
    id.arg("-u");
    let as_root = run_bounded(&mut id, Duration::from_secs(10)).is_ok_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if as_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command
            .args(["-q", "-y", "-o", "DPkg::Lock::Timeout=300"])
            .args(["-o", "Acquire::http::Timeout=30"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    eprintln!("installing Debian's {} for this test", packages.join(" "));
    run_bounded(&mut apt(&["update"]), UPDATE_TIMEOUT)?;
    let mut args = vec!["install", "--no-install-recommends"];
    args.extend(packages);
    run_bounded(&mut apt(&args), INSTALL_TIMEOUT).map(drop)
}

/// Where the commands' output is kept while they run.
fn output_dir() -> PathBuf {
    let tmp = std::env::var_os("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp"));
    tmp.join("commands")
}

/// Kills `child`'s process group (it leads one of its own), then reaps it.
pub(crate) fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // The group's id is the child's: `process_group(0)` at spawn.
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{}", child.id()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `command` to completion within `limit`, killing it past that;
/// returns its standard output, or why it failed.
pub(crate) fn run_bounded(command: &mut Command, limit: Duration) -> Result<String, String> {
    let dir = output_dir();
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let program = format!("{command:?}");
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let out_path = dir.join(format!("cmd-{}-{run}.out", std::process::id()));
    let out = fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let spawned = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let _ = fs::remove_file(&out_path);
            return Err(format!("{program}: {e}"));
        }
    };
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() > deadline => {
                stop(&mut child);
                return Err(format!("{program} took more than {limit:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("{program}: {e}")),
        }
    };
    let output = fs::read_to_string(&out_path).unwrap_or_default();
    let _ = fs::remove_file(&out_path);
    if status.success() {
        Ok(output)
    } else {
        Err(format!("{program} failed with {status}: {output}"))
    }
}
