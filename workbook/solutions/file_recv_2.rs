//! Exercise file-recv-2: the receiver refuses a name that would leave its folder.
//!
//! The notes' receiver again (exercise file-recv-1), mended where the chapter "Sending a
//! file" shows it trusting the name: `../x` or `/tmp/x` from the network wrote outside the
//! folder. Now the name is checked right after it is read, before the `ok`: a name with a
//! path separator (`/` or `\`), or `.`, `..` or nothing at all, is answered with one line
//! `error: <reason>` instead, and no content flows. The other steps are given.
//!
//! It stores under any plain name it is sent: run it in an empty scratch folder.
//! Run it: `mkdir -p /tmp/inbox && cd /tmp/inbox &&
//! cargo run -q --manifest-path WORKSPACE/Cargo.toml -p workbook --bin ex-file-recv-2`,
//! then: `(printf '../x'; sleep 1) | nc 127.0.0.1 8002` (WSL on Windows).
//! Check it: `cargo run -p workbook`.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    common::report(receive())
}

fn receive() -> Result<()> {
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or(common::FILE_ADDR);
    let mut buf = [0; 4096];

    // 1. Listen on `addr`, then print `listening on <the address really bound>`.
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    println!("{}{}", common::LISTENING_PREFIX, listener.local_addr()?);

    // 2. Accept one sender.
    let (mut conn, peer) = listener.accept().context("accept failed")?;

    // 3. Read the name: one `read` into `buf`; the bytes read are the name.
    let n = conn.read(&mut buf).context("cannot read the name")?;
    let name = String::from_utf8_lossy(&buf[..n]).into_owned();
    // The name came from the network: it is data, and it must not choose the folder. Refuse
    // a bad one now, before the `ok`, so that not one byte of content flows.
    // SOLUTION: step 3: if check_name fails, write_all "error: REASON\n" and bail, before ok
    if let Err(reason) = check_name(&name) {
        conn.write_all(format!("error: {reason}\n").as_bytes())
            .context("cannot send the refusal")?;
        bail!("refused a name from {peer}: {reason}");
    }
    // END SOLUTION

    // 4. Answer "ok": the two bytes, nothing more.
    conn.write_all(b"ok").context("cannot answer ok")?;

    // 5. Create the file under that name, then copy from the socket into it until a read
    //    returns 0: the sender closed.
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
    Ok(())
}

/// Step 3: whether `name` is one plain file name in this folder; if not, why, in words the
/// sender can act on. (`file-recv` checks much more: see its `names.rs`.)
fn check_name(name: &str) -> Result<(), String> {
    // SOLUTION: step 3: refuse a name holding / or \, and the names "", "." and ".."
    if name.contains(['/', '\\']) {
        return Err(format!(
            "the name {name:?} contains a path separator (/ or \\): send a plain file name"
        ));
    }
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!(
            "{name:?} is not a file name: send a plain file name"
        ));
    }
    Ok(())
    // END SOLUTION
}
