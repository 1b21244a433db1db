//! Exercise tcp-client-2: half-close, then read the replies until the server closes.
//!
//! The client of tcp-client-1, reworked: one `read` is not one reply (TCP may deliver a reply
//! in pieces, or late), so the client sends on one thread and prints every byte that comes
//! back on the other, until the server closes. At the end of the input it half-closes:
//! `shutdown(Shutdown::Write)` sends a FIN, "no more lines are coming", while its reading
//! direction stays open for the replies still on their way (chapter "A TCP server and
//! client", problem 5 and answer 5).
//!
//! Run it, with `cargo run -p tcp-server` in another terminal:
//! `printf 'hello\nworld\n' | cargo run -p workbook --bin ex-tcp-client-2` prints `HELLO` and
//! `WORLD` (PowerShell: `"hello", "world" | cargo run -p workbook --bin ex-tcp-client-2`).
//! Check it: `cargo run -p workbook`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    // Argument 1: the server's address; argument 2: the one line to send (else the input).
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::TCP_ADDR.to_owned());
    let message = args.next();

    // 1. Dial `addr`: `connect` returns once the three-way handshake is complete.
    let mut conn =
        TcpStream::connect(&addr).with_context(|| format!("cannot connect to {addr}"))?;

    // 2. Write each line, on a thread of its own: a TCP connection is two byte streams, one
    //    each way, so the replies are read below while lines are still being sent.
    let mut writer = conn
        .try_clone()
        .context("cannot share the socket with the sending thread")?;
    let sender = thread::spawn(move || -> Result<()> {
        let lines: Box<dyn Iterator<Item = io::Result<String>>> = match message {
            Some(message) => Box::new(std::iter::once(Ok(message))),
            None => Box::new(io::stdin().lines()),
        };
        for line in lines {
            let line = line.context("cannot read the input")?;
            writer.write_all(format!("{line}\n").as_bytes())?;
        }
        // 4. Half-close at the end of the input: send our FIN, keep reading the replies.
        // SOLUTION: step 4: at the end of the input, shut down the writing half of writer
        writer.shutdown(Shutdown::Write)?;
        // END SOLUTION
        Ok(())
    });

    // 3. Read the replies: print the bytes of each read, whole lines or not, until the
    //    server closes its side too (read returns 0): then every reply has arrived.
    let mut buf = [0; 4096];
    // SOLUTION: step 3: loop: read into buf until it returns 0, write each &buf[..n] to stdout
    loop {
        let n = conn.read(&mut buf).context("the connection broke")?;
        if n == 0 {
            break; // The server's FIN.
        }
        io::stdout().write_all(&buf[..n])?;
    }
    // END SOLUTION
    match sender.join() {
        Ok(sent) => sent.context("could not send every line"),
        Err(_) => bail!("the sending thread failed"),
    }
}
