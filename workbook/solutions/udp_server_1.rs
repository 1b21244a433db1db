//! Exercise udp-server-1: the notes' UDP server.
//!
//! Resolve the address, bind one UDP socket, then for ever: receive a datagram and its
//! sender's address, and send the datagram back upper-cased to that address. No `listen`,
//! no `accept`, no thread per client: this one socket serves every client. The steps are the
//! notes' steps (chapter "UDP: a server and a client"); each one is a gap marked `todo!()`
//! in the starter.
//!
//! Run it: `cargo run -p workbook --bin ex-udp-server-1 -- 127.0.0.1:8001`,
//! then in a second terminal: `cargo run -p udp-client`.
//! Check it: `cargo run -p workbook`.

use std::net::{ToSocketAddrs, UdpSocket};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // As `os.Args` in Go: argument 1 is the address, if given.
    let text = std::env::args()
        .nth(1)
        .unwrap_or(common::UDP_ADDR.to_owned());

    // 1. Resolve the address: `net.ResolveUDPAddr("udp", text)` gives an IP and a port.
    // SOLUTION: step 1: resolve text with to_socket_addrs() and keep the first address
    let addr = text
        .to_socket_addrs()
        .with_context(|| format!("cannot use {text:?} as an address"))?
        .next()
        .context("the name resolved to no address")?;
    // END SOLUTION

    // 2. Create the socket: `net.ListenUDP("udp", addr)`. No listen, no accept. Then print
    //    `listening on <the address really bound>`.
    // SOLUTION: step 2: bind a UdpSocket to addr, print "listening on " and its local_addr()
    let socket = UdpSocket::bind(addr).with_context(|| format!("cannot bind {addr}"))?;
    println!("listening on {}", socket.local_addr()?);
    // END SOLUTION

    let mut buf = [0; 4096];
    loop {
        // 3. Read one datagram and its sender: `conn.ReadFromUDP(buf)` gives n and the
        //    client's address. Every client's datagrams arrive on this one socket.
        // SOLUTION: step 3: recv_from into buf: the byte count n and the sender's address
        let (n, peer) = socket.recv_from(&mut buf)?;
        println!("{peer}: {n} bytes");
        // END SOLUTION

        // 4. Send the reply, upper-cased, to that address: `conn.WriteToUDP(reply, peer)`.
        // SOLUTION: step 4: upper-case the n bytes received and send_to them to the sender
        let reply = String::from_utf8_lossy(&buf[..n]).to_uppercase();
        socket.send_to(reply.as_bytes(), peer)?;
        // END SOLUTION
    }
}
