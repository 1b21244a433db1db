//! The real `tcp-server` binary, driven by clients written in the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use testkit::{STEP_TIMEOUT, Server, binary, connect, have_program, ipv6_available};

mod support;

use support::{netcat, start};

/// Sends `request` and reads one reply line (with its newline).
fn ask(reader: &mut BufReader<TcpStream>, request: &[u8]) -> Vec<u8> {
    reader.get_mut().write_all(request).expect("send");
    let mut reply = Vec::new();
    reader.read_until(b'\n', &mut reply).expect("a reply");
    reply
}

fn client(server: &Server) -> BufReader<TcpStream> {
    BufReader::new(connect(server.addr()))
}

#[test]
fn server_prints_the_port_it_really_bound() {
    let server = start(&[]);
    assert!(server.addr().ip().is_loopback());
    assert_ne!(
        server.addr().port(),
        0,
        "port 0 was replaced by a real port"
    );
    assert_eq!(
        server.stdout.snapshot()[0],
        format!("listening on {}", server.addr())
    );
}

#[test]
fn server_listens_on_ipv6_loopback() {
    if !ipv6_available() {
        eprintln!("skipping: this machine has no IPv6 loopback");
        return;
    }
    let server = Server::start("tcp-server", &["--listen", "[::1]:0"]);
    assert!(server.addr().is_ipv6());
    assert_eq!(ask(&mut client(&server), b"ipv6\n"), b"IPV6\n");
}

#[test]
fn server_uppercases_each_line() {
    let server = start(&[]);
    let mut peer = client(&server);
    assert_eq!(ask(&mut peer, b"hello\n"), b"HELLO\n");
    assert_eq!(
        ask(&mut peer, "straße 你好\n".as_bytes()),
        "STRASSE 你好\n".as_bytes()
    );
    assert_eq!(ask(&mut peer, b"windows\r\n"), b"WINDOWS\r\n");
}

#[test]
fn server_finds_lines_however_tcp_splits_or_joins_them() {
    let server = start(&[]);
    let mut peer = client(&server);
    // Two lines in one write, then one line in three writes with pauses between them.
    peer.get_mut().write_all(b"one\ntwo\nth").expect("send");
    peer.get_mut().flush().expect("flush");
    thread::sleep(Duration::from_millis(50)); // a deliberate gap between two writes
    peer.get_mut().write_all(b"re").expect("send");
    thread::sleep(Duration::from_millis(50));
    peer.get_mut().write_all(b"e\n").expect("send");
    let mut replies = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        peer.read_line(&mut line).expect("a reply");
        replies.push(line);
    }
    assert_eq!(replies, ["ONE\n", "TWO\n", "THREE\n"]);
}

#[test]
fn server_answers_non_utf8_bytes_without_crashing() {
    let server = start(&[]);
    let mut peer = client(&server);
    assert_eq!(ask(&mut peer, b"ab\xff\xfe\x00cd\n"), b"AB\xff\xfe\x00CD\n");
    // Still serving this client, and others.
    assert_eq!(ask(&mut peer, b"after\n"), b"AFTER\n");
    assert_eq!(ask(&mut client(&server), b"other\n"), b"OTHER\n");
}

#[test]
fn server_skips_an_over_long_line_and_keeps_serving() {
    let server = start(&[]);
    let mut peer = client(&server);
    let mut long = vec![b'x'; 1024 * 1024];
    long.push(b'\n');
    let reply = ask(&mut peer, &long);
    assert_eq!(reply, b"error: line longer than 8192 bytes, skipped\n");
    assert_eq!(ask(&mut peer, b"next\n"), b"NEXT\n");
}

#[test]
fn server_answers_a_last_line_without_newline_then_closes() {
    let server = start(&[]);
    let mut peer = client(&server);
    peer.get_mut().write_all(b"no newline").expect("send");
    // Half-close: our FIN tells the server the line is complete.
    peer.get_mut()
        .shutdown(Shutdown::Write)
        .expect("half-close");
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest)
        .expect("read until the server closes");
    assert_eq!(rest, b"NO NEWLINE\n");
    server.stdout.wait_for("read returned 0", STEP_TIMEOUT);
}

#[test]
fn two_hundred_clients_at_once_each_get_their_own_replies_in_order() {
    const CLIENTS: usize = 200;
    const LINES: usize = 5;
    let server = start(&[]);
    let addr = server.addr();
    // Everyone connects first, then everyone talks: all 200 are served at the same time.
    let all_connected = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let all_connected = Arc::clone(&all_connected);
            thread::spawn(move || {
                let mut peer = BufReader::new(connect(addr));
                all_connected.wait();
                for n in 0..LINES {
                    let reply = ask(&mut peer, format!("client {id} line {n}\n").as_bytes());
                    assert_eq!(reply, format!("CLIENT {id} LINE {n}\n").as_bytes());
                }
            })
        })
        .collect();
    for client in clients {
        client
            .join()
            .expect("every client got its own replies in order");
    }
}

