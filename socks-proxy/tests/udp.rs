//! UDP ASSOCIATE: the part of SOCKS5 that SOCKS4 cannot do. A real UDP-capable client
//! (PySocks, a Python SOCKS library) and sockets of the test's own send datagrams through
//! the proxy's relay to a UDP echo server the test runs on loopback.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::{UdpEcho, proxy, push_address, read_exactly, read_socks5_reply};
use testkit::{Running, STEP_TIMEOUT, connect};

/// Whether python3 with PySocks is installed (`.ci/run` installs it; locally, skip).
fn have_pysocks() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import socks"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "PySocks is missing on CI: .ci/run must install it"
        );
        eprintln!("skipping: python3 with PySocks (pip install PySocks) is not installed");
    }
    found
}

/// A PySocks client: sends one datagram to each target through the proxy and prints each
/// reply with its source; then checks that unknown commands are refused.
const PYSOCKS_CLIENT: &str = r#"
import socket, sys, socks
proxy_port, echo_port = int(sys.argv[1]), int(sys.argv[2])
user, password = (sys.argv[3].split(":", 1) + [None])[:2] if len(sys.argv) > 3 else (None, None)
udp = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
udp.set_proxy(socks.SOCKS5, "127.0.0.1", proxy_port, rdns=True, username=user, password=password)
udp.settimeout(10)
try:
    udp.bind(("127.0.0.1", 0))  # PySocks does the UDP ASSOCIATE here.
except socks.ProxyError as error:
    print("associate failed:", error)
    sys.exit(0)
for host in ["127.0.0.1", "localhost"]:
    udp.sendto(("ping via " + host).encode(), (host, echo_port))
    data, source = udp.recvfrom(65535)
    print("echo:", data.decode(), "from", source[0], source[1])
udp.close()
for name, command in [("command 4", b"\x04"), ("command 9", b"\x09")]:
    client = socks.socksocket()
    client.set_proxy(socks.SOCKS5, "127.0.0.1", proxy_port, username=user, password=password)
    control = socket.create_connection(("127.0.0.1", proxy_port), timeout=10)
    try:
        client._SOCKS5_request(control, command, ("127.0.0.1", echo_port))
        print(name, "accepted?!")
    except socks.SOCKS5Error as error:
        print(name, "refused:", error)
    control.close()
"#;

fn pysocks(proxy: SocketAddr, echo: SocketAddr, credentials: Option<&str>) -> String {
    let mut command = Command::new("python3");
    command
        .args(["-c", PYSOCKS_CLIENT])
        .arg(proxy.port().to_string())
        .arg(echo.port().to_string())
        .args(credentials)
        .stdin(Stdio::null());
    let output: Output = Running::spawn(&mut command).finish();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python failed: {stdout}{stderr}");
    stdout
}

#[test]
fn pysocks_sends_datagrams_through_the_relay_by_address_and_by_name() {
    if !have_pysocks() {
        return;
    }
    let echo = UdpEcho::start();
    let proxy = proxy(&[]);
    let out = pysocks(proxy.addr(), echo.addr, None);
    let port = echo.addr.port();
    assert!(
        out.contains(&format!("echo: ping via 127.0.0.1 from 127.0.0.1 {port}")),
        "{out}"
    );
    // "localhost" went to the proxy as a name (rdns=True); the proxy resolved it.
    assert!(
        out.contains(&format!("echo: ping via localhost from 127.0.0.1 {port}")),
        "{out}"
    );
    assert_eq!(echo.received().len(), 2);
    // The relay ends with its TCP connection, which PySocks closed with the socket.
    proxy.stdout.wait_for(
        "ended (the client closed its TCP connection): 2 datagrams to targets, 2 back",
        STEP_TIMEOUT,
    );
}

#[test]
fn pysocks_sees_unknown_commands_refused_as_not_supported() {
    if !have_pysocks() {
        return;
    }
    let echo = UdpEcho::start();
    let proxy = proxy(&[]);
    let out = pysocks(proxy.addr(), echo.addr, None);
    assert!(
        out.contains("command 4 refused: 0x07: Command not supported"),
        "{out}"
    );
    assert!(
        out.contains("command 9 refused: 0x07: Command not supported"),
        "{out}"
    );
}

#[test]
fn pysocks_with_a_password_gets_its_udp_relay_and_without_it_does_not() {
    if !have_pysocks() {
        return;
    }
    let echo = UdpEcho::start();
    let proxy = proxy(&["--user", "alice:s3cret"]);
    // PySocks offers both "none" and "password": the proxy must pick the password.
    let out = pysocks(proxy.addr(), echo.addr, Some("alice:s3cret"));
    assert!(out.contains("echo: ping via localhost"), "{out}");
    let out = pysocks(proxy.addr(), echo.addr, Some("alice:wrong"));
    assert!(
        out.contains("associate failed: SOCKS5 authentication failed"),
        "{out}"
    );
    let out = pysocks(proxy.addr(), echo.addr, None);
    assert!(
        out.contains("associate failed: All offered SOCKS5 authentication methods were rejected"),
        "{out}"
    );
    assert_eq!(
        echo.received().len(),
        2,
        "only the authenticated client's datagrams"
    );
}

