//! What the client's end-to-end tests share: the real `udp-client` and `udp-server`, a
//! socket the test owns that plays the server (so it sees exactly what the client sends),
//! and output as text.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Output, Stdio};

use testkit::{Running, STEP_TIMEOUT, Server, binary};

/// The real `udp-client` talking to `addr`, with `extra` arguments and no stdin.
pub fn udp_client(addr: impl ToString, extra: &[&str]) -> Command {
    let mut command = Command::new(binary("udp-client"));
    command.args(["--connect", &addr.to_string()]).args(extra);
    command.stdin(Stdio::null());
    command
}

/// Runs the client `command` to the end with `input` typed on its keyboard.
pub fn run_typing(mut command: Command, input: &[u8]) -> Output {
    command.stdin(Stdio::piped());
    let mut client = Running::spawn(&mut command);
    let mut keyboard = client.stdin().expect("stdin is piped");
    keyboard.write_all(input).expect("type the input");
    drop(keyboard); // Ctrl-D
    client.finish()
}

/// The real `udp-server` on a free loopback port, with `extra` arguments.
pub fn udp_server(extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start("udp-server", &args)
}

/// A socket that plays the server, on a free loopback port.
pub fn test_server() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a free loopback port");
    socket
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("can set a read timeout");
    let addr = socket.local_addr().expect("its address");
    (socket, addr)
}

/// The next datagram on `socket` and who sent it; fails the test after `STEP_TIMEOUT`.
pub fn receive(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buffer = vec![0; 65_536];
    let (len, from) = socket
        .recv_from(&mut buffer)
        .unwrap_or_else(|e| panic!("no datagram within {STEP_TIMEOUT:?}: {e}"));
    buffer.truncate(len);
    (buffer, from)
}

/// Bytes a process printed, as text (invalid UTF-8 shown as U+FFFD).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
