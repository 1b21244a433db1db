//! Exercise udp-client-2: a deadline for every reply, and errors that say what happened.
//!
//! The notes' client waits for ever: if the datagram or its reply is lost, or nothing
//! answers, `recv` never returns, because UDP never says "lost". And with no server at all
//! it fails with a bare "Connection refused", from a protocol without connections. Here every
//! wait ends after a timeout, and each of the two failures is said in words the user can act
//! on. The other steps are exercise udp-client-1's, filled in (chapter "UDP: a server and a
//! client", "Waits for ever" and "Bare connection refused").
//!
//! Run it: `cargo run -p workbook --bin ex-udp-client-2 -- 127.0.0.1:8001 hello`, with and
//! without a server running (`cargo run -p udp-server`).
//! Check it: `cargo run -p workbook`.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::{Context, Result};

/// How long to wait for each reply: silence is the only sign of a lost datagram.
const TIMEOUT: Duration = Duration::from_secs(1);

fn main() -> Result<()> {
    // As `os.Args` in Go: argument 1 is the address, argument 2 the message, both optional.
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::UDP_ADDR.to_owned());
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = match args.next() {
        Some(message) => Box::new(std::iter::once(Ok(message))),
        None => Box::new(io::stdin().lines()), // each line as it is typed
    };

    // 1. Dial: `net.Dial("udp", addr)`. Resolve, bind port 0 of the same family, connect.
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
    // A deadline: from now on every `recv` on `conn` gives up after TIMEOUT.
    // SOLUTION: a deadline: set a read timeout of TIMEOUT on conn
    conn.set_read_timeout(Some(TIMEOUT))
        .context("cannot set the reply timeout")?;
    // END SOLUTION

    let mut buf = [0; 4096];
    for line in lines {
        let line = line.context("cannot read the input")?;
        // 2. Write: `conn.Write([]byte(line))`, one datagram.
        conn.send(line.as_bytes())
            .map_err(|error| explain(error, server))?;

        // 3. Read the reply, waiting at most TIMEOUT, then print its n bytes and a newline.
        let n = conn
            .recv(&mut buf)
            .map_err(|error| explain(error, server))?;
        let mut out = io::stdout();
        out.write_all(&buf[..n])?;
        out.write_all(b"\n")?;
    }
    // 4. Close: `defer conn.Close()`; dropping `conn` sends nothing (UDP has no FIN).
    Ok(())
}

/// What a failed `send` or `recv` on the socket connected to `server` means.
///
/// An expired read timeout comes back as `WouldBlock` on Unix and `TimedOut` on Windows. An
/// ICMP "port unreachable" (nothing is bound to the server's port) comes back on a connected
/// socket as `ConnectionRefused` (on Windows, `ConnectionReset`).
fn explain(error: io::Error, server: SocketAddr) -> anyhow::Error {
    // SOLUTION: say "no reply from <server>" on a timeout, "nothing listens" on a refusal
    let message = match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "no reply from {server} within {} s: the datagram or its reply was lost, or \
             nothing answers (UDP never says which); is the server running?",
            TIMEOUT.as_secs()
        ),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset => format!(
            "nothing is listening on {server}: the OS there answered our datagram with an \
             ICMP \"port unreachable\", which a connected UDP socket reports as \"connection \
             refused\"; start the server first (`cargo run -p udp-server`)"
        ),
        _ => format!("could not exchange a datagram with {server}"),
    };
    anyhow::Error::new(error).context(message)
    // END SOLUTION
}
