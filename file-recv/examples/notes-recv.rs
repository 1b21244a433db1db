//! The course notes' receiver, translated step for step, kept ONLY to show its weaknesses.
//!
//! Never use it for real files: it trusts the name it is sent (`../x` writes outside its
//! folder), overwrites existing files, takes whatever one `read` returned as the name, and
//! calls a connection that ends early a finished file. The book's chapter "Sending a file"
//! runs it to show each of these failing; `file-recv` is the same steps done right.
//!
//! Give it an empty scratch folder to work in (it writes wherever the sender says, relative
//! to that folder): `cargo run -p file-recv --example notes-recv -- /tmp/scratch/inbox`

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpListener;

use anyhow::{Context, Result};

fn main() -> std::process::ExitCode {
    common::report(receive_like_the_notes())
}

fn receive_like_the_notes() -> Result<()> {
    // The notes' receiver creates files relative to the folder it runs in.
    if let Some(folder) = std::env::args_os().nth(1) {
        std::env::set_current_dir(&folder)
            .with_context(|| format!("cannot work in {}", folder.to_string_lossy()))?;
    }
    // 1. Listen.
    let listener = TcpListener::bind(common::FILE_ADDR)
        .with_context(|| format!("cannot listen on {}", common::FILE_ADDR))?;
    println!("{}{}", common::LISTENING_PREFIX, listener.local_addr()?);
    // 2. Accept one sender.
    let (mut conn, _) = listener.accept()?;
    // 3. Read the name: ONE read, assumed to be exactly the name. (Weakness: TCP is a byte
    //    stream; this read may hold half the name, or the name and the first content bytes.)
    let mut buf = [0; 4096];
    let n = conn.read(&mut buf)?;
    let name = String::from_utf8_lossy(&buf[..n]).into_owned();
    // 4. Answer "ok".
    conn.write_all(b"ok")?;
    // 5. Create the file under the name as sent. (Weaknesses: `../x` or `/tmp/x` lands
    //    outside this folder; an existing file is silently replaced.)
    let mut file = File::create(&name).with_context(|| format!("cannot create {name:?}"))?;
    let mut size = 0;
    loop {
        // Read until 0. (Weakness: 0 also comes when the sender crashed halfway, so a cut
        // transfer looks finished, and sits under the final name.)
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n])?;
        size += n;
    }
    println!("received {name:?}: {size} bytes, done");
    Ok(())
}
