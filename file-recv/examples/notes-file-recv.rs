//! The notes' file receiver, step for step, weaknesses included: read it beside the Go code.
//!
//! It stores the file in the folder it runs in, under the name the sender chose, so run it
//! in an empty scratch folder, never in one you care about (`../x` lands in the folder
//! above). The chapter "Sending a file" makes each weakness happen; `file-recv` fixes them.
//!
//! ```text
//! mkdir -p /tmp/inbox && cd /tmp/inbox
//! cargo run --manifest-path WORKSPACE/Cargo.toml -p file-recv --example notes-file-recv
//! ```
//!
//! Arguments: `[ADDR]`, the address to listen on (default `127.0.0.1:8002`).

// ANCHOR: notes
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpListener;

use anyhow::{Context, Result};

fn main() -> std::process::ExitCode {
    common::report(receive())
}

fn receive() -> Result<()> {
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or(common::FILE_ADDR);

    // 1. Listen (Go: net.Listen("tcp", addr)).
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    println!("{}{}", common::LISTENING_PREFIX, listener.local_addr()?);

    // 2. Accept one sender (Go: listener.Accept()).
    let (mut conn, peer) = listener.accept().context("accept failed")?;

    // 3. Read the name: one `read` (Go: conn.Read(buf)).
    // Weakness (one read as one message): TCP is a byte stream; this read may return half
    // the name, or the name and the first bytes of the file joined together.
    // Weakness (no deadline): a sender that connects and sends nothing holds this read,
    // and so the whole receiver, for ever; every other sender waits behind it.
    let mut buf = [0; 4096];
    let n = conn.read(&mut buf).context("cannot read the name")?;
    let name = String::from_utf8_lossy(&buf[..n]).into_owned();

    // 4. Answer "ok" (Go: conn.Write([]byte("ok"))).
    conn.write_all(b"ok").context("cannot answer ok")?;

    // 5. Receive the content (Go: recvFile).
    //    1) Create the file (Go: os.Create(name)).
    // Weakness (trusted name): the name comes from the network; `../x` or `/tmp/x` writes
    // outside this folder.
    // Weakness (overwrite): a file that exists already is replaced without a word.
    let mut file = File::create(&name).with_context(|| format!("cannot create {name:?}"))?;
    let mut size = 0;
    loop {
        // 2) Read from the socket (Go: conn.Read(buf)).
        // Weakness (partial file): if this program dies or a read fails halfway, what
        // arrived so far stays under the final name, looking like the whole file.
        let n = conn.read(&mut buf).context("cannot read the file")?;
        // 3) Save what was read (Go: f.Write(buf[:n])); nothing when n is 0.
        file.write_all(&buf[..n]).context("cannot write the file")?;
        size += n;
        // 4) A read that returned 0 ends the transfer (Go: n == 0, break).
        if n == 0 {
            // Weakness (EOF taken as success): 0 means only that the sender closed, and
            // the OS of a sender that crashed halfway closes its connection too.
            break;
        }
    }
    // `{:?}` escapes the name: it came from the network and may hold control characters.
    println!("received {name:?} from {peer}: {size} bytes, done");
    Ok(())
}
// ANCHOR_END: notes
