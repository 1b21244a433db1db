//! Helpers for the lessons' end-to-end tests: run the real binaries, never sleep.
//!
//! The pattern every lesson's tests follow:
//!
//! 1. [`Server::start`] runs a server binary on `127.0.0.1:0` (or `[::1]:0`) and returns as
//!    soon as it printed `listening on ADDR`: the address it really bound. No fixed sleep, so
//!    the tests are fast when the machine is fast and still correct when it is slow.
//! 2. The test talks to it: with a socket of its own ([`connect`]), or with the real client
//!    binary ([`binary`] gives its path).
//! 3. Every wait has a deadline ([`STEP_TIMEOUT`]), so a broken server fails one test quickly
//!    instead of hanging CI; the server process is killed when the [`Server`] is dropped,
//!    whether the test passed or panicked.
//!
//! # Why [`binary`] runs cargo
//!
//! Cargo tells a test where a binary is only when it belongs to the test's own package, and
//! a guessed path could hold a stale binary; so [`binary`] asks cargo to build it, once per
//! test process, with the test's profile. [`binaries`] explains this in full; the
//! guided tour uses it too.
//!
//! These helpers belong to tests, where a panic *is* the failure report, so they panic with a
//! message instead of returning errors.

pub mod binaries;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use common::LISTENING_PREFIX;

/// The longest any single step of a test may wait: a connect, a reply, a process exit.
///
/// Generous, because CI machines are slow and shared; a healthy step takes milliseconds.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The path of the binary `name`, from whichever workspace package has it.
///
/// Builds it first (see the module documentation for why), so it works from any package's
/// tests and never runs a stale binary.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());

    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let path = crate::binaries::build(&[name], true)
        .unwrap_or_else(|e| panic!("{e:#}"))
        .into_iter()
        .next()
        .expect("one path per name");
    built.insert(name.to_owned(), path.clone());
    path
}

/// The path of the example `example` of the workspace package `package` (each lesson's
/// notes version is one: `example("tcp-server", "notes-tcp-server")`), built as [`binary`]
/// builds a binary.
pub fn example(package: &str, example: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());

    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(path) = built.get(example) {
        return path.clone();
    }
    let path =
        crate::binaries::build_example(package, example, true).unwrap_or_else(|e| panic!("{e:#}"));
    built.insert(example.to_owned(), path.clone());
    path
}

/// Lines a child process printed, collected by a background thread as they arrive.
#[derive(Debug, Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    /// Starts a thread that reads `source` line by line (lossy UTF-8) into a new `Lines`.
    pub fn collect(source: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let sink = lines.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(source);
            let mut line = Vec::new();
            while let Ok(n) = reader.read_until(b'\n', &mut line) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&line);
                sink.push(text.trim_end_matches(['\r', '\n']).to_owned());
                line.clear();
            }
        });
        lines
    }

    fn push(&self, line: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    /// Every line so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until a line containing `needle` has been printed, and returns it.
    ///
    /// Panics after `timeout`, showing every line printed so far.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.snapshot().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no line containing {needle:?} within {timeout:?}; printed so far:\n{}",
                self.snapshot().join("\n")
            );
            // Polling a shared Vec: cheap, and the delay bounds how late we notice a line.
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A server binary running for the length of one test; killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
    /// What the server printed on stdout (its log), line by line.
    pub stdout: Lines,
    /// What the server printed on stderr (its errors), line by line.
    pub stderr: Lines,
}

impl Server {
    /// Runs the binary `name` with `args` and waits for its `listening on ADDR` line.
    ///
    /// Pass the address in `args` (for example `["--listen", "127.0.0.1:0"]`): port 0 lets
    /// the OS choose a free port, so tests never collide, and the line tells which one.
    pub fn start(name: &str, args: &[&str]) -> Server {
        let mut command = Command::new(binary(name));
        command.args(args);
        Server::start_command(command)
    }

    /// Runs the example `example` of `package` (a notes version) with `args`, and waits for
    /// its `listening on ADDR` line, as [`Server::start`] does.
    pub fn start_example(package: &str, example: &str, args: &[&str]) -> Server {
        let mut command = Command::new(crate::example(package, example));
        command.args(args);
        Server::start_command(command)
    }

    /// Runs `command` (program, arguments, folder set by the caller) as a server, and waits
    /// for its `listening on ADDR` line, as [`Server::start`] does.
    pub fn start_command(mut command: Command) -> Server {
        let name = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start `{name}`: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = Lines::collect(child.stderr.take().expect("stderr is piped"));

        // Read the first line here (not in `Lines`) so a server that exits early is noticed.
        let (first_tx, first_rx) = mpsc::channel();
        let stdout_lines = Lines::default();
        let sink = stdout_lines.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let got = reader.read_line(&mut first).map(|n| n > 0).unwrap_or(false);
            let first = first.trim_end().to_owned();
            sink.push(first.clone());
            // The test may have given up already; then nobody listens, and that is fine.
            let _ = first_tx.send(got.then_some(first));
            for line in reader.split(b'\n').map_while(Result::ok) {
                let text = String::from_utf8_lossy(&line);
                sink.push(text.trim_end_matches('\r').to_owned());
            }
        });

        let mut server = Server {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            stdout: stdout_lines,
            stderr,
        };
        let first = wait_first_line(&first_rx);
        let Some(addr) = first
            .as_deref()
            .and_then(|line| line.strip_prefix(LISTENING_PREFIX))
            .and_then(|addr| addr.parse().ok())
        else {
            let _ = server.child.kill();
            let _ = server.child.wait();
            panic!(
                "`{name}` did not print `{LISTENING_PREFIX}ADDR` first; stdout began with {first:?}; stderr:\n{}",
                server.stderr.snapshot().join("\n")
            );
        };
        server.addr = addr;
        server
    }

    /// The address the server really bound (the port the OS chose for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's process id, e.g. to look at `/proc/PID/status` on Linux.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the server to exit on its own and returns whether it succeeded.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("can query the child") {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "server still running after {timeout:?}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server at once (like a crash or `kill -9`), and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_first_line(rx: &Receiver<Option<String>>) -> Option<String> {
    rx.recv_timeout(STEP_TIMEOUT).ok().flatten()
}

