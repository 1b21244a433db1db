//! The notes' server (`examples/notes-tcp-server.rs`): it works with the real client and
//! with `nc`, and each weakness named in its comments happens here, beside the hardened
//! `tcp-server` handling the same situation (the pattern of the classroom's spot-the-bug).

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use testkit::{STEP_TIMEOUT, Server, binary, connect, have_program};

mod support;

use support::{netcat, start};

fn notes_server() -> Server {
    Server::start_example("tcp-server", "notes-tcp-server", &["127.0.0.1:0"])
}

/// Reads one reply line (with its newline).
fn reply_line(stream: &TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    BufReader::new(stream)
        .read_until(b'\n', &mut line)
        .expect("a reply");
    line
}

/// Waits until `needle` appears in `count` lines of the server's log.
fn wait_for_lines(server: &Server, needle: &str, count: usize) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let seen = server
            .stdout
            .snapshot()
            .iter()
            .filter(|line| line.contains(needle))
            .count();
        if seen >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{seen} of {count} lines contain {needle:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The number of threads of process `pid`, from `/proc` (Linux only).
#[cfg(target_os = "linux")]
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Threads: line")
}

#[test]
fn notes_server_answers_the_real_client() {
    let server = notes_server();
    let output = Command::new(binary("tcp-client"))
        .args(["--connect", &server.addr().to_string()])
        .args(["--message", "hello", "--message", "straße 你好"])
        .timeout(STEP_TIMEOUT)
        .output()
        .expect("run tcp-client");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, "HELLO\nSTRASSE 你好\n".as_bytes());
}

#[test]
fn notes_server_answers_netcat() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    let server = notes_server();
    // -N: half-close after the end of stdin; the server reads 0 and closes, so nc ends.
    let output = netcat(&server, "from nc\n");
    assert!(output.status.success());
    assert_eq!(output.stdout, b"FROM NC\n");
}

// ANCHOR: one_read
#[test]
fn notes_server_takes_one_read_as_one_message() {
    let line = "你好\n".as_bytes(); // 你 is 3 bytes in UTF-8: e4 bd a0
    let (first, rest) = line.split_at(2); // cut inside 你, as TCP may cut it

    let notes = notes_server();
    let mut peer = connect(notes.addr());
    peer.write_all(first).expect("send");
    // The notes' server answers the two bytes at once, as if they were a whole message...
    let mut reply = [0; 64];
    let n = peer
        .read(&mut reply)
        .expect("an answer to half a character");
    assert_eq!(&reply[..n], "\u{FFFD}".as_bytes());
    peer.write_all(rest).expect("send");
    // ...and the rest of the character is mangled too: 你 is lost.
    assert_eq!(reply_line(&peer), "\u{FFFD}好\n".as_bytes());

    // The hardened server waits for the end of the line, then answers it whole.
    let hardened = start(&[]);
    let mut peer = connect(hardened.addr());
    peer.write_all(first).expect("send");
    peer.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("a short timeout");
    let early = peer.read(&mut reply).expect_err("no answer to half a line");
    assert!(matches!(
        early.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    peer.set_read_timeout(Some(STEP_TIMEOUT)).expect("timeout");
    peer.write_all(rest).expect("send");
    assert_eq!(reply_line(&peer), "你好\n".as_bytes());
}
// ANCHOR_END: one_read

#[test]
fn notes_server_keeps_a_silent_client_for_ever() {
    let notes = notes_server();
    let silent = connect(notes.addr());
    notes.stdout.wait_for("connected", STEP_TIMEOUT);
    // Twice the hardened server's deadline below, and the connection is still open.
    silent
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let still_open = (&silent).read(&mut [0; 16]).expect_err("no FIN, no data");
    assert!(matches!(
        still_open.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));

    // The hardened server hangs up after --idle-timeout and says why.
    let hardened = start(&["--idle-timeout", "1"]);
    let silent = connect(hardened.addr());
    let mut rest = Vec::new();
    (&silent)
        .read_to_end(&mut rest)
        .expect("FIN from the server");
    hardened
        .stdout
        .wait_for("disconnected: timed out: no progress for 1 s", STEP_TIMEOUT);
}

#[test]
fn notes_server_gives_every_client_a_thread_without_a_cap() {
    const CLIENTS: usize = 30;
    let notes = notes_server();
    let _clients: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(notes.addr())).collect();
    wait_for_lines(&notes, "connected", CLIENTS);
    #[cfg(target_os = "linux")]
    assert!(threads(notes.pid()) > CLIENTS, "a thread per client");

    // The hardened server serves --max-clients and tells the next one it is busy.
    let hardened = start(&["--max-clients", "5"]);
    let _served: Vec<TcpStream> = (0..5).map(|_| connect(hardened.addr())).collect();
    wait_for_lines(&hardened, "connected", 5);
    let sixth = connect(hardened.addr());
    assert!(reply_line(&sixth).starts_with(b"busy: the server is serving 5 clients"));
    #[cfg(target_os = "linux")]
    assert!(threads(hardened.pid()) <= 1 + 5, "main thread + 5 clients");
}

/// Runs `program args` with at most `fds` open file descriptors (a soft limit of the shell).
#[cfg(unix)]
fn with_fd_limit(fds: u32, program: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", &format!("ulimit -n {fds} && exec \"$0\" \"$@\"")])
        .arg(program)
        .args(args);
    command
}

#[cfg(unix)]
#[test]
fn notes_server_stops_when_one_accept_fails() {
    // 16 descriptors: stdin, stdout, stderr, the listener, and room for about 12 clients.
    const CLIENTS: usize = 30;
    let notes_path = testkit::example("tcp-server", "notes-tcp-server");
    let mut notes = Server::start_command(with_fd_limit(16, &notes_path, &["127.0.0.1:0"]));
    let first = connect(notes.addr());
    // Connect until the server is gone: once it has exited, a connect is refused.
    let _others: Vec<TcpStream> = (1..CLIENTS)
        .map_while(|_| TcpStream::connect_timeout(&notes.addr(), STEP_TIMEOUT).ok())
        .collect();
    // The 13th accept or so fails with "too many open files", and the whole server ends...
    assert!(!notes.wait_exit(STEP_TIMEOUT), "exits with an error");
    notes.stderr.wait_for("Too many open files", STEP_TIMEOUT);
    // ...taking the clients it was serving with it.
    let _ = (&first).write_all(b"anyone?\n");
    let mut rest = Vec::new();
    let cut_off = (&first).read_to_end(&mut rest);
    assert!(cut_off.is_err() || rest.is_empty(), "no answer: {rest:?}");

    // The hardened server logs the failure, keeps serving, and accepts again once a
    // descriptor is free.
    let hardened_path = binary("tcp-server");
    let hardened = Server::start_command(with_fd_limit(
        16,
        &hardened_path,
        &["--listen", "127.0.0.1:0"],
    ));
    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(hardened.addr())).collect();
    hardened
        .stdout
        .wait_for("accept failed: Too many open files", STEP_TIMEOUT);
    // While it keeps failing, the server waits longer between tries (5 ms, 10 ms, ...).
    hardened.stdout.wait_for("next try in 10ms", STEP_TIMEOUT);
    (&clients[0]).write_all(b"still here\n").expect("send");
    assert_eq!(reply_line(&clients[0]), b"STILL HERE\n");
    let last = clients.pop().expect("30 clients");
    clients.clear(); // 29 clients leave: their descriptors are freed
    (&last).write_all(b"late\n").expect("send");
    assert_eq!(reply_line(&last), b"LATE\n");
}
