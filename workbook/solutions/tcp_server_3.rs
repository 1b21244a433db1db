//! Exercise tcp-server-3: a deadline on every client.
//!
//! The server of tcp-server-2, done, with one change in `handle`: a client that connects and
//! says nothing, or sends lines but never reads the replies, holds its thread and socket for
//! ever. Give every read and every write a time limit; when one expires, the read or write
//! fails, the loop ends and the connection is closed (chapter "A TCP server and client",
//! problem 2 and answer 2).
//!
//! Run it: `cargo run -p workbook --bin ex-tcp-server-3 -- 127.0.0.1:8000 5` (5 s of silence
//! allowed), then in a second terminal `nc 127.0.0.1 8000` and type nothing: after 5 s the
//! server hangs up. Check it: `cargo run -p workbook`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

/// The longest line answered, in bytes, counting its `\n`. A server that waits for the end
/// of a line must stop somewhere, or one client sending an endless line eats the memory.
const MAX_LINE: usize = 8 * 1024;

fn main() -> Result<()> {
    // Argument 1: the address; argument 2: how many seconds a client may stay silent.
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or(common::TCP_ADDR.to_owned());
    let idle = match args.next() {
        Some(secs) => Duration::from_secs(
            secs.parse()
                .context("the second argument is how many seconds a client may stay silent")?,
        ),
        None => Duration::from_secs(300),
    };

    // 1. Listen on `addr`, then print `listening on <the address really bound>`.
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);

    loop {
        // 2. Accept the next client; 3. serve it on a thread of its own (`go handle(conn)`).
        let (conn, _peer) = listener.accept()?;
        thread::spawn(move || handle(conn, idle));
    }
}

fn handle(conn: TcpStream, idle: Duration) {
    // Deadlines: a read that gets no byte for `idle`, or a write that cannot hand over a
    // byte for `idle` (the client reads nothing, its buffers are full), fails with
    // WouldBlock (TimedOut on Windows) instead of waiting for ever.
    // SOLUTION: deadlines: give conn a read timeout and a write timeout of idle
    if conn.set_read_timeout(Some(idle)).is_err() || conn.set_write_timeout(Some(idle)).is_err() {
        return;
    }
    // END SOLUTION
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
