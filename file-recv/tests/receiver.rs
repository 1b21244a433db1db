//! End-to-end tests of the real `file-recv` binary, talked to by senders written here with
//! raw sockets: well-behaved ones that cut their bytes in odd places, and hostile ones.
//!
//! Every test checks the outcome *and* the directory: after a refusal or a failure it holds
//! exactly what it held before (no stray file, no temporary file, the old files untouched).

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use file_recv::protocol;
use testkit::{
    Lines, Listing, Running, STEP_TIMEOUT, Server, binary, connect, have_program, listing,
};

mod support;

use support::{exchange, exchange_from, read_all, receiver};

/// A target directory with one file already in it, which no test may touch.
fn target_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir.path().join("keep.txt"), b"precious\n").expect("write keep.txt");
    dir
}

/// The digest as the confirmation names it: `blake3:` and the hex `b3sum` prints.
fn digest(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

/// The whole well-behaved conversation for `name` with `content`, in one write.
fn send_file(addr: SocketAddr, name: &str, content: &[u8]) -> String {
    let mut message = format!("FILE {} {name}\n", content.len()).into_bytes();
    message.extend_from_slice(content);
    exchange(addr, &message)
}

fn done_line(content: &[u8]) -> String {
    format!("OK\nDONE {} {}\n", content.len(), digest(content))
}

/// Checks that the receiver still works after whatever the test did, by storing a file.
fn assert_still_serves(server: &Server, dir: &Path, name: &str) {
    let reply = send_file(server.addr(), name, b"next\n");
    assert_eq!(reply, done_line(b"next\n"));
    assert_eq!(fs::read(dir.join(name)).expect("stored"), b"next\n");
}

/// Sends `message`, expects `error: <reason>` with `reason` in it, the receiver's log line for
/// this very sender, and an unchanged directory. Returns the log line.
fn assert_refused(server: &Server, dir: &Path, message: &[u8], reason: &str) -> String {
    let before = listing(dir);
    let (peer, reply) = exchange_from(server.addr(), message);
    assert!(
        reply.starts_with("error: ") && reply.contains(reason) && reply.ends_with('\n'),
        "expected error: ...{reason}..., got {reply:?}"
    );
    assert_eq!(reply.lines().count(), 1, "one line, then close: {reply:?}");
    let line = wait_for_line(server, &[&format!("{peer} refused: "), reason]);
    assert_eq!(listing(dir), before, "the directory changed");
    line
}

/// Waits until the receiver's log has one line containing every one of `needles` (for
/// example the sender's address and the reason, so that an earlier sender's line with the
/// same reason cannot match); returns that line.
fn wait_for_line(server: &Server, needles: &[&str]) -> String {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let log = server.stdout.snapshot();
        if let Some(line) = log
            .iter()
            .find(|line| needles.iter().all(|needle| line.contains(needle)))
        {
            return line.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no line with all of {needles:?}; the log:\n{}",
            log.join("\n")
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the receiver's log has the failure of the sender `peer` with `needle` in it,
/// then checks the directory.
fn assert_failed_and_unchanged(
    server: &Server,
    dir: &Path,
    before: &Listing,
    peer: SocketAddr,
    needle: &str,
) {
    let line = wait_for_line(server, &[&format!("{peer} failed: "), needle]);
    assert!(line.contains("nothing stored"), "{line}");
    assert_eq!(&listing(dir), before, "the directory changed");
}

// ---------------------------------------------------------------------------------------
// Framing: the receiver finds the end of the announcement however TCP cuts the bytes.

#[test]
fn receiver_reads_an_announcement_split_over_several_writes_with_pauses() {
    let dir = target_dir();
    let server = receiver(dir.path(), &[]);
    let before = listing(dir.path());
    let mut stream = connect(server.addr());
    stream.set_nodelay(true).expect("nodelay");
    for piece in ["FI", "LE 1", "1 split ", "name.txt", "\n"] {
        stream.write_all(piece.as_bytes()).expect("send a piece");
        thread::sleep(Duration::from_millis(60));
    }
    let mut ok = [0; 3];
    stream.read_exact(&mut ok).expect("the answer");
    assert_eq!(&ok, b"OK\n");
    stream.write_all(b"hello world").expect("content");
    stream.shutdown(Shutdown::Write).expect("half-close");
    assert_eq!(
        read_all(&mut stream),
        format!("DONE 11 {}\n", digest(b"hello world"))
    );

    let mut expected = before;
    let stored = dir.path().join("split name.txt");
    assert_eq!(fs::read(&stored).expect("stored"), b"hello world");
    let meta = fs::metadata(&stored).expect("metadata");
    expected.insert(
        "split name.txt".into(),
        (11, meta.modified().expect("mtime")),
    );
    assert_eq!(listing(dir.path()), expected);
}

#[test]
fn receiver_reads_announcement_and_content_sent_in_one_write() {
    let dir = target_dir();
    let server = receiver(dir.path(), &[]);
    let before = listing(dir.path());
    assert_eq!(
        send_file(server.addr(), "one.txt", b"hello"),
        done_line(b"hello")
    );
    assert_eq!(
        fs::read(dir.path().join("one.txt")).expect("stored"),
        b"hello"
    );
    let mut after = listing(dir.path());
    after.remove("one.txt");
    assert_eq!(after, before);
}

#[test]
fn receiver_logs_each_announcement_with_its_size_in_words() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    let (peer, reply) = exchange_from(server.addr(), b"FILE 1 one.bin\n1");
    assert_eq!(reply, done_line(b"1"));
    wait_for_line(
        &server,
        &[&format!("{peer} announces \"one.bin\" (1 byte)")],
    );
    let (peer, reply) = exchange_from(server.addr(), b"FILE 2 two.bin\n22");
    assert_eq!(reply, done_line(b"22"));
    wait_for_line(
        &server,
        &[&format!("{peer} announces \"two.bin\" (2 bytes)")],
    );
}

#[test]
fn receiver_reads_content_arriving_one_byte_at_a_time() {
    let dir = target_dir();
    let server = receiver(dir.path(), &[]);
    let before = listing(dir.path());
    let content = b"slowly, byte by byte\n";
    let mut stream = connect(server.addr());
    stream.set_nodelay(true).expect("nodelay");
    stream
        .write_all(format!("FILE {} slow.txt\n", content.len()).as_bytes())
        .expect("announce");
    let mut ok = [0; 3];
    stream.read_exact(&mut ok).expect("the answer");
    assert_eq!(&ok, b"OK\n");
    for byte in content {
        stream.write_all(&[*byte]).expect("one byte");
        thread::sleep(Duration::from_millis(5));
    }
    stream.shutdown(Shutdown::Write).expect("half-close");
    assert_eq!(read_all(&mut stream), done_line(content)[3..]);
    assert_eq!(
        fs::read(dir.path().join("slow.txt")).expect("stored"),
        content
    );
    let mut after = listing(dir.path());
    assert!(after.remove("slow.txt").is_some());
    assert_eq!(after, before, "keep.txt untouched, nothing else");
}

// ---------------------------------------------------------------------------------------
// Hostile senders: refused or dropped, logged, nothing created, the next sender served.

#[test]
fn receiver_refuses_names_that_would_leave_the_directory() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    for (name, reason) in [
        ("../escape.txt", "path separator"),
        ("../../etc/cron.d/x", "path separator"),
        ("sub/dir.txt", "path separator"),
        ("..\\windows.txt", "path separator"),
        ("/etc/passwd", "absolute path"),
        ("\\\\server\\share", "absolute path"),
        ("C:autoexec.bat", "drive or stream"),
        ("..", "names a directory"),
        (".", "names a directory"),
    ] {
        let message = format!("FILE 4 {name}\nevil");
        assert_refused(&server, dir.path(), message.as_bytes(), reason);
    }
    assert!(
        !dir.path()
            .parent()
            .expect("parent")
            .join("escape.txt")
            .exists()
    );
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_refuses_names_windows_cannot_store_invisible_and_hidden_names() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    for (name, reason) in [
        ("what?.txt", "Windows does not allow"),
        ("a<b>.txt", "Windows does not allow"),
        ("...", "made only of dots"),
        ("report.txt.", "ends with a dot or a space"),
        ("report.txt ", "ends with a dot or a space"),
        ("COM¹", "device name on Windows"),
        ("invoice\u{202e}fdp.exe", "invisible character U+202E"),
        ("zero\u{200b}width.txt", "invisible character U+200B"),
        (".bashrc", "hidden file"),
    ] {
        let message = format!("FILE 4 {name}\nevil");
        let line = assert_refused(&server, dir.path(), message.as_bytes(), reason);
        // Invisible characters are shown escaped in the log, not applied to the text.
        assert!(!line.contains(protocol::is_invisible), "{line}");
        if name.starts_with("invoice") {
            assert!(line.contains(r"invoice\u{202e}fdp.exe"), "{line}");
        }
    }
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_with_allow_hidden_stores_a_dot_file() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--allow-hidden"]);
    let before = listing(dir.path());
    assert_eq!(
        send_file(server.addr(), ".config", b"x=1\n"),
        done_line(b"x=1\n")
    );
    assert_eq!(
        fs::read(dir.path().join(".config")).expect("stored"),
        b"x=1\n"
    );
    let mut after = listing(dir.path());
    assert!(after.remove(".config").is_some());
    assert_eq!(after, before);
}

#[test]
fn receiver_refuses_empty_control_overlong_and_non_utf8_names_and_logs_them_escaped() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    let overlong = format!("FILE 1 {}\nx", "n".repeat(300));
    let cases: [(&[u8], &str); 5] = [
        (b"FILE 1 \nx", "the name \"\" is empty"),
        (b"FILE 1 red\x1b[31mtext\nx", "control character"),
        (b"FILE 1 bell\x07\nx", "control character"),
        (overlong.as_bytes(), "longer than 255 bytes"),
        (b"FILE 1 \xff\xfe.txt\nx", "not valid UTF-8"),
    ];
    let mut lines = Vec::new();
    for (message, reason) in cases {
        lines.push(assert_refused(&server, dir.path(), message, reason));
    }
    // The terminal escape arrived escaped in this sender's log line, never as the raw byte.
    assert!(lines[1].contains(r"red\u{1b}[31mtext"), "{}", lines[1]);
    let log = server.stdout.snapshot().join("\n");
    assert!(!log.contains('\x1b') && !log.contains('\x07'), "{log:?}");
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_refuses_a_file_larger_than_the_size_limit_before_any_content() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving", "--max-size", "1K"]);
    assert_refused(&server, dir.path(), b"FILE 1025 big.bin\n", "too large");
    assert_refused(
        &server,
        dir.path(),
        b"FILE 99999999999999999999 huge.bin\n",
        "size must be a number",
    );
    // Exactly the limit is fine.
    let content = vec![b'x'; 1024];
    assert_eq!(
        send_file(server.addr(), "limit.bin", &content),
        done_line(&content)
    );
}

