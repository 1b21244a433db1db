//! Clients that break the rules on purpose, written byte by byte in the test. After each,
//! the proxy must still serve a normal client: one bad client must never cost the others.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use support::{HttpTarget, assert_still_serves, proxy, push_address, read_exactly, read_to_close};
use testkit::{STEP_TIMEOUT, connect};

/// Sends the SOCKS5 greeting "no authentication" and checks the proxy accepts it.
fn greet(stream: &mut TcpStream) {
    stream.write_all(&[5, 1, 0]).expect("greeting");
    assert_eq!(read_exactly(stream, 2), [5, 0]);
}

/// The 10-byte SOCKS5 failure reply with `code`, as the proxy sends it.
fn failure(code: u8) -> Vec<u8> {
    vec![5, code, 0, 1, 0, 0, 0, 0, 0, 0]
}

/// The 8-byte SOCKS4 rejection.
const REJECTED: [u8; 8] = [0, 0x5B, 0, 0, 0, 0, 0, 0];

#[test]
fn a_wrong_version_byte_is_closed_without_a_reply() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let mut stream = connect(proxy.addr());
    stream.write_all(&[6, 1, 0]).expect("a SOCKS6 greeting");
    assert_eq!(read_to_close(&mut stream), b"");
    proxy
        .stdout
        .wait_for("the first byte was 0x06", STEP_TIMEOUT);

    // A browser set up with this as an *HTTP* proxy: the log says what went wrong.
    let mut stream = connect(proxy.addr());
    stream
        .write_all(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .expect("an HTTP request");
    assert_eq!(read_to_close(&mut stream), b"");
    proxy.stdout.wait_for("like an HTTP request", STEP_TIMEOUT);
    assert_still_serves(&proxy, &target);
}

#[test]
fn a_request_with_the_wrong_version_gets_a_general_failure() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let mut stream = connect(proxy.addr());
    greet(&mut stream);
    let mut request = vec![4, 1, 0];
    push_address(&mut request, target.addr);
    stream.write_all(&request).expect("request");
    assert_eq!(read_to_close(&mut stream), failure(1));
    assert_eq!(target.requests(), 0);
    assert_still_serves(&proxy, &target);
}

#[test]
fn truncated_messages_then_close_end_only_that_client() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let halves: [&[u8]; 4] = [
        &[5],                                      // half a greeting
        &[5, 3, 0],                                // a greeting promising 3 methods, giving 1
        &[4, 1, 0, 80, 127, 0, 0, 1, b'u'],        // a SOCKS4 user id without its end
        &[4, 1, 0, 80, 0, 0, 0, 1, 0, b'l', b'o'], // half a SOCKS4a name
    ];
    for half in halves {
        let mut stream = connect(proxy.addr());
        stream.write_all(half).expect("half a message");
        stream.shutdown(Shutdown::Write).expect("then FIN");
        assert_eq!(read_to_close(&mut stream), b"", "after {half:?}");
    }
    // Half a request, after a whole greeting.
    let mut stream = connect(proxy.addr());
    greet(&mut stream);
    stream
        .write_all(&[5, 1, 0, 3, 10, b'a'])
        .expect("half a request");
    stream.shutdown(Shutdown::Write).expect("then FIN");
    assert_eq!(read_to_close(&mut stream), b"");
    let log = || proxy.stdout.snapshot().join("\n");
    let deadline = Instant::now() + STEP_TIMEOUT;
    while log()
        .matches("closed in the middle of the handshake")
        .count()
        < 5
    {
        assert!(Instant::now() < deadline, "{}", log());
        thread::sleep(Duration::from_millis(20));
    }
    assert_still_serves(&proxy, &target);
}

#[test]
fn an_unknown_address_type_is_answered_address_type_not_supported() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let mut stream = connect(proxy.addr());
    greet(&mut stream);
    stream
        .write_all(&[5, 1, 0, 9, 1, 2, 3, 4, 0, 80])
        .expect("ATYP 9");
    // The whole reply arrives, then a clean close (FIN), not a reset.
    assert_eq!(read_to_close(&mut stream), failure(8));
    proxy
        .stdout
        .wait_for("unknown address type 0x09", STEP_TIMEOUT);
    assert_still_serves(&proxy, &target);
}

#[test]
fn unknown_commands_are_answered_command_not_supported() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    for command in [0, 4, 9, 255] {
        let mut stream = connect(proxy.addr());
        greet(&mut stream);
        let mut request = vec![5, command, 0];
        push_address(&mut request, target.addr);
        stream.write_all(&request).expect("request");
        assert_eq!(read_to_close(&mut stream), failure(7), "command {command}");
    }
    proxy.stdout.wait_for("unknown command 0xff", STEP_TIMEOUT);
    assert_eq!(target.requests(), 0);
    assert_still_serves(&proxy, &target);
}

#[test]
fn socks4_cannot_ask_for_udp() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    for command in [3, 9] {
        let mut stream = connect(proxy.addr());
        let mut request = vec![4, command];
        request.extend_from_slice(&target.addr.port().to_be_bytes());
        request.extend_from_slice(&[127, 0, 0, 1, 0]);
        stream.write_all(&request).expect("request");
        assert_eq!(read_to_close(&mut stream), REJECTED, "command {command}");
    }
    assert_still_serves(&proxy, &target);
}

