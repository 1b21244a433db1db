//! The notes' receiver (`examples/notes-file-recv.rs`) made to fail, one weakness at a time,
//! and `file-recv` given the same trouble, handling it.
//!
//! Each test runs the notes version in a folder `inbox` inside a temporary scratch folder,
//! so that a name such as `../escaped.txt` lands in the scratch folder and nowhere else.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{ChildGuard, STEP_TIMEOUT, Server, connect, example, have_program, listing};

mod support;

use support::{exchange, receiver};

/// A scratch folder holding an empty `inbox`: `..` from the inbox stays in the scratch.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let inbox = scratch.path().join("inbox");
    fs::create_dir(&inbox).expect("create the inbox");
    (scratch, inbox)
}

/// Starts the notes' receiver on a free port, storing into `inbox` (its current folder).
fn notes_receiver(inbox: &Path) -> Server {
    let mut command = Command::new(example("file-recv", "notes-file-recv"));
    command.arg("127.0.0.1:0").current_dir(inbox);
    Server::start_command(command)
}

/// Speaks the notes' protocol: the name, then (after "ok") the content, then FIN.
fn notes_send(addr: SocketAddr, name: &[u8], content: &[u8]) {
    let mut stream = connect(addr);
    stream.write_all(name).expect("send the name");
    expect_ok(&mut stream);
    stream.write_all(content).expect("send the content");
    stream.shutdown(Shutdown::Write).expect("FIN");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("the receiver closes");
}

/// Reads the notes' answer, the two bytes `ok`.
fn expect_ok(stream: &mut TcpStream) {
    let mut ok = [0; 2];
    stream.read_exact(&mut ok).expect("the answer");
    assert_eq!(&ok, b"ok");
}

/// The notes' receiver serves one sender and exits; returns its last log line.
fn notes_finished(mut server: Server) -> String {
    assert!(server.wait_exit(STEP_TIMEOUT), "the notes' receiver failed");
    server.stdout.wait_for("received ", STEP_TIMEOUT)
}

