//! The course's Go UDP server, ported step for step: resolve the address, create the socket,
//! read a datagram and its sender's address, send the reply back to that address.
//!
//! Kept as the notes have it, weaknesses included: each is named in a `// Weakness` comment,
//! and the chapter "UDP: a server and a client" shows each one happening before
//! `udp-server` fixes it. Safe on loopback; not a server to leave running.
//!
//! Run it, then talk to it with `nc -u 127.0.0.1 8001` or `cargo run -p udp-client`:
//! `cargo run -p udp-server --example notes-udp-server -- [ADDR]`

use std::net::{ToSocketAddrs, UdpSocket};
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    common::report(serve_like_the_notes())
}

// ANCHOR: main
fn serve_like_the_notes() -> Result<()> {
    // As `os.Args` in Go: argument 0 is the program, argument 1 the address if given.
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
    println!("{}{}", common::LISTENING_PREFIX, socket.local_addr()?);

    // Weakness (small buffer): a datagram longer than 4096 bytes is cut to 4096 and the
    // rest thrown away by the OS; nothing tells the server, which answers the piece.
    let mut buf = [0; 4096];
    loop {
        // 3. Read one datagram and its sender: `conn.ReadFromUDP(buf)` gives n and the
        //    client's address. Every client's datagrams arrive on this one socket: "a UDP
        //    server is concurrent by default".
        // Weakness (one error stops everyone): `?` ends the server at the first receive
        //    error. On Windows, a reply to a client that has gone comes back as an ICMP
        //    "port unreachable", reported here as a reset: one vanished client stops it.
        let (n, peer) = socket.recv_from(&mut buf)?;

        // Weakness (bytes turned into text): bytes that are not UTF-8 become U+FFFD, the
        // replacement character, so a binary datagram does not come back as it was sent.
        let reply = String::from_utf8_lossy(&buf[..n]).to_uppercase();
        println!("{peer}: {n} bytes");

        // 4. Send the reply to that address: `conn.WriteToUDP(reply, peer)`.
        // Weakness (amplification): upper-casing can make the reply longer than the request
        // ("ŉ" becomes "ʼN"), and UDP never checks the sender's address: a forged source gets
        // more bytes than the attacker sent. The lesson cuts each reply to the request's size.
        socket.send_to(reply.as_bytes(), peer)?;
    }
}
// ANCHOR_END: main
