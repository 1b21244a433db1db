//! How big one UDP datagram can be, over IPv4 and over IPv6.
//!
//! A UDP datagram travels in one IP packet. Over IPv4 the packet's 16-bit Total Length
//! field counts everything, headers included: 65,535 bytes, less the IPv4 header (20 bytes
//! without options) and the UDP header (8), leaves [`MAX_PAYLOAD_V4`]. Over IPv6 the
//! 16-bit Payload Length does not count the 40-byte IPv6 header, so only the UDP header
//! comes off: [`MAX_PAYLOAD_V6`]. (UDP's own 16-bit length field, header included, allows
//! 65,535 too; IPv4 is the tighter limit.)

use std::net::SocketAddr;

/// The receive buffer's default size: 65,535 bytes, more than any datagram's payload.
///
/// A buffer this big holds the largest datagram over IPv4 or IPv6, so nothing is cut off.
pub const RECEIVE_BUFFER: usize = 65_535;

/// The largest UDP payload over IPv4: 65,535 - 20 (IPv4 header) - 8 (UDP header).
pub const MAX_PAYLOAD_V4: usize = 65_507;

/// The largest UDP payload over IPv6: 65,535 - 8 (UDP header). (Jumbograms aside.)
pub const MAX_PAYLOAD_V6: usize = 65_527;

/// The largest payload one datagram can carry to `peer`.
pub fn max_payload(peer: SocketAddr) -> usize {
    match peer {
        SocketAddr::V4(_) => MAX_PAYLOAD_V4,
        // An IPv4 client of a dual-stack socket shows up as ::ffff:a.b.c.d, but its
        // datagrams still travel in IPv4 packets.
        SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some() => MAX_PAYLOAD_V4,
        SocketAddr::V6(_) => MAX_PAYLOAD_V6,
    }
}
