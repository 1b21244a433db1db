//! The file lesson's exercises (chapter "Sending a file"): the notes' receiver and sender
//! first, then the sender that half-closes and waits for the confirmation, and the receiver
//! that refuses a name that would leave its folder.
//!
//! The checks run the student's program against the real partners (the notes versions
//! `notes-file-send` and `notes-file-recv`, and `file-recv`), and against raw sockets that
//! play a partner where only a raw peer can show the mistake (a hostile name, a receiver
//! that fails after the content). Every file lives in a scratch folder; loopback only.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::check::scratch::Scratch;
use crate::check::socket::{self, Arrival, quiet};
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::{Exercise, Mistake, Program};

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
        check: check_file_recv_1,
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
        check: check_file_send_1,
    },
    Exercise {
        name: "file-send-2",
        lesson: "File sender",
        chapter: "file-transfer.md",
        title: "half-close with shutdown(Write), then wait for the receiver's DONE or error line",
        hints: &[
            "After the last byte, `conn.shutdown(Shutdown::Write)?` sends FIN: the receiver's read returns 0, so it knows the file is over, while your reading half stays open.",
            "Then `read_reply(&mut reader)?` gives the receiver's last line: `DONE <size> <sha256>` when it stored the file, `error: <reason>` when it did not.",
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
        check: check_file_send_2,
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
        check: check_file_recv_2,
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

// ---- the receiver's checks ----

/// file-recv-1: the student's receiver, in an empty folder, against the real notes sender.
fn check_file_recv_1(program: &Program) -> Result<()> {
    let (scratch, bytes) = folders("file-recv-1")?;
    receive_from_notes_sender(program, &scratch, &bytes)
}

/// file-recv-2: a plain name is still stored; each hostile name is refused before `ok`.
fn check_file_recv_2(program: &Program) -> Result<()> {
    let (scratch, bytes) = folders("file-recv-2")?;
    receive_from_notes_sender(program, &scratch, &bytes)?;

    // Each hostile sender meets a fresh receiver in `hostile/in`: a name that climbs out
    // lands in `hostile/`, still inside the scratch folder.
    let hostile = scratch.path().join("hostile");
    let inbox = hostile.join("in");
    fs::create_dir_all(&inbox).context("cannot create a scratch folder")?;
    let absolute = hostile.join("abs.txt");
    let absolute_name = absolute
        .to_str()
        .context("the scratch folder's path is not text")?;
    // Each name, what it is, and where it would land outside the receiver's folder.
    let names = [
        (
            "../x.txt",
            "a name that climbs out with `..`",
            Some(hostile.join("x.txt")),
        ),
        (absolute_name, "an absolute path", Some(absolute.clone())),
        ("..", "the folder above", None),
        ("..\\x.txt", "a Windows path", None),
    ];
    for (name, what, outside) in names {
        let (mut receiver, addr) = check::start_server(program, &["127.0.0.1:0"], Some(&inbox))?;
        let answer = hostile_sender(addr, name)?;
        let shown = String::from_utf8_lossy(&answer);
        if answer.starts_with(b"ok") && shown.contains("error:") {
            bail!(
                "step 3: your receiver answered `ok` before refusing the name `{name}` ({what}): \
                 the `ok` tells the sender to go ahead; check the name before answering"
            );
        }
        if answer.starts_with(b"ok") {
            bail!(
                "step 3: the name `{name}` ({what}) was accepted: refuse names with a separator \
                 (/ or \\) or `..` before answering, with a line `error: <reason>`"
            );
        }
        if answer.is_empty() {
            bail!(
                "step 3: for the name `{name}` ({what}) your receiver closed without a word: \
                 send `error: <reason>\\n` first, so the sender knows why{}",
                receiver.said()
            );
        }
        if !answer.starts_with(b"error: ") || !answer.ends_with(b"\n") {
            bail!(
                "step 3: your receiver answered the name `{name}` ({what}) with {shown:?}: \
                 refuse with one line, `error: <reason>\\n`"
            );
        }
        if let Some(outside) = outside.filter(|path| path.exists()) {
            bail!(
                "step 5: the name `{name}` was refused, yet {} was written outside the \
                 receiver's folder",
                outside.display()
            );
        }
        // A refused sender must not end the program with a panic (exit code 101).
        if let Ok(status) = receiver.wait_exit(Duration::ZERO)
            && status.code() == Some(101)
        {
            bail!(
                "step 3: your receiver panicked after refusing `{name}`: return an error \
                 instead{}",
                receiver.said()
            );
        }
    }
    Ok(())
}

/// Starts the student's receiver in `in/`, runs the real `notes-file-send` with the file in
/// `out/`, and compares what the receiver stored.
fn receive_from_notes_sender(program: &Program, scratch: &Scratch, bytes: &[u8]) -> Result<()> {
    let inbox = scratch.path().join("in");
    let (mut receiver, addr) = check::start_server(program, &["127.0.0.1:0"], Some(&inbox))?;
    let sender = partner_example("file-send", "notes-file-send")?;
    let typed = format!("{FOLDERS}/{NAME}");
    let mut sending = Running::start(
        &sender,
        &[typed.as_str(), &addr.to_string()],
        Some(&scratch.path().join("out")),
    )?;
    sending.feed(b"")?;
    let status = sending.wait_exit(STEP_TIMEOUT).map_err(|_| {
        anyhow::anyhow!(
            "steps 3 to 5: notes-file-send sent the name `{NAME}` and was still waiting \
             {} s later: answer `ok` after reading the name (step 4), and end when a read \
             returns 0 (step 5){}",
            STEP_TIMEOUT.as_secs(),
            receiver.said()
        )
    })?;
    if !status.success() {
        // A receiver that stopped (at a gap, or with a panic) explains the sender's failure.
        if let Ok(ended) = receiver.wait_exit(Duration::ZERO)
            && !ended.success()
        {
            bail!(
                "steps 2 to 5: your receiver ended ({}) while notes-file-send was sending \
                 `{NAME}`{}",
                check::describe(ended),
                receiver.said()
            );
        }
        let said = sending.stderr.snapshot().join(" ");
        if said.contains("not \"ok\"") {
            bail!(
                "step 4: notes-file-send gave up: {said}: answer exactly `ok`, the two bytes \
                 and nothing more (the notes' sender compares them)"
            );
        }
        if said.contains("answered") {
            bail!("step 3: the plain name `{NAME}` was refused: notes-file-send said {said}");
        }
        bail!(
            "steps 2 to 5: notes-file-send failed ({}): {said}{}",
            check::describe(status),
            receiver.said()
        );
    }
    // The notes' receiver takes one sender, and ends when its read returns 0.
    if receiver.wait_exit(STEP_TIMEOUT).is_err() {
        bail!(
            "step 5: notes-file-send sent the file and closed, but your receiver was still \
             running {} s later: a read that returns 0 means the sender closed; leave the \
             loop and end",
            STEP_TIMEOUT.as_secs()
        );
    }
    let stored = inbox.join(NAME);
    let Ok(got) = fs::read(&stored) else {
        bail!(
            "step 5: notes-file-send sent `{NAME}`, but there is no `{NAME}` in the folder \
             your receiver ran in; it holds {}{}",
            listing(&inbox),
            receiver.said()
        );
    };
    compare("step 5: the file your receiver stored", &got, bytes)
}

/// Plays a hostile notes sender: sends `name`, and returns all the receiver answered.
///
/// When the answer starts with `ok`, it half-closes at once (no content) so the receiver
/// finishes, and reads on to the end, to see a refusal sent after the `ok`.
fn hostile_sender(addr: std::net::SocketAddr, name: &str) -> Result<Vec<u8>> {
    let mut conn =
        TcpStream::connect(addr).with_context(|| format!("could not connect to {addr}"))?;
    conn.write_all(name.as_bytes())
        .context("could not send the name")?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut answer = Vec::new();
    let end = read_until(&mut conn, &mut answer, deadline, |a| {
        a.len() >= 2 && (a.starts_with(b"ok") || a.ends_with(b"\n"))
    })?;
    if end == End::Done && answer.starts_with(b"ok") {
        let _ = conn.shutdown(Shutdown::Write);
        read_until(&mut conn, &mut answer, deadline, |_| false)?;
    }
    Ok(answer)
}

// ---- the sender's checks ----

/// file-send-1: the student's sender against a raw notes receiver that watches every byte,
/// then against the real `notes-file-recv`.
fn check_file_send_1(program: &Program) -> Result<()> {
    let (scratch, bytes) = folders("file-send-1")?;
    let typed = format!("{FOLDERS}/{NAME}");
    let out = scratch.path().join("out");

    // A raw receiver first: it sees exactly what was sent, and when.
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
    let addr = listener.local_addr()?.to_string();
    let mut sender = Running::start(program, &[typed.as_str(), addr.as_str()], Some(&out))?;
    sender.feed(b"")?;
    let mut conn = accept_from(&listener, &mut sender)?;
    let mut got = Vec::new();
    let deadline = Instant::now() + STEP_TIMEOUT;
    let expected = NAME.as_bytes();
    read_until(&mut conn, &mut got, deadline, |g| {
        g.len() >= expected.len() || !expected.starts_with(g)
    })?;
    if got != expected {
        return Err(wrong_name(&got, &typed, &sender));
    }
    // Nothing may come before our `ok`: the notes' receiver would take it for the name.
    let quiet = Instant::now() + Duration::from_millis(300);
    read_until(&mut conn, &mut got, quiet, |g| g.len() > expected.len())?;
    if got.len() > expected.len() {
        bail!(
            "step 5: your program sent more bytes right after the name, without waiting for \
             `ok`: the notes' receiver reads the name with one read, and would take them for \
             part of the name; read the receiver's answer first"
        );
    }
    conn.write_all(b"ok").context("could not answer ok")?;
    let mut sent = Vec::new();
    let end = read_until(&mut conn, &mut sent, deadline, |_| false)?;
    if end == End::TimedOut {
        bail!(
            "step 6: after {} bytes of the file your program kept the connection open for {} s: \
             at the end of the file (a read of 0), return, so `conn` is dropped and closes",
            sent.len(),
            STEP_TIMEOUT.as_secs()
        );
    }
    compare("step 6: the content your program sent", &sent, &bytes)?;
    let status = sender.wait_exit(STEP_TIMEOUT)?;
    if !status.success() {
        bail!(
            "your program sent the whole file, then failed ({}){}",
            check::describe(status),
            sender.said()
        );
    }

    // Then the real notes receiver, in an empty folder.
    let notes = partner_example("file-recv", "notes-file-recv")?;
    let inbox = scratch.path().join("in");
    let (mut receiver, addr) = check::start_server(&notes, &["127.0.0.1:0"], Some(&inbox))?;
    let mut sender = Running::start(program, &[typed.as_str(), &addr.to_string()], Some(&out))?;
    sender.feed(b"")?;
    let status = sender.wait_exit(STEP_TIMEOUT)?;
    if !status.success() {
        bail!(
            "with the real notes-file-recv, your program failed ({}){}",
            check::describe(status),
            sender.said()
        );
    }
    receiver.wait_exit(STEP_TIMEOUT).map_err(|_| {
        anyhow::anyhow!(
            "step 6: your program ended, but notes-file-recv was still reading: the \
             connection must close when the file is sent"
        )
    })?;
    let Ok(stored) = fs::read(inbox.join(NAME)) else {
        bail!(
            "notes-file-recv stored no `{NAME}`; its folder holds {}{}",
            listing(&inbox),
            receiver.said()
        );
    };
    compare(
        "with the real notes-file-recv, the file stored",
        &stored,
        &bytes,
    )
}

/// The message for a name that is not the bare name.
fn wrong_name(got: &[u8], typed: &str, sender: &Running) -> anyhow::Error {
    let shown = String::from_utf8_lossy(got);
    if got.is_empty() {
        anyhow::anyhow!(
            "step 4: your program connected but sent no name within {} s{}",
            STEP_TIMEOUT.as_secs(),
            sender.said()
        )
    } else if got == typed.as_bytes() || typed.as_bytes().starts_with(got) {
        anyhow::anyhow!(
            "step 2: the name sent was {shown:?}, the path as typed: send the bare name, \
             `{NAME}`, the last part of the path (`Path::new(&path).file_name()`); the \
             receiver would try to create `{typed}` in its own folder"
        )
    } else if got.starts_with(NAME.as_bytes()) {
        anyhow::anyhow!(
            "step 5: your program sent more bytes right after the name, without waiting for \
             `ok`: read the receiver's answer before the file"
        )
    } else {
        anyhow::anyhow!("step 4: the name sent was {shown:?}; expected `{NAME}`")
    }
}

/// file-send-2: raw receivers that play the lesson's protocol and then fail, or confirm a
/// wrong size; then the real `file-recv`.
fn check_file_send_2(program: &Program) -> Result<()> {
    let (scratch, bytes) = folders("file-send-2")?;
    let typed = format!("{FOLDERS}/{NAME}");
    let out = scratch.path().join("out");
    let size = bytes.len();

    let bad_endings = [
        (
            "error: the disk is full\n".to_owned(),
            "the receiver answered `error: the disk is full` after your content",
        ),
        (
            format!("DONE {} {}\n", size - 1, "0".repeat(64)),
            "the receiver confirmed one byte less than you sent",
        ),
    ];
    for (ending, what) in bad_endings {
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
        let addr = listener.local_addr()?.to_string();
        let mut sender = Running::start(program, &[typed.as_str(), addr.as_str()], Some(&out))?;
        sender.feed(b"")?;
        let mut conn = accept_from(&listener, &mut sender)?;
        let deadline = Instant::now() + STEP_TIMEOUT;
        let announcement = format!("FILE {size} {NAME}\n");
        let mut got = Vec::new();
        read_until(&mut conn, &mut got, deadline, |g| g.ends_with(b"\n"))?;
        if got != announcement.as_bytes() {
            bail!(
                "step 4: the announcement was {:?}, expected {announcement:?}{}",
                String::from_utf8_lossy(&got),
                sender.said()
            );
        }
        conn.write_all(b"OK\n").context("could not answer OK")?;
        // The content, then FIN: the receiver knows the file is over only when read
        // returns 0.
        let mut sent = Vec::new();
        let fin_wait = Instant::now() + Duration::from_secs(5);
        let end = read_until(&mut conn, &mut sent, fin_wait, |_| false)?;
        if end == End::TimedOut {
            bail!(
                "step 7: after the {} bytes of the file, no FIN came within 5 s, so a receiver \
                 cannot tell the file is over, and both sides wait for each other: after the \
                 last byte call conn.shutdown(Shutdown::Write)",
                sent.len()
            );
        }
        compare("step 6: the content your program sent", &sent, &bytes)?;
        // A sender that closed both halves, or exited, may make this write fail: fine.
        let _ = conn.write_all(ending.as_bytes());
        let _ = conn.shutdown(Shutdown::Write);
        let status = sender.wait_exit(STEP_TIMEOUT).map_err(|_| {
            anyhow::anyhow!(
                "step 8: {what}, and your program was still running {} s later: read the \
                 last line, then end",
                STEP_TIMEOUT.as_secs()
            )
        })?;
        if status.success() {
            bail!(
                "step 8: {what}, yet your program exited with 0: success is only \
                 `DONE <size> ...` with the size you sent; read that last line and fail \
                 otherwise"
            );
        }
        if status.code() == Some(101) {
            bail!(
                "step 8: {what}, and your program panicked (exit code 101){}",
                sender.said()
            );
        }
    }

    // The real receiver: the whole protocol, the file stored, the sender's exit code 0.
    let receiver = check::partner("file-recv")?;
    let inbox = scratch.path().join("in");
    let inbox_arg = inbox
        .to_str()
        .context("the scratch folder's path is not text")?;
    let (receiver, addr) = check::start_server(
        &receiver,
        &[
            "--listen",
            "127.0.0.1:0",
            "--dir",
            inbox_arg,
            "--idle-timeout",
            "5",
        ],
        None,
    )?;
    let mut sender = Running::start(program, &[typed.as_str(), &addr.to_string()], Some(&out))?;
    sender.feed(b"")?;
    let status = sender.wait_exit(STEP_TIMEOUT)?;
    if !status.success() {
        bail!(
            "with the real file-recv, your program failed ({}){}\n  file-recv said:{}",
            check::describe(status),
            sender.said(),
            receiver.said()
        );
    }
    let Ok(stored) = fs::read(inbox.join(NAME)) else {
        bail!(
            "your program exited with 0, but file-recv stored no `{NAME}`{}",
            receiver.said()
        );
    };
    compare("with the real file-recv, the file stored", &stored, &bytes)
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

/// Accepts the student's sender, within [`STEP_TIMEOUT`], or says it ended first.
fn accept_from(listener: &TcpListener, sender: &mut Running) -> Result<TcpStream> {
    match socket::arrival(listener, sender, STEP_TIMEOUT)? {
        Arrival::Connected(conn) => Ok(conn),
        Arrival::Failed(e) => Err(e).context("accept failed"),
        Arrival::Ended(status) => bail!(
            "step 3: your program ended ({}) without connecting{}",
            check::describe(status),
            sender.said()
        ),
        Arrival::Late => bail!(
            "step 3: your program did not connect within {} s{}",
            STEP_TIMEOUT.as_secs(),
            sender.said()
        ),
    }
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
