//! Exercise tcp-server-4: a cap on the number of clients served at once.
//!
//! The server of tcp-server-3, done, with one change in the accept loop: every connection
//! gets a thread and a socket, however many arrive, so a flood of connections uses up the
//! machine's threads and file descriptors. Count the clients being served; one over the cap
//! gets a `busy:` line instead of a thread, and a client's place is given back when its
//! thread ends (chapter "A TCP server and client", problem 3 and answer 3).
//!
//! Run it: `cargo run -p workbook --bin ex-tcp-server-4 -- 127.0.0.1:8000 300 1` (at most one
//! client), then `nc 127.0.0.1 8000` in one terminal and `cargo run -p tcp-client -- --message
//! hi` in another: the second is told `busy:`. Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

/// The longest line answered, in bytes, counting its `\n`. A server that waits for the end
/// of a line must stop somewhere, or one client sending an endless line eats the memory.
const MAX_LINE: usize = 8 * 1024;

fn main() -> Result<()> {
    // Argument 1: the address; argument 2: how many seconds a client may stay silent;
    // argument 3: how many clients are served at once.
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::TCP_ADDR.to_owned());
    let idle = match args.next() {
        Some(secs) => Duration::from_secs(
            secs.parse()
                .context("the second argument is how many seconds a client may stay silent")?,
        ),
        None => Duration::from_secs(300),
    };
    let max: usize = match args.next() {
        Some(max) => max
            .parse()
            .context("the third argument is how many clients are served at once")?,
        None => 240,
    };

    // 1. Listen on `addr`, then print `listening on <the address really bound>`.
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);

    // How many clients are being served: shared by the accept loop and every client's thread.
    let clients = Arc::new(AtomicUsize::new(0));
    loop {
        // 2. Accept the next client.
        let (conn, _peer) = listener.accept()?;
        // The cap: take a place before starting a thread; over the cap, a `busy:` line.
        todo!("the cap: count this client in clients; if that makes more than max, refuse");
        // 3. Serve it on a thread of its own (`go handle(conn)`), which gives its place back.
        let clients = Arc::clone(&clients);
        thread::spawn(move || {
            handle(conn, idle);
            todo!("the cap: the client is done: give its place back");
        });
    }
}

/// Tells a client over the cap that the server is busy, then closes, on the accept loop, so
/// nothing here may block for long.
fn refuse(conn: TcpStream, max: usize) {
    let _ = conn.set_write_timeout(Some(Duration::from_millis(200)));
    let notice = format!("busy: the server is serving {max} clients already; try again later\n");
    let _ = (&conn).write_all(notice.as_bytes());
    // FIN after the line, then a few reads to throw away what the client already sent:
    // closing with unread data makes the OS send RST, which can destroy the line in transit.
    let _ = conn.shutdown(Shutdown::Write);
    if conn.set_nonblocking(true).is_ok() {
        for _ in 0..8 {
            if !matches!((&conn).read(&mut [0; 1024]), Ok(n) if n > 0) {
                break;
            }
        }
    }
}

fn handle(conn: TcpStream, idle: Duration) {
    // Deadlines: a read that gets no byte for `idle`, or a write that cannot hand over a
    // byte for `idle` (the client reads nothing, its buffers are full), fails with
    // WouldBlock (TimedOut on Windows) instead of waiting for ever.
    if conn.set_read_timeout(Some(idle)).is_err() || conn.set_write_timeout(Some(idle)).is_err() {
        return;
    }
    // Any error ends the connection: a client that vanished, or an expired deadline. Going
    // back to `read` after a timeout would make the deadline useless.
    let _ = serve(&conn);
    // 6. Close: dropping `conn` at the end of this function sends our FIN.
}

fn serve(conn: &TcpStream) -> io::Result<()> {
    // The buffered reader keeps the bytes after a newline for the next line: none is lost.
    let mut reader = BufReader::new(conn);
    let mut writer = conn;
    let mut line = Vec::new();
    loop {
        // 4. Read one whole line, however TCP cut it, but never more than MAX_LINE bytes.
        line.clear();
        let n = reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(()); // The client closed (FIN) between two lines.
        }
        if !line.ends_with(b"\n") && line.len() == MAX_LINE {
            // Too long: throw the rest of this line away, one bounded piece at a time.
            while !line.ends_with(b"\n") {
                line.clear();
                if reader
                    .by_ref()
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut line)?
                    == 0
                {
                    return Ok(()); // The client closed in the middle of the long line.
                }
            }
            writer.write_all(
                format!("error: line longer than {MAX_LINE} bytes, skipped\n").as_bytes(),
            )?;
            continue;
        }
        // 5. Write back the whole line, upper-cased: no character is cut in two any more.
        //    A last line may end without a newline (the client closed); the reply has one.
        let mut reply = String::from_utf8_lossy(&line).to_uppercase();
        if !reply.ends_with('\n') {
            reply.push('\n');
        }
        writer.write_all(reply.as_bytes())?;
    }
}
