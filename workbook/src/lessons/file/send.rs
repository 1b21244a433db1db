//! The checks of the file lesson's sender exercises: the student's sender against raw
//! receivers of the check's own that see every byte and when it came (and that confirm, or
//! fail, as they are told), then against the real `notes-file-recv` and `file-recv`.

use std::fs;
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{End, FOLDERS, NAME, compare, folders, listing, partner_example, read_until};
use crate::check::socket::{self, Arrival};
use crate::check::{self, Running, STEP_TIMEOUT};
use crate::exercise::Program;

/// file-send-1: the student's sender against a raw notes receiver that watches every byte,
/// then against the real `notes-file-recv`.
pub(super) fn check_file_send_1(program: &Program) -> Result<()> {
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
pub(super) fn check_file_send_2(program: &Program) -> Result<()> {
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
