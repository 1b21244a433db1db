//! A listener on `[::]` also accepts IPv4 clients, but shows them as IPv4-mapped IPv6
//! addresses (`::ffff:127.0.0.1`); the proxy turns those back into the IPv4 addresses they
//! are, or it would open IPv6 sockets for IPv4 clients and compare addresses that differ
//! only in how they are written.

use std::io;
use std::net::{SocketAddr, TcpStream};

/// `addr` with an IPv4-mapped IPv6 address written as plain IPv4; other addresses as they are.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The client's address, as [`canonical`].
pub fn peer_addr(stream: &TcpStream) -> io::Result<SocketAddr> {
    stream.peer_addr().map(canonical)
}

/// The address the client reached us on, as [`canonical`]: where a BIND listener or a UDP
/// relay for that client must be opened, with the client's address family.
pub fn local_addr(stream: &TcpStream) -> io::Result<SocketAddr> {
    stream.local_addr().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_become_ipv4_and_others_stay() {
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().expect("address");
        assert_eq!(canonical(mapped), "127.0.0.1:80".parse().expect("address"));
        for plain in ["[::1]:80", "127.0.0.1:80", "[2001:db8::1]:1"] {
            let addr: SocketAddr = plain.parse().expect("address");
            assert_eq!(canonical(addr), addr);
        }
    }
}