#[test]
fn receiver_discards_a_file_cut_short_by_the_sender() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    let before = listing(dir.path());
    let (peer, reply) = exchange_from(server.addr(), b"FILE 10 short.txt\nfour");
    assert_eq!(
        reply,
        "OK\nerror: the sender closed the connection after 4 of 10 bytes\n"
    );
    assert_failed_and_unchanged(&server, dir.path(), &before, peer, "after 4 of 10 bytes");
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_discards_a_file_with_more_bytes_than_announced() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    let before = listing(dir.path());
    let (peer, reply) = exchange_from(server.addr(), b"FILE 3 more.txt\nthree and more");
    assert_eq!(
        reply,
        "OK\nerror: the sender sent more bytes than announced\n"
    );
    assert_failed_and_unchanged(
        &server,
        dir.path(),
        &before,
        peer,
        "more bytes than announced",
    );
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_drops_a_silent_sender_and_serves_others_meanwhile() {
    let dir = target_dir();
    // 5 s: long enough that serving the third sender (fsyncs included) surely fits in it
    // on a slow disk; the test checks the order of events, not a time.
    let server = receiver(dir.path(), &["--keep-serving", "--idle-timeout", "5"]);
    let before = listing(dir.path());
    // One connects and says nothing; another stalls in the middle of its content.
    let mut silent = connect(server.addr());
    let silent_peer = silent.local_addr().expect("our address");
    let mut stalled = connect(server.addr());
    let stalled_peer = stalled.local_addr().expect("our address");
    stalled
        .write_all(b"FILE 10 stall.txt\nabc")
        .expect("announce and 3 bytes");
    // Meanwhile a third sender is served at once: the silent ones hold only their thread.
    assert_still_serves(&server, dir.path(), "meanwhile.txt");

    assert_eq!(
        read_all(&mut silent),
        "error: the sender stalled while announcing: no complete announcement within 5 s \
         (--idle-timeout)\n"
    );
    let reply = read_all(&mut stalled);
    assert!(
        reply.starts_with("OK\nerror: the sender stalled while sending (after 3 of 10 bytes)"),
        "{reply:?}"
    );
    wait_for_line(
        &server,
        &[
            &format!("{silent_peer} refused: "),
            "stalled while announcing",
        ],
    );
    let line = wait_for_line(
        &server,
        &[
            &format!("{stalled_peer} failed: "),
            "stalled while sending (after 3 of 10 bytes)",
        ],
    );
    assert!(line.ends_with("nothing stored"), "{line}");
    // The third sender's file was stored before either stalled sender was dropped.
    let log = server.stdout.snapshot();
    let position = |needle: &str| {
        log.iter()
            .position(|line| line.contains(needle))
            .expect("a logged event")
    };
    let stored = position("stored \"meanwhile.txt\"");
    assert!(
        stored < position(&format!("{silent_peer} refused: ")),
        "{log:#?}"
    );
    assert!(
        stored < position(&format!("{stalled_peer} failed: ")),
        "{log:#?}"
    );
    let mut after = listing(dir.path());
    after.remove("meanwhile.txt");
    assert_eq!(after, before, "no trace of the stalled transfer");
}

