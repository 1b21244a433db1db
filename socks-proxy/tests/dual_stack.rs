//! Every command over a dual-stack listener (`[::]`, one IPv6 socket that IPv4 clients
//! reach too) as well as over 127.0.0.1. An IPv4 client of `[::]` arrives with an
//! IPv4-mapped IPv6 address (`::ffff:127.0.0.1`): the proxy must treat it as the IPv4
//! address it is, or its UDP relay and SOCKS4 BIND fail for exactly those clients.

mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};

use support::{
    BODY, HttpTarget, UdpEcho, push_address, read_exactly, read_socks5_reply, read_to_close,
};
use testkit::{STEP_TIMEOUT, Server, connect};

/// The proxy on a dual-stack listener. `[::]` is not loopback, so it needs --allow-public;
/// the test still reaches it only through 127.0.0.1 and ::1.
fn dual_stack_proxy() -> Option<Server> {
    if !testkit::ipv6_available() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return None;
    }
    Some(Server::start(
        "socks-proxy",
        &[
            "--listen",
            "[::]:0",
            "--allow-public",
            "--idle-timeout",
            "5",
        ],
    ))
}

/// The ways to reach a proxy: (its address as the client dials it, the client's IP).
fn routes(proxy: &Server, dual: bool) -> Vec<(SocketAddr, IpAddr)> {
    let port = proxy.addr().port();
    let mut ips: Vec<IpAddr> = vec![[127, 0, 0, 1].into()];
    if dual {
        ips.push(std::net::Ipv6Addr::LOCALHOST.into());
    }
    ips.into_iter()
        .map(|ip| (SocketAddr::new(ip, port), ip))
        .collect()
}

/// The address in a SOCKS5 reply (IPv4 or IPv6).
fn reply_addr(reply: &[u8]) -> SocketAddr {
    let port = u16::from_be_bytes([reply[reply.len() - 2], reply[reply.len() - 1]]);
    let ip: IpAddr = match reply[3] {
        1 => <[u8; 4]>::try_from(&reply[4..8]).expect("4 bytes").into(),
        _ => <[u8; 16]>::try_from(&reply[4..20])
            .expect("16 bytes")
            .into(),
    };
    SocketAddr::new(ip, port)
}

fn greet(proxy: SocketAddr) -> TcpStream {
    let mut stream = connect(proxy);
    stream.write_all(&[5, 1, 0]).expect("greeting");
    assert_eq!(read_exactly(&mut stream, 2), [5, 0]);
    stream
}

fn fetch(mut stream: TcpStream) {
    stream
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(response.ends_with(BODY), "got {response:?}");
}

fn socks5_connect(proxy: SocketAddr, target: SocketAddr) {
    let mut stream = greet(proxy);
    let mut request = vec![5, 1, 0];
    push_address(&mut request, target);
    stream.write_all(&request).expect("CONNECT");
    assert_eq!(read_socks5_reply(&mut stream)[1], 0, "CONNECT via {proxy}");
    fetch(stream);
}

fn socks4_connect(proxy: SocketAddr, target: SocketAddr, by_name: bool) {
    let mut stream = connect(proxy);
    let mut request = vec![4, 1];
    request.extend_from_slice(&target.port().to_be_bytes());
    if by_name {
        request.extend_from_slice(&[0, 0, 0, 1, 0]);
        request.extend_from_slice(b"localhost\0");
    } else {
        request.extend_from_slice(&[127, 0, 0, 1, 0]);
    }
    stream.write_all(&request).expect("CONNECT");
    assert_eq!(read_exactly(&mut stream, 8)[..2], [0, 0x5A], "via {proxy}");
    fetch(stream);
}

