//! Password guessing (RFC 1929): each wrong guess costs a delay, and an address that
//! guessed wrong too often is refused even the right password for a while.

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::{read_exactly, read_to_close};
use testkit::{STEP_TIMEOUT, Server, connect};

/// One RFC 1929 attempt; returns the proxy's answer (1 = status byte: 0 is success).
fn attempt(proxy: SocketAddr, user: &str, password: &str) -> u8 {
    let mut stream = connect(proxy);
    stream.write_all(&[5, 1, 2]).expect("greeting");
    assert_eq!(read_exactly(&mut stream, 2), [5, 2]);
    let mut auth = vec![1, user.len() as u8];
    auth.extend_from_slice(user.as_bytes());
    auth.push(password.len() as u8);
    auth.extend_from_slice(password.as_bytes());
    stream.write_all(&auth).expect("auth");
    let reply = read_exactly(&mut stream, 2);
    if reply[1] != 0 {
        assert_eq!(read_to_close(&mut stream), b"", "closed after a failure");
    }
    reply[1]
}

fn proxy(extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0", "--user", "alice:s3cret"];
    args.extend_from_slice(extra);
    Server::start("socks-proxy", &args)
}

#[test]
fn a_wrong_password_is_answered_only_after_a_delay() {
    let proxy = proxy(&["--auth-failure-delay-ms", "300"]);
    let start = Instant::now();
    assert_eq!(attempt(proxy.addr(), "alice", "guess"), 1);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "answered after {waited:?}"
    );
    // The right password is not slowed down.
    let start = Instant::now();
    assert_eq!(attempt(proxy.addr(), "alice", "s3cret"), 0);
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn an_address_that_guessed_wrong_too_often_is_locked_out() {
    let proxy = proxy(&["--auth-failure-delay-ms", "1", "--max-auth-failures", "3"]);
    for guess in ["a", "b", "c"] {
        assert_eq!(attempt(proxy.addr(), "alice", guess), 1);
    }
    // Even the right password, now: the guesser cannot tell when it found it.
    assert_eq!(attempt(proxy.addr(), "alice", "s3cret"), 1);
    proxy.stdout.wait_for(
        "refused: 3 failed passwords from this address (--max-auth-failures)",
        STEP_TIMEOUT,
    );
}
