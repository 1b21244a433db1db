//! How big one UDP datagram can be: a message that does not fit is refused before sending.
//!
//! Over IPv4 the packet's 16-bit Total Length field counts the headers too: 65,535 less the
//! IPv4 header (20 bytes without options) and the UDP header (8) leaves 65,507. Over IPv6
//! the Payload Length does not count the IPv6 header: 65,535 - 8 = 65,527. (`udp-server`
//! has the same figures: each lesson reads on its own.)

use std::net::SocketAddr;

use anyhow::{Result, bail};

/// The reply buffer: 65,535 bytes hold any datagram, over IPv4 or IPv6.
pub const RECEIVE_BUFFER: usize = 65_535;

/// The largest payload one datagram can carry to `peer`.
pub fn max_payload(peer: SocketAddr) -> usize {
    match peer {
        SocketAddr::V4(_) => 65_507,
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) still travels in IPv4 packets.
        SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some() => 65_507,
        SocketAddr::V6(_) => 65_527,
    }
}

/// Refuses a message that cannot fit in one datagram to `server`.
pub fn check_size(message: &[u8], server: SocketAddr) -> Result<()> {
    let limit = max_payload(server);
    if message.len() > limit {
        bail!(
            "the message is {} bytes, but one UDP datagram carries at most {limit} bytes \
             over {}: nothing was sent; split it",
            message.len(),
            if server.is_ipv4() { "IPv4" } else { "IPv6" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn a_message_larger_than_one_datagram_is_refused() {
        let v4 = SocketAddr::from(([127, 0, 0, 1], 1));
        assert!(check_size(&vec![0; 65_507], v4).is_ok());
        assert!(check_size(&vec![0; 65_508], v4).is_err());
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 1));
        assert!(check_size(&vec![0; 65_527], v6).is_ok());
        assert!(check_size(&vec![0; 65_528], v6).is_err());
    }
}
