//! The real `udp-server` binary, talked to by sockets the test owns: the datagrams and the
//! replies are exactly what the test sees on the wire.

use std::net::UdpSocket;
use std::process::{Command, Stdio};

use testkit::{Running, STEP_TIMEOUT, Server, binary, have_program, ipv6_available};

mod support;

use support::{netcat, receive_from, round_trip, test_socket, udp_server};

#[test]
fn server_replies_upper_case_to_whoever_sent_the_datagram() {
    let server = udp_server(&[]);
    let socket = test_socket(server.addr());
    assert_eq!(
        round_trip(&socket, server.addr(), "hello, straße".as_bytes()),
        "HELLO, STRASSE".as_bytes()
    );
    let me = socket.local_addr().expect("our address");
    server.stdout.wait_for(
        &format!("{me}: received 14 bytes, replied 14 bytes"),
        STEP_TIMEOUT,
    );
}

#[test]
fn nc_as_a_client_gets_its_datagram_upper_cased_newline_and_all() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    let server = udp_server(&[]);
    let output = netcat(&server, b"hello from nc\n");
    // nc sends the newline too: it is part of the datagram, and comes back with it.
    assert_eq!(String::from_utf8_lossy(&output.stdout), "HELLO FROM NC\n");
    server
        .stdout
        .wait_for("received 14 bytes, replied 14 bytes", STEP_TIMEOUT);
}

#[test]
fn udp_server_serves_many_clients_at_once_from_one_thread() {
    let server = udp_server(&[]);
    let clients: Vec<UdpSocket> = (0..3).map(|_| test_socket(server.addr())).collect();
    // Every client sends all its messages before anyone reads a reply, so the datagrams of
    // the three clients wait interleaved in the server's one receive queue.
    for round in 0..5 {
        for (id, client) in clients.iter().enumerate() {
            let message = format!("client {id} message {round}");
            client
                .send_to(message.as_bytes(), server.addr())
                .expect("send");
        }
    }
    for (id, client) in clients.iter().enumerate() {
        for round in 0..5 {
            let reply = receive_from(client, server.addr());
            assert_eq!(reply, format!("CLIENT {id} MESSAGE {round}").as_bytes());
        }
        // While it serves them, the server is one thread: no thread per client, as
        // tcp-server has. (Linux shows a process's thread count in /proc.)
        if cfg!(target_os = "linux") {
            assert_eq!(threads(&server), 1, "udp-server runs more than one thread");
        }
    }
    for client in &clients {
        let me = client.local_addr().expect("our address");
        server
            .stdout
            .wait_for(&format!("{me}: received"), STEP_TIMEOUT);
    }
}

/// How many threads the server process runs, from the `Threads:` line of
/// `/proc/PID/status` (Linux only).
fn threads(server: &Server) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("the server's /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `Threads:` line in\n{status}"))
}

#[test]
fn an_empty_datagram_is_a_message_and_gets_an_empty_reply() {
    // Over TCP, reading 0 bytes means "the peer closed". Over UDP it is a datagram like any
    // other, and the server goes on serving.
    let server = udp_server(&[]);
    let socket = test_socket(server.addr());
    assert_eq!(round_trip(&socket, server.addr(), b""), b"");
    assert_eq!(
        round_trip(&socket, server.addr(), b"still here"),
        b"STILL HERE"
    );
}

#[test]
fn a_non_utf8_datagram_gets_only_its_ascii_letters_upper_cased() {
    let server = udp_server(&[]);
    let socket = test_socket(server.addr());
    assert_eq!(
        round_trip(&socket, server.addr(), b"ab\xff\xfecd\x00"),
        b"AB\xff\xfeCD\x00"
    );
}

#[test]
fn a_maximum_size_datagram_comes_back_whole() {
    let server = udp_server(&[]);
    let socket = test_socket(server.addr());
    let largest = vec![b'a'; 65_507]; // 65,535 - 20 (IPv4 header) - 8 (UDP header)
    let reply = round_trip(&socket, server.addr(), &largest);
    assert_eq!(reply.len(), 65_507);
    assert!(reply.iter().all(|&b| b == b'A'));
}

