//! The course's Go UDP client, ported step for step: dial, then as the TCP client: write,
//! read, print.
//!
//! Kept as the notes have it, weaknesses included: each is named in a `// Weakness` comment,
//! and the chapter "UDP: a server and a client" shows each one happening before
//! `udp-client` fixes it.
//!
//! Start a server first (`cargo run -p udp-server`), then:
//! `cargo run -p udp-client --example notes-udp-client -- [ADDR] [MESSAGE]`
//! With no MESSAGE it sends each line you type (Ctrl-D ends; Ctrl-Z then Enter on Windows).

use std::io::{self, Write};
use std::net::{ToSocketAddrs, UdpSocket};
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    common::report(talk_like_the_notes())
}

// ANCHOR: main
fn talk_like_the_notes() -> Result<()> {
    // As `os.Args` in Go: argument 1 is the address, argument 2 the message, both optional.
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::UDP_ADDR.to_owned());
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = match args.next() {
        Some(message) => Box::new(std::iter::once(Ok(message))),
        None => Box::new(io::stdin().lines()), // each line as it is typed
    };

    // 1. Dial: `net.Dial("udp", addr)`. Resolve the address, bind a socket of the same
    //    family (IPv4 or IPv6) on a port the OS picks, connect it to the server. No packet
    //    is sent, so this succeeds even if no server is there.
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

    // Weakness (small buffer): a reply longer than 4096 bytes is cut to 4096, silently.
    let mut buf = [0; 4096];
    for line in lines {
        let line = line.context("cannot read the input")?;
        // 2. Write: `conn.Write([]byte(line))`, one datagram.
        // Weakness (too big): a line over 65,507 bytes fails with "Message too long" and,
        //    like any error here, ends the client: the lines after it are never sent.
        conn.send(line.as_bytes())?;

        // 3. Read the reply: `n, err := conn.Read(buf)`.
        // Weakness (waits for ever): no deadline; if the datagram or its reply is lost, or
        //    the server never answers, this waits for ever. UDP never says "lost".
        // Weakness (bare "connection refused"): with nothing listening, the ICMP "port
        //    unreachable" comes back as "Connection refused", with no word of what it means.
        let n = conn.recv(&mut buf)?;
        // Weakness (peer text printed raw): the reply goes to the terminal byte for byte,
        //    and a terminal obeys control characters: a hostile server can recolour the
        //    text, clear the screen (ESC [ 2 J) or rename the window.
        let mut out = io::stdout();
        out.write_all(&buf[..n])?;
        out.write_all(b"\n")?;
    }
    // 4. Close: `defer conn.Close()`; dropping `conn` sends nothing (UDP has no FIN).
    Ok(())
}
// ANCHOR_END: main
