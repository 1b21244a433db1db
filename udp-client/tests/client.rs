//! The real `udp-client` binary, against a socket owned by the test (which plays the server
//! and sees exactly what the client sends), and against the real `udp-server`.

use std::io::{ErrorKind, Write};
use std::net::UdpSocket;
use std::process::{Command, Stdio};

use testkit::{Running, Server, binary, ipv6_available};

mod support;

use support::{receive, run_typing, test_server, text, udp_client, udp_server};

#[test]
fn client_sends_each_message_as_one_datagram_and_prints_each_reply() {
    let (socket, addr) = test_server();
    let client = Running::spawn(&mut udp_client(
        addr,
        &["--message", "hello", "--message", "two words"],
    ));
    // One message, one datagram, no newline: the datagram itself is the message's boundary.
    let (first, client_addr) = receive(&socket);
    assert_eq!(first, b"hello");
    socket.send_to(b"REPLY ONE", client_addr).expect("answer");
    let (second, _) = receive(&socket);
    assert_eq!(second, b"two words");
    socket.send_to(b"REPLY TWO", client_addr).expect("answer");

    let output = client.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"REPLY ONE\nREPLY TWO\n");
}

#[test]
fn a_connected_client_ignores_datagrams_from_anyone_but_its_server() {
    let (socket, addr) = test_server();
    let client = Running::spawn(&mut udp_client(addr, &["--message", "hello"]));
    let (_, client_addr) = receive(&socket);
    // A stranger reaches the client's port first; `connect` made the OS drop its datagram.
    let stranger = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    stranger.send_to(b"FORGED", client_addr).expect("send");
    socket.send_to(b"REAL", client_addr).expect("answer");

    let output = client.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"REAL\n");
}

#[test]
fn client_times_out_and_retries_when_nobody_answers() {
    let (socket, addr) = test_server();
    let client = Running::spawn(&mut udp_client(
        addr,
        &["--message", "anyone?", "--timeout", "0.2", "--retries", "2"],
    ));
    // The test receives but never answers: the client sends the message 1 + 2 times.
    for _ in 0..3 {
        assert_eq!(receive(&socket).0, b"anyone?");
    }
    let output = client.finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("no reply from {addr} within 0.2 s (3 tries)")),
        "{stderr}"
    );
    assert!(
        stderr.contains("UDP does not retransmit; is udp-server running?"),
        "{stderr}"
    );
    // No fourth copy: the client gave up after its retries.
    socket.set_nonblocking(true).expect("non-blocking");
    let mut buffer = [0; 16];
    let fourth = socket.recv_from(&mut buffer).map(|(len, _)| len);
    assert_eq!(fourth.map_err(|e| e.kind()), Err(ErrorKind::WouldBlock));
}

#[test]
fn a_retry_gets_the_reply_when_the_first_datagram_is_lost() {
    let (socket, addr) = test_server();
    let client = Running::spawn(&mut udp_client(
        addr,
        &["--message", "hello", "--timeout", "0.3", "--retries", "2"],
    ));
    // The first datagram "is lost": the test receives it and never answers.
    let (first, _) = receive(&socket);
    assert_eq!(first, b"hello");
    // After its timeout the client sends the message again; this time it gets an answer.
    let (second, client_addr) = receive(&socket);
    assert_eq!(second, b"hello");
    socket.send_to(b"HELLO", client_addr).expect("answer");

    let output = client.finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"HELLO\n");
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn a_reply_that_comes_after_the_timeout_is_not_taken_for_the_next_ones() {
    let (socket, addr) = test_server();
    let mut command = udp_client(addr, &["--timeout", "0.1"]);
    command.stdin(Stdio::piped());
    let mut client = Running::spawn(&mut command);
    let mut keyboard = client.stdin().expect("stdin is piped");
    keyboard.write_all(b"one\n").expect("type a line");
    let (first, client_addr) = receive(&socket);
    assert_eq!(first, b"one");
    // Answer only well after the client's 0.1 s timeout: it has given up on "one" and waits
    // for the next typed line. (This sleep makes the reply late; it waits for no readiness.)
    std::thread::sleep(std::time::Duration::from_secs(1));
    socket
        .send_to(b"LATE ONE", client_addr)
        .expect("answer late");
    keyboard.write_all(b"two\n").expect("type a line");
    drop(keyboard); // Ctrl-D
    let (second, _) = receive(&socket);
    assert_eq!(second, b"two");
    socket.send_to(b"TWO", client_addr).expect("answer");

    let output = client.finish();
    // "two" printed its own reply; the late one was thrown away, with a note.
    assert_eq!(text(&output.stdout), "TWO\n");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("note: ignored a late reply (8 bytes) to an earlier message"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("no reply from {addr} within 0.1 s")),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 2 messages failed"), "{stderr}");
    assert!(!output.status.success());
}

#[test]
fn client_explains_when_nothing_is_listening() {
    // Bind a port, then free it: now nothing listens there.
    let addr = {
        let (socket, addr) = test_server();
        drop(socket);
        addr
    };
    let output = Running::spawn(&mut udp_client(
        addr,
        &[
            "--message",
            "hello",
            "--message",
            "again",
            "--timeout",
            "0.5",
        ],
    ))
    .finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("udp-server running?"), "{stderr}");
    if cfg!(target_os = "linux") {
        // Linux turns the ICMP "port unreachable" into ECONNREFUSED on the connected socket.
        assert!(
            stderr.contains(&format!("nothing is listening on {addr}")),
            "{stderr}"
        );
        assert!(stderr.contains("port unreachable"), "{stderr}");
    }
    assert!(output.stdout.is_empty());
}

