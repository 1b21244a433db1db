//! Exercise file-recv-1: the notes' file receiver.
//!
//! Listen, accept one sender, read the file's name with one `read`, answer `ok`, create the
//! file in the current folder under that name, and copy from the socket into it until a
//! `read` returns 0 (the sender closed). The steps are the notes' steps (chapter "Sending a
//! file"); each one is a gap marked `todo!()` in the starter. The notes' weaknesses stay:
//! the chapter breaks them, and exercise file-recv-2 mends the worst one, the trusted name.
//!
//! It stores under any name it is sent: run it in an empty scratch folder.
//! Run it: `mkdir -p /tmp/inbox && cd /tmp/inbox &&
//! cargo run -q --manifest-path WORKSPACE/Cargo.toml -p workbook --bin ex-file-recv-1`,
//! then from the workspace: `cargo run -p file-send --example notes-file-send -- Cargo.toml`.
//! Check it: `cargo run -p workbook`.
#![allow(unused, unreachable_code, clippy::diverging_sub_expression)] // until the gaps are filled

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    common::report(receive())
}

fn receive() -> Result<()> {
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or(common::FILE_ADDR);
    let mut buf = [0; 4096];

    // 1. Listen on `addr`, then print `listening on <the address really bound>`.
    todo!("step 1: bind a TcpListener to addr, print \"listening on \" and its local_addr()");

    // 2. Accept one sender.
    todo!("step 2: accept one connection (the stream and the sender's address)");

    // 3. Read the name: one `read` into `buf`; the bytes read are the name.
    todo!("step 3: read once into buf; the name is String::from_utf8_lossy(&buf[..n])");

    // 4. Answer "ok": the two bytes, nothing more.
    todo!("step 4: write_all the two bytes ok");

    // 5. Create the file under that name, then copy from the socket into it until a read
    //    returns 0: the sender closed. Print `received <name> from <peer>: <n> bytes`.
    todo!("step 5: File::create(&name); loop: read, stop at 0, write_all(&buf[..n])");
    Ok(())
}