#[test]
fn over_long_names_without_their_terminator_are_rejected_not_stored() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    // A SOCKS4 user id and a SOCKS4a host name, each 4,000 bytes with no zero byte: the
    // proxy decides after 256 bytes, rejects, and still closes cleanly though the client
    // keeps sending.
    let user_id = [4, 1, 0, 80, 127, 0, 0, 1];
    let name = [4, 1, 0, 80, 0, 0, 0, 1, 0];
    for start in [&user_id[..], &name[..]] {
        let mut stream = connect(proxy.addr());
        let mut message = start.to_vec();
        message.extend(vec![b'a'; 4000]);
        stream.write_all(&message).expect("an endless field");
        assert_eq!(read_to_close(&mut stream), REJECTED);
    }
    proxy
        .stdout
        .wait_for("no end to the user id in 255 bytes", STEP_TIMEOUT);
    proxy
        .stdout
        .wait_for("no end to the host name in 255 bytes", STEP_TIMEOUT);
    assert_still_serves(&proxy, &target);
}

/// Waits for the proxy to close `stream`, and returns how long that took.
fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut sink = [0; 64];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return start.elapsed(),
            Ok(_) => {}
            // A reset (we may still be sending) also means the proxy closed.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return start.elapsed(),
            Err(e) => panic!("the proxy did not close the connection: {e}"),
        }
    }
}

#[test]
fn a_silent_client_is_dropped_at_the_handshake_deadline() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--handshake-timeout", "1"]);
    let mut silent = connect(proxy.addr());
    // Meanwhile, others are served: the silent client holds only its own thread.
    assert_still_serves(&proxy, &target);
    let waited = time_until_closed(&mut silent);
    assert!(waited < Duration::from_secs(5), "dropped after {waited:?}");
    proxy
        .stdout
        .wait_for("the handshake took longer than 1 s", STEP_TIMEOUT);
}

#[test]
fn the_deadline_covers_the_whole_handshake_not_each_read() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--handshake-timeout", "1"]);
    let mut trickle = connect(proxy.addr());
    trickle
        .write_all(&[4, 1, 0, 80, 127, 0, 0, 1])
        .expect("start");
    // One byte of user id every 200 ms: each read is quick, the whole is too slow.
    trickle
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("can set a read timeout");
    let start = Instant::now();
    let mut dropped = false;
    while !dropped && start.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(150));
        let mut sink = [0; 8];
        dropped = trickle.write_all(b"u").is_err()
            || match trickle.read(&mut sink) {
                Ok(0) => true,
                Ok(n) => panic!("no reply expected, got {:?}", &sink[..n]),
                Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            };
    }
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "dropped too early: {waited:?}"
    );
    assert!(dropped, "a trickling client was not dropped");
    proxy
        .stdout
        .wait_for("the handshake took longer than 1 s", STEP_TIMEOUT);
    assert_still_serves(&proxy, &target);
}

#[test]
fn many_bad_clients_at_once_do_not_stop_a_good_one() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--handshake-timeout", "2"]);
    let mut bad = Vec::new();
    for i in 0..60 {
        let mut stream = connect(proxy.addr());
        match i % 3 {
            0 => {}                                                    // silent
            1 => stream.write_all(&[5, 255]).expect("send"),           // promises 255 methods
            _ => stream.write_all(&[4, 1, 0, 80, 127]).expect("send"), // half a request
        }
        bad.push(stream);
    }
    assert_still_serves(&proxy, &target);
    drop(bad);
    assert_still_serves(&proxy, &target);
}

#[test]
fn clients_over_the_cap_are_closed_and_the_cap_frees_up() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--max-clients", "2"]);
    let first = connect(proxy.addr());
    let second = connect(proxy.addr());
    let mut third = connect(proxy.addr());
    let closed = time_until_closed(&mut third);
    assert!(closed < STEP_TIMEOUT);
    proxy
        .stdout
        .wait_for("refused: already serving 2 clients", STEP_TIMEOUT);
    drop((first, second));
    // Both places free up once the proxy has seen the two connections close.
    let deadline = Instant::now() + STEP_TIMEOUT;
    while proxy
        .stdout
        .snapshot()
        .iter()
        .filter(|l| l.contains("closed in the middle"))
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "slots not freed");
        thread::sleep(Duration::from_millis(20));
    }
    assert_still_serves(&proxy, &target);
}

#[test]
fn listening_beyond_loopback_is_refused_without_allow_public() {
    // The check comes before binding, so this test opens nothing beyond loopback.
    let mut command = std::process::Command::new(testkit::binary("socks-proxy"));
    command
        .args(["--listen", "0.0.0.0:0"])
        .stdin(std::process::Stdio::null());
    let output = testkit::Running::spawn(&mut command).finish();
    assert!(!output.status.success());
    assert!(
        output.stdout.is_empty(),
        "nothing was bound, so no listening line"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0: it is not a loopback address"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-public"), "{stderr}");
}
