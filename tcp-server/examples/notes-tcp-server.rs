//! The course's Go TCP server, ported step for step: listen, accept, a goroutine (here a
//! thread) per client, read into a buffer, write it back upper-cased.
//!
//! Kept as the notes have it, weaknesses included: each is named in a `// Weakness` comment,
//! and the chapter "A TCP server and client" shows each one happening before `tcp-server`
//! fixes it. Safe on loopback; not a server to leave running.
//!
//! Run it, then talk to it with `nc 127.0.0.1 8000` or `cargo run -p tcp-client`:
//! `cargo run -p tcp-server --example notes-tcp-server -- [ADDR]`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    common::report(serve_like_the_notes())
}

fn serve_like_the_notes() -> Result<()> {
    // As `os.Args` in Go: argument 0 is the program, argument 1 the address if given.
    let addr = std::env::args()
        .nth(1)
        .unwrap_or(common::TCP_ADDR.to_owned());

    // 1. Listen: `net.Listen("tcp", addr)`.
    let listener = TcpListener::bind(&addr).with_context(|| format!("cannot listen on {addr}"))?;
    println!("{}{}", common::LISTENING_PREFIX, listener.local_addr()?);

    loop {
        // 2. Accept: `listener.Accept()`, which returns once a handshake is complete.
        // Weakness (one failed accept stops the server): when accept fails, for example with
        // "too many open files", the server returns, and every client is cut off with it.
        let (conn, peer) = listener.accept().context("accept failed")?;

        // 3. `go handle(conn)`: one thread per client.
        // Weakness (no cap on threads): every connection gets a thread and a socket, however
        // many come; a flood of connections uses up the machine's threads and descriptors.
        thread::spawn(move || handle(conn, peer.to_string()));
    }
}

fn handle(mut conn: TcpStream, peer: String) {
    println!("{peer} connected");
    let mut buf = [0; 4096];
    loop {
        // 4. Read into the buffer: `conn.Read(buf)`.
        // Weakness (no deadline): a client that connects and stays silent, or never reads
        // our replies, blocks this thread in `read` (or `write`) for ever.
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => break, // 0: the client closed (FIN); an error: it vanished.
            Ok(n) => n,
        };
        // 5. Write back upper-cased: `conn.Write([]byte(strings.ToUpper(...)))`.
        // Weakness (one read taken as one message): TCP keeps no message boundaries, so one
        // read may hold half a line, or a character cut in two: its bytes are not valid
        // UTF-8 on their own and each half becomes U+FFFD, the replacement character.
        let reply = String::from_utf8_lossy(&buf[..n]).to_uppercase();
        if conn.write_all(reply.as_bytes()).is_err() {
            break;
        }
    }
    // 6. Close: `defer conn.Close()`; dropping `conn` sends our FIN.
    println!("{peer} closed");
}
