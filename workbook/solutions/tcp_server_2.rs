//! Exercise tcp-server-2: read whole lines, with a bound, instead of one read as one message.
//!
//! The server of tcp-server-1, done, with one change in `handle`: TCP delivers bytes, not
//! messages, so one `read` may return half a line, or half of a character such as `你`
//! (three bytes in UTF-8). Collect bytes with a buffered reader until the newline, answer
//! the whole line, and bound the line: a client sending an endless line must not fill the
//! memory (chapter "A TCP server and client", problem 1 and answer 1).
//!
//! Run it: `cargo run -p workbook --bin ex-tcp-server-2 -- 127.0.0.1:8000`, then in a second
//! terminal (Linux, macOS or WSL): `(printf '\xe4\xbd'; sleep 1; printf '\xa0\n') | nc -N
//! 127.0.0.1 8000` must print `你`, not `��`.
//! Check it: `cargo run -p workbook`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use anyhow::Result;

/// The longest line answered, in bytes, counting its `\n`. A server that waits for the end
/// of a line must stop somewhere, or one client sending an endless line eats the memory.
const MAX_LINE: usize = 8 * 1024;

fn main() -> Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or(common::TCP_ADDR.to_owned());

    // 1. Listen on `addr`, then print `listening on <the address really bound>`.
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);

    loop {
        // 2. Accept the next client; 3. serve it on a thread of its own (`go handle(conn)`).
        let (conn, _peer) = listener.accept()?;
        thread::spawn(move || handle(conn));
    }
}

fn handle(conn: TcpStream) {
    // A read or write error (the client vanished) ends the connection, as a FIN does.
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
        // SOLUTION: step 4: read_until a newline through take(MAX_LINE); return at 0 (FIN)
        let n = reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(()); // The client closed (FIN) between two lines.
        }
        // END SOLUTION
        if !line.ends_with(b"\n") && line.len() == MAX_LINE {
            // Too long: throw the rest of this line away, one bounded piece at a time.
            // SOLUTION: step 4: skip to the newline, clearing line before each bounded read
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
            // END SOLUTION
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
