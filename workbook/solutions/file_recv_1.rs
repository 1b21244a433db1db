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
    // SOLUTION: step 1: bind a TcpListener to addr, print "listening on " and its local_addr()
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    println!("{}{}", common::LISTENING_PREFIX, listener.local_addr()?);
    // END SOLUTION

    // 2. Accept one sender.
    // SOLUTION: step 2: accept one connection (the stream and the sender's address)
    let (mut conn, peer) = listener.accept().context("accept failed")?;
    // END SOLUTION

    // 3. Read the name: one `read` into `buf`; the bytes read are the name.
    // SOLUTION: step 3: read once into buf; the name is String::from_utf8_lossy(&buf[..n])
    let n = conn.read(&mut buf).context("cannot read the name")?;
    let name = String::from_utf8_lossy(&buf[..n]).into_owned();
    // END SOLUTION

    // 4. Answer "ok": the two bytes, nothing more.
    // SOLUTION: step 4: write_all the two bytes ok
    conn.write_all(b"ok").context("cannot answer ok")?;
    // END SOLUTION

    // 5. Create the file under that name, then copy from the socket into it until a read
    //    returns 0: the sender closed. Print `received <name> from <peer>: <n> bytes`.
    // SOLUTION: step 5: File::create(&name); loop: read, stop at 0, write_all(&buf[..n])
    let mut file = File::create(&name).with_context(|| format!("cannot create {name:?}"))?;
    let mut size = 0;
    loop {
        let n = conn.read(&mut buf).context("cannot read the file")?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).context("cannot write the file")?;
        size += n;
    }
    // `{:?}` escapes the name: it came from the network.
    println!("received {name:?} from {peer}: {size} bytes, done");
    // END SOLUTION
    Ok(())
}
