//! What the server's end-to-end tests share: the real `udp-server` on a free port, sockets
//! the test owns (the datagrams and replies are exactly what the test sees on the wire), and
//! `nc -u` as a real client.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::{Command, Output, Stdio};

use testkit::{Running, STEP_TIMEOUT, Server};

/// The real `udp-server` on a free loopback port, with `extra` arguments.
pub fn udp_server(extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start("udp-server", &args)
}

/// A socket of the test's own, on the same loopback as `server`, with bounded waits.
pub fn test_socket(server: SocketAddr) -> UdpSocket {
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
    };
    let socket = UdpSocket::bind(local).expect("a free loopback port");
    socket
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    socket
}

/// Sends `datagram` to `server` and returns the reply, checking that the server sent it.
pub fn round_trip(socket: &UdpSocket, server: SocketAddr, datagram: &[u8]) -> Vec<u8> {
    socket.send_to(datagram, server).expect("send a datagram");
    receive_from(socket, server)
}

/// The next datagram on `socket`, checking that it comes from `server`.
pub fn receive_from(socket: &UdpSocket, server: SocketAddr) -> Vec<u8> {
    let mut buffer = vec![0; 65_536];
    let (len, from) = socket.recv_from(&mut buffer).expect("a reply in time");
    assert_eq!(from, server, "the reply comes from the server's address");
    buffer.truncate(len);
    buffer
}

/// Types `input` into `nc -u` talking to `server`; returns what nc printed (the replies).
///
/// `-w1`: nc quits one second after its input ends, once the reply had time to come.
pub fn netcat(server: &Server, input: &[u8]) -> Output {
    let mut command = Command::new("nc");
    command.args(["-u", "-w1", "127.0.0.1", &server.addr().port().to_string()]);
    command.stdin(Stdio::piped());
    let mut nc = Running::spawn(&mut command);
    let mut stdin = nc.stdin().expect("stdin is piped");
    stdin.write_all(input).expect("type a line");
    drop(stdin);
    nc.finish()
}
