//! A Redis server for the chat's cluster test (`tests/chat_cluster.rs`):
//! Debian's `redis-server` (installed through [`crate::system`] when it is
//! missing), on a free loopback port, with no persistence and a temporary
//! directory of its own. The test can kill it (SIGKILL, as a crash would)
//! and start it again on the same port; it is stopped on drop. Every wait
//! is bounded.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::system::{program, stop};

/// How long a start may take, until the server answers PING.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How many free ports a first start tries (another process may take the
/// port between our probe and the server's bind).
const START_ATTEMPTS: usize = 3;

/// A `redis-server` process on 127.0.0.1, killed with its process group
/// on drop.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port; panics, saying why,
    /// when it cannot be had or does not answer within 20 s.
    pub fn start() -> RedisServer {
        let binary = program("REDIS_SERVER", &["redis-server"], &["redis-server"]);
        static N: AtomicUsize = AtomicUsize::new(0);
        let tmp = std::env::var_os("CARGO_TARGET_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = tmp.join(format!(
            "redis-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).expect("the Redis server's directory");
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let mut server = RedisServer {
                binary: binary.clone(),
                dir: dir.clone(),
                port,
                child: None,
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => failures.push(e),
            }
        }
        panic!("redis-server did not start: {}", failures.join("; "))
    }

    /// The URL the chat's `--redis` takes.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Kills the server with SIGKILL (no goodbye to its clients, as in a
    /// crash) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }

    /// Starts the server again on the same port, empty (nothing is saved);
    /// panics if it does not answer within 20 s.
    pub fn restart(&mut self) {
        self.kill();
        if let Err(e) = self.spawn() {
            panic!(
                "redis-server did not start again on port {}: {e}",
                self.port
            );
        }
    }

    /// Spawns the server on `self.port` and waits until it answers PING.
    fn spawn(&mut self) -> Result<(), String> {
        let log = self.dir.join("redis.log");
        let out = fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut child = Command::new(&self.binary)
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if ping(self.addr()) {
                self.child = Some(child);
                return Ok(());
            }
            let exited = matches!(child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                stop(&mut child);
                let output = fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "{} on port {}: {}: {output}",
                    self.binary.display(),
                    self.port,
                    if exited {
                        "exited"
                    } else {
                        "no answer to PING"
                    }
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// Whether a Redis server at `addr` answers PING with `+PONG` within 1 s.
fn ping(addr: SocketAddr) -> bool {
    let limit = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, limit) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(limit));
    let _ = stream.set_write_timeout(Some(limit));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0; 7];
    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}
