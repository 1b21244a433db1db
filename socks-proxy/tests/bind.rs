//! BIND: the proxy listens for one connection *from* the target, as active FTP needs. No
//! common client speaks BIND, so the client here is written byte by byte, and the "target"
//! is a socket of the test's own that connects to the address of the first reply.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::{HttpTarget, assert_still_serves, proxy, push_address, read_exactly};
use testkit::{STEP_TIMEOUT, connect};

/// Reads a SOCKS5 reply with an IPv4 address; returns its code and the address.
fn socks5_reply(stream: &mut TcpStream) -> (u8, SocketAddr) {
    let reply = read_exactly(stream, 10);
    assert_eq!(reply[..4], [5, reply[1], 0, 1], "an IPv4 reply: {reply:?}");
    let ip: [u8; 4] = reply[4..8].try_into().expect("4 bytes");
    (
        reply[1],
        SocketAddr::from((ip, u16::from_be_bytes([reply[8], reply[9]]))),
    )
}

/// Sends a SOCKS5 BIND request expecting a connection from `expected`.
fn socks5_bind(proxy: SocketAddr, expected: SocketAddr) -> TcpStream {
    let mut client = connect(proxy);
    client.write_all(&[5, 1, 0]).expect("greeting");
    assert_eq!(read_exactly(&mut client, 2), [5, 0]);
    let mut request = vec![5, 2, 0];
    push_address(&mut request, expected);
    client.write_all(&request).expect("BIND");
    client
}

#[test]
fn socks5_bind_accepts_the_targets_connection_and_relays_it() {
    let proxy = proxy(&[]);
    let mut client = socks5_bind(proxy.addr(), "127.0.0.1:0".parse().expect("an address"));
    // First reply: where the proxy listens, on the address the client reached it on.
    let (code, listening) = socks5_reply(&mut client);
    assert_eq!(code, 0);
    assert_eq!(listening.ip(), proxy.addr().ip());
    assert_ne!(listening.port(), 0);

    // The target connects back, as an FTP server would after a PORT command.
    let mut target = connect(listening);
    let (code, from) = socks5_reply(&mut client);
    assert_eq!(code, 0);
    assert_eq!(from, target.local_addr().expect("the target's address"));

    target.write_all(b"file contents").expect("target sends");
    target
        .shutdown(std::net::Shutdown::Write)
        .expect("half-close");
    let mut received = Vec::new();
    client
        .read_to_end(&mut received)
        .expect("what the target sent");
    assert_eq!(received, b"file contents");
    client.write_all(b"thanks").expect("client answers");
    drop(client);
    let mut answer = Vec::new();
    target
        .read_to_end(&mut answer)
        .expect("what the client sent");
    assert_eq!(answer, b"thanks");
    proxy.stdout.wait_for(
        &format!(
            "SOCKS5 BIND on {listening}, connected from {from}: relayed 6 bytes up, 13 bytes down"
        ),
        STEP_TIMEOUT,
    );
    // One connection per BIND: the port is closed as soon as the target is connected.
    assert!(TcpStream::connect(listening).is_err());
}

#[test]
fn socks4_bind_answers_twice_with_0x5a() {
    let proxy = proxy(&[]);
    let mut client = connect(proxy.addr());
    // VN 4, CD 2 (BIND), port 0, expected IP 127.0.0.1, empty user id.
    client
        .write_all(&[4, 2, 0, 0, 127, 0, 0, 1, 0])
        .expect("BIND");
    let first = read_exactly(&mut client, 8);
    assert_eq!(first[..2], [0, 0x5A]);
    let port = u16::from_be_bytes([first[2], first[3]]);
    assert_eq!(first[4..], [127, 0, 0, 1]);
    let mut target = connect(("127.0.0.1", port));
    let second = read_exactly(&mut client, 8);
    assert_eq!(second[..2], [0, 0x5A]);
    let from = target.local_addr().expect("the target's address");
    assert_eq!(u16::from_be_bytes([second[2], second[3]]), from.port());
    target.write_all(b"hello").expect("target sends");
    assert_eq!(read_exactly(&mut client, 5), b"hello");
}

#[test]
fn bind_closes_connections_from_other_hosts_and_gives_up_when_idle() {
    let target = HttpTarget::start("127.0.0.1");
    let proxy = proxy(&["--idle-timeout", "1"]);
    // The client expects 127.0.0.2; the test connects from 127.0.0.1, a different host.
    let mut client = socks5_bind(proxy.addr(), "127.0.0.2:0".parse().expect("an address"));
    let (_, listening) = socks5_reply(&mut client);
    let mut stray = connect(listening);
    let mut sink = Vec::new();
    stray
        .read_to_end(&mut sink)
        .expect("the proxy closes the stray connection");
    proxy.stdout.wait_for("not the expected host", STEP_TIMEOUT);
    // Nobody else comes: after --idle-timeout, a failure reply, then a clean close.
    let start = Instant::now();
    let (code, _) = socks5_reply(&mut client);
    assert_eq!(code, 1, "general failure");
    assert!(start.elapsed() < Duration::from_secs(5));
    proxy
        .stdout
        .wait_for("nobody connected within 1 s", STEP_TIMEOUT);
    assert_still_serves(&proxy, &target);
}

#[test]
fn bind_stops_listening_when_the_client_leaves() {
    let proxy = proxy(&[]);
    let mut client = socks5_bind(proxy.addr(), "127.0.0.1:0".parse().expect("an address"));
    let (_, listening) = socks5_reply(&mut client);
    drop(client);
    proxy.stdout.wait_for(
        "the client closed its connection while waiting",
        STEP_TIMEOUT,
    );
    assert!(TcpStream::connect(listening).is_err(), "still listening");
}
