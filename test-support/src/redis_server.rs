//! A real `redis-server` (Debian's package; `.ci/run` installs it) on a
//! free loopback port, for the tests of `--coordination`. Nothing is
//! persisted; the server is killed when dropped.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` (or one killed by the test).
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers.
    /// Panics, naming the fix, when `redis-server` is not installed.
    pub fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free loopback port: {e}"));
        let mut s = RedisServer { child: None, port };
        s.restart();
        s
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port (empty), and waits until it
    /// answers.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--rdbcompression", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run redis-server ({e}): install it (apt-get install -y redis-server)"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.command(&["PING"]).as_deref() != Some("+PONG\r\n") {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one command and returns the raw RESP answer, or `None` when the
    /// server cannot be reached.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).ok()?;
        s.shutdown(std::net::Shutdown::Write).ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    /// Every key now in the server (by `SCAN`) with its serialized value
    /// (`DUMP`, uncompressed) as text: what Redis holds, for leak checks.
    pub fn contents(&self) -> Vec<(String, String)> {
        let mut cursor = "0".to_string();
        let mut keys = Vec::new();
        loop {
            let answer = self.command(&["SCAN", &cursor, "COUNT", "1000"]);
            let mut lines = answer.as_deref().unwrap_or("").split("\r\n");
            // `*2`, `$n`, the cursor, `*N`, then `$len` and the name N times.
            cursor = lines.nth(2).unwrap_or("0").to_string();
            let n: usize = lines
                .next()
                .and_then(|l| l.strip_prefix('*'))
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            keys.extend((0..n).filter_map(|_| lines.nth(1).map(str::to_string)));
            if cursor == "0" {
                break;
            }
        }
        keys.into_iter()
            .map(|k| {
                let v = self.command(&["DUMP", &k]).unwrap_or_default();
                (k, v)
            })
            .collect()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
