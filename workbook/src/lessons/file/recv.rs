//! The checks of the file lesson's receiver exercises: the student's receiver, in an empty
//! folder, against the real `notes-file-send`, then against hostile raw senders whose names
//! would leave that folder.

use std::fs;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{End, FOLDERS, NAME, compare, folders, listing, partner_example, read_until};
use crate::check::scratch::Scratch;
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::Program;

/// file-recv-1: the student's receiver, in an empty folder, against the real notes sender.
pub(super) fn check_file_recv_1(program: &Program) -> Result<()> {
    let (scratch, bytes) = folders("file-recv-1")?;
    receive_from_notes_sender(program, &scratch, &bytes)
}

/// file-recv-2: a plain name is still stored; each hostile name is refused before `ok`.
pub(super) fn check_file_recv_2(program: &Program) -> Result<()> {
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
