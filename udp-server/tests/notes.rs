//! The notes version (`examples/notes-udp-server.rs`) against real partners (the lesson's
//! `udp-client`, `nc -u`), and each of its named weaknesses made to happen, next to the
//! hardened `udp-server` handling the same input.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};

use testkit::{Running, STEP_TIMEOUT, Server, binary, have_program};

mod support;

use support::{netcat, round_trip, test_socket, udp_server};

fn notes_server() -> Server {
    Server::start_example("udp-server", "notes-udp-server", &["127.0.0.1:0"])
}

#[test]
fn notes_server_answers_the_lesson_client() {
    let server = notes_server();
    let output = Running::spawn(
        Command::new(binary("udp-client"))
            .args(["--connect", &server.addr().to_string()])
            .args(["--message", "hello", "--message", "straße"])
            .stdin(Stdio::null()),
    )
    .finish();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(output.stdout, "HELLO\nSTRASSE\n".as_bytes());
    server.stdout.wait_for(": 5 bytes", STEP_TIMEOUT);
}

#[test]
fn notes_server_answers_nc() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    let server = notes_server();
    let output = netcat(&server, b"hello from nc\n");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "HELLO FROM NC\n");
}

#[test]
fn notes_server_serves_two_clients_from_one_socket() {
    // "A UDP server is concurrent by default": both clients' datagrams wait, interleaved,
    // in the one socket's queue, and each reply goes to the address its datagram came from.
    let server = notes_server();
    let (a, b) = (test_socket(server.addr()), test_socket(server.addr()));
    for round in 0..3 {
        a.send_to(format!("a {round}").as_bytes(), server.addr())
            .expect("send");
        b.send_to(format!("b {round}").as_bytes(), server.addr())
            .expect("send");
    }
    let mut buffer = [0; 64];
    for (name, socket) in [("A", &a), ("B", &b)] {
        for round in 0..3 {
            let (len, _) = socket.recv_from(&mut buffer).expect("a reply in time");
            assert_eq!(&buffer[..len], format!("{name} {round}").as_bytes());
        }
    }
}

#[test]
fn notes_server_cuts_a_long_datagram_silently_and_the_lesson_does_not() {
    // Weakness (small buffer): 5000 bytes in, 4096 back, and nothing says why.
    let long = vec![b'a'; 5000];
    let notes = notes_server();
    let socket = test_socket(notes.addr());
    assert_eq!(round_trip(&socket, notes.addr(), &long), vec![b'A'; 4096]);
    notes.stdout.wait_for(": 4096 bytes", STEP_TIMEOUT);

    // The lesson's buffer holds any datagram (65,535 bytes): all 5000 come back.
    let lesson = udp_server(&[]);
    assert_eq!(round_trip(&socket, lesson.addr(), &long), vec![b'A'; 5000]);
}

#[test]
fn notes_server_turns_bytes_that_are_not_utf8_into_replacement_characters() {
    // Weakness (bytes turned into text): 0xFF is not UTF-8, so it comes back as U+FFFD.
    let notes = notes_server();
    let socket = test_socket(notes.addr());
    assert_eq!(
        round_trip(&socket, notes.addr(), b"ab\xff"),
        "AB\u{FFFD}".as_bytes()
    );
    // The lesson upper-cases only the ASCII letters of such a datagram and keeps the rest.
    let lesson = udp_server(&[]);
    assert_eq!(round_trip(&socket, lesson.addr(), b"ab\xff"), b"AB\xff");
}

/// Client A sends a datagram and vanishes before the reply comes back, so the reply finds
/// nobody (an ICMP "port unreachable"); then client B asks. Returns B's reply, if any.
fn vanish_then_ask(server: SocketAddr) -> Option<Vec<u8>> {
    let b = test_socket(server);
    // A queue of B's datagrams first, so the server is still busy when A is gone.
    for _ in 0..200 {
        b.send_to(b"busy", server).expect("send");
    }
    let a = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    a.send_to(b"gone", server).expect("send");
    drop(a);
    b.send_to(b"after", server).expect("send");
    let mut buffer = [0; 64];
    for _ in 0..=200 {
        match b.recv_from(&mut buffer) {
            Ok((len, _)) if &buffer[..len] == b"AFTER" => return Some(buffer[..len].to_vec()),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

#[test]
fn a_vanished_client_stops_the_notes_server_on_windows_only_and_never_the_lesson() {
    // Weakness (one error stops everyone): Windows reports the ICMP error of a reply to a
    // vanished client on the next `recv_from` of the unconnected socket, and the notes'
    // `?` ends the server. Linux and macOS report nothing to an unconnected socket (Linux
    // would, with IP_RECVERR set), so there the notes server survives.
    let mut notes = notes_server();
    let answer = vanish_then_ask(notes.addr());
    if cfg!(windows) {
        assert_eq!(answer, None, "the notes server answered after the reset");
        assert!(!notes.wait_exit(STEP_TIMEOUT), "it should fail, not exit 0");
    } else {
        assert_eq!(answer.as_deref(), Some(&b"AFTER"[..]));
    }
    // The lesson skips that error (`receive_errors::is_peer_gone`) everywhere.
    let lesson = udp_server(&[]);
    assert_eq!(
        vanish_then_ask(lesson.addr()).as_deref(),
        Some(&b"AFTER"[..])
    );
}

#[test]
fn notes_server_amplifies_and_the_lesson_cuts_each_reply_to_the_request() {
    // "ŉ" (2 bytes) upper-cases to "ʼN" (3 bytes): a forged source would get more than the
    // attacker sent.
    let request = "ŉŉŉ".as_bytes();
    let notes = notes_server();
    let reply = round_trip(&test_socket(notes.addr()), notes.addr(), request);
    assert_eq!(reply, "ʼNʼNʼN".as_bytes());
    assert!(reply.len() > request.len(), "{} bytes", reply.len());

    let lesson = udp_server(&[]);
    let reply = round_trip(&test_socket(lesson.addr()), lesson.addr(), request);
    assert!(
        reply.len() <= request.len(),
        "{} bytes back for {}",
        reply.len(),
        request.len()
    );
}
