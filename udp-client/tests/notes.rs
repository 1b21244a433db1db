//! The notes version (`examples/notes-udp-client.rs`) against real partners (the lesson's
//! `udp-server`, `nc -u -l`), and each of its named weaknesses made to happen, next to the
//! hardened `udp-client` handling the same situation.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{ChildGuard, Running, STEP_TIMEOUT, Server, example, have_program, ipv6_available};

mod support;

use support::{receive, run_typing, test_server, text, udp_client, udp_server};

fn notes_client(args: &[&str]) -> Command {
    let mut command = Command::new(example("udp-client", "notes-udp-client"));
    command.args(args).stdin(Stdio::null());
    command
}

#[test]
fn notes_client_talks_to_the_lesson_server() {
    let server = udp_server(&[]);
    let addr = server.addr().to_string();
    let output = Running::spawn(&mut notes_client(&[&addr, "hello"])).finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "HELLO\n");
    // With no MESSAGE, each typed line is one datagram.
    let output = run_typing(notes_client(&[&addr]), "one\nstraße\n".as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "ONE\nSTRASSE\n");
}

#[test]
fn notes_client_dials_ipv6_as_go_dial_does() {
    // `net.Dial("udp", "[::1]:port")` works in Go: the notes client binds a socket of the
    // server's family, so an IPv4 socket never tries to reach an IPv6 address.
    if !ipv6_available() {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    }
    let server = Server::start("udp-server", &["--listen", "[::1]:0"]);
    let addr = server.addr().to_string();
    let output = Running::spawn(&mut notes_client(&[&addr, "six"])).finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "SIX\n");
}

#[test]
fn notes_client_talks_to_nc() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    // nc plays the server: `-l` waits for the first datagram, then answers its sender with
    // what is typed on nc's stdin. `-v` says "Bound on" once its socket is ready.
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free loopback port")
        .port()
        .to_string();
    let mut nc = ChildGuard(
        Command::new("nc")
            .args(["-v", "-u", "-l", "127.0.0.1", &port])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nc starts"),
    );
    let stderr = nc.0.stderr.take().expect("stderr is piped");
    let stdout = nc.0.stdout.take().expect("stdout is piped");
    let mut nc_input = nc.0.stdin.take().expect("stdin is piped");
    let bound = lines_of(stderr);
    wait_for_line(&bound, "Bound on");

    let client = Running::spawn(&mut notes_client(&[
        &format!("127.0.0.1:{port}"),
        "hello nc",
    ]));
    // nc prints the datagram as it came: no newline, since the client sends none.
    let printed = chunks_of(stdout);
    let mut seen = Vec::new();
    let deadline = Instant::now() + STEP_TIMEOUT;
    while seen.len() < 8 {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = printed.recv_timeout(left).expect("nc prints the datagram");
        seen.extend(chunk);
    }
    assert_eq!(seen, b"hello nc");
    nc_input.write_all(b"HI FROM NC\n").expect("type into nc");
    let output = client.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "HI FROM NC\n\n");
}

/// The lines `source` prints, sent over a channel by a background thread.
fn lines_of(source: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(source).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// What `source` prints, chunk by chunk as it comes, over a channel.
fn chunks_of(mut source: impl std::io::Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buffer = [0; 1024];
        while let Ok(n @ 1..) = source.read(&mut buffer) {
            if tx.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => {}
            Err(e) => panic!("no line containing {needle:?}: {e}"),
        }
    }
}