fn socks5_bind(proxy: SocketAddr, client_ip: IpAddr) {
    let mut stream = greet(proxy);
    let mut request = vec![5, 2, 0];
    push_address(&mut request, SocketAddr::new(client_ip, 0));
    stream.write_all(&request).expect("BIND");
    let first = read_socks5_reply(&mut stream);
    assert_eq!(first[1], 0, "BIND via {proxy}: {first:?}");
    let listening = reply_addr(&first);
    assert_eq!(
        listening.ip(),
        client_ip,
        "listens where the client reached it"
    );
    let mut target = connect(listening);
    let second = read_socks5_reply(&mut stream);
    assert_eq!(reply_addr(&second), target.local_addr().expect("address"));
    target.write_all(b"back").expect("target sends");
    assert_eq!(read_exactly(&mut stream, 4), b"back");
}

fn socks4_bind(proxy: SocketAddr, client_ip: IpAddr) {
    let mut stream = connect(proxy);
    stream
        .write_all(&[4, 2, 0, 0, 127, 0, 0, 1, 0])
        .expect("BIND");
    if client_ip.is_ipv6() {
        // A SOCKS4 reply has room for an IPv4 address only: over ::1 it must be refused.
        assert_eq!(read_to_close(&mut stream)[..2], [0, 0x5B]);
        return;
    }
    let first = read_exactly(&mut stream, 8);
    assert_eq!(first[..2], [0, 0x5A], "SOCKS4 BIND via {proxy}: {first:?}");
    assert_eq!(first[4..], [127, 0, 0, 1]);
    let mut target = connect(("127.0.0.1", u16::from_be_bytes([first[2], first[3]])));
    assert_eq!(read_exactly(&mut stream, 8)[..2], [0, 0x5A]);
    target.write_all(b"back").expect("target sends");
    assert_eq!(read_exactly(&mut stream, 4), b"back");
}

fn udp_associate(proxy: SocketAddr, client_ip: IpAddr) {
    let echo = UdpEcho::start_on(&client_ip.to_string());
    let udp = UdpSocket::bind((client_ip, 0)).expect("a free loopback port");
    udp.set_read_timeout(Some(STEP_TIMEOUT)).expect("timeout");
    let mut control = greet(proxy);
    let mut request = vec![5, 3, 0];
    push_address(&mut request, udp.local_addr().expect("bound"));
    control.write_all(&request).expect("UDP ASSOCIATE");
    let reply = read_socks5_reply(&mut control);
    assert_eq!(reply[1], 0, "UDP ASSOCIATE via {proxy}");
    let relay = reply_addr(&reply);
    assert_eq!(
        relay.ip(),
        client_ip,
        "the relay is where the client reached us"
    );
    let mut datagram = vec![0, 0, 0];
    push_address(&mut datagram, echo.addr);
    datagram.extend_from_slice(b"ping");
    udp.send_to(&datagram, relay).expect("send");
    let mut buffer = [0; 512];
    let (n, from) = udp
        .recv_from(&mut buffer)
        .unwrap_or_else(|e| panic!("no echo through the relay via {proxy}: {e}"));
    assert_eq!(from, relay);
    assert_eq!(&buffer[..n], &datagram[..], "header names the echo");
    drop(control);
}

/// Runs every command through each route to `proxy`.
fn every_command(proxy: &Server, dual: bool) {
    let target = HttpTarget::start("127.0.0.1");
    for (addr, client_ip) in routes(proxy, dual) {
        socks5_connect(addr, target.addr);
        socks4_connect(addr, target.addr, false);
        socks4_connect(addr, target.addr, true);
        socks5_bind(addr, client_ip);
        socks4_bind(addr, client_ip);
        udp_associate(addr, client_ip);
    }
}

#[test]
fn every_command_works_over_ipv4_loopback() {
    let proxy = Server::start("socks-proxy", &["--listen", "127.0.0.1:0"]);
    every_command(&proxy, false);
}

#[test]
fn every_command_works_over_a_dual_stack_listener_from_ipv4_and_ipv6() {
    let Some(proxy) = dual_stack_proxy() else {
        return;
    };
    every_command(&proxy, true);
    // Logs name the IPv4 client as it is, not as ::ffff:127.0.0.1.
    assert!(
        !proxy
            .stdout
            .snapshot()
            .iter()
            .any(|l| l.contains("::ffff:")),
        "{:#?}",
        proxy.stdout.snapshot()
    );
}
