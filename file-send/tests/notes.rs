//! The notes' sender (`examples/notes-file-send.rs`) with the notes' receiver, then made to
//! show its weaknesses, with `file-send` given the same trouble, handling it.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use testkit::{Running, STEP_TIMEOUT, Server, accept, example, listing};

mod support;

use support::{blake3_hex, receiver, send, spawn_sender_waiting, text};

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
    let server = receiver(inbox.path(), &[]);
    let output = send(&path, server.addr());
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
    let output = send(&path, addr);
    assert!(!output.status.success());
    let (first, rest) = recorded.recv_timeout(STEP_TIMEOUT).expect("a recording");
    assert_eq!(first, b"FILE 12 hello.txt\n");
    assert!(rest.is_empty(), "no content after a refusal: {rest:?}");
    assert!(text(&output.stderr).contains("the receiver refused \"hello.txt\": too large"));
}

/// A receiver played by the test on a thread of its own; it reports what `play` returns.
fn played_receiver<T: Send + 'static>(
    play: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, mpsc::Receiver<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    let addr = listener.local_addr().expect("address");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let stream = accept(&listener);
        let _ = tx.send(play(stream));
    });
    (addr, rx)
}

/// Whether the peer closed the connection within `wait`: a read returning 0 (or a reset)
/// says yes, a read timeout says it is still there.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).expect("timeout");
    let mut rest = [0; 4096];
    loop {
        match stream.read(&mut rest) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn notes_sender_takes_one_read_as_the_whole_answer() {
    // The receiver says "o", then waits: the notes' sender takes that one read as the whole
    // answer, gives up and closes. The "k" is never needed to show it.
    let (_outbox, path) = outbox();
    let (addr, played) = played_receiver(|mut stream| {
        stream.set_nodelay(true).expect("nodelay");
        let mut name = [0; 4096];
        let _ = stream.read(&mut name).expect("the name");
        stream.write_all(b"o").expect("half the answer");
        closed_within(&mut stream, STEP_TIMEOUT)
    });
    let output = notes_send(&path, addr);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains(r#"the receiver answered "o", not "ok""#),
        "{}",
        text(&output.stderr)
    );
    assert!(played.recv_timeout(STEP_TIMEOUT).expect("played"), "closed");

    // file-send reads its answer up to the newline: "O", a pause, then "K\n" is one
    // answer, and no content flows before it is complete.
    let (addr, played) = played_receiver(|mut stream| {
        stream.set_nodelay(true).expect("nodelay");
        let mut reader = std::io::BufReader::new(stream.try_clone().expect("a second handle"));
        let mut line = Vec::new();
        std::io::BufRead::read_until(&mut reader, b'\n', &mut line).expect("the announcement");
        stream.write_all(b"O").expect("half the answer");
        // Half a second of silence from file-send: no content, no FIN.
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        let mut early = [0; 1];
        let waited = matches!(
            stream.read(&mut early),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
        );
        stream.write_all(b"K\n").expect("the rest of the answer");
        stream
            .set_read_timeout(Some(STEP_TIMEOUT))
            .expect("timeout");
        let mut content = Vec::new();
        reader
            .read_to_end(&mut content)
            .expect("the content until FIN");
        let digest = blake3_hex(&content);
        let done = format!("DONE {} blake3:{digest}\n", content.len());
        stream.write_all(done.as_bytes()).expect("the confirmation");
        (line, waited, content)
    });
    let output = send(&path, addr);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (line, waited, content) = played.recv_timeout(STEP_TIMEOUT).expect("played");
    assert_eq!(line, b"FILE 12 hello.txt\n");
    assert!(
        waited,
        "file-send sent content or closed before the answer was complete"
    );
    assert_eq!(content, b"hello, file\n");
}

#[test]
fn notes_sender_waits_for_ever_on_a_silent_receiver() {
    // The receiver accepts, reads the name and never answers: two seconds later the notes'
    // sender is still connected, waiting. (Two seconds stand for "for ever".)
    let (_outbox, path) = outbox();
    let (addr, played) = played_receiver(|mut stream| {
        let mut name = [0; 4096];
        let _ = stream.read(&mut name).expect("the name");
        closed_within(&mut stream, Duration::from_secs(2))
    });
    let mut sender = Running::spawn(
        Command::new(example("file-send", "notes-file-send"))
            .arg(&path)
            .arg(addr.to_string())
            .stdin(Stdio::null()),
    );
    let closed = played.recv_timeout(STEP_TIMEOUT).expect("played");
    assert!(!closed, "the notes' sender gave up");
    sender.kill();

    // file-send bounds every wait with --timeout and says what it waited for.
    let (addr, played) = played_receiver(|mut stream| {
        let mut name = [0; 4096];
        let _ = stream.read(&mut name).expect("the name");
        closed_within(&mut stream, STEP_TIMEOUT)
    });
    let output = spawn_sender_waiting(&path, addr, 1).finish();
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("did not respond while waiting for its answer (--timeout)"),
        "{}",
        text(&output.stderr)
    );
    assert!(played.recv_timeout(STEP_TIMEOUT).expect("played"), "closed");
}

#[test]
fn notes_sender_and_file_recv_do_not_speak_the_same_protocol() {
    // file-recv waits for the end of a line that the notes' sender never writes, and drops
    // it after --idle-timeout with a notice; the notes' sender prints that notice as the
    // answer it did not expect, and nothing is stored.
    let (_outbox, path) = outbox();
    let inbox = tempfile::tempdir().expect("a temporary folder");
    let server = receiver(inbox.path(), &["--idle-timeout", "1"]);
    let output = notes_send(&path, server.addr());
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains(
            r#"the receiver answered "error: the sender stalled while announcing: no complete announcement within 1 s (--idle-timeout)\n", not "ok""#
        ),
        "{}",
        text(&output.stderr)
    );
    assert!(listing(inbox.path()).is_empty(), "nothing stored");
}
