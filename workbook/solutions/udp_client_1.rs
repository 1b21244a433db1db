//! Exercise udp-client-1: the notes' UDP client.
//!
//! Dial the server: bind a socket of your own to port 0 (the OS picks a free port) and
//! `connect` it to the server, which sends nothing. Then, as the TCP client: send each line
//! as one datagram, receive the reply, print it. The steps are the notes' steps (chapter
//! "UDP: a server and a client"); each one is a gap marked `todo!()` in the starter.
//!
//! Run it: start a server (`cargo run -p udp-server`), then
//! `cargo run -p workbook --bin ex-udp-client-1 -- 127.0.0.1:8001 hello`;
//! with no MESSAGE it sends each line you type (Ctrl-D ends; Ctrl-Z then Enter on Windows).
//! Check it: `cargo run -p workbook`.

use std::io::{self, Write};
use std::net::{ToSocketAddrs, UdpSocket};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // As `os.Args` in Go: argument 1 is the address, argument 2 the message, both optional.
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::UDP_ADDR.to_owned());
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = match args.next() {
        Some(message) => Box::new(std::iter::once(Ok(message))),
        None => Box::new(io::stdin().lines()), // each line as it is typed
    };

    // 1. Dial: `net.Dial("udp", addr)`. Resolve the address, bind a socket of the same
    //    family (IPv4 or IPv6) on port 0, where the OS picks a free port, and connect it to
    //    the server. No packet is sent, so this succeeds even if no server is there.
    // SOLUTION: step 1: resolve addr, bind a UdpSocket to port 0 of its family, connect it
    let server = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot use {addr:?} as an address"))?
        .next()
        .context("the name resolved to no address")?;
    let any_port = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let conn = UdpSocket::bind(any_port).context("cannot create a socket")?;
    conn.connect(server)
        .with_context(|| format!("cannot dial {server}"))?;
    // END SOLUTION

    let mut buf = [0; 4096];
    for line in lines {
        let line = line.context("cannot read the input")?;
        // 2. Write: `conn.Write([]byte(line))`, one datagram.
        // SOLUTION: step 2: send the line's bytes as one datagram on the connected socket
        conn.send(line.as_bytes())?;
        // END SOLUTION

        // 3. Read the reply: `n, err := conn.Read(buf)`, then print its n bytes and a newline.
        // SOLUTION: step 3: recv the reply into buf, print its n bytes and a newline
        let n = conn.recv(&mut buf)?;
        let mut out = io::stdout();
        out.write_all(&buf[..n])?;
        out.write_all(b"\n")?;
        // END SOLUTION
    }
    // 4. Close: `defer conn.Close()`; dropping `conn` sends nothing (UDP has no FIN).
    Ok(())
}
