//! Sending a file: `file-send` sends a file to `file-recv`, which confirms what it stored;
//! then the tour plays a hostile sender whose file name tries to leave the receiver's folder.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::{Context, Result, ensure};
use file_recv::protocol::{Announcement, Answer};

use super::Lesson;
use crate::Session;
use crate::narrator::{Step, output};
use crate::process::{Process, STEP_TIMEOUT};

pub const LESSON: Lesson = Lesson {
    name: "file",
    title: "Sending a file: the receiver confirms it, and refuses a hostile name",
    programs: &["file-recv", "file-send"],
    by_hand: &[
        (
            "terminal 1:",
            "mkdir -p inbox && cd inbox && cargo run -p file-recv --example notes-file-recv    (the notes' version: stores into the folder it runs in)",
        ),
        (
            "terminal 2:",
            "cargo run -p file-send --example notes-file-send -- Cargo.toml",
        ),
        (
            "terminal 1:",
            "cd .. && cargo run -p file-recv -- --dir inbox",
        ),
        ("terminal 2:", "cargo run -p file-send -- README.md"),
    ],
    run,
};

/// What the tour sends: one line, so the digest is easy to check by hand too.
const CONTENT: &str = "hello, file transfer\n";

fn run(session: &mut Session<'_>) -> Result<()> {
    session.narrator.step(Step {
        title: "The receiver listens, storing into an inbox folder",
        notes: "receiver steps 1-2: net.Listen(\"tcp\", addr), listener.Accept()",
        rust: "TcpListener::bind(addr), listener.incoming()",
        expect: "file-recv prints `listening on ADDR` and the folder it stores into",
    })?;
    // Every program runs in the lesson's folder: the inbox is a folder inside it.
    let inbox = session.dir.join("inbox");
    std::fs::create_dir(&inbox).with_context(|| format!("could not create {}", inbox.display()))?;
    let (mut receiver, addr) = Process::start_server(
        session,
        "file-recv",
        &[
            "--listen",
            "127.0.0.1:0",
            "--dir",
            "inbox",
            "--keep-serving",
        ],
    )?;
    receiver.wait_for_line(|line| line.starts_with("storing files in"))?;
    session
        .narrator
        .saw("--keep-serving: one thread per sender, instead of exiting after one file");

    session.narrator.step(Step {
        title: "The sender sends hello.txt; the receiver stores it and confirms",
        notes: "sender steps 1-6: os.Args, os.Stat, net.Dial, write the name, wait for \"ok\", \
                copy the file; receiver steps 3-5: read the name, write \"ok\", copy until EOF",
        rust: "FILE <size> <name>\\n, OK, exactly <size> bytes, FIN; the receiver answers DONE <size> blake3:<hex>",
        expect: "file-send exits with status 0: the receiver confirmed the size and the BLAKE3 digest",
    })?;
    let original = session.dir.join("hello.txt");
    std::fs::write(&original, CONTENT)
        .with_context(|| format!("could not write {}", original.display()))?;
    let mut sender = Process::start(
        session,
        "file-send",
        &["hello.txt", "--to", &addr.to_string()],
        false,
    )?;
    // The receiver logs the file as stored before it confirms; the sender reports after.
    receiver.wait_for_line(|line| line.contains(" stored "))?;
    let status = sender.finish()?;
    ensure!(status.success(), "file-send exited with {status}");
    ensure!(
        !sender
            .lines_containing("confirmed the size and the BLAKE3 digest")
            .is_empty(),
        "file-send did not report the receiver's confirmation"
    );
    session.narrator.saw(
        "the sender knows the file arrived whole: the receiver told it the size and digest it stored",
    );

    session.narrator.step(Step {
        title: "The copy in the inbox is the file that was sent",
        notes: "(the notes' sender never learns whether the file arrived)",
        rust: "the receiver wrote a temporary file, synced it, and renamed it to hello.txt",
        expect: "inbox/hello.txt holds exactly the bytes of hello.txt",
    })?;
    let copy = inbox.join("hello.txt");
    let received =
        std::fs::read(&copy).with_context(|| format!("could not read {}", copy.display()))?;
    ensure!(
        received == CONTENT.as_bytes(),
        "inbox/hello.txt holds {:?}",
        String::from_utf8_lossy(&received)
    );
    session.narrator.saw(format!(
        "{} bytes, identical to the original",
        received.len()
    ));

    session.narrator.step(Step {
        title: "A hostile sender announces the name ../escaped.txt",
        notes: "receiver steps 3-5: the notes' receiver would os.Create(\"../escaped.txt\"), outside its folder",
        rust: "check_name(name) refuses it before the OK: the answer is error: <reason>",
        expect: "the receiver answers `error: ...`, and no escaped.txt appears beside the inbox",
    })?;
    let answer = announce_hostile_name(addr)?;
    ensure!(
        answer.starts_with("error: "),
        "the receiver answered {answer:?}"
    );
    receiver.wait_for_line(|line| line.contains(" refused"))?;
    let escaped = session.dir.join("escaped.txt");
    ensure!(!escaped.exists(), "{} was created", escaped.display());
    session
        .narrator
        .saw("refused before a byte of content flowed; a name from the network is never trusted");
    Ok(())
}

/// Plays a hostile sender: announces `../escaped.txt` and returns the receiver's answer.
fn announce_hostile_name(addr: SocketAddr) -> Result<String> {
    let announcement = Announcement {
        size: 13,
        name: b"../escaped.txt".to_vec(),
    }
    .to_line();
    output(
        "tour",
        false,
        "connects as a hostile sender and writes: FILE 13 ../escaped.txt",
    );
    let mut stream = TcpStream::connect_timeout(&addr, STEP_TIMEOUT)
        .with_context(|| format!("could not connect to the receiver at {addr}"))?;
    stream.set_read_timeout(Some(STEP_TIMEOUT))?;
    stream.set_write_timeout(Some(STEP_TIMEOUT))?;
    stream
        .write_all(&announcement)
        .context("could not send the announcement")?;
    let mut answer = String::new();
    BufReader::new(&stream)
        .read_line(&mut answer)
        .context("no answer from the receiver")?;
    // The answer is text from the network: parsing it escapes any control character.
    let answer = match Answer::parse(answer.trim_end().as_bytes()) {
        Ok(Answer::Accepted) => "OK".to_owned(),
        Ok(Answer::Refused(reason)) => format!("error: {reason}"),
        Ok(Answer::Busy(reason)) => format!("busy: {reason}"),
        Err(malformed) => format!("(not the protocol) {malformed}"),
    };
    output("tour", false, &format!("reads the answer: {answer}"));
    Ok(answer)
}
