//! Exercise file-send-1: the notes' file sender.
//!
//! Take the file's path from the command line, stat it for its bare name, dial the
//! receiver, send the name, wait for its `ok`, then read the file and write it to the socket
//! until the end of the file; closing the connection tells the receiver the file is over.
//! The steps are the notes' steps (chapter "Sending a file"); each one is a gap marked
//! `todo!()` in the starter. The notes' weaknesses stay: the chapter breaks them, and
//! exercise file-send-2 mends the worst one, a sender that never learns whether the file
//! was stored.
//!
//! Arguments: `PATH [ADDR]`, the file to send and the receiver (default `127.0.0.1:8002`).
//! Run it: in an empty folder, `cargo run -q --manifest-path WORKSPACE/Cargo.toml -p file-recv
//! --example notes-file-recv`; then from the workspace:
//! `cargo run -q -p workbook --bin ex-file-send-1 -- Cargo.toml`.
//! Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    common::report(send())
}

fn send() -> Result<()> {
    let mut buf = [0; 4096];

    // 1. The path from the command line: argument 1 (argument 0 is the program); the
    //    receiver's address is argument 2, or common::FILE_ADDR.
    todo!("step 1: path = argument 1 (or a usage error), addr = argument 2 or FILE_ADDR");

    // 2. Stat the file, for its bare name: the last part of the path, without the folders.
    todo!("step 2: fs::metadata(&path), then the name: Path::new(&path).file_name()");

    // 3. Dial the receiver.
    todo!("step 3: TcpStream::connect(addr)");

    // 4. Send the bare name.
    todo!("step 4: write_all the name's bytes");

    // 5. Wait for "ok": one read; anything else is the receiver saying no.
    todo!("step 5: read once into buf; fail unless &buf[..n] is exactly b\"ok\"");

    // 6. Read the file in a loop and write each chunk to the socket, until EOF (a read of
    //    0). Returning drops `conn`: the connection closes, and the receiver's read returns 0.
    todo!("step 6: File::open(&path); loop: read into buf, stop at 0, write_all(&buf[..n])");
    Ok(())
}
