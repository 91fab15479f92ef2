//! Real proxy servers for the proxy tests, started on 127.0.0.1 from
//! Debian's packages: tinyproxy (HTTP `CONNECT`, with or without Basic
//! authentication), dante's `danted` (SOCKS5 without authentication) and
//! microsocks (SOCKS5 with username/password).
//!
//! dante checks a SOCKS5 username and password against the system's user
//! database (its `username` method reads the password database; `pam`
//! needs a PAM service file under `/etc/pam.d`), so testing it with
//! credentials would mean adding a system user or a system file. microsocks
//! takes its one user on the command line, so it serves the SOCKS5 tests
//! with credentials instead.
//!
//! # Where the binaries come from
//!
//! The packages (`tinyproxy-bin`, `dante-server` with `libwrap0`, which a
//! minimal system lacks, and `microsocks`) are fetched with `apt-get
//! download`, which needs no root, and unpacked with `dpkg -x` into
//! `target/tmp/proxies/debs/`, once; the binaries then run from there,
//! with `LD_LIBRARY_PATH` pointing at the unpacked libraries. When that
//! fails (no `apt-get`, no network) the system's own binaries are used if
//! installed. If neither works the calling test fails, saying what to
//! install: a proxy test never passes without its proxy.
//!
//! Every wait is bounded: the download, the start (until the port
//! accepts), the stop. Each server runs in a process group of its own
//! (danted forks its workers), which is killed when the [`ProxyServer`]
//! is dropped.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::system::{run_bounded, stop};