/// Waits until `path` holds `len` bytes.
fn wait_for_length(path: &Path, len: u64) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while fs::metadata(path).map(|m| m.len()).unwrap_or(0) != len {
        assert!(
            Instant::now() < deadline,
            "{} never held {len} bytes",
            path.display()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn notes_receiver_stores_a_file_typed_into_nc() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    let (_scratch, inbox) = scratch();
    let server = notes_receiver(&inbox);
    // nc plays the sender through pipes: the name first, and the content only once nc has
    // printed the receiver's "ok", so that the receiver's one read takes the name alone
    // (weakness 1 otherwise). -N sends FIN when its input ends; -w 10 bounds its waits.
    let mut child = Command::new("nc")
        .args(["-N", "-w", "10", "127.0.0.1"])
        .arg(server.addr().port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nc");
    let mut to_nc = child.stdin.take().expect("piped");
    let mut from_nc = child.stdout.take().expect("piped");
    let mut nc = ChildGuard(child);
    // A pipe has no read timeout: read it on a thread, and wait on the channel instead.
    let (printed, heard) = mpsc::channel();
    thread::spawn(move || {
        let mut ok = [0; 2];
        let _ = printed.send(from_nc.read_exact(&mut ok).map(|()| ok.to_vec()));
        let mut rest = Vec::new();
        let _ = printed.send(from_nc.read_to_end(&mut rest).map(|_| rest));
    });
    to_nc.write_all(b"hi.txt").expect("the name");
    let ok = heard
        .recv_timeout(STEP_TIMEOUT)
        .expect("nc prints the answer");
    assert_eq!(ok.expect("nc's output"), b"ok");
    to_nc.write_all(b"hello\n").expect("the content");
    drop(to_nc); // the end of nc's input: nc sends FIN
    let rest = heard.recv_timeout(STEP_TIMEOUT).expect("nc ends");
    assert_eq!(rest.expect("nc's output"), b"", "nothing after ok");
    let deadline = Instant::now() + STEP_TIMEOUT;
    while nc.0.try_wait().expect("can query nc").is_none() {
        assert!(Instant::now() < deadline, "nc still running");
        thread::sleep(Duration::from_millis(10));
    }
    let line = notes_finished(server);
    assert!(line.starts_with("received \"hi.txt\" from "), "{line}");
    assert!(line.ends_with(": 6 bytes, done"), "{line}");
    assert_eq!(fs::read(inbox.join("hi.txt")).expect("stored"), b"hello\n");
}

#[test]
fn notes_receiver_takes_one_read_as_one_message() {
    // Name and content in one write: the one read takes both as the name.
    let (_scratch, inbox) = scratch();
    let server = notes_receiver(&inbox);
    let mut stream = connect(server.addr());
    stream
        .write_all(b"hi.txt\nhello\n")
        .expect("name and content at once");
    expect_ok(&mut stream);
    stream.shutdown(Shutdown::Write).expect("FIN");
    notes_finished(server);
    let names: Vec<String> = listing(&inbox).into_keys().collect();
    assert_eq!(
        names,
        ["hi.txt\nhello\n"],
        "one file, named with two newlines"
    );
    assert_eq!(fs::read(inbox.join("hi.txt\nhello\n")).expect("read"), b"");

    // The name in two pieces: the second piece becomes the content.
    let (_scratch, inbox) = scratch();
    let server = notes_receiver(&inbox);
    let mut stream = connect(server.addr());
    stream.write_all(b"report").expect("the first piece");
    expect_ok(&mut stream);
    stream.write_all(b".txt").expect("the second piece");
    stream.shutdown(Shutdown::Write).expect("FIN");
    notes_finished(server);
    assert_eq!(fs::read(inbox.join("report")).expect("stored"), b".txt");
    assert!(!inbox.join("report.txt").exists());

    // file-recv reads up to the newline, however the bytes are cut.
    let (_scratch, inbox) = scratch();
    let server = receiver(&inbox, &["--keep-serving"]);
    let reply = exchange(server.addr(), b"FILE 6 hi.txt\nhello\n");
    assert!(reply.starts_with("OK\nDONE 6 "), "{reply:?}");
    let mut stream = connect(server.addr());
    stream.set_nodelay(true).expect("nodelay");
    for piece in [&b"FILE 5 rep"[..], b"ort.txt\nhel", b"lo"] {
        stream.write_all(piece).expect("a piece");
        thread::sleep(Duration::from_millis(50));
    }
    stream.shutdown(Shutdown::Write).expect("FIN");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("the answer");
    assert!(reply.starts_with("OK\nDONE 5 "), "{reply:?}");
    assert_eq!(fs::read(inbox.join("hi.txt")).expect("stored"), b"hello\n");
    assert_eq!(
        fs::read(inbox.join("report.txt")).expect("stored"),
        b"hello"
    );
    assert_eq!(listing(&inbox).len(), 2, "nothing else");
}

#[test]
fn notes_receiver_takes_the_end_of_a_crashed_sender_as_success() {
    // A process that dies mid-way has its connection closed by the OS: a FIN, as if done.
    // Dropping our socket after 5000 of 10000 bytes does the same.
    let (_scratch, inbox) = scratch();
    let server = notes_receiver(&inbox);
    let mut stream = connect(server.addr());
    stream.write_all(b"movie.mp4").expect("the name");
    expect_ok(&mut stream);
    stream.write_all(&[b'm'; 5000]).expect("half the file");
    drop(stream);
    let line = notes_finished(server);
    assert!(line.ends_with(": 5000 bytes, done"), "{line}");
    assert_eq!(
        fs::metadata(inbox.join("movie.mp4")).expect("kept").len(),
        5000
    );

    // file-recv knows the size: 5000 of 10000 bytes is a failure, and nothing is kept.
    let (_scratch, inbox) = scratch();
    let server = receiver(&inbox, &[]);
    let mut message = b"FILE 10000 movie.mp4\n".to_vec();
    message.extend_from_slice(&[b'm'; 5000]);
    let reply = exchange(server.addr(), &message);
    assert_eq!(
        reply,
        "OK\nerror: the sender closed the connection after 5000 of 10000 bytes\n"
    );
    server
        .stdout
        .wait_for("after 5000 of 10000 bytes; nothing stored", STEP_TIMEOUT);
    assert!(listing(&inbox).is_empty(), "no file, no temporary file");
}

#[test]
fn notes_receiver_trusts_the_name_and_overwrites_files() {
    // `../escaped.txt` leaves the inbox.
    let (scratch, inbox) = scratch();
    let server = notes_receiver(&inbox);
    notes_send(server.addr(), b"../escaped.txt", b"I am outside\n");
    notes_finished(server);
    let escaped = scratch.path().join("escaped.txt");
    assert_eq!(
        fs::read(&escaped).expect("written outside"),
        b"I am outside\n"
    );
    fs::remove_file(&escaped).expect("clean up");

    // An existing file is replaced without a word.
    let thesis = inbox.join("thesis.txt");
    fs::write(&thesis, "my thesis, 80 pages\n").expect("write the thesis");
    let server = notes_receiver(&inbox);
    notes_send(server.addr(), b"thesis.txt", b"oops\n");
    notes_finished(server);
    assert_eq!(fs::read(&thesis).expect("read"), b"oops\n", "80 pages gone");

    // file-recv refuses both before any content flows, and changes nothing.
    fs::write(&thesis, "my thesis, 80 pages\n").expect("write the thesis again");
    let server = receiver(&inbox, &["--keep-serving"]);
    let before = listing(&inbox);
    let reply = exchange(server.addr(), b"FILE 13 ../escaped.txt\nI am outside\n");
    assert_eq!(
        reply,
        "error: the name \"../escaped.txt\" contains a path separator (/ or \\): send a \
         plain file name\n"
    );
    let reply = exchange(server.addr(), b"FILE 5 thesis.txt\noops\n");
    assert!(
        reply.starts_with("error: a file named \"thesis.txt\" exists already"),
        "{reply:?}"
    );
    assert!(!escaped.exists());
    assert_eq!(listing(&inbox), before);
    assert_eq!(fs::read(&thesis).expect("kept"), b"my thesis, 80 pages\n");
}

#[test]
fn notes_receiver_killed_mid_way_leaves_a_partial_file_under_the_final_name() {
    let (_scratch, inbox) = scratch();
    let mut server = notes_receiver(&inbox);
    let mut stream = connect(server.addr());
    stream.write_all(b"movie.mp4").expect("the name");
    expect_ok(&mut stream);
    stream.write_all(&[b'm'; 5000]).expect("part of the file");
    wait_for_length(&inbox.join("movie.mp4"), 5000);
    server.kill();
    let names: Vec<String> = listing(&inbox).into_keys().collect();
    assert_eq!(names, ["movie.mp4"], "half a movie, under the real name");

    // file-recv writes to a temporary file and renames it only when complete: killed
    // with SIGKILL, it leaves that temporary file, never the final name.
    let (_scratch, inbox) = scratch();
    let mut server = receiver(&inbox, &[]);
    let mut stream = connect(server.addr());
    stream
        .write_all(b"FILE 10000 movie.mp4\n")
        .expect("announce");
    let mut ok = [0; 3];
    stream.read_exact(&mut ok).expect("the answer");
    assert_eq!(&ok, b"OK\n");
    stream.write_all(&[b'm'; 5000]).expect("part of the file");
    let deadline = Instant::now() + STEP_TIMEOUT;
    let partial = loop {
        let found = listing(&inbox)
            .into_iter()
            .find(|(name, (len, _))| name.ends_with(".part") && *len == 5000);
        if let Some((name, _)) = found {
            break name;
        }
        assert!(
            Instant::now() < deadline,
            "no temporary file with 5000 bytes"
        );
        thread::sleep(Duration::from_millis(5));
    };
    server.kill();
    let names: Vec<String> = listing(&inbox).into_keys().collect();
    assert_eq!(names, [partial], "only the temporary file");
    assert!(!inbox.join("movie.mp4").exists());
}

#[test]
fn notes_receiver_waits_for_ever_on_a_silent_sender() {
    // A sender that connects and says nothing holds the notes' receiver: the next sender's
    // name is never read and its "ok" never comes. (Two seconds stand for "for ever".)
    let (_scratch, inbox) = scratch();
    let mut server = notes_receiver(&inbox);
    let _silent = connect(server.addr());
    let mut next = connect(server.addr());
    next.write_all(b"next.txt").expect("the name");
    next.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("a short timeout");
    let mut answer = [0; 2];
    let waited = next.read(&mut answer).expect_err("no answer");
    assert!(
        matches!(waited.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{waited}"
    );
    assert!(listing(&inbox).is_empty(), "nothing received");
    server.kill();

    // file-recv serves every sender on a thread of its own: the sender behind the silent
    // one is served at once, long before the silent one's deadline (30 s by default); and
    // the silent one is told why when its deadline passes (with --keep-serving, so that
    // the receiver is still there to tell it).
    let (_scratch, inbox) = scratch();
    let server = receiver(&inbox, &["--keep-serving", "--idle-timeout", "2"]);
    let mut silent = connect(server.addr());
    let mut next = connect(server.addr());
    next.write_all(b"FILE 5 next.txt\nhello")
        .expect("announce and send");
    next.shutdown(Shutdown::Write).expect("FIN");
    let mut reply = String::new();
    next.read_to_string(&mut reply).expect("the answer");
    assert!(reply.starts_with("OK\nDONE 5 "), "{reply:?}");
    let mut reply = String::new();
    silent.read_to_string(&mut reply).expect("the notice");
    assert_eq!(
        reply,
        "error: the sender stalled while announcing: no complete announcement within 2 s \
         (--idle-timeout)\n"
    );
    assert_eq!(fs::read(inbox.join("next.txt")).expect("stored"), b"hello");
}