#[test]
fn an_earlier_failure_is_reported_before_nothing_listening_stops_the_client() {
    let (socket, addr) = test_server();
    let client = Running::spawn(&mut udp_client(
        addr,
        &[
            "--message",
            "first",
            "--message",
            "second",
            "--timeout",
            "0.3",
        ],
    ));
    // The first message is received but never answered; then the "server" goes away, so
    // the second one finds nothing listening.
    assert_eq!(receive(&socket).0, b"first");
    drop(socket);
    let output = client.finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    let timed_out = stderr
        .find(&format!("no reply from {addr} within 0.3 s"))
        .unwrap_or_else(|| panic!("the first failure is not reported: {stderr}"));
    if cfg!(target_os = "linux") {
        let refused = stderr
            .find(&format!("nothing is listening on {addr}"))
            .unwrap_or_else(|| panic!("no \"nothing is listening\": {stderr}"));
        assert!(timed_out < refused, "reported out of order: {stderr}");
    }
    assert!(output.stdout.is_empty());
}

#[test]
fn real_client_and_real_server_exchange_typed_lines() {
    let server = udp_server(&[]);
    // An empty line is an empty datagram, and non-UTF-8 bytes travel as they are (the
    // server keeps them); the client shows them as hex.
    let output = run_typing(
        udp_client(server.addr(), &[]),
        b"hello\n\nstra\xc3\x9fe\r\nab\xffcd\n",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "HELLO\n\nSTRASSE\nAB\\xffCD\n");
}

#[test]
fn real_client_and_real_server_over_ipv6() {
    if !ipv6_available() {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    }
    let server = Server::start("udp-server", &["--listen", "[::1]:0"]);
    let output = Running::spawn(&mut udp_client(server.addr(), &["--message", "six"])).finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, b"SIX\n");
}

#[test]
fn two_real_clients_at_once_each_get_only_their_own_replies() {
    let server = udp_server(&[]);
    let messages = |name: &str| -> Vec<String> { (0..40).map(|i| format!("{name} {i}")).collect() };
    let spawn = |name: &str| {
        let mut command = udp_client(server.addr(), &[]);
        for message in messages(name) {
            command.args(["--message", &message]);
        }
        Running::spawn(&mut command)
    };
    // Both run at the same time against the one single-threaded server.
    let (alice, bob) = (spawn("alice"), spawn("bob"));
    for (name, client) in [("alice", alice), ("bob", bob)] {
        let output = client.finish();
        assert!(output.status.success(), "{}", text(&output.stderr));
        let expected: String = messages(name)
            .iter()
            .map(|m| m.to_uppercase() + "\n")
            .collect();
        assert_eq!(text(&output.stdout), expected);
    }
}

#[test]
fn a_maximum_size_message_goes_there_and_back_whole() {
    let server = udp_server(&[]);
    let mut line = vec![b'a'; 65_507];
    line.push(b'\n');
    let output = run_typing(udp_client(server.addr(), &[]), &line);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut expected = vec![b'A'; 65_507];
    expected.push(b'\n');
    assert!(
        output.stdout == expected,
        "{} bytes back",
        output.stdout.len()
    );
}

#[test]
fn a_message_too_big_for_one_datagram_is_refused_and_nothing_is_sent() {
    let (socket, addr) = test_server();
    let too_big = "x".repeat(65_508);
    let output = Running::spawn(&mut udp_client(
        addr,
        &["--message", "fine", "--message", &too_big],
    ))
    .finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the message is 65508 bytes, but one UDP datagram carries at most 65507"),
        "{stderr}"
    );
    // Every --message is checked before the first is sent: not even "fine" went out.
    // (A datagram sent on loopback is in our queue before `send` returns.)
    socket.set_nonblocking(true).expect("non-blocking");
    let mut buffer = [0; 16];
    let sent = socket.recv_from(&mut buffer).map(|(len, _)| len);
    assert_eq!(sent.map_err(|e| e.kind()), Err(ErrorKind::WouldBlock));
}

#[test]
fn a_typed_line_too_big_for_a_datagram_is_reported_and_the_next_lines_still_go() {
    let server = udp_server(&[]);
    let mut input = b"before\n".to_vec();
    input.extend(vec![b'x'; 65_508]);
    input.extend_from_slice(b"\nafter\n");
    let output = run_typing(udp_client(server.addr(), &[]), &input);
    assert!(!output.status.success());
    assert_eq!(output.stdout, b"BEFORE\nAFTER\n");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("nothing was sent; split it"), "{stderr}");
    assert!(stderr.contains("1 of 3 messages failed"), "{stderr}");
}

#[test]
fn a_malformed_server_address_gets_a_clear_error() {
    let output = Running::spawn(&mut udp_client("no-port-here", &["--message", "hi"])).finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot use \"no-port-here\" as a server address: give IP:PORT"),
        "{stderr}"
    );
}

#[test]
fn the_lesson_client_has_only_the_lessons_flags() {
    // The loss experiment is `udp-flood` (crate udp-loss) now: --help lists only the lesson.
    let help = Running::spawn(Command::new(binary("udp-client")).arg("--help")).finish();
    let help = text(&help.stdout);
    for flag in ["--connect", "--message", "--timeout", "--retries"] {
        assert!(help.contains(flag), "{help}");
    }
    for flag in ["--flood", "--rate", "--size", "--tcp", "--time-limit"] {
        assert!(!help.contains(flag), "{help}");
    }
}
