//! The caps on clients at once: one client address cannot take every place.

mod support;

use std::io::{ErrorKind, Read};
use std::net::{Ipv6Addr, SocketAddr, TcpStream};

use support::{HttpTarget, socks5_connect};
use testkit::{STEP_TIMEOUT, Server, connect};

/// Whether the proxy closed `stream` without a word (as it does over a cap).
fn closed(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    let mut byte = [0];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Err(e) => e.kind() == ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

#[test]
fn one_address_cannot_take_every_place() {
    if !testkit::ipv6_available() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let target = HttpTarget::start("127.0.0.1");
    // A dual-stack listener gives the test two client addresses, 127.0.0.1 and ::1, both
    // loopback. The silent clients hold their places for the whole handshake deadline.
    let proxy = Server::start(
        "socks-proxy",
        &[
            "--listen",
            "[::]:0",
            "--allow-public",
            "--max-clients",
            "4",
            "--max-per-address",
            "2",
            "--handshake-timeout",
            "60",
        ],
    );
    let port = proxy.addr().port();
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    let _silent = [connect(v4), connect(v4)];
    let mut third = connect(v4);
    assert!(closed(&mut third), "a third client from 127.0.0.1 was kept");
    proxy.stdout.wait_for(
        "refused: already serving 2 clients from this address (--max-per-address)",
        STEP_TIMEOUT,
    );
    // Places are left for everyone else.
    let mut other = socks5_connect(v6, target.addr);
    std::io::Write::write_all(&mut other, b"GET / HTTP/1.0\r\n\r\n").expect("request");
    let mut response = String::new();
    other.read_to_string(&mut response).expect("response");
    assert!(response.ends_with(support::BODY), "{response:?}");
}
