//! Exercise tcp-client-1: the notes' TCP client.
//!
//! Dial the server, then for each line: write it (with its newline), read the reply into a
//! buffer and print the bytes read. The steps are the notes' steps (chapter "A TCP server
//! and client"); each one is a gap marked `todo!()` in the starter.
//!
//! Run it, with `cargo run -p tcp-server` in another terminal:
//! `cargo run -p workbook --bin ex-tcp-client-1 -- 127.0.0.1:8000 hello` prints `HELLO`;
//! with no message it sends each line you type (Ctrl-D ends; Ctrl-Z then Enter on Windows).
//! Check it: `cargo run -p workbook`.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    // Argument 1: the server's address; argument 2: the one line to send (else the input).
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::TCP_ADDR.to_owned());
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = match args.next() {
        Some(message) => Box::new(std::iter::once(Ok(message))),
        None => Box::new(io::stdin().lines()),
    };

    // 1. Dial `addr`: `connect` returns once the three-way handshake is complete.
    // SOLUTION: step 1: connect a TcpStream to addr
    let mut conn =
        TcpStream::connect(&addr).with_context(|| format!("cannot connect to {addr}"))?;
    // END SOLUTION

    let mut buf = [0; 4096];
    for line in lines {
        let line = line.context("cannot read the input")?;
        // 2. Write the line, with the newline that ends it: the server answers whole lines.
        // SOLUTION: step 2: write_all the line and a newline to conn
        conn.write_all(format!("{line}\n").as_bytes())?;
        // END SOLUTION

        // 3. Read the reply into `buf`, and print the bytes read; 0 means the server closed.
        // SOLUTION: step 3: read into buf; bail at 0; write the n bytes read to stdout
        let n = conn.read(&mut buf)?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        io::stdout().write_all(&buf[..n])?;
        // END SOLUTION
    }
    // 4. Close: dropping `conn` at the end of `main` sends our FIN.
    Ok(())
}
