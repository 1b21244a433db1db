//! Text a client sends (host names, user names) reaches the proxy's log escaped: a client
//! must not be able to forge log lines or send escape codes to the terminal of whoever
//! reads the log.

mod support;

use std::io::Write;
use std::net::SocketAddr;

use support::{proxy, read_exactly, read_to_close};
use testkit::{STEP_TIMEOUT, connect};

/// A host name that tries to end the log line, start a forged one, clear the screen and
/// reverse the text after it. Under `.invalid`, so no resolver is ever asked.
const EVIL: &str = "x\rFORGED done: ok\n\u{1b}[2J\u{202e}gnp.invalid";
/// How it must appear in the log.
const ESCAPED: &str = r"x\rFORGED done: ok\n\u{1b}[2J\u{202e}gnp.invalid";

fn socks5_request(command: u8, name: &str) -> Vec<u8> {
    let mut request = vec![5, command, 0, 3, name.len() as u8];
    request.extend_from_slice(name.as_bytes());
    request.extend_from_slice(&80u16.to_be_bytes());
    request
}

fn socks4a_request(command: u8, name: &str) -> Vec<u8> {
    let mut request = vec![4, command, 0, 80, 0, 0, 0, 1, b'u', 0];
    request.extend_from_slice(name.as_bytes());
    request.push(0);
    request
}

/// Checks that every line of the log so far is free of raw control characters, that no
/// line was forged, and that the escaped name appears `count` times or more.
fn assert_log_escaped(proxy: &testkit::Server, wanted: &str, count: usize) {
    let deadline = std::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let lines = proxy.stdout.snapshot();
        let found = lines.iter().filter(|l| l.contains(wanted)).count();
        if found >= count {
            for line in &lines {
                assert!(!line.starts_with("FORGED"), "a forged line: {lines:#?}");
                assert!(
                    !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
                    "raw control text in {line:?}"
                );
            }
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{wanted} not logged {count} times: {lines:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn host_names_from_every_command_are_escaped_in_the_log() {
    let proxy = proxy(&[]);
    let addr: SocketAddr = proxy.addr();
    // SOCKS5 CONNECT, BIND and UDP ASSOCIATE name the host; so do SOCKS4a CONNECT and BIND.
    for command in [1, 2] {
        let mut stream = connect(addr);
        stream.write_all(&[5, 1, 0]).expect("greeting");
        assert_eq!(read_exactly(&mut stream, 2), [5, 0]);
        stream
            .write_all(&socks5_request(command, EVIL))
            .expect("request");
        let reply = read_to_close(&mut stream);
        assert_eq!(reply[0], 5);
        assert_ne!(reply[1], 0, "a refusal for command {command}");
    }
    for command in [1, 2] {
        let mut stream = connect(addr);
        stream
            .write_all(&socks4a_request(command, EVIL))
            .expect("request");
        assert_eq!(read_to_close(&mut stream)[..2], [0, 0x5B]);
    }
    assert_log_escaped(&proxy, ESCAPED, 4);
}

#[test]
fn a_user_name_that_failed_is_escaped_in_the_log() {
    let proxy = proxy(&["--user", "alice:secret"]);
    let mut stream = connect(proxy.addr());
    stream.write_all(&[5, 1, 2]).expect("greeting");
    assert_eq!(read_exactly(&mut stream, 2), [5, 2]);
    let name = "bob\nFORGED\u{1b}]0;title\u{7}";
    let mut auth = vec![1, name.len() as u8];
    auth.extend_from_slice(name.as_bytes());
    auth.extend_from_slice(&[5, b'w', b'r', b'o', b'n', b'g']);
    stream.write_all(&auth).expect("auth");
    assert_eq!(read_to_close(&mut stream), [1, 1]);
    assert_log_escaped(&proxy, r"bob\nFORGED\u{1b}]0;title\u{7}", 1);
}