#[test]
fn a_silent_client_does_not_delay_another() {
    let server = start(&[]);
    let _silent = connect(server.addr());
    server.stdout.wait_for("connected", STEP_TIMEOUT);
    let started = Instant::now();
    assert_eq!(ask(&mut client(&server), b"quick\n"), b"QUICK\n");
    assert!(started.elapsed() < STEP_TIMEOUT);
}

#[test]
fn a_client_over_the_cap_is_told_the_server_is_busy() {
    let server = start(&["--max-clients", "1"]);
    let mut first = client(&server);
    assert_eq!(ask(&mut first, b"first\n"), b"FIRST\n");
    let mut second = client(&server);
    let mut line = String::new();
    second.read_line(&mut line).expect("the busy line");
    assert!(
        line.starts_with("busy: the server is serving 1 clients"),
        "{line:?}"
    );
    assert_eq!(second.read_line(&mut line).expect("then FIN"), 0);
    server
        .stdout
        .wait_for("refused: already serving 1 clients", STEP_TIMEOUT);
    // The first client is still served, and once it leaves there is room again.
    assert_eq!(ask(&mut first, b"still here\n"), b"STILL HERE\n");
    drop(first);
    server.stdout.wait_for("disconnected", STEP_TIMEOUT);
    assert_eq!(ask(&mut client(&server), b"third\n"), b"THIRD\n");
}

#[test]
fn an_abrupt_reset_mid_line_disturbs_nobody_else() {
    let server = start(&[]);
    let mut bystander = client(&server);
    assert_eq!(ask(&mut bystander, b"before\n"), b"BEFORE\n");

    let rude = connect(server.addr());
    // One whole line (which the server answers) and half of the next one.
    (&rude)
        .write_all(b"a whole line\nand half of anoth")
        .expect("send");
    // Wait until the reply sits unread in our receive buffer, then close: closing a socket
    // with unread data makes the OS send RST instead of FIN, an abrupt disconnect.
    rude.peek(&mut [0; 1]).expect("the reply has arrived");
    drop(rude);

    server
        .stdout
        .wait_for("connection reset by the peer", STEP_TIMEOUT);
    assert_eq!(ask(&mut bystander, b"after\n"), b"AFTER\n");
    assert_eq!(ask(&mut client(&server), b"new\n"), b"NEW\n");
}

#[test]
fn server_logs_why_each_connection_ended() {
    let server = start(&["--idle-timeout", "1"]);
    let polite = connect(server.addr());
    let polite_addr = polite.local_addr().expect("own address");
    polite.shutdown(Shutdown::Write).expect("FIN");
    let line = server.stdout.wait_for(
        &format!("{polite_addr} disconnected: the peer closed the connection (read returned 0)"),
        STEP_TIMEOUT,
    );
    assert!(line.contains("read returned 0"));

    let silent = connect(server.addr());
    let silent_addr = silent.local_addr().expect("own address");
    server.stdout.wait_for(
        &format!("{silent_addr} disconnected: timed out: no progress for 1 s"),
        STEP_TIMEOUT,
    );
    // The server closed the silent client: it reads the FIN.
    let mut rest = Vec::new();
    (&silent)
        .read_to_end(&mut rest)
        .expect("FIN from the server");
}

#[test]
fn address_in_use_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = taken.local_addr().expect("its address").to_string();
    let output = Command::new(binary("tcp-server"))
        .args(["--listen", &addr])
        .timeout(STEP_TIMEOUT)
        .output()
        .expect("run tcp-server");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}: another program")),
        "{stderr}"
    );
    assert!(
        stderr.contains("--listen 127.0.0.1:0"),
        "names the fix: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "no listening line when not listening"
    );
}

#[test]
fn a_malformed_address_is_a_clear_error() {
    Command::new(binary("tcp-server"))
        .args(["--listen", "localhost"])
        .timeout(STEP_TIMEOUT)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "cannot listen on localhost: give the address as IP:PORT",
        ));
}

#[test]
fn netcat_as_a_client_gets_uppercase_replies() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    let server = start(&[]);
    let output = netcat(&server, "from netcat\nsecond line\n");
    assert!(output.status.success());
    assert_eq!(output.stdout, b"FROM NETCAT\nSECOND LINE\n");
}

