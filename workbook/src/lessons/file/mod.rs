//! The file lesson's exercises (chapter "Sending a file"): the notes' receiver and sender
//! first, then the sender that half-closes and waits for the confirmation, and the receiver
//! that refuses a name that would leave its folder.
//!
//! The checks run the student's program against the real partners (the notes versions
//! `notes-file-send` and `notes-file-recv`, and `file-recv`), and against raw sockets that
//! play a partner where only a raw peer can show the mistake (a hostile name, a receiver
//! that fails after the content). Every file lives in a scratch folder; loopback only.
//!
//! The exercise list is here, in the chapter's order; the checks are in `recv.rs` and
//! `send.rs`. Below the list is what both use: the file they send and where it lives, the
//! notes versions as partners, raw reads with a deadline, and the comparison of what arrived.

use std::fs;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::check::scratch::Scratch;
use crate::check::socket::quiet;
use crate::exercise::{Exercise, Mistake, Program};

mod recv;
mod send;

/// In the order of the chapter: the notes' pair, then answer 3 (half-close and the
/// confirmation), then answer 4 (the name is data).
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "file-recv-1",
        lesson: "File receiver",
        chapter: "file-transfer.md",
        title: "the notes' receiver: listen, accept, read the name, answer ok, copy until 0",
        hints: &[
            "Steps 1 and 2 are the TCP server's: `TcpListener::bind(addr)?`, print `listening on` and `local_addr()`, then one `listener.accept()?` (no loop: the notes' receiver takes one sender).",
            "Step 3: one `conn.read(&mut buf)?` returns `n`; the name is `String::from_utf8_lossy(&buf[..n])`. Step 4: `conn.write_all(b\"ok\")?`, exactly those two bytes: the notes' sender compares them.",
            "Step 5: `File::create(&name)?`, then a loop: `let n = conn.read(&mut buf)?;` stop when `n == 0` (the sender closed), else `file.write_all(&buf[..n])?`: only the `n` bytes read, never the whole buffer.",
        ],
        mistakes: &[
            Mistake {
                name: "wholebuf",
                caught_by: "write only the bytes read",
            },
            Mistake {
                name: "okline",
                caught_by: "answer exactly `ok`",
            },
        ],
        check: recv::check_file_recv_1,
    },
    Exercise {
        name: "file-send-1",
        lesson: "File sender",
        chapter: "file-transfer.md",
        title: "the notes' sender: stat for the bare name, dial, send it, wait for ok, send the file",
        hints: &[
            "Step 1: `std::env::args().skip(1)`: the first `next()` is the path (or a usage error with `.context(...)`), the second the address, else `common::FILE_ADDR`.",
            "Step 2: `fs::metadata(&path)?` checks the file is there; the name to send is its last part only: `Path::new(&path).file_name()`, an `Option` (`.context(...)?`), then `.to_string_lossy()`.",
            "Steps 3 to 5: `TcpStream::connect(addr)?`, `conn.write_all(name.as_bytes())?`, then one `conn.read(&mut buf)?` and `bail!` unless `&buf[..n] == b\"ok\"`: nothing of the file goes out before the `ok`.",
            "Step 6: `File::open(&path)?`, then a loop: `let n = file.read(&mut buf)?;` stop at 0 (end of the file), else `conn.write_all(&buf[..n])?`. Returning drops `conn`, which closes the connection.",
        ],
        mistakes: &[
            Mistake {
                name: "fullpath",
                caught_by: "send the bare name",
            },
            Mistake {
                name: "nowait",
                caught_by: "without waiting for `ok`",
            },
        ],
        check: send::check_file_send_1,
    },
    Exercise {
        name: "file-send-2",
        lesson: "File sender",
        chapter: "file-transfer.md",
        title: "half-close with shutdown(Write), then wait for the receiver's DONE or error line",
        hints: &[
            "After the last byte, `conn.shutdown(Shutdown::Write)?` sends FIN: the receiver's read returns 0, so it knows the file is over, while your reading half stays open.",
            "Then `read_reply(&mut reader)?` gives the receiver's last line: `DONE <size> blake3:<hex>` when it stored the file, `error: <reason>` when it did not.",
            "`let Some(rest) = last.strip_prefix(\"DONE \") else { bail!(...) };` then compare the first word of `rest` with `size.to_string()`; only then print and return `Ok(())`.",
        ],
        mistakes: &[
            Mistake {
                name: "noshutdown",
                caught_by: "conn.shutdown(Shutdown::Write)",
            },
            Mistake {
                name: "ignored",
                caught_by: "yet your program exited with 0",
            },
        ],
        check: send::check_file_send_2,
    },
    Exercise {
        name: "file-recv-2",
        lesson: "File receiver",
        chapter: "file-transfer.md",
        title: "refuse a name with a separator or `..` before answering, with an error: line",
        hints: &[
            "The name is data from the network: `File::create(\"../x\")` writes in the folder above. Check it right after step 3, before the `ok`.",
            "In `check_name`: `name.contains(['/', '\\\\'])` finds a separator of either system; then refuse `\"\"`, `\".\"` and `\"..\"` too (they name no file).",
            "In `receive`: `if let Err(reason) = check_name(&name) { conn.write_all(format!(\"error: {reason}\\n\").as_bytes())?; bail!(...); }`, above the `ok`.",
        ],
        mistakes: &[
            Mistake {
                name: "dotdot",
                caught_by: "(an absolute path) was accepted",
            },
            Mistake {
                name: "afterok",
                caught_by: "before refusing",
            },
        ],
        check: recv::check_file_recv_2,
    },
];