/// Connects to `addr` with every blocking step bounded by [`STEP_TIMEOUT`].
pub fn connect(addr: impl ToSocketAddrs) -> TcpStream {
    let addr = addr
        .to_socket_addrs()
        .expect("a valid address")
        .next()
        .expect("at least one address");
    let stream = TcpStream::connect_timeout(&addr, STEP_TIMEOUT)
        .unwrap_or_else(|e| panic!("could not connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    stream
        .set_write_timeout(Some(STEP_TIMEOUT))
        .expect("can set a write timeout");
    stream
}

/// Whether this machine has IPv6 loopback (`::1`); some containers and CI runners do not.
pub fn ipv6_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// Whether a program can be started from `PATH` (for tests against real peers like `nc`).
///
/// Returns false when it is missing, unless `CI` is set: CI installs every peer the tests
/// use, so there a missing one is a failure, not a reason to skip.
pub fn have_program(program: &str, version_args: &[&str]) -> bool {
    let found = Command::new(program)
        .args(version_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "`{program}` is missing on CI: .ci/run must install it"
        );
        eprintln!("skipping: `{program}` is not installed");
    }
    found
}

/// Accepts one connection on `listener`, failing the test after [`STEP_TIMEOUT`].
///
/// For tests that play the server themselves, to check what a client really sends.
pub fn accept(listener: &std::net::TcpListener) -> TcpStream {
    listener
        .set_nonblocking(true)
        .expect("can make the listener non-blocking");
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .expect("can make the stream blocking");
                stream
                    .set_read_timeout(Some(STEP_TIMEOUT))
                    .expect("can set a read timeout");
                stream
                    .set_write_timeout(Some(STEP_TIMEOUT))
                    .expect("can set a write timeout");
                return stream;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "no connection within {STEP_TIMEOUT:?}"
                );
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

/// A command running in the background, its output collected as it comes; killed on drop.
///
/// For a client binary that must run *while* the test plays the server.
#[derive(Debug)]
pub struct Running {
    child: Child,
    stdout: Receiver<Vec<u8>>,
    stderr: Receiver<Vec<u8>>,
}

impl Running {
    /// Starts `command` with stdout and stderr captured (stdin is left as configured).
    pub fn spawn(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {command:?}: {e}"));
        let stdout = read_all_in_background(child.stdout.take().expect("stdout is piped"));
        let stderr = read_all_in_background(child.stderr.take().expect("stderr is piped"));
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// The child's stdin, when the command was given `Stdio::piped()` for it.
    pub fn stdin(&mut self) -> Option<std::process::ChildStdin> {
        self.child.stdin.take()
    }

    /// Waits for the command to exit (at most [`STEP_TIMEOUT`]) and returns its output.
    pub fn finish(self) -> std::process::Output {
        self.finish_within(STEP_TIMEOUT)
    }

    /// Kills the command at once (like a crash or `kill -9`), and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the command to exit (at most `timeout`, for a step known to be long) and
    /// returns its output.
    pub fn finish_within(mut self, timeout: Duration) -> std::process::Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("can query the child") {
                break status;
            }
            if Instant::now() >= deadline {
                self.child.kill().ok();
                panic!("{:?} still running after {timeout:?}", self.child);
            }
            thread::sleep(Duration::from_millis(5));
        };
        let stdout = self.stdout.recv_timeout(STEP_TIMEOUT).unwrap_or_default();
        let stderr = self.stderr.recv_timeout(STEP_TIMEOUT).unwrap_or_default();
        std::process::Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_all_in_background(mut source: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = source.read_to_end(&mut all);
        let _ = tx.send(all);
    });
    rx
}

/// A child process that is killed and reaped when the guard is dropped, pass or fail.
///
/// For real peers such as `nc -l` that a test starts by hand.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a directory holds: each entry's name, length and modification time.
///
/// Taken before and after a step, it shows that nothing else in the directory changed: no
/// stray file appeared, no existing file was touched.
pub type Listing = std::collections::BTreeMap<String, (u64, std::time::SystemTime)>;

/// Lists `dir` (not following symbolic links) as a [`Listing`].
pub fn listing(dir: &std::path::Path) -> Listing {
    std::fs::read_dir(dir)
        .expect("can list the directory")
        .map(|entry| {
            let entry = entry.expect("a readable entry");
            let meta = std::fs::symlink_metadata(entry.path()).expect("entry metadata");
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, (meta.len(), meta.modified().expect("mtime")))
        })
        .collect()
}