#[test]
fn a_client_dripping_a_line_loses_its_slot_at_the_line_deadline() {
    // One slot, and a deadline of 1 s; the dripper sends a byte every 250 ms, well inside
    // the deadline of each read, but never a whole line.
    let server = start(&["--idle-timeout", "1", "--max-clients", "1"]);
    let dripper = connect(server.addr());
    let dripper_addr = dripper.local_addr().expect("own address");
    server.stdout.wait_for("connected", STEP_TIMEOUT);
    let wanted = format!("{dripper_addr} disconnected: timed out: no whole line within 1 s");
    let started = Instant::now();
    let mut dropped = false;
    for _ in 0..40 {
        if server.stdout.snapshot().iter().any(|l| l.contains(&wanted)) {
            dropped = true;
            break;
        }
        if (&dripper).write_all(b"x").is_err() || started.elapsed() > STEP_TIMEOUT {
            break;
        }
        thread::sleep(Duration::from_millis(250)); // the drip's pace, not a deadline
    }
    assert!(
        dropped,
        "the dripping client kept its slot: {:?}",
        server.stdout.snapshot()
    );
    // Its slot is free again: a newcomer is served, not told busy.
    assert_eq!(ask(&mut client(&server), b"newcomer\n"), b"NEWCOMER\n");
}

#[test]
fn a_thousand_idle_clients_do_not_lock_a_newcomer_out_with_default_flags() {
    const IDLE: usize = 1000;
    // The test holds a socket per idle client too: raise its own limit as the server does.
    let limit = tcp_server::open_files::raise_soft_limit();
    if tcp_server::open_files::default_max_clients() <= IDLE || limit < 2 * IDLE as u64 + 64 {
        eprintln!("skipping: an open-files limit of {limit} is too low for {IDLE} idle clients");
        return;
    }
    let server = start(&[]);
    let idle: Vec<TcpStream> = (0..IDLE).map(|_| connect(server.addr())).collect();
    server
        .stdout
        .wait_for(&format!("connected ({IDLE} of at most"), STEP_TIMEOUT);
    assert_eq!(ask(&mut client(&server), b"newcomer\n"), b"NEWCOMER\n");
    drop(idle);
}

#[cfg(unix)]
#[test]
fn server_raises_its_soft_open_files_limit_to_the_hard_one_and_says_its_cap() {
    // Started with a soft limit of 100, as if the shell had been given `ulimit -Sn 100`.
    let hard = tcp_server::open_files::raise_soft_limit();
    let script = format!(
        "ulimit -Sn 100 && exec '{}' --listen 127.0.0.1:0",
        binary("tcp-server").display()
    );
    let mut command = std::process::Command::new("sh");
    command.args(["-c", &script]);
    let server = Server::start_command(command);
    let cap = tcp_server::open_files::default_max_clients();
    server.stdout.wait_for(
        &format!(
            "serving at most {cap} clients at once (--max-clients; open files allowed: {hard})"
        ),
        STEP_TIMEOUT,
    );
    // And --help says what the default is on this machine.
    let help = Command::new(binary("tcp-server"))
        .arg("--help")
        .timeout(STEP_TIMEOUT)
        .output()
        .expect("run tcp-server --help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains(&format!("[default: {cap}]")), "{help}");
    assert!(help.contains("open-files limit"), "{help}");
}

/// Connects to `server` from the loopback address `from` (Linux answers all of 127/8).
#[cfg(target_os = "linux")]
fn client_from(server: &Server, from: [u8; 4]) -> BufReader<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    let local = std::net::SocketAddr::from((from, 0));
    socket
        .bind(&local.into())
        .expect("bind to a loopback address");
    socket
        .connect_timeout(&server.addr().into(), STEP_TIMEOUT)
        .expect("connect");
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("a read timeout");
    BufReader::new(stream)
}

#[cfg(target_os = "linux")]
#[test]
fn one_address_cannot_take_every_place() {
    let server = start(&["--max-clients", "4", "--max-per-address", "2"]);
    // 127.0.0.1 takes its two places; its third client is told busy, with room left.
    let mut first = client(&server);
    assert_eq!(ask(&mut first, b"one\n"), b"ONE\n");
    let mut second = client(&server);
    assert_eq!(ask(&mut second, b"two\n"), b"TWO\n");
    let mut third = client(&server);
    let mut line = String::new();
    third.read_line(&mut line).expect("the busy line");
    assert_eq!(
        line,
        "busy: your address has 2 clients here already; try again later\n"
    );
    server
        .stdout
        .wait_for("refused: its address has 2 clients already", STEP_TIMEOUT);
    // Another address is still served.
    let mut other = client_from(&server, [127, 0, 0, 2]);
    assert_eq!(ask(&mut other, b"other\n"), b"OTHER\n");
    // When one of the first address's clients leaves, it has room again.
    drop(first);
    server.stdout.wait_for("disconnected", STEP_TIMEOUT);
    assert_eq!(ask(&mut client(&server), b"again\n"), b"AGAIN\n");
}
