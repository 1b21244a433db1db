//! The course's Go TCP client, ported step for step: dial, write, read, print.
//!
//! Kept as the notes have it, weaknesses included: each is named in a `// Weakness` comment,
//! and the chapter "A TCP server and client" shows each one happening before `tcp-client`
//! fixes it.
//!
//! Start a server first (`cargo run -p tcp-server`), then:
//! `cargo run -p tcp-client --example notes-tcp-client -- [ADDR] [MESSAGE]`
//! With no MESSAGE it sends each line you type (Ctrl-D ends; Ctrl-Z then Enter on Windows).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    common::report(talk_like_the_notes())
}

fn talk_like_the_notes() -> Result<()> {
    // As `os.Args` in Go: argument 1 is the address, argument 2 the message, both optional.
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::TCP_ADDR.to_owned());
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = match args.next() {
        Some(message) => Box::new(std::iter::once(Ok(message))),
        None => Box::new(io::stdin().lines()), // each line as it is typed
    };

    // 1. Dial: `net.Dial("tcp", addr)`, which returns once the handshake is complete.
    // Weakness (no deadline): neither the dial nor the reads below have a time limit; a
    // server that accepts and never answers keeps this client waiting for ever.
    let mut conn =
        TcpStream::connect(&addr).with_context(|| format!("cannot connect to {addr}"))?;

    let mut buf = [0; 4096];
    for line in lines {
        let line = line.context("cannot read the input")?;
        // 2. Write: `conn.Write([]byte(line))`.
        conn.write_all(format!("{line}\n").as_bytes())
            .context("cannot send the line")?;

        // 3. Read the reply: `n, err := conn.Read(buf)`.
        // Weakness (one read taken as the whole reply): a reply that arrives in two pieces
        // is printed half now, and the rest is taken for the next line's reply, or lost.
        let n = conn.read(&mut buf).context("cannot read the reply")?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        // Weakness (peer text printed raw): the reply goes to the terminal byte for byte,
        // and a terminal obeys control characters: a hostile server can recolour the text,
        // clear the screen (ESC [ 2 J) or rename the window.
        io::stdout().write_all(&buf[..n])?;
    }
    // 4. Close: `defer conn.Close()`; dropping `conn` sends our FIN.
    Ok(())
}