#[test]
fn notes_client_waits_for_ever_for_a_lost_reply_and_the_lesson_gives_up() {
    // Weakness (waits for ever): the test receives the datagram and never answers, as if
    // the reply were lost.
    let (socket, addr) = test_server();
    let mut child = ChildGuard(
        notes_client(&[&addr.to_string(), "anyone?"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the notes client starts"),
    );
    assert_eq!(receive(&socket).0, b"anyone?");
    // One second after its datagram arrived, it is still waiting (and would for ever).
    let waited = Instant::now();
    while waited.elapsed() < Duration::from_secs(1) {
        let exited = child.0.try_wait().expect("can query the child");
        assert!(
            exited.is_none(),
            "the notes client stopped waiting: {exited:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
    drop(child); // killed

    // The lesson waits `--timeout`, then says what silence means.
    let output = Running::spawn(&mut udp_client(
        addr,
        &["--message", "anyone?", "--timeout", "0.2"],
    ))
    .finish();
    assert_eq!(receive(&socket).0, b"anyone?");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("no reply from {addr} within 0.2 s")),
        "{stderr}"
    );
}

/// Plays a server that answers the first datagram with `reply`; returns what the client
/// printed.
fn answered_with(mut command: Command, socket: &UdpSocket, reply: &[u8]) -> Output {
    let client = Running::spawn(&mut command);
    let (_, from) = receive(socket);
    socket.send_to(reply, from).expect("answer");
    client.finish()
}

#[test]
fn notes_client_cuts_a_long_reply_silently_and_the_lesson_does_not() {
    // Weakness (small buffer): a 5000-byte reply is printed as its first 4096 bytes.
    let (socket, addr) = test_server();
    let long = vec![b'Z'; 5000];
    let output = answered_with(notes_client(&[&addr.to_string(), "x"]), &socket, &long);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout.len(), 4096 + 1, "4096 bytes and a newline");
    // The lesson's buffer holds any datagram.
    let output = answered_with(udp_client(addr, &["--message", "x"]), &socket, &long);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout.len(), 5000 + 1);
}

#[test]
fn notes_client_prints_a_servers_control_characters_raw_and_the_lesson_escapes_them() {
    // Weakness (peer text printed raw): the test plays a hostile server whose reply holds
    // ESC [ 3 1 m, which a terminal obeys as "print in red from now on".
    let (socket, addr) = test_server();
    let hostile = b"HI \x1b[31mRED";
    let output = answered_with(notes_client(&[&addr.to_string(), "hi"]), &socket, hostile);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        output.stdout, b"HI \x1b[31mRED\n",
        "the ESC byte reaches the terminal"
    );
    // The lesson shows the ESC as an escape: the terminal sees only printable text.
    let output = answered_with(udp_client(addr, &["--message", "hi"]), &socket, hostile);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "HI \\u{1b}[31mRED\n");
}

#[test]
fn notes_client_stops_at_a_line_too_big_for_a_datagram_and_the_lesson_goes_on() {
    // Weakness (too big): the OS refuses to send 65,508 bytes, and the notes' `?` ends the
    // client, so "after" is never sent.
    let server = udp_server(&[]);
    let mut input = b"before\n".to_vec();
    input.extend(vec![b'x'; 65_508]);
    input.extend_from_slice(b"\nafter\n");
    let output = run_typing(notes_client(&[&server.addr().to_string()]), &input);
    assert!(!output.status.success());
    assert_eq!(text(&output.stdout), "BEFORE\n");
    let stderr = text(&output.stderr);
    if cfg!(target_os = "linux") {
        assert!(stderr.contains("Message too long"), "{stderr}");
    }
    // The lesson refuses that line before sending, says why, and sends the next one.
    let output = run_typing(udp_client(server.addr(), &[]), &input);
    assert_eq!(text(&output.stdout), "BEFORE\nAFTER\n");
    assert!(text(&output.stderr).contains("nothing was sent; split it"));
}

#[test]
fn notes_client_says_only_connection_refused_when_nothing_listens() {
    // Weakness (bare "connection refused"): a port where nothing is bound.
    let addr = test_server().1; // bound, then freed as the socket drops
    let output = Running::spawn(&mut notes_client(&[&addr.to_string(), "hello"])).finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    if cfg!(target_os = "linux") {
        // Linux hands the ICMP "port unreachable" to the connected socket's next `recv`.
        assert!(stderr.contains("Connection refused"), "{stderr}");
    }
    assert!(!stderr.contains("udp-server"), "{stderr}");
    // The lesson says what it means and how to start the server.
    let output = Running::spawn(&mut udp_client(addr, &["--message", "hello"])).finish();
    let stderr = text(&output.stderr);
    assert!(stderr.contains("udp-server running?"), "{stderr}");
    if cfg!(target_os = "linux") {
        assert!(
            stderr.contains(&format!("nothing is listening on {addr}")),
            "{stderr}"
        );
    }
}
