//! The notes' sender (`examples/notes-file-send.rs`) with the notes' receiver, then made to
//! show its weaknesses, with `file-send` given the same trouble, handling it.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;

use testkit::{Running, STEP_TIMEOUT, Server, accept, binary, example, listing};

/// Starts the notes' receiver on a free port, storing into `inbox` (its current folder).
fn notes_receiver(inbox: &Path) -> Server {
    let mut command = Command::new(example("file-recv", "notes-file-recv"));
    command.arg("127.0.0.1:0").current_dir(inbox);
    Server::start_command(command)
}

/// Runs the notes' sender: `notes-file-send PATH ADDR`.
fn notes_send(path: &Path, to: SocketAddr) -> Output {
    Running::spawn(
        Command::new(example("file-send", "notes-file-send"))
            .arg(path)
            .arg(to.to_string())
            .stdin(Stdio::null()),
    )
    .finish()
}

/// Runs `file-send PATH --to ADDR`.
fn hardened_send(path: &Path, to: SocketAddr) -> Output {
    Running::spawn(
        Command::new(binary("file-send"))
            .arg(path)
            .args(["--to", &to.to_string(), "--timeout", "10"])
            .stdin(Stdio::null()),
    )
    .finish()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A folder with `hello.txt` to send; returns it and the file's path.
fn outbox() -> (tempfile::TempDir, std::path::PathBuf) {
    let outbox = tempfile::tempdir().expect("a temporary folder");
    let path = outbox.path().join("hello.txt");
    fs::write(&path, b"hello, file\n").expect("write the file to send");
    (outbox, path)
}

#[test]
fn notes_sender_and_notes_receiver_move_a_file() {
    let (_outbox, path) = outbox();
    let inbox = tempfile::tempdir().expect("a temporary folder");
    let mut server = notes_receiver(inbox.path());
    let output = notes_send(&path, server.addr());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "sent \"hello.txt\", done\n");
    assert!(server.wait_exit(STEP_TIMEOUT), "the notes' receiver failed");
    let line = server.stdout.wait_for("received ", STEP_TIMEOUT);
    assert!(line.ends_with(": 12 bytes, done"), "{line}");
    assert_eq!(
        fs::read(inbox.path().join("hello.txt")).expect("stored"),
        b"hello, file\n"
    );
    assert_eq!(listing(inbox.path()).len(), 1, "nothing else");
}

#[test]
fn notes_sender_reports_success_although_the_receiver_stored_nothing() {
    // The receiver cannot create hello.txt (a folder has that name): it answers "ok"
    // first, as the notes do, then fails. The notes' sender's writes only filled its own
    // kernel's buffer, and it says "done".
    let (_outbox, path) = outbox();
    let inbox = tempfile::tempdir().expect("a temporary folder");
    fs::create_dir(inbox.path().join("hello.txt")).expect("a folder in the way");
    let mut server = notes_receiver(inbox.path());
    let output = notes_send(&path, server.addr());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "sent \"hello.txt\", done\n");
    assert!(!server.wait_exit(STEP_TIMEOUT), "the receiver failed");
    let errors = server.stderr.wait_for("error:", STEP_TIMEOUT);
    assert!(errors.contains("cannot create \"hello.txt\""), "{errors}");

    // file-send exits with success only on the receiver's DONE line: here it hears why not.
    let server = Server::start(
        "file-recv",
        &[
            "--listen",
            "127.0.0.1:0",
            "--dir",
            inbox.path().to_str().expect("UTF-8"),
        ],
    );
    let output = hardened_send(&path, server.addr());
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no success line");
    assert!(
        text(&output.stderr)
            .contains("the receiver refused \"hello.txt\": \"hello.txt\" is a directory here"),
        "{}",
        text(&output.stderr)
    );
}

/// What a [`recording_receiver`] heard: its first read, then everything until FIN.
type Recording = mpsc::Receiver<(Vec<u8>, Vec<u8>)>;

/// A receiver played by the test: answers `answer` to the first read, then returns (through
/// the channel) the first read and everything after it until FIN.
fn recording_receiver(answer: &'static [u8]) -> (SocketAddr, Recording) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    let addr = listener.local_addr().expect("address");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut stream = accept(&listener);
        let mut first = vec![0; 4096];
        let n = stream.read(&mut first).expect("the first read");
        first.truncate(n);
        stream.write_all(answer).expect("answer");
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        let _ = tx.send((first, rest));
    });
    (addr, rx)
}

#[test]
fn notes_sender_never_sends_the_size_it_stats() {
    let (_outbox, path) = outbox();
    let (addr, recorded) = recording_receiver(b"ok");
    let output = notes_send(&path, addr);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (first, rest) = recorded.recv_timeout(STEP_TIMEOUT).expect("a recording");
    // On the wire: the name, then the content. The 12 from stat is nowhere.
    assert_eq!(first, b"hello.txt");
    assert_eq!(rest, b"hello, file\n");

    // file-send announces it, so a receiver can refuse a file too large before it flows.
    let (addr, recorded) = recording_receiver(b"error: too large\n");
    let output = hardened_send(&path, addr);
    assert!(!output.status.success());
    let (first, rest) = recorded.recv_timeout(STEP_TIMEOUT).expect("a recording");
    assert_eq!(first, b"FILE 12 hello.txt\n");
    assert!(rest.is_empty(), "no content after a refusal: {rest:?}");
    assert!(text(&output.stderr).contains("the receiver refused \"hello.txt\": too large"));
}