/// How long `apt-get download` may take for all the packages.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(180);
/// How long `dpkg -x` may take for one package.
const EXTRACT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a proxy may take to accept connections on its port.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How many times a start is tried (another process may take the free
/// port between our probe and the proxy's bind).
const START_ATTEMPTS: usize = 3;

/// The Debian packages fetched: the binaries and the one library danted
/// needs that a minimal system does not have.
const PACKAGES: &[&str] = &["tinyproxy-bin", "dante-server", "libwrap0", "microsocks"];

/// A proxy server process, killed (with its process group) on drop.
#[derive(Debug)]
pub struct ProxyServer {
    child: Child,
    addr: SocketAddr,
    name: &'static str,
    log: PathBuf,
    dir: PathBuf,
}

impl ProxyServer {
    /// tinyproxy, an HTTP proxy; with `credentials` it demands them with
    /// Basic authentication (its `BasicAuth`), answering 407 otherwise.
    /// Every port may be tunneled to: tinyproxy allows `CONNECT` to any
    /// port when its configuration has no `ConnectPort` line.
    pub fn tinyproxy(credentials: Option<(&str, &str)>) -> ProxyServer {
        let binary = binary(|found| &found.tinyproxy);
        start("tinyproxy", |dir, port| {
            let log = dir.join("tinyproxy.log");
            let mut config = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 64\n\
                 LogLevel Info\nLogFile \"{}\"\nAllow 127.0.0.1\n",
                log.display()
            );
            if let Some((user, password)) = credentials {
                let _ = writeln!(config, "BasicAuth {user} {password}");
            }
            let path = dir.join("tinyproxy.conf");
            fs::write(&path, config)?;
            let mut command = binary.command();
            // -d: in the foreground, as our child.
            command.arg("-d").arg("-c").arg(&path);
            Ok((command, log))
        })
    }

    /// danted, a SOCKS5 proxy without authentication.
    pub fn danted() -> ProxyServer {
        let binary = binary(|found| &found.danted);
        start("danted", |dir, port| {
            let log = dir.join("danted.log");
            let config = format!(
                "logoutput: {}\n\
                 internal: 127.0.0.1 port = {port}\n\
                 external: 127.0.0.1\n\
                 clientmethod: none\n\
                 socksmethod: none\n\
                 client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
                 socks pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }}\n",
                log.display()
            );
            let path = dir.join("danted.conf");
            fs::write(&path, config)?;
            let mut command = binary.command();
            // In the foreground (no -D); -N 1: one mother process.
            command
                .arg("-f")
                .arg(&path)
                .arg("-N")
                .arg("1")
                .arg("-p")
                .arg(dir.join("danted.pid"));
            Ok((command, log))
        })
    }

    /// microsocks, a SOCKS5 proxy that demands `user` and `password`
    /// (RFC 1929).
    pub fn microsocks(user: &str, password: &str) -> ProxyServer {
        let binary = binary(|found| &found.microsocks);
        start("microsocks", |dir, port| {
            let mut command = binary.command();
            command
                .arg("-i")
                .arg("127.0.0.1")
                .arg("-p")
                .arg(port.to_string())
                .arg("-u")
                .arg(user)
                .arg("-P")
                .arg(password);
            Ok((command, dir.join("microsocks.log")))
        })
    }

    /// Which server this is: `tinyproxy`, `danted` or `microsocks`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's log so far, for a failing test's message.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        stop(&mut self.child);
        // A failing test's configuration and log stay for a look.
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Starts a proxy on a free loopback port: `setup` writes its
/// configuration in its directory and returns the command and the log to
/// quote on failure. Panics, with the log, when it does not come up.
fn start<F>(name: &'static str, setup: F) -> ProxyServer
where
    F: Fn(&Path, u16) -> io::Result<(Command, PathBuf)>,
{
    let mut failures = String::new();
    for attempt in 0..START_ATTEMPTS {
        match try_start(name, &setup) {
            Ok(server) => return server,
            Err(e) => {
                let _ = writeln!(failures, "attempt {}: {e}", attempt + 1);
            }
        }
    }
    panic!("could not start {name} on 127.0.0.1:\n{failures}");
}

fn try_start<F>(name: &'static str, setup: &F) -> Result<ProxyServer, String>
where
    F: Fn(&Path, u16) -> io::Result<(Command, PathBuf)>,
{
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let dir = root().join("run").join(format!("{name}-{port}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (mut command, log) = setup(&dir, port).map_err(|e| format!("configuration: {e}"))?;
    let output = dir.join("output.log");
    let out = fs::File::create(&output).map_err(|e| format!("{}: {e}", output.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let child = command
        .spawn()
        .map_err(|e| format!("spawn {command:?}: {e}"))?;
    let mut server = ProxyServer {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        name,
        log: log.clone(),
        dir: dir.clone(),
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!(
                "{name} exited with {status}; output: {}; log: {}",
                fs::read_to_string(&output).unwrap_or_default(),
                fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        if TcpStream::connect_timeout(&server.addr, Duration::from_millis(200)).is_ok() {
            return Ok(server);
        }
        if Instant::now() > deadline {
            let message = format!(
                "{name} did not accept on {} within {START_TIMEOUT:?}; output: {}",
                server.addr,
                fs::read_to_string(&output).unwrap_or_default()
            );
            stop(&mut server.child);
            return Err(message);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A port nobody listens on now.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `target/tmp/proxies`: configurations, logs and the unpacked packages.
fn root() -> PathBuf {
    let tmp = std::env::var_os("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp"));
    tmp.join("proxies")
}

/// A proxy binary and the library directory it runs with.
#[derive(Debug, Clone)]
struct Binary {
    path: PathBuf,
    library_path: Option<PathBuf>,
}

impl Binary {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        if let Some(dir) = &self.library_path {
            command.env("LD_LIBRARY_PATH", dir);
        }
        command
    }
}

#[derive(Debug)]
struct Binaries {
    tinyproxy: Result<Binary, String>,
    danted: Result<Binary, String>,
    microsocks: Result<Binary, String>,
}

/// The binary `pick` chooses, found once per process; panics (failing
/// the test) with what went wrong and what to install.
fn binary(pick: impl FnOnce(&Binaries) -> &Result<Binary, String>) -> Binary {
    // Tests run on parallel threads: the first searches, the others wait
    // for its result.
    static FOUND: OnceLock<Binaries> = OnceLock::new();
    match pick(FOUND.get_or_init(find_binaries)) {
        Ok(binary) => binary.clone(),
        Err(e) => panic!(
            "a proxy server is not available: {e}\n\
             The proxies are fetched with `apt-get download {}` (Debian or \
             Ubuntu, with current apt lists and the mirror reachable) into \
             {}; or install the packages tinyproxy, dante-server and \
             microsocks.",
            PACKAGES.join(" "),
            root().join("debs").display()
        ),
    }
}

fn find_binaries() -> Binaries {
    let unpacked = unpack_packages();
    let library_path = unpacked.as_deref().ok().and_then(find_library_dir);
    let find = |relative: &str, system: &[&str]| -> Result<Binary, String> {
        let binary = match &unpacked {
            Ok(dir) if dir.join(relative).is_file() => Binary {
                path: dir.join(relative),
                library_path: library_path.clone(),
            },
            _ => {
                let path = system.iter().map(PathBuf::from).find(|p| p.is_file());
                let Some(path) = path else {
                    let why = match &unpacked {
                        Ok(_) => format!("{relative} is not in the packages"),
                        Err(e) => e.clone(),
                    };
                    return Err(format!("{why}; none of {system:?} is installed"));
                };
                Binary {
                    path,
                    library_path: None,
                }
            }
        };
        check_libraries(&binary)?;
        Ok(binary)
    };
    Binaries {
        tinyproxy: find(
            "usr/bin/tinyproxy",
            &["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"],
        ),
        danted: find("usr/sbin/danted", &["/usr/sbin/danted", "/usr/sbin/sockd"]),
        microsocks: find("usr/bin/microsocks", &["/usr/bin/microsocks"]),
    }
}

/// Downloads and unpacks [`PACKAGES`] into `target/tmp/proxies/debs/root`,
/// unless done before; returns that directory.
fn unpack_packages() -> Result<PathBuf, String> {
    let debs = root().join("debs");
    let unpacked = debs.join("root");
    let done = debs.join("unpacked");
    if done.is_file() && unpacked.is_dir() {
        return Ok(unpacked);
    }
    let _ = fs::remove_dir_all(&debs);
    let download = debs.join("download");
    fs::create_dir_all(&download).map_err(|e| format!("{}: {e}", download.display()))?;
    let apt = |private: &[String], args: &[&str]| {
        let mut command = Command::new("apt-get");
        command
            .args(["-q", "-o", "Acquire::http::Timeout=30"])
            .args(private)
            .args(args)
            .current_dir(&download);
        run_bounded(&mut command, DOWNLOAD_TIMEOUT)
    };
    let mut download_args = vec!["download"];
    download_args.extend(PACKAGES);
    if apt(&[], &download_args).is_err() {
        // A fresh machine may have no package lists yet (and the tests run
        // without root): fetch the system's sources' lists into a
        // directory of our own, then download with those.
        let lists = debs.join("lists");
        let cache = debs.join("cache");
        fs::create_dir_all(lists.join("partial")).map_err(|e| e.to_string())?;
        fs::create_dir_all(cache.join("archives/partial")).map_err(|e| e.to_string())?;
        let private = [
            format!("Dir::State::Lists={}", lists.display()),
            format!("Dir::Cache={}", cache.display()),
            "Dir::Cache::pkgcache=".to_owned(),
            "Dir::Cache::srcpkgcache=".to_owned(),
        ]
        .into_iter()
        .flat_map(|option| ["-o".to_owned(), option])
        .collect::<Vec<_>>();
        apt(&private, &["update"])?;
        apt(&private, &download_args)?;
    }
    let staging = debs.join("staging");
    fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    let entries = fs::read_dir(&download).map_err(|e| e.to_string())?;
    let mut count = 0;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "deb") {
            let mut command = Command::new("dpkg");
            command.arg("-x").arg(&path).arg(&staging);
            run_bounded(&mut command, EXTRACT_TIMEOUT)?;
            count += 1;
        }
    }
    if count < PACKAGES.len() {
        return Err(format!(
            "apt-get download gave {count} of the {} packages",
            PACKAGES.len()
        ));
    }
    fs::rename(&staging, &unpacked).map_err(|e| e.to_string())?;
    fs::write(&done, PACKAGES.join("\n")).map_err(|e| e.to_string())?;
    Ok(unpacked)
}

/// The unpacked directory that holds `libwrap.so.0` (multiarch path).
fn find_library_dir(root: &Path) -> Option<PathBuf> {
    ["usr/lib", "lib"].iter().find_map(|base| {
        fs::read_dir(root.join(base))
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|dir| dir.join("libwrap.so.0").exists())
    })
}

/// Fails when `ldd` reports a library the binary cannot find.
fn check_libraries(binary: &Binary) -> Result<(), String> {
    let mut command = Command::new("ldd");
    command.arg(&binary.path);
    if let Some(dir) = &binary.library_path {
        command.env("LD_LIBRARY_PATH", dir);
    }
    // No ldd (not glibc): the start will tell.
    let Ok(output) = run_bounded(&mut command, EXTRACT_TIMEOUT) else {
        return Ok(());
    };
    let missing: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("not found"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} lacks libraries: {}",
            binary.path.display(),
            missing.join("; ")
        ))
    }
}
