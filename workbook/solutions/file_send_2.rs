//! Exercise file-send-2: half-close, then wait for the receiver's confirmation.
//!
//! The notes' sender (exercise file-send-1) reports success as soon as its last `write`
//! returns, though the bytes may never be stored: the chapter "Sending a file" shows it
//! saying "done" to a receiver that failed. This sender speaks the lesson's protocol, so it
//! can ask: it announces `FILE <size> <name>\n`, waits for the line `OK`, sends exactly
//! `<size>` bytes (all given below), and then, the gap: it half-closes with
//! `shutdown(Shutdown::Write)`, which sends FIN ("that was all") while its reading half stays
//! open, and waits for the receiver's last line, `DONE <size> blake3:<hex>` or `error: <reason>`.
//! It exits with 0 only when `DONE` names the size it sent.
//!
//! Arguments: `PATH [ADDR]`, the file to send and the receiver (default `127.0.0.1:8002`).
//! Run it: `mkdir -p inbox && cargo run -p file-recv -- --dir inbox`, then
//! `cargo run -q -p workbook --bin ex-file-send-2 -- Cargo.toml`.
//! Check it: `cargo run -p workbook`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The longest the sender waits for any answer: a receiver that goes silent cannot hang it.
const TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    common::report(send())
}

fn send() -> Result<()> {
    // 1. The path from the command line, and the receiver's address.
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: ex-file-send-2 PATH [ADDR]")?;
    let addr = args.next();
    let addr = addr.as_deref().unwrap_or(common::FILE_ADDR);

    // 2. Open the file, then ask the open file its size (so size and bytes belong to the
    //    same file); the bare name is the last part of the path.
    let mut file = File::open(&path).with_context(|| format!("cannot open {path}"))?;
    let size = file
        .metadata()
        .with_context(|| format!("cannot stat {path}"))?
        .len();
    let name = Path::new(&path)
        .file_name()
        .and_then(|name| name.to_str())
        .with_context(|| format!("{path} does not end in a file name that is text"))?;

    // 3. Dial the receiver; every later read waits at most TIMEOUT.
    let conn = TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
    conn.set_read_timeout(Some(TIMEOUT))?;
    let mut reader = BufReader::new(&conn);

    // 4. Announce the file: one line with the size, so the receiver knows where it ends.
    (&conn)
        .write_all(format!("FILE {size} {name}\n").as_bytes())
        .context("cannot announce the file")?;

    // 5. Wait for the line `OK`; any other line is the receiver's reason to refuse.
    let answer = read_reply(&mut reader)?;
    if answer != "OK" {
        bail!("the receiver refused {name:?}: {answer:?}");
    }

    // 6. Send exactly `size` bytes of the file.
    let sent = io::copy(&mut (&mut file).take(size), &mut &conn).context("cannot send")?;
    if sent != size {
        bail!("{path} shrank while it was being sent: {sent} of {size} bytes");
    }

    // 7. Half-close: FIN tells the receiver "that was all", and our reading half stays
    //    open for its answer. 8. Read that answer: `DONE <size> blake3:<hex>` with our size is
    //    the only success; `error: <reason>`, or no line at all, is a failure.
    // SOLUTION: steps 7 and 8: conn.shutdown(Shutdown::Write), read_reply, check "DONE <size> "
    conn.shutdown(Shutdown::Write)
        .context("cannot close our side")?;
    let last = read_reply(&mut reader)?;
    let Some(rest) = last.strip_prefix("DONE ") else {
        bail!("the receiver did not store {name:?}: {last:?}");
    };
    let stored = rest.split(' ').next().unwrap_or_default();
    if stored != size.to_string() {
        bail!("the receiver stored {stored:?} bytes of {name:?}; we sent {size}");
    }
    println!("sent {name:?}: {size} bytes, and the receiver confirmed it stored them");
    // END SOLUTION
    Ok(())
}

/// Reads the receiver's next line, at most 8 KiB, and returns it without its line ending.
fn read_reply(reader: &mut BufReader<&TcpStream>) -> Result<String> {
    let mut line = Vec::new();
    reader
        .take(8 * 1024)
        .read_until(b'\n', &mut line)
        .context("no answer from the receiver")?;
    if line.pop() != Some(b'\n') {
        bail!("the receiver closed the connection without a whole line of answer");
    }
    Ok(String::from_utf8_lossy(&line)
        .trim_end_matches('\r')
        .to_owned())
}
