//! Solutions for "TCP states".
//!
//! * Exercise 4: the transition `SYN_SENT → SYN_RCVD`, a *simultaneous open*, where both
//!   ends send a SYN before either has seen the other's. Two programs rarely time it right,
//!   but one socket can do it alone: bound to a port and connecting to that same port, its
//!   SYN arrives at itself. [`connect_to_itself`] does it, and the test talks to itself.
//! * Exercise 2 (the states that can last for ever): `CLOSE_WAIT`, and also an idle
//!   `ESTABLISHED`, `LISTEN` and a half-closed `FIN_WAIT_2` whose program still holds it.
//!   The teardown solution [`crate::solutions::teardown`] holds a `CLOSE_WAIT` and its
//!   `FIN_WAIT_2` open.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

// ANCHOR: self_connect
/// A TCP connection from a loopback port to itself: a simultaneous open.
///
/// The SYN goes out from SYN_SENT and arrives at the same socket, which answers SYN+ACK
/// from SYN_RCVD (the arrow `SYN_SENT → SYN_RCVD` of the diagram) and then receives its own
/// SYN+ACK: ESTABLISHED, with one socket as both ends. No listener is involved.
pub fn connect_to_itself() -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    let own_address = socket.local_addr()?;
    socket.connect(&own_address)?;
    Ok(socket.into())
}
// ANCHOR_END: self_connect

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    // ANCHOR: test
    #[test]
    fn a_socket_connected_to_itself_reads_what_it_writes() {
        let mut stream = connect_to_itself().expect("a simultaneous open on loopback");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        let me = stream.local_addr().expect("local address");
        assert_eq!(
            stream.peer_addr().expect("peer address"),
            me,
            "one socket, both ends"
        );
        stream.write_all(b"echo?").expect("write to myself");
        let mut heard = [0; 5];
        stream.read_exact(&mut heard).expect("read from myself");
        assert_eq!(&heard, b"echo?");
    }
    // ANCHOR_END: test
}