#[test]
fn receiver_drops_a_sender_that_trickles_its_announcement() {
    // One byte every 0.4 s: each read gets a byte well within the 1 s idle timeout, so only
    // a deadline for the whole announcement stops this sender.
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving", "--idle-timeout", "1"]);
    let before = listing(dir.path());
    let mut stream = connect(server.addr());
    let peer = stream.local_addr().expect("our address");
    stream.set_nodelay(true).expect("nodelay");
    stream
        .set_read_timeout(Some(Duration::from_millis(400)))
        .expect("timeout");
    // At most 13 bytes, 5.2 s: the whole line would arrive if nothing stopped it.
    let mut reply = Vec::new();
    for byte in b"FILE 2 t.txt\n" {
        stream.write_all(&[*byte]).expect("one byte");
        let mut answer = [0; 256];
        match stream.read(&mut answer) {
            Ok(n) => {
                reply.extend_from_slice(&answer[..n]);
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("timeout");
    stream
        .read_to_end(&mut reply)
        .expect("the rest of the answer");
    let reply = String::from_utf8(reply).expect("UTF-8");
    let reason = "the sender stalled while announcing: no complete announcement within 1 s";
    assert!(reply.starts_with(&format!("error: {reason}")), "{reply:?}");
    wait_for_line(&server, &[&format!("{peer} refused"), reason]);
    assert_eq!(listing(dir.path()), before);
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_answers_busy_beyond_its_cap_of_senders_and_recovers() {
    let dir = target_dir();
    let server = receiver(
        dir.path(),
        &[
            "--keep-serving",
            "--idle-timeout",
            "2",
            "--max-senders",
            "32",
        ],
    );
    let before = listing(dir.path());
    // Fill every place with senders that say nothing.
    let silent: Vec<TcpStream> = (0..32).map(|_| connect(server.addr())).collect();
    server.stdout.wait_for("storing files in", STEP_TIMEOUT);
    // Accepting is asynchronous: retry until the receiver has taken all of them.
    let deadline = Instant::now() + STEP_TIMEOUT;
    let reply = loop {
        let reply = send_file(server.addr(), "extra.txt", b"x");
        if reply.starts_with("busy: ") || Instant::now() > deadline {
            break reply;
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(
        reply == "busy: already receiving 32 files, try again later\n",
        "{reply:?}"
    );
    assert_eq!(listing(dir.path()), before);
    // Once the silent ones are gone, the places are free again.
    drop(silent);
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let reply = send_file(server.addr(), "later.txt", b"x");
        if reply == done_line(b"x") {
            break;
        }
        assert!(Instant::now() < deadline, "still busy: {reply:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn receiver_refuses_garbage_that_is_not_the_protocol() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    assert_refused(
        &server,
        dir.path(),
        b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
        "expected `FILE <size> <name>`",
    );
    // Binary noise with no line end: refused as a line over 8 KiB, never stored in full.
    let noise: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
        .map(|b| if b == b'\n' { b'?' } else { b })
        .collect();
    assert_refused(&server, dir.path(), &noise, "longer than 8192 bytes");
    assert_refused(&server, dir.path(), b"", "closed without announcing");
    assert_still_serves(&server, dir.path(), "after.txt");
}

// ---------------------------------------------------------------------------------------
// Existing files, symlinks, and the target directory.

#[test]
fn receiver_refuses_an_existing_file_and_leaves_it_untouched() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    assert_refused(
        &server,
        dir.path(),
        b"FILE 3 keep.txt\nbad",
        "exists already",
    );
    assert_eq!(
        fs::read(dir.path().join("keep.txt")).expect("kept"),
        b"precious\n"
    );
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn receiver_with_overwrite_replaces_an_existing_file() {
    let dir = target_dir();
    let server = receiver(dir.path(), &["--overwrite"]);
    let before = listing(dir.path());
    assert_eq!(
        send_file(server.addr(), "keep.txt", b"new"),
        done_line(b"new")
    );
    assert_eq!(
        fs::read(dir.path().join("keep.txt")).expect("replaced"),
        b"new"
    );
    let after = listing(dir.path());
    assert!(after.keys().eq(before.keys()), "same names: {after:?}");
}

#[cfg(unix)]
#[test]
fn receiver_never_writes_through_a_symlink() {
    let dir = target_dir();
    let outside = tempfile::tempdir().expect("another directory");
    let victim = outside.path().join("victim.txt");
    fs::write(&victim, b"do not touch\n").expect("write victim");
    std::os::unix::fs::symlink(&victim, dir.path().join("link.txt")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join("none"), dir.path().join("dangling"))
        .expect("dangling symlink");

    let server = receiver(dir.path(), &["--keep-serving"]);
    assert_refused(
        &server,
        dir.path(),
        b"FILE 4 link.txt\nevil",
        "exists already",
    );
    assert_refused(
        &server,
        dir.path(),
        b"FILE 4 dangling\nevil",
        "exists already",
    );
    assert!(!outside.path().join("none").exists());
    drop(server);

    // With --overwrite the link itself is replaced by the file; its target is untouched.
    let server = receiver(dir.path(), &["--overwrite"]);
    assert_eq!(
        send_file(server.addr(), "link.txt", b"safe"),
        done_line(b"safe")
    );
    let link = dir.path().join("link.txt");
    assert!(fs::symlink_metadata(&link).expect("entry").is_file());
    assert_eq!(fs::read(&link).expect("stored"), b"safe");
    assert_eq!(fs::read(&victim).expect("victim"), b"do not touch\n");
}

/// Runs `file-recv` with `args`, expecting it to fail at once; returns its stderr.
fn start_fails(args: &[&str]) -> String {
    let output = Running::spawn(
        Command::new(binary("file-recv"))
            .args(args)
            .stdin(Stdio::null()),
    )
    .finish();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "file-recv should fail; stdout: {stdout}"
    );
    assert!(stdout.is_empty(), "nothing listened: {stdout}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn receiver_reports_a_missing_target_directory_before_listening() {
    let parent = tempfile::tempdir().expect("a temporary directory");
    let missing = parent.path().join("missing");
    let stderr = start_fails(&[
        "--listen",
        "127.0.0.1:0",
        "--dir",
        missing.to_str().expect("UTF-8"),
    ]);
    assert!(stderr.contains("does not exist: create it"), "{stderr}");
    assert!(listing(parent.path()).is_empty(), "nothing created");
}

#[cfg(unix)]
#[test]
fn receiver_reports_a_target_directory_it_cannot_write_to() {
    use std::os::unix::fs::PermissionsExt;
    let dir = target_dir();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).expect("chmod 555");
    if fs::write(dir.path().join("probe"), b"").is_ok() {
        eprintln!("skipping: running as root, every directory is writable");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod back");
        return;
    }
    let before = listing(dir.path());
    let stderr = start_fails(&[
        "--listen",
        "127.0.0.1:0",
        "--dir",
        dir.path().to_str().expect("UTF-8"),
    ]);
    assert!(stderr.contains("it is not writable"), "{stderr}");
    assert_eq!(listing(dir.path()), before);
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn receiver_reports_a_target_that_is_not_a_directory() {
    let dir = target_dir();
    let before = listing(dir.path());
    let file = dir.path().join("keep.txt");
    let stderr = start_fails(&[
        "--listen",
        "127.0.0.1:0",
        "--dir",
        file.to_str().expect("UTF-8"),
    ]);
    assert!(stderr.contains("is not a directory"), "{stderr}");
    assert_eq!(listing(dir.path()), before);
}

// ---------------------------------------------------------------------------------------
// Faults and the default mode.

/// A receiver run through `sh`, so the shell can set limits before `exec`.
struct ShellReceiver {
    child: Child,
    addr: SocketAddr,
    stdout: Lines,
}

impl Drop for ShellReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
#[test]
fn receiver_reports_a_full_disk_and_keeps_nothing() {
    // A real full disk needs root (a tiny tmpfs) or luck. A file-size limit is the same
    // error path for the receiver: `write` fails half-way (EFBIG instead of ENOSPC).
    // `ulimit -f` also makes the kernel send SIGXFSZ, which kills a process by default;
    // `trap '' XFSZ` makes the shell ignore it, and an ignored signal stays ignored
    // across `exec`, so file-recv sees the error instead of dying.
    let dir = target_dir();
    let script = format!(
        "trap '' XFSZ; ulimit -f 64 && exec '{}' --listen 127.0.0.1:0 --dir '{}' --keep-serving",
        binary("file-recv").display(),
        dir.path().display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sh");
    let stdout = Lines::collect(child.stdout.take().expect("piped"));
    let mut server = ShellReceiver {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        stdout,
    };
    let line = server.stdout.wait_for("listening on ", STEP_TIMEOUT);
    server.addr = line["listening on ".len()..].parse().expect("an address");

    let before = listing(dir.path());
    let content = vec![b'z'; 1024 * 1024];
    let reply = send_file(server.addr, "big.bin", &content);
    assert!(
        reply.starts_with("OK\nerror: cannot write (bytes 0..")
            && reply.contains("the file size limit of the receiver is reached"),
        "{reply:?}"
    );
    let line = server.stdout.wait_for("failed", STEP_TIMEOUT);
    assert!(line.contains("nothing stored"), "{line}");
    assert_eq!(listing(dir.path()), before, "no partial file left");
    // The receiver lives on and stores what fits.
    assert_eq!(
        send_file(server.addr, "small.txt", b"fits\n"),
        done_line(b"fits\n")
    );
}

#[test]
fn receiver_exits_after_one_stored_file_by_default() {
    let dir = target_dir();
    let mut server = receiver(dir.path(), &[]);
    let before = listing(dir.path());
    // A refused sender does not count as the one file.
    assert_refused(&server, dir.path(), b"FILE 1 ../x\nx", "path separator");
    assert_eq!(
        send_file(server.addr(), "only.txt", b"one"),
        done_line(b"one")
    );
    assert!(server.wait_exit(STEP_TIMEOUT), "exit code 0");
    let mut after = listing(dir.path());
    assert!(after.remove("only.txt").is_some());
    assert_eq!(after, before);
    server
        .stdout
        .wait_for("received one file; exiting", STEP_TIMEOUT);
}

// ---------------------------------------------------------------------------------------
// A real peer: the protocol is simple enough to type with printf and nc.

#[test]
fn a_file_sent_by_hand_with_printf_and_nc_arrives() {
    if !have_program("nc", &["-h"]) {
        return;
    }
    let dir = target_dir();
    let server = receiver(dir.path(), &[]);
    let before = listing(dir.path());
    // The command the book shows; -N sends FIN when printf is done (-w bounds the wait).
    let script = format!(
        "printf 'FILE 6 hi.txt\\nhello\\n' | nc -N -w 10 127.0.0.1 {}",
        server.addr().port()
    );
    let output = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("run printf | nc");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        done_line(b"hello\n")
    );
    assert_eq!(
        fs::read(dir.path().join("hi.txt")).expect("stored"),
        b"hello\n"
    );
    let mut after = listing(dir.path());
    assert!(after.remove("hi.txt").is_some());
    assert_eq!(after, before);
}

// ---------------------------------------------------------------------------------------
// Signals: Ctrl-C and its kin remove the temporary file; only `kill -9` cannot.

/// Sends `signal` (a name such as `INT`) to the process `pid` with the `kill` command.
#[cfg(unix)]
fn send_signal(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_term_and_hup_remove_the_temporary_file_of_a_transfer_in_progress() {
    for signal in ["INT", "TERM", "HUP"] {
        let dir = target_dir();
        // Started by hand rather than with `Server`, to read the exit code.
        let mut child = Command::new(binary("file-recv"))
            .args(["--listen", "127.0.0.1:0", "--dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start file-recv");
        let stdout = Lines::collect(child.stdout.take().expect("piped"));
        let mut server = ShellReceiver {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stdout,
        };
        let line = server.stdout.wait_for("listening on ", STEP_TIMEOUT);
        server.addr = line["listening on ".len()..].parse().expect("an address");
        let before = listing(dir.path());

        // A transfer in progress: announced, accepted, half of its content written.
        let mut sender = connect(server.addr);
        sender.write_all(b"FILE 1000 half.bin\n").expect("announce");
        let mut ok = [0; 3];
        sender.read_exact(&mut ok).expect("the answer");
        assert_eq!(&ok, b"OK\n");
        sender.write_all(&[b'h'; 500]).expect("half the content");
        let deadline = Instant::now() + STEP_TIMEOUT;
        while !listing(dir.path())
            .iter()
            .any(|(name, (len, _))| name.ends_with(".part") && *len == 500)
        {
            assert!(
                Instant::now() < deadline,
                "no temporary file with 500 bytes"
            );
            thread::sleep(Duration::from_millis(5));
        }

        send_signal(signal, server.child.id());
        let deadline = Instant::now() + STEP_TIMEOUT;
        let status = loop {
            if let Some(status) = server.child.try_wait().expect("can wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "still running after SIG{signal}");
            thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(130), "SIG{signal}");
        server
            .stdout
            .wait_for("interrupted: removed 1 unfinished file", STEP_TIMEOUT);
        assert_eq!(
            listing(dir.path()),
            before,
            "SIG{signal} left the directory as it was"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Slow senders: nobody holds a place for ever, and one-file mode never blocks the next.

/// Announces `size` bytes of `drip.bin`, reads the `OK`, then sends one byte every 100 ms
/// until the receiver answers or closes (at most 60 bytes); returns what it said.
fn drip_after_ok(stream: &mut TcpStream, size: usize) -> String {
    stream
        .write_all(format!("FILE {size} drip.bin\n").as_bytes())
        .expect("announce");
    let mut ok = [0; 3];
    stream.read_exact(&mut ok).expect("the answer");
    assert_eq!(&ok, b"OK\n");
    stream.set_nodelay(true).expect("nodelay");
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut reply = Vec::new();
    for _ in 0..60 {
        if stream.write_all(b"d").is_err() {
            break; // The receiver closed: its answer is in our buffer.
        }
        let mut answer = [0; 512];
        match stream.read(&mut answer) {
            Ok(n) => {
                reply.extend_from_slice(&answer[..n]);
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .expect("timeout");
    let mut rest = [0; 512];
    while let Ok(n @ 1..) = stream.read(&mut rest) {
        reply.extend_from_slice(&rest[..n]);
        if reply.len() > 4096 {
            break;
        }
    }
    String::from_utf8(reply).expect("UTF-8")
}

#[test]
fn receiver_drops_a_sender_that_drips_its_content_below_the_minimum_rate() {
    // One byte every 100 ms: each read gets a byte well within the 1 s idle timeout, so
    // only a minimum progress per window stops this sender.
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving", "--idle-timeout", "1"]);
    let before = listing(dir.path());
    let mut stream = connect(server.addr());
    let peer = stream.local_addr().expect("our address");
    let reply = drip_after_ok(&mut stream, 100_000);
    assert!(
        reply.starts_with("error: the sender is too slow sending (after "),
        "{reply:?}"
    );
    assert_failed_and_unchanged(&server, dir.path(), &before, peer, "less than the minimum");
    assert_still_serves(&server, dir.path(), "after.txt");
}

#[test]
fn one_file_mode_serves_the_next_sender_while_one_is_silent_and_one_drips() {
    // The default 30 s deadline: a receiver serving one sender at a time would keep the
    // third sender waiting behind the silent one far longer than this test's steps.
    let dir = target_dir();
    let mut server = receiver(dir.path(), &[]);
    let silent = connect(server.addr());
    let silent_peer = silent.local_addr().expect("our address");
    wait_for_line(&server, &["storing files in"]);
    // A sender past OK holds the one turn; the next is told busy at once, not kept waiting.
    let mut dripping = connect(server.addr());
    dripping
        .write_all(b"FILE 100000 drip.bin\n")
        .expect("announce");
    let mut ok = [0; 3];
    dripping
        .read_exact(&mut ok)
        .expect("OK while the silent one waits");
    assert_eq!(&ok, b"OK\n");
    let reply = send_file(server.addr(), "second.txt", b"x");
    assert_eq!(
        reply,
        "busy: another file is being received; try again later\n"
    );
    // Once the turn is free again, the next file is stored and the receiver exits, while
    // the silent sender is still connected.
    drop(dripping);
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let reply = send_file(server.addr(), "third.txt", b"three");
        if reply == done_line(b"three") {
            break;
        }
        assert!(Instant::now() < deadline, "not served: {reply:?}");
        thread::sleep(Duration::from_millis(50));
    }
    assert!(server.wait_exit(STEP_TIMEOUT), "exit code 0");
    let log = server.stdout.snapshot();
    assert!(
        !log.iter()
            .any(|line| line.contains(&silent_peer.to_string())),
        "the silent sender was never waited for: {log:#?}"
    );
    assert_eq!(
        fs::read(dir.path().join("third.txt")).expect("stored"),
        b"three"
    );
    assert!(!dir.path().join("second.txt").exists());
    drop(silent);
}

#[test]
fn one_file_mode_drops_a_dripping_sender_and_then_takes_a_file() {
    let dir = target_dir();
    let mut server = receiver(dir.path(), &["--idle-timeout", "1"]);
    let mut stream = connect(server.addr());
    let peer = stream.local_addr().expect("our address");
    let reply = drip_after_ok(&mut stream, 100_000);
    assert!(reply.contains("too slow"), "{reply:?}");
    wait_for_line(&server, &[&format!("{peer} failed: "), "too slow"]);
    assert_eq!(
        send_file(server.addr(), "next.txt", b"next"),
        done_line(b"next")
    );
    assert!(server.wait_exit(STEP_TIMEOUT), "exit code 0");
}

#[test]
fn receiver_serves_far_more_than_32_senders_by_default() {
    // The cap follows the machine (the open-files limit, raised at start): 40 silent
    // senders are served, and the next one stores its file instead of hearing busy.
    const SILENT: usize = 40;
    if file_recv::open_files::default_max_senders() <= SILENT {
        eprintln!("skipping: the open-files limit here allows too few senders");
        return;
    }
    let dir = target_dir();
    let server = receiver(dir.path(), &["--keep-serving"]);
    let silent: Vec<TcpStream> = (0..SILENT).map(|_| connect(server.addr())).collect();
    let reply = send_file(server.addr(), "41st.txt", b"room");
    assert_eq!(reply, done_line(b"room"));
    let cap = file_recv::open_files::default_max_senders();
    wait_for_line(
        &server,
        &[&format!("receiving from at most {cap} senders at once")],
    );
    drop(silent);
    // --help says what the default is on this machine.
    let help = Command::new(binary("file-recv"))
        .arg("--help")
        .output()
        .expect("run file-recv --help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains(&format!("[default: {cap}]")), "{help}");
}

#[cfg(target_os = "linux")]
#[test]
fn one_address_cannot_take_every_place_of_the_receiver() {
    let dir = target_dir();
    let server = receiver(
        dir.path(),
        &[
            "--keep-serving",
            "--max-senders",
            "4",
            "--max-per-address",
            "2",
        ],
    );
    // Two silent senders from 127.0.0.1 take its share; its third is told busy.
    let _silent: Vec<TcpStream> = (0..2).map(|_| connect(server.addr())).collect();
    let deadline = Instant::now() + STEP_TIMEOUT;
    let reply = loop {
        let reply = send_file(server.addr(), "third.txt", b"x");
        if reply.starts_with("busy: ") || Instant::now() > deadline {
            break reply;
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        reply,
        "busy: your address is sending 2 files already, try again later\n"
    );
    // A sender from another loopback address (Linux answers all of 127/8) is served.
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    let local = SocketAddr::from(([127, 0, 0, 2], 0));
    socket.bind(&local.into()).expect("bind 127.0.0.2");
    socket
        .connect_timeout(&server.addr().into(), STEP_TIMEOUT)
        .expect("connect");
    let mut other: TcpStream = socket.into();
    other.set_read_timeout(Some(STEP_TIMEOUT)).expect("timeout");
    other.write_all(b"FILE 5 other\nother").expect("send");
    other.shutdown(Shutdown::Write).expect("FIN");
    assert_eq!(read_all(&mut other), done_line(b"other"));
}
