//! What the client's end-to-end tests share: the real `tcp-client`, a listener the test owns
//! (so it sees exactly what the client sends), `nc -l` as a real server, and output as text.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};

use testkit::{ChildGuard, Lines, STEP_TIMEOUT, binary};

/// The real `tcp-client` connecting to `addr`, with `extra` arguments and no stdin.
pub fn tcp_client(addr: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(binary("tcp-client"));
    command.args(["--connect", addr]).args(extra);
    command.stdin(Stdio::null());
    command
}

/// A listener the test owns on a free loopback port, with its address as `IP:PORT`.
pub fn test_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().expect("its address").to_string();
    (listener, addr)
}

/// Bytes a process printed, as text (invalid UTF-8 shown as U+FFFD).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `nc -l` playing the server on loopback; killed when dropped.
pub struct Netcat {
    /// Where it listens, as `127.0.0.1:PORT`.
    pub addr: String,
    /// What it printed on stdout: the lines the client sent.
    pub stdout: Lines,
    _process: ChildGuard,
}

/// Starts `nc -l` on a free loopback port with `reply` queued on its stdin, and waits until
/// it names its port.
///
/// -l: listen, on port 0 (any free port); -v: print that port on stderr, our readiness
/// signal; -n: numeric addresses; -N: FIN at the end of stdin. nc -l quits as soon as the
/// client half-closes, so its reply is queued up front.
pub fn netcat_listening(reply: &[u8]) -> Netcat {
    let mut nc = Command::new("nc");
    nc.args(["-lvnN", "127.0.0.1", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut nc = ChildGuard(nc.spawn().expect("start nc"));
    let mut nc_in = nc.0.stdin.take().expect("piped");
    nc_in.write_all(reply).expect("queue the reply");
    drop(nc_in);
    let nc_stderr = Lines::collect(nc.0.stderr.take().expect("piped"));
    let stdout = Lines::collect(nc.0.stdout.take().expect("piped"));
    let listening = nc_stderr.wait_for("Listening on", STEP_TIMEOUT);
    let port = listening
        .rsplit(' ')
        .next()
        .expect("nc names its port last");
    Netcat {
        addr: format!("127.0.0.1:{port}"),
        stdout,
        _process: nc,
    }
}
