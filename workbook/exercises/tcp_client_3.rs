//! Exercise tcp-client-3: deadlines, so that a server that never answers cannot keep the
//! client waiting for ever.
//!
//! The client of tcp-client-2, done, with two waits bounded: the dial (a `connect` to an
//! address that never answers waits as long as the OS resends its SYN, about two minutes on
//! Linux) and the wait for replies once every line is sent (a server that accepts and never
//! answers). While the input is still coming, silence is normal: a person may think before
//! typing, so the clock runs only once the sending thread is done (chapter "A TCP server
//! and client", problem 6 and answer 6).
//!
//! Run it against a server that never answers (`python3 tcp-client/peers/silent.py`):
//! `cargo run -p workbook --bin ex-tcp-client-3 -- 127.0.0.1:8000 anyone?` must end with an
//! error after 5 s. Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long the dial may take, and how long the server may stay silent once every line is
/// sent. Generous for a server on the same machine or network.
const TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> Result<()> {
    // Argument 1: the server's address; argument 2: the one line to send (else the input).
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::TCP_ADDR.to_owned());
    let message = args.next();

    // 1. Dial `addr`, within TIMEOUT: `connect_timeout` gives up on a handshake that does
    //    not complete, instead of waiting while the OS resends the SYN.
    let server: SocketAddr = addr.parse().with_context(|| {
        format!("{addr:?} is not an address: give IP:PORT, e.g. 127.0.0.1:8000")
    })?;
    let mut conn: TcpStream = {
        todo!("step 1: connect to server with a deadline of TIMEOUT");
    };

    // 2. Write each line, on a thread of its own: a TCP connection is two byte streams, one
    //    each way, so the replies are read below while lines are still being sent.
    let mut writer = conn
        .try_clone()
        .context("cannot share the socket with the sending thread")?;
    // A server that stops reading our lines would block `write_all` for ever: a deadline.
    writer.set_write_timeout(Some(TIMEOUT))?;
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
        writer.shutdown(Shutdown::Write)?;
        Ok(())
    });

    // 3. Read the replies: print the bytes of each read, whole lines or not, until the
    //    server closes its side too (read returns 0): then every reply has arrived.
    //    A short read timeout wakes the loop up to look at the clock: the server's silence
    //    counts only once the sending thread is done, and ends the wait after TIMEOUT.
    conn.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut silent_since: Option<Instant> = None;
    let mut buf = [0; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => break, // The server's FIN.
            Ok(n) => {
                io::stdout().write_all(&buf[..n])?;
                silent_since = None; // The server is alive: the clock starts again.
            }
            // WouldBlock (TimedOut on Windows): nothing came for 200 ms.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                todo!("step 3: once the sender is done, bail after TIMEOUT of silence");
            }
            Err(e) => return Err(e).context("the connection broke"),
        }
    }
    match sender.join() {
        Ok(sent) => sent.context("could not send every line"),
        Err(_) => bail!("the sending thread failed"),
    }
}
