//! What the receiver's end-to-end tests share: the real `file-recv` on a free port, and a
//! sender written here that sends raw bytes and reads every word of the answer.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;

use testkit::{Server, connect};

/// Starts `file-recv` on a free loopback port, serving `dir`, with `extra` options.
pub fn receiver(dir: &Path, extra: &[&str]) -> Server {
    let dir = dir.to_str().expect("a UTF-8 temporary path");
    let mut args = vec!["--listen", "127.0.0.1:0", "--dir", dir];
    args.extend_from_slice(extra);
    Server::start("file-recv", &args)
}

/// Sends `bytes` as they are, closes our side, and returns everything the receiver said.
pub fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    exchange_from(addr, bytes).1
}

/// [`exchange`], also returning our own address: the receiver's log names us by it.
///
/// A receiver that refuses at once (busy) may have answered and closed before our bytes
/// arrived; they then meet a closed socket, whose RST makes our half-close fail with
/// `NotConnected` and may end our read with a reset. Its answer came before that RST and
/// is still read, and it is what the tests check.
pub fn exchange_from(addr: SocketAddr, bytes: &[u8]) -> (SocketAddr, String) {
    let mut stream = connect(addr);
    let peer = stream.local_addr().expect("our address");
    stream.write_all(bytes).expect("send");
    match stream.shutdown(Shutdown::Write) {
        Ok(()) => (peer, read_all(&mut stream)),
        Err(e) if e.kind() == ErrorKind::NotConnected => (peer, read_until_reset(&mut stream)),
        Err(e) => panic!("half-close: {e}"),
    }
}

/// Reads what the receiver said before its connection was reset (or closed).
fn read_until_reset(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    String::from_utf8(reply).expect("the receiver speaks UTF-8")
}

/// Reads what the receiver said until it closed the connection.
pub fn read_all(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("the receiver answers and closes");
    String::from_utf8(reply).expect("the receiver speaks UTF-8")
}