/// The file every check sends: a name with a dot, in folders, so that the bare name differs
/// from the path; content in many 4 KiB reads, not a multiple of 4096 bytes, and no two
/// chunks alike, so a lost, doubled or padded chunk shows.
const NAME: &str = "hello.txt";
const FOLDERS: &str = "docs/week1";

fn content() -> Vec<u8> {
    (0..50_000u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz\n"[(i % 27) as usize] ^ ((i / 4096) as u8 & 1))
        .collect()
}

/// A scratch folder with the file to send in `out/docs/week1/hello.txt`, and an empty
/// `in/` for a receiver to store into.
fn folders(what: &str) -> Result<(Scratch, Vec<u8>)> {
    let scratch = Scratch::new(what)?;
    let bytes = content();
    scratch.file(format!("out/{FOLDERS}/{NAME}"), &bytes)?;
    fs::create_dir(scratch.path().join("in")).context("cannot create a scratch folder")?;
    Ok((scratch, bytes))
}

/// A partner that is a lesson's example (a notes version), built first so it is never stale.
fn partner_example(package: &str, example: &str) -> Result<Program> {
    let path = testkit::binaries::build_example(package, example, true)
        .with_context(|| format!("could not build the partner program `{example}`"))?;
    Ok(Program {
        path,
        label: example.to_owned(),
    })
}

/// Says where `got` first differs from `expected`, in the student's terms.
fn compare(what: &str, got: &[u8], expected: &[u8]) -> Result<()> {
    if got == expected {
        return Ok(());
    }
    if got.len() > expected.len() && got.len().is_multiple_of(4096) {
        bail!(
            "{what} has {} bytes, the file {}: a multiple of the 4096-byte buffer; write only \
             the bytes read, `&buf[..n]`",
            got.len(),
            expected.len()
        );
    }
    if got.len() != expected.len() {
        bail!(
            "{what} has {} bytes; the file has {}",
            got.len(),
            expected.len()
        );
    }
    let at = got.iter().zip(expected).position(|(a, b)| a != b);
    bail!(
        "{what} differs from the file at byte {}",
        at.unwrap_or_default()
    )
}

/// The names in `dir`, for a message.
fn listing(dir: &Path) -> String {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| format!("{:?}", e.file_name()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}

// ---- raw sockets, every wait bounded ----

/// How a bounded read ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// `done` said the bytes so far are enough.
    Done,
    /// The peer closed its sending half (a read returned 0).
    Closed,
    /// The deadline passed first.
    TimedOut,
}

/// Reads from `conn` into `buf` until `done(buf)`, the peer's FIN, or `deadline`.
fn read_until(
    conn: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
    done: impl Fn(&[u8]) -> bool,
) -> Result<End> {
    let mut chunk = [0; 16 * 1024];
    loop {
        if done(buf) {
            return Ok(End::Done);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(End::TimedOut);
        }
        conn.set_read_timeout(Some(left))?;
        match conn.read(&mut chunk) {
            Ok(0) => return Ok(End::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if quiet(&e) => return Ok(End::TimedOut),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A reset is the peer's way of closing, for these checks.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(End::Closed),
            Err(e) => return Err(e).context("reading from the program failed"),
        }
    }
}
