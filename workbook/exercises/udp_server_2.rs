//! Exercise udp-server-2: a buffer for the largest datagram, so none is cut short.
//!
//! The notes' server reads into 4096 bytes. One `recv_from` is one datagram, whole or cut:
//! the OS puts the first 4096 bytes of a longer one in the buffer and throws the rest away,
//! without a word, and the server answers the piece. Here the buffer holds 65,535 bytes, more
//! than any datagram can carry, and the reply is made of the `n` bytes received, never of the
//! whole buffer. The other steps are exercise udp-server-1's, filled in (chapter "UDP: a
//! server and a client", "Small buffer").
//!
//! Run it: `cargo run -p workbook --bin ex-udp-server-2 -- 127.0.0.1:8001`,
//! then in a second terminal: `cargo run -p udp-client`.
//! Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::net::{ToSocketAddrs, UdpSocket};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // As `os.Args` in Go: argument 1 is the address, if given.
    let text = std::env::args()
        .nth(1)
        .unwrap_or(common::UDP_ADDR.to_owned());

    // 1. Resolve the address: `net.ResolveUDPAddr("udp", text)` gives an IP and a port.
    let addr = text
        .to_socket_addrs()
        .with_context(|| format!("cannot use {text:?} as an address"))?
        .next()
        .context("the name resolved to no address")?;

    // 2. Create the socket: `net.ListenUDP("udp", addr)`. No listen, no accept.
    let socket = UdpSocket::bind(addr).with_context(|| format!("cannot bind {addr}"))?;
    println!("listening on {}", socket.local_addr()?);

    let mut buf = datagram_buffer();
    loop {
        // 3. Read one datagram and its sender: `conn.ReadFromUDP(buf)`.
        let (n, peer) = socket.recv_from(&mut buf)?;
        println!("{peer}: {n} bytes");

        // 4. Send the reply, upper-cased, to that address: the n bytes received, and only
        //    those (the rest of the buffer is not part of the datagram).
        todo!("step 4: upper-case &buf[..n], never the whole buffer, and send_to the sender");
    }
}

/// A buffer that holds the largest datagram. With a smaller one, the OS cuts a longer
/// datagram to fit and throws the rest away without a word (the notes' weakness). IP's
/// 16-bit length field allows 65,535 bytes in all, headers included: at most 65,507 bytes
/// of data over IPv4, 65,527 over IPv6.
fn datagram_buffer() -> Vec<u8> {
    todo!("a buffer of 65,535 zero bytes: room for any datagram (a Vec, not an array)");
}