/// A UDP ASSOCIATE by hand: returns the control connection, the client's UDP socket and
/// the relay address from the reply.
fn associate(proxy: SocketAddr) -> (TcpStream, UdpSocket, SocketAddr) {
    let udp = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    udp.set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    let mut control = connect(proxy);
    control.write_all(&[5, 1, 0]).expect("greeting");
    assert_eq!(read_exactly(&mut control, 2), [5, 0]);
    let mut request = vec![5, 3, 0];
    push_address(&mut request, udp.local_addr().expect("bound address"));
    control.write_all(&request).expect("UDP ASSOCIATE");
    let reply = read_socks5_reply(&mut control);
    assert_eq!(
        reply[..4],
        [5, 0, 0, 1],
        "succeeded, with an IPv4 relay address"
    );
    let ip: [u8; 4] = reply[4..8].try_into().expect("4 bytes");
    let relay = SocketAddr::from((ip, u16::from_be_bytes([reply[8], reply[9]])));
    (control, udp, relay)
}

/// A datagram for the relay: the RFC 1928 header (fragment `frag`, target), then `payload`.
fn datagram(frag: u8, target: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, frag];
    push_address(&mut bytes, target);
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn the_relay_listens_where_the_client_connected_and_dies_with_the_tcp_connection() {
    let echo = UdpEcho::start();
    let proxy = proxy(&[]);
    let (control, udp, relay) = associate(proxy.addr());
    // The relay is on the address the client reached the proxy on: never 0.0.0.0.
    assert_eq!(relay.ip(), proxy.addr().ip());
    udp.send_to(&datagram(0, echo.addr, b"hello"), relay)
        .expect("send");
    let mut buffer = [0; 1024];
    let (n, from) = udp
        .recv_from(&mut buffer)
        .expect("the echo, through the relay");
    assert_eq!(from, relay);
    assert_eq!(
        &buffer[..n],
        datagram(0, echo.addr, b"hello"),
        "header names the echo"
    );

    drop(control);
    proxy
        .stdout
        .wait_for("ended (the client closed its TCP connection)", STEP_TIMEOUT);
    // The relay's socket is closed: its port can be bound again.
    let deadline = Instant::now() + STEP_TIMEOUT;
    while UdpSocket::bind(relay).is_err() {
        assert!(Instant::now() < deadline, "the relay port is still in use");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_relay_drops_strangers_and_fragments() {
    let echo = UdpEcho::start();
    let proxy = proxy(&[]);
    let (_control, udp, relay) = associate(proxy.addr());
    let stranger = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    stranger
        .send_to(&datagram(0, echo.addr, b"from a stranger"), relay)
        .expect("send");
    udp.send_to(&datagram(1, echo.addr, b"fragment 1"), relay)
        .expect("send");
    udp.send_to(&datagram(0, echo.addr, b"whole"), relay)
        .expect("send");
    let mut buffer = [0; 1024];
    let (n, _) = udp
        .recv_from(&mut buffer)
        .expect("the echo of the whole one");
    assert!(buffer[..n].ends_with(b"whole"));
    // The relay handles datagrams in order, so the two before were already dropped.
    assert_eq!(echo.received(), [b"whole".to_vec()]);
    proxy.stdout.wait_for(
        "dropped: not the client, nor a target it sent to",
        STEP_TIMEOUT,
    );
    proxy.stdout.wait_for(
        "dropped: fragment 1 (this relay does not reassemble)",
        STEP_TIMEOUT,
    );
}

#[test]
fn an_idle_association_is_closed_by_the_proxy() {
    let proxy = proxy(&["--idle-timeout", "1"]);
    let (mut control, _udp, _relay) = associate(proxy.addr());
    let start = Instant::now();
    let mut rest = Vec::new();
    control
        .read_to_end(&mut rest)
        .expect("the proxy closes the connection");
    assert!(rest.is_empty());
    assert!(start.elapsed() < Duration::from_secs(5));
    proxy.stdout.wait_for(
        "ended (nothing relayed within --idle-timeout)",
        STEP_TIMEOUT,
    );
}

#[test]
fn the_books_udp_client_script_gets_its_reply_through_the_relay() {
    if !have_pysocks() {
        return;
    }
    let echo = UdpEcho::start();
    let proxy = proxy(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/udp_via_socks5.py");
    let mut command = Command::new("python3");
    command
        .arg(script)
        .arg(proxy.addr().port().to_string())
        .arg("localhost")
        .arg(echo.addr.port().to_string())
        .arg("hello over udp")
        .stdin(Stdio::null());
    let output = Running::spawn(&mut command).finish();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout,
        format!(
            "reply from 127.0.0.1:{}: hello over udp\n",
            echo.addr.port()
        )
    );
}
