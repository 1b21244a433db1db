//! The real `udp-count` and `udp-flood`, against each other and against sockets the test
//! owns: the counter's arithmetic, the flood's bounds (loopback only, count and time), and
//! the same flood over UDP and over TCP.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};

use testkit::{Running, STEP_TIMEOUT, Server, connect};

const COUNT: &str = env!("CARGO_BIN_EXE_udp-count");
const FLOOD: &str = env!("CARGO_BIN_EXE_udp-flood");

/// A socket of the test's own on IPv4 loopback, with bounded waits.
fn test_socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    socket
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    socket
}

fn receive_from(socket: &UdpSocket, server: SocketAddr) -> Vec<u8> {
    let mut buffer = vec![0; 65_536];
    let (len, from) = socket.recv_from(&mut buffer).expect("a reply in time");
    assert_eq!(from, server, "the reply comes from the server's address");
    buffer.truncate(len);
    buffer
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `udp-count` on a free loopback port, with `extra` arguments.
fn udp_count(extra: &[&str]) -> Server {
    let mut command = Command::new(COUNT);
    command.args(["--listen", "127.0.0.1:0"]).args(extra);
    Server::start_command(command)
}

/// `udp-flood` aimed at `addr`, with `extra` arguments (the count first).
fn udp_flood(addr: impl ToString, extra: &[&str]) -> Command {
    let mut command = Command::new(FLOOD);
    command.args(extra).args(["--connect", &addr.to_string()]);
    command.stdin(Stdio::null());
    command
}

/// A loopback address where nothing listens: a port bound, then freed.
fn nothing_listening() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    socket.local_addr().expect("its address")
}

/// Sends one experiment message, padded like `udp-flood` pads them.
fn send_message(socket: &UdpSocket, server: SocketAddr, text: &str) {
    let mut datagram = text.as_bytes().to_vec();
    datagram.resize(64 - 1, b'.');
    datagram.push(b'\n');
    socket.send_to(&datagram, server).expect("send");
}

#[test]
fn the_counter_counts_received_lost_duplicated_and_out_of_order() {
    let server = udp_count(&[]);
    let socket = test_socket();
    // Numbers 0..10 announced; 6, 7 and 8 never sent; 2 twice; 2 after 3 and 4 after 5.
    for seq in [0, 1, 3, 2, 2, 5, 4, 9] {
        send_message(&socket, server.addr(), &format!("FLOOD 77 {seq} 10"));
    }
    // Not part of any flood: ignored, and it changes no count.
    socket.send_to(b"hello", server.addr()).expect("send");
    socket.send_to(b"END 77 10\n", server.addr()).expect("send");
    let expected = "SUMMARY 77 sent=10 received=7 lost=3 duplicated=1 out_of_order=2\n";
    assert_eq!(
        String::from_utf8_lossy(&receive_from(&socket, server.addr())),
        expected
    );
    // END is a datagram too, and may be lost: asking again gets the same answer.
    socket.send_to(b"END 77 10\n", server.addr()).expect("send");
    assert_eq!(
        String::from_utf8_lossy(&receive_from(&socket, server.addr())),
        expected
    );
    server
        .stdout
        .wait_for("not part of a flood; ignored", STEP_TIMEOUT);
    server
        .stdout
        .wait_for("sent 10, received 7, lost 3 (30.00 %)", STEP_TIMEOUT);
}

#[test]
fn the_counter_reports_a_run_it_never_saw_as_all_lost() {
    let server = udp_count(&[]);
    let socket = test_socket();
    socket.send_to(b"END 5 40\n", server.addr()).expect("send");
    assert_eq!(
        receive_from(&socket, server.addr()),
        b"SUMMARY 5 sent=40 received=0 lost=40 duplicated=0 out_of_order=0\n"
    );
}

#[test]
fn the_tcp_counter_counts_numbered_lines_on_one_connection() {
    let server = udp_count(&["--tcp"]);
    let mut stream = connect(server.addr());
    let mut lines = Vec::new();
    for seq in 0..1000 {
        writeln!(lines, "FLOOD 9 {seq} 1000 ....").expect("write to a Vec");
    }
    writeln!(lines, "END 9 1000").expect("write to a Vec");
    stream.write_all(&lines).expect("send the lines");
    let mut summary = String::new();
    BufReader::new(&stream)
        .read_line(&mut summary)
        .expect("the summary");
    assert_eq!(
        summary,
        "SUMMARY 9 sent=1000 received=1000 lost=0 duplicated=0 out_of_order=0\n"
    );
}

