//! The notes' file sender, step for step, weaknesses included: read it beside the Go code.
//!
//! It speaks the notes' protocol: the bare name, then "ok" back, then the bytes until the
//! connection closes, so it works with `notes-file-recv` and with any receiver written from
//! the notes (not with `file-recv`, which wants `FILE <size> <name>`).
//!
//! ```text
//! cargo run -p file-send --example notes-file-send -- hello.txt
//! ```
//!
//! Arguments: `PATH [ADDR]`, the file to send and the receiver (default `127.0.0.1:8002`).

// ANCHOR: notes
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use anyhow::{Context, Result, bail};

fn main() -> std::process::ExitCode {
    common::report(send())
}

fn send() -> Result<()> {
    // 1. The path from the command line (Go: os.Args[1]); argument 0 is the program.
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: notes-file-send PATH [ADDR]")?;
    let addr = args.next();
    let addr = addr.as_deref().unwrap_or(common::FILE_ADDR);

    // 2. Stat the file for its bare name (Go: os.Stat(path), info.Name()). Rust's
    //    metadata has no name: the last part of the path is the same thing.
    let info = fs::metadata(&path).with_context(|| format!("cannot stat {path}"))?;
    // Weakness (size unused): the size is known here and never sent, so the receiver
    // cannot tell where the file ends, nor refuse a file too large before it arrives.
    let _size = info.len();
    let name = Path::new(&path)
        .file_name()
        .with_context(|| format!("{path} does not end in a file name"))?
        .to_string_lossy()
        .into_owned();

    // 3. Dial the receiver (Go: net.Dial("tcp", addr)).
    let mut conn = TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;

    // 4. Send the bare name (Go: conn.Write([]byte(name))).
    conn.write_all(name.as_bytes())
        .context("cannot send the name")?;

    // 5. Wait for "ok" (Go: conn.Read(buf), then string(buf[:n]) == "ok").
    // Weakness (one read as one message): the two bytes may come in two reads; rare on
    // loopback, and then this sender gives up on a receiver that said "ok".
    // Weakness (no deadline): a receiver that accepts and never answers holds this read
    // for ever.
    let mut buf = [0; 4096];
    let n = conn.read(&mut buf).context("no answer")?;
    if &buf[..n] != b"ok" {
        bail!(
            "the receiver answered {:?}, not \"ok\"",
            String::from_utf8_lossy(&buf[..n])
        );
    }

    // 6. Send the content (Go: sendFile).
    //    1) Open the file read-only (Go: os.Open(path)).
    let mut file = File::open(&path).with_context(|| format!("cannot open {path}"))?;
    loop {
        // 2) Read a chunk of the file (Go: f.Read(buf)).
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {path}"))?;
        // 3) Write it to the socket (Go: conn.Write(buf[:n])), all of it; nothing when n
        //    is 0.
        conn.write_all(&buf[..n]).context("cannot send the file")?;
        // 4) At the end of the file, stop (Go: io.EOF, break). Rust's `read` says so with 0.
        if n == 0 {
            break;
        }
    }
    // Returning drops `conn`, which closes the connection: the receiver's read returns 0.
    // Weakness (sender never learns): `write_all` returned, so the bytes are in our own
    // kernel's buffer, no more; the receiver may still crash or fail to store them, and
    // this program reports success all the same.
    println!("sent {name:?}, done");
    Ok(())
}
// ANCHOR_END: notes
