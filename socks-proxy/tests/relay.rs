//! The relay, tested with sockets of the test's own on both sides of the proxy: what the
//! client sends and what the target receives can be checked byte for byte, and timed.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use support::{BODY, HttpTarget, proxy, read_exactly, read_socks5_reply, socks5_connect};
use testkit::{STEP_TIMEOUT, connect};

#[test]
fn the_relay_passes_a_half_close_on_and_keeps_the_other_direction_flowing() {
    // A target that reads the whole request (until the client's FIN), then answers: it
    // works through the proxy only if the proxy passes the FIN on without closing.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let target = listener.local_addr().expect("bound address");
    let server = thread::spawn(move || {
        let mut stream = testkit::accept(&listener);
        let mut request = Vec::new();
        stream.read_to_end(&mut request).expect("read until FIN");
        let answer = format!("got {} bytes\n", request.len());
        stream.write_all(answer.as_bytes()).expect("answer");
    });
    let proxy = proxy(&[]);
    let mut stream = socks5_connect(proxy.addr(), target);
    stream
        .write_all(&[b'x'; 100_000])
        .expect("send the request");
    stream.shutdown(Shutdown::Write).expect("half-close");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("the answer, then FIN");
    assert_eq!(answer, "got 100000 bytes\n");
    server.join().expect("the target thread ends");
    proxy
        .stdout
        .wait_for("relayed 100000 bytes up, 17 bytes down", STEP_TIMEOUT);
}

#[test]
fn bytes_sent_with_the_request_are_not_lost() {
    // A client may send its first data right behind the SOCKS4 request, without waiting
    // for the reply; those bytes arrive in the same read as the request.
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let mut stream = connect(proxy.addr());
    let mut message = vec![4, 1];
    message.extend_from_slice(&target.addr.port().to_be_bytes());
    message.extend_from_slice(&[127, 0, 0, 1, 0]);
    message.extend_from_slice(b"GET / HTTP/1.0\r\n\r\n");
    stream
        .write_all(&message)
        .expect("request and data together");
    assert_eq!(read_exactly(&mut stream, 2), [0, 0x5A], "granted");
    read_exactly(&mut stream, 6);
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("the response");
    assert!(response.ends_with(BODY), "{response:?}");
}

#[test]
fn a_socks5_reply_names_the_proxys_end_of_the_connection() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&[]);
    let mut stream = connect(proxy.addr());
    stream.write_all(&[5, 1, 0]).expect("greeting");
    assert_eq!(read_exactly(&mut stream, 2), [5, 0]);
    let mut request = vec![5, 1, 0];
    support::push_address(&mut request, target.addr);
    stream.write_all(&request).expect("request");
    let reply = read_socks5_reply(&mut stream);
    assert_eq!(reply[..4], [5, 0, 0, 1], "succeeded, IPv4 bound address");
    assert_eq!(reply[4..8], [127, 0, 0, 1]);
    let port = u16::from_be_bytes([reply[8], reply[9]]);
    assert_ne!(port, 0, "the proxy's own port towards the target");
    proxy
        .stdout
        .wait_for(&format!("via 127.0.0.1:{port}: relaying"), STEP_TIMEOUT);
}

#[test]
fn an_idle_relay_is_closed_by_the_proxy() {
    // A target that accepts and then says nothing, and a client that says nothing either.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let target = listener.local_addr().expect("bound address");
    let held = thread::spawn(move || {
        let mut stream = testkit::accept(&listener);
        let mut rest = Vec::new();
        // Returns when the proxy closes its side.
        stream.read_to_end(&mut rest).map(|_| rest.len())
    });
    let proxy = proxy(&["--idle-timeout", "1"]);
    let mut stream = socks5_connect(proxy.addr(), target);
    let start = Instant::now();
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the proxy closes the client's side");
    assert!(rest.is_empty());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(held.join().expect("target thread").expect("clean close"), 0);
    proxy
        .stdout
        .wait_for("idle for 1 s (--idle-timeout)", STEP_TIMEOUT);
}