#[test]
fn the_tcp_counter_logs_what_it_counted_when_a_sender_leaves_before_end() {
    let server = udp_count(&["--tcp"]);
    // Three whole lines, then the sender closes: say, it stopped at its time limit.
    let mut stream = connect(server.addr());
    stream
        .write_all(b"FLOOD 4 0 10\nFLOOD 4 1 10\nFLOOD 4 2 10\n")
        .expect("send the lines");
    drop(stream);
    server.stdout.wait_for(
        "the sender closed the connection before END, after 3 numbered lines",
        STEP_TIMEOUT,
    );
    // The same, cut off in the middle of the fourth line.
    let mut stream = connect(server.addr());
    stream
        .write_all(b"FLOOD 5 0 10\nFLOOD 5 1 10\nFLOOD 5 2 10\nFLOOD 5 3")
        .expect("send the lines");
    drop(stream);
    server.stdout.wait_for(
        "the sender closed the connection in the middle of a line, before END, after 3 \
         numbered lines",
        STEP_TIMEOUT,
    );
}

#[test]
fn the_tcp_counter_refuses_a_delay_it_could_not_catch_up_with() {
    let output = Running::spawn(
        Command::new(COUNT)
            .args(["--tcp", "--delay-us", "101", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--delay-us 101 is too slow for --tcp: give at most 100"),
        "{stderr}"
    );
    // Nothing was bound: the check comes first.
    assert!(output.stdout.is_empty());
}

/// The number after `label` in `text`, e.g. `number(text, "lost ")`.
fn number(text: &str, label: &str) -> u64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        + label.len();
    text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {text}"))
}

#[test]
fn the_flood_counts_add_up_over_udp() {
    // A slow receiver, so that some loss is likely; the test does not depend on it.
    let server = udp_count(&["--delay-us", "20"]);
    let output = Running::spawn(&mut udp_flood(server.addr(), &["5000"])).finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    let sent = number(&report, "\nsent ");
    let received = number(&report, "received ");
    let lost = number(&report, "lost ");
    assert_eq!(sent, 5000, "{report}");
    assert_eq!(received + lost, sent, "{report}");
    // The server printed the same count.
    let logged = server.stdout.wait_for("done in", STEP_TIMEOUT);
    assert_eq!(number(&logged, "received "), received, "{logged}");
    assert_eq!(number(&logged, "lost "), lost, "{logged}");
}

#[test]
fn the_same_flood_over_tcp_loses_nothing() {
    let server = udp_count(&["--tcp", "--delay-us", "20"]);
    let output = Running::spawn(&mut udp_flood(server.addr(), &["3000", "--tcp"])).finish();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(
        report.contains("received 3000, lost 0 (0.00 %), duplicated 0, out of order 0"),
        "{report}"
    );
}

#[test]
fn a_tcp_flood_to_a_counter_that_stops_reading_ends_at_its_time_limit_and_says_why() {
    // The test plays a counter that accepts the connection and never reads: the buffers
    // fill, and `write` would wait for ever without the flood's one deadline.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().expect("its address");
    let started = std::time::Instant::now();
    let client = Running::spawn(&mut udp_flood(
        addr,
        &["1000000", "--size", "48", "--tcp", "--time-limit", "1"],
    ));
    let _connection = testkit::accept(&listener);
    let output = client.finish();
    let took = started.elapsed();
    assert!(!output.status.success());
    // Bounded by the limit (plus the time to start a process on a busy machine).
    assert!(
        took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(5),
        "took {took:?}"
    );
    let stderr = text(&output.stderr);
    // It does not blame the counter: TCP made the sender wait, and nothing was lost.
    assert!(
        stderr.contains("TCP holds the sender to the receiver's pace, so nothing was lost"),
        "{stderr}"
    );
    assert!(stderr.contains("--time-limit"), "{stderr}");
}

#[test]
fn the_flood_refuses_an_address_that_is_not_loopback() {
    // 0.0.0.0 is not a loopback address, but a datagram sent to it stays on this machine:
    // if the check were broken, the test would still send nothing off it.
    let port = nothing_listening().port();
    let output = Running::spawn(&mut udp_flood(format!("0.0.0.0:{port}"), &["10"])).finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the experiment runs on loopback only"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}

#[test]
fn the_counter_refuses_to_bind_an_address_that_is_not_loopback() {
    // 192.0.2.1 (reserved for documentation) is not this machine's: if the check were
    // broken, `bind` would fail with another message, and nothing would be bound.
    let output = Running::spawn(
        Command::new(COUNT)
            .args(["--listen", "192.0.2.1:0"])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the experiment runs on loopback only"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn the_flood_explains_when_no_counter_is_listening() {
    let output = Running::spawn(&mut udp_flood(nothing_listening(), &["100"])).finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--bin udp-count"), "{stderr}");
}

#[test]
fn the_counter_refuses_a_delay_over_ten_milliseconds() {
    let output = Running::spawn(
        Command::new(COUNT)
            .args(["--delay-us", "10001", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--delay-us"), "{stderr}");
    // Nothing was bound: clap refused before the counter started.
    assert!(output.stdout.is_empty());
}

#[test]
fn a_flood_larger_than_the_limit_is_refused_before_sending() {
    let output = Running::spawn(&mut udp_flood(nothing_listening(), &["1000001"])).finish();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1000001"), "{stderr}");
    assert!(output.stdout.is_empty());
}