#[test]
fn a_reply_is_never_longer_than_its_request_so_a_forged_source_gets_no_amplification() {
    // A hostile request: text whose upper case is longer than itself ("ŉ" is 2 bytes, "ʼN"
    // 3; "ΐ" is 2, its upper case 6). Answered in full, each byte sent to a forged source
    // would become three towards the victim.
    let server = udp_server(&[]);
    let socket = test_socket(server.addr());
    for request in ["ŉŉŉ", "ΐ", "ΐΐΐΐΐ", "a ŉ b ΐ c"] {
        let reply = round_trip(&socket, server.addr(), request.as_bytes());
        assert!(
            reply.len() <= request.len(),
            "{request:?} ({} bytes) got {} bytes back",
            request.len(),
            reply.len()
        );
        // What comes back is the start of the upper case, cut at a character boundary.
        let reply = String::from_utf8(reply).expect("the reply is still UTF-8");
        assert!(
            !reply.is_empty() && request.to_uppercase().starts_with(&reply),
            "{reply:?}"
        );
    }
    // A request that does not grow still comes back whole.
    assert_eq!(
        round_trip(&socket, server.addr(), "straße".as_bytes()),
        b"STRASSE"
    );
}

#[test]
fn a_reply_too_long_for_one_datagram_becomes_an_error_notice() {
    // "ΐ" is 2 bytes and its upper case 6: 32,753 of them fit in a datagram (65,506 bytes),
    // their upper case (196,518 bytes) does not. The server says so, in lower case.
    let server = udp_server(&[]);
    let socket = test_socket(server.addr());
    let reply = round_trip(&socket, server.addr(), "ΐ".repeat(32_753).as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "error: the upper-cased reply would be 196518 bytes; one datagram carries at most 65507"
    );
    // And it goes on serving.
    assert_eq!(round_trip(&socket, server.addr(), b"next"), b"NEXT");
}

#[test]
fn a_datagram_longer_than_the_buffer_is_cut_off_and_the_log_says_so() {
    let server = udp_server(&["--buffer", "8"]);
    let socket = test_socket(server.addr());
    // The OS delivers the first 8 bytes and throws the rest of the datagram away: the next
    // receive starts with the next datagram, not with ", world".
    assert_eq!(
        round_trip(&socket, server.addr(), b"hello, world"),
        b"HELLO, W"
    );
    assert_eq!(round_trip(&socket, server.addr(), b"next"), b"NEXT");
    let line = server.stdout.wait_for("truncated", STEP_TIMEOUT);
    assert!(line.contains("more than 8 bytes"), "{line}");
}

#[test]
fn server_serves_ipv6_loopback() {
    if !ipv6_available() {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    }
    let server = Server::start("udp-server", &["--listen", "[::1]:0"]);
    assert!(server.addr().is_ipv6());
    let socket = test_socket(server.addr());
    assert_eq!(round_trip(&socket, server.addr(), b"six"), b"SIX");
    // Over IPv6 one datagram carries 20 bytes more than over IPv4: 65,535 - 8.
    let largest = vec![b'z'; 65_527];
    assert_eq!(round_trip(&socket, server.addr(), &largest).len(), 65_527);
}

#[test]
fn a_port_in_use_gets_advice_and_a_failure_exit() {
    let taken = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = taken.local_addr().expect("its address").to_string();
    let output = Running::spawn(
        Command::new(binary("udp-server"))
            .args(["--listen", &addr])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("cannot bind {addr}")), "{stderr}");
    assert!(stderr.contains("--listen 127.0.0.1:0"), "{stderr}");
}

#[test]
fn a_malformed_address_gets_a_clear_error() {
    let output = Running::spawn(
        Command::new(binary("udp-server"))
            .args(["--listen", "not-an-address"])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give IP:PORT"), "{stderr}");
}

#[test]
fn the_lesson_server_has_only_the_lessons_flags() {
    // The loss experiment's counter is `udp-count` (crate udp-loss) now, not a mode of the
    // lesson: its flags are refused here, and --help lists only the lesson's own.
    let output = Running::spawn(
        Command::new(binary("udp-server"))
            .args(["--count", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--count"), "{stderr}");
    // Nothing was bound: clap refused before the lesson started.
    assert!(output.stdout.is_empty());

    let help = Running::spawn(Command::new(binary("udp-server")).arg("--help")).finish();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--listen", "--buffer", "--quiet"] {
        assert!(help.contains(flag), "{help}");
    }
    for flag in ["--count", "--delay-us", "--tcp"] {
        assert!(!help.contains(flag), "{help}");
    }
}
