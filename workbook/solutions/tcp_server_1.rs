//! Exercise tcp-server-1: the notes' TCP server.
//!
//! Listen, accept each client, serve it on a thread of its own, read into a buffer and write
//! back what was read, upper-cased, until the client closes. The steps are the notes' steps
//! (chapter "A TCP server and client"); each one is a gap marked `todo!()` in the starter.
//!
//! Run it: `cargo run -p workbook --bin ex-tcp-server-1 -- 127.0.0.1:8000`,
//! then in a second terminal: `cargo run -p tcp-client`.
//! Check it: `cargo run -p workbook`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use anyhow::Result;

fn main() -> Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or(common::TCP_ADDR.to_owned());

    // 1. Listen on `addr`, then print `listening on <the address really bound>`.
    // SOLUTION: step 1: bind a TcpListener to addr, then print the listening line (local_addr)
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    // END SOLUTION

    loop {
        // 2. Accept the next client; 3. serve it on a thread of its own (`go handle(conn)`).
        // SOLUTION: steps 2 and 3: accept a connection, then thread::spawn a call to handle(conn)
        let (conn, _peer) = listener.accept()?;
        thread::spawn(move || handle(conn));
        // END SOLUTION
    }
}

fn handle(mut conn: TcpStream) {
    let mut buf = [0; 4096];
    loop {
        // 4. Read into the buffer; a read of 0 bytes means the client closed (FIN).
        // 5. Write back what was read, upper-cased.
        // SOLUTION: steps 4 and 5: read into buf until 0, write_all the bytes read upper-cased
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let reply = String::from_utf8_lossy(&buf[..n]).to_uppercase();
        if conn.write_all(reply.as_bytes()).is_err() {
            break;
        }
        // END SOLUTION
    }
    // 6. Close: dropping `conn` at the end of this function sends our FIN.
}