#[test]
fn a_relay_closes_one_idle_timeout_after_its_last_byte_not_two() {
    // The target sends a few bytes 1.5 s in, then half-closes; the client stays silent.
    // The upload direction's first wait (3 s) ends 1.5 s after that last byte: it must
    // wait only the 1.5 s left, not another full 3 s (which would close at 4.5 s).
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let target = listener.local_addr().expect("bound address");
    let server = thread::spawn(move || {
        let mut stream = testkit::accept(&listener);
        thread::sleep(Duration::from_millis(1500));
        stream.write_all(b"last\n").expect("the last bytes");
        let sent = Instant::now();
        stream.shutdown(Shutdown::Write).expect("half-close");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a bound on the wait");
        let mut rest = Vec::new();
        // Returns when the proxy gives up on the idle relay and closes this side.
        stream
            .read_to_end(&mut rest)
            .expect("the proxy closes within 10 s");
        sent.elapsed()
    });
    let proxy = proxy(&["--idle-timeout", "3"]);
    let mut stream = socks5_connect(proxy.addr(), target);
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("the last bytes, then the target's FIN");
    assert_eq!(received, b"last\n");
    let closed_after = server.join().expect("the target thread ends");
    assert!(
        closed_after >= Duration::from_millis(2900),
        "closed {closed_after:?} after the last byte: sooner than --idle-timeout"
    );
    assert!(
        closed_after < Duration::from_millis(4000),
        "closed {closed_after:?} after the last byte: the idle time was counted twice"
    );
    proxy
        .stdout
        .wait_for("idle for 3 s (--idle-timeout)", STEP_TIMEOUT);
    drop(stream);
}

#[test]
fn a_busy_download_keeps_a_silent_upload_alive() {
    // The client sends nothing after its request, for longer than the idle timeout, while
    // the target sends a chunk every 200 ms: the relay is busy, not idle.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let target = listener.local_addr().expect("bound address");
    let sender = thread::spawn(move || {
        let mut stream = testkit::accept(&listener);
        for _ in 0..12 {
            stream.write_all(&[b'd'; 1000]).expect("send a chunk");
            thread::sleep(Duration::from_millis(200));
        }
    });
    let proxy = proxy(&["--idle-timeout", "1"]);
    let mut stream = socks5_connect(proxy.addr(), target);
    let mut download = Vec::new();
    stream
        .read_to_end(&mut download)
        .expect("the whole download");
    assert_eq!(download.len(), 12_000);
    sender.join().expect("the target thread ends");
    drop(stream); // Our FIN ends the upload direction too.
    proxy
        .stdout
        .wait_for("relayed 0 bytes up, 12000 bytes down", STEP_TIMEOUT);
}

#[test]
fn after_the_target_half_closes_the_client_can_still_send() {
    // The mirror image: the target says everything it has to say and half-closes first;
    // the client reads it all, and only then sends, through the still-open direction.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let target = listener.local_addr().expect("bound address");
    let server = thread::spawn(move || {
        let mut stream = testkit::accept(&listener);
        stream.write_all(b"banner\n").expect("send the banner");
        stream.shutdown(Shutdown::Write).expect("half-close");
        let mut upload = Vec::new();
        stream
            .read_to_end(&mut upload)
            .expect("read until the client's FIN");
        upload.len()
    });
    let proxy = proxy(&[]);
    let mut stream = socks5_connect(proxy.addr(), target);
    let mut banner = String::new();
    stream
        .read_to_string(&mut banner)
        .expect("the banner, then FIN");
    assert_eq!(banner, "banner\n");
    stream
        .write_all(&[b'u'; 50_000])
        .expect("send after the target's FIN");
    stream.shutdown(Shutdown::Write).expect("half-close");
    assert_eq!(server.join().expect("the target thread ends"), 50_000);
    proxy
        .stdout
        .wait_for("relayed 50000 bytes up, 7 bytes down", STEP_TIMEOUT);
}
