//! End-to-end tests of the real `file-send` binary, against the real `file-recv` (round
//! trips, refusals, crashes on either side) and against fake receivers written here (a
//! confirmation that is missing or does not match).
//!
//! Every test checks the outcome *and* the receiver's directory: a file appears only after a
//! confirmed transfer, and nothing else changes.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{STEP_TIMEOUT, Server, have_program, ipv6_available, listing};

mod support;

use support::{blake3_hex, receiver, send, spawn_sender, text};

/// The receiver's directory, with one file already in it that no test may touch.
fn target_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir.path().join("keep.txt"), b"precious\n").expect("write keep.txt");
    dir
}

/// Sends `content` as a file called `name`; checks success, the printed digest, the stored
/// copy, and that the receiver's directory gained exactly that one file.
fn assert_round_trip(name: &str, content: &[u8]) {
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join(name);
    fs::write(&path, content).expect("write the source file");
    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());

    let output = send(&path, server.addr());
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains(&format!("{} bytes", content.len())),
        "{stdout}"
    );
    // The second line is what `b3sum PATH` prints.
    assert_eq!(
        lines[1],
        format!("{}  {}", blake3_hex(content), path.display())
    );
    if have_program("b3sum", &["--version"]) {
        let b3sum = Command::new("b3sum")
            .arg(&path)
            .output()
            .expect("run b3sum");
        assert_eq!(text(&b3sum.stdout).trim_end(), lines[1], "b3sum agrees");
    }
    // Not a terminal: no progress bar, no control characters, nothing on stderr at all.
    assert!(output.stderr.is_empty(), "{:?}", text(&output.stderr));

    assert_eq!(fs::read(target.path().join(name)).expect("stored"), content);
    let mut after = listing(target.path());
    assert!(after.remove(name).is_some());
    assert_eq!(after, before);
    assert_eq!(fs::read(&path).expect("source kept"), content);
}

// ---------------------------------------------------------------------------------------
// Round trips.

#[test]
fn an_empty_file_arrives() {
    assert_round_trip("empty.txt", b"");
}

#[test]
fn a_one_byte_file_arrives() {
    assert_round_trip("one.bin", b"\0");
}

#[test]
fn a_file_larger_than_every_buffer_arrives() {
    // 3 MiB and a bit: many times the programs' own buffers (128 KiB chunks), the last
    // chunk short. The kernel's socket buffers can be larger (tcp_rmem allows up to 32 MiB
    // on the build machine): the 100 MB test below is the one that outgrows them too.
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 7u32)
        .map(|i| (i % 251) as u8)
        .collect();
    assert_round_trip("large.bin", &content);
}

#[test]
fn a_file_with_spaces_and_cjk_in_its_name_arrives() {
    assert_round_trip("holiday 假期 photo.txt", "你好, world\n".as_bytes());
}

#[test]
fn a_100_mb_file_arrives_with_the_same_digest() {
    const SIZE: usize = 100 * 1000 * 1000;
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("hundred.bin");
    // A pattern that differs in every MiB (so a misplaced block changes the digest),
    // written and hashed in one pass.
    let mut digest = blake3::Hasher::new();
    let mut file = File::create(&path).expect("create");
    let mut block: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let mut written = 0;
    while written < SIZE {
        block[0] = block[0].wrapping_add(1);
        let n = block.len().min(SIZE - written);
        file.write_all(&block[..n]).expect("write");
        digest.update(&block[..n]);
        written += n;
    }
    drop(file);
    let expected = digest.finalize().to_hex().to_string();

    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());
    let output = spawn_sender(&path, server.addr()).finish_within(Duration::from_secs(60));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&format!("{expected}  ")));
    let logged = server.stdout.wait_for("stored", STEP_TIMEOUT);
    assert!(logged.ends_with(&format!("blake3:{expected}")), "{logged}");
    assert_same_content(&path, &target.path().join("hundred.bin"));
    let mut after = listing(target.path());
    assert!(after.remove("hundred.bin").is_some());
    assert_eq!(after, before, "keep.txt untouched, nothing else");
}

fn assert_same_content(a: &Path, b: &Path) {
    let mut a = BufReader::new(File::open(a).expect("open a"));
    let mut b = BufReader::new(File::open(b).expect("open b"));
    loop {
        let left = a.fill_buf().expect("read a").to_vec();
        let right = b.fill_buf().expect("read b");
        let n = left.len().min(right.len());
        assert_eq!(left[..n], right[..n], "the copies differ");
        if n == 0 {
            assert!(left.is_empty() && right.is_empty(), "different lengths");
            return;
        }
        a.consume(n);
        b.consume(n);
    }
}

#[test]
fn a_file_travels_over_ipv6_loopback() {
    if !ipv6_available() {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    }
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("v6.txt");
    fs::write(&path, b"over ::1\n").expect("write");
    let target = target_dir();
    let dir = target.path().to_str().expect("UTF-8");
    let server = Server::start("file-recv", &["--listen", "[::1]:0", "--dir", dir]);
    assert!(server.addr().is_ipv6());
    let before = listing(target.path());
    let output = send(&path, server.addr());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        fs::read(target.path().join("v6.txt")).expect("stored"),
        b"over ::1\n"
    );
    let mut after = listing(target.path());
    assert!(after.remove("v6.txt").is_some());
    assert_eq!(after, before, "keep.txt untouched, nothing else");
}

// ---------------------------------------------------------------------------------------
// Clear errors, non-zero exit, nothing stored.

fn assert_fails(output: &Output, needle: &str) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "should fail");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(output.stdout.is_empty(), "no success line");
}

#[test]
fn sender_reports_a_missing_path() {
    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());
    let missing = target.path().join("no-such-file.txt");
    assert_fails(&send(&missing, server.addr()), "no file at");
    assert_eq!(listing(target.path()), before);
}

#[test]
fn sender_reports_a_directory() {
    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());
    let folder = tempfile::tempdir().expect("a directory to send");
    assert_fails(&send(folder.path(), server.addr()), "is a directory");
    assert_eq!(listing(target.path()), before);
}

#[cfg(unix)]
#[test]
fn sender_reports_an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("secret.txt");
    fs::write(&path, b"secret").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).expect("chmod 000");
    if File::open(&path).is_ok() {
        eprintln!("skipping: running as root, every file is readable");
        return;
    }
    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());
    assert_fails(&send(&path, server.addr()), "permission denied");
    assert_eq!(listing(target.path()), before);
}

#[cfg(unix)]
#[test]
fn sender_reports_a_named_pipe_at_once_instead_of_waiting_for_a_writer() {
    let source = tempfile::tempdir().expect("a source directory");
    let fifo = source.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipping: cannot run mkfifo here");
        return;
    }
    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());
    // Opening a FIFO would block until a writer came: `send` fails the test after 10 s.
    assert_fails(&send(&fifo, server.addr()), "is not a regular file");
    assert_eq!(listing(target.path()), before);
}

#[test]
fn sender_reports_that_no_receiver_is_running() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("a.txt");
    fs::write(&path, b"a").expect("write");
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let output = send(&path, port);
    assert_fails(&output, "connection refused");
    assert_fails(&output, "Is file-recv running?");
}

#[test]
fn sender_prints_the_receivers_refusal_and_sends_nothing() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("keep.txt");
    fs::write(&path, b"other content").expect("write");
    let target = target_dir();
    let server = receiver(target.path(), &[]);
    let before = listing(target.path());
    assert_fails(
        &send(&path, server.addr()),
        "the receiver refused \"keep.txt\": a file named \"keep.txt\" exists already",
    );
    assert_eq!(listing(target.path()), before);
    assert_eq!(
        fs::read(target.path().join("keep.txt")).expect("kept"),
        b"precious\n"
    );
}

/// A fake receiver: accepts one sender, answers OK, reads everything, then says `last`.
fn fake_receiver(last: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(STEP_TIMEOUT))
            .expect("timeout");
        let mut reader = BufReader::new(&stream);
        let mut announcement = String::new();
        reader.read_line(&mut announcement).expect("announcement");
        (&stream).write_all(b"OK\n").expect("answer");
        let mut content = Vec::new();
        reader.read_to_end(&mut content).expect("content until FIN");
        (&stream).write_all(last).expect("last line");
    });
    addr
}

#[test]
fn sender_fails_when_the_confirmation_does_not_match() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("a.txt");
    fs::write(&path, b"hello\n").expect("write");
    let addr = fake_receiver(
        b"DONE 6 blake3:0000000000000000000000000000000000000000000000000000000000000000\n",
    );
    assert_fails(&send(&path, addr), "the copy is damaged");
}

#[test]
fn sender_names_a_digest_it_cannot_check() {
    // A receiver of another version, confirming with SHA-256 (of "hello\n", correct): the
    // sender cannot compare it and says so, instead of calling the copy damaged.
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("a.txt");
    fs::write(&path, b"hello\n").expect("write");
    let addr = fake_receiver(
        b"DONE 6 sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n",
    );
    let output = send(&path, addr);
    assert_fails(&output, "a digest this sender cannot check");
    assert!(text(&output.stderr).contains("same version"));
}

#[test]
fn sender_fails_when_the_confirmation_is_missing() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("a.txt");
    fs::write(&path, b"hello\n").expect("write");
    let addr = fake_receiver(b"");
    assert_fails(
        &send(&path, addr),
        "closed the connection without sending the confirmation",
    );
}

/// A fake receiver that refuses with `line` (`error: ...\n`) after reading the announcement.
fn refusing_receiver(line: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(STEP_TIMEOUT))
            .expect("timeout");
        let mut announcement = String::new();
        BufReader::new(&stream)
            .read_line(&mut announcement)
            .expect("announcement");
        (&stream).write_all(line).expect("refusal");
    });
    addr
}

#[test]
fn sender_prints_a_hostile_receivers_reasons_with_escape_codes_escaped() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = source.path().join("a.txt");
    fs::write(&path, b"hello\n").expect("write");
    // `ESC [2J` clears the screen; `ESC ]0;...BEL` retitles the terminal window.
    let refused = send(&path, refusing_receiver(b"error: \x1b[2J evil\n"));
    assert_fails(&refused, r#"the receiver refused "a.txt": \u{1b}[2J evil"#);
    let failed = send(&path, fake_receiver(b"error: \x1b]0;pwned\x07 gone\n"));
    assert_fails(
        &failed,
        r#"did not store "a.txt": \u{1b}]0;pwned\u{7} gone"#,
    );
    for output in [refused, failed] {
        assert!(
            !output.stderr.contains(&0x1b) && !output.stderr.contains(&0x07),
            "a raw control byte reached the terminal: {:?}",
            text(&output.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Crashes in the middle of a transfer.

/// A 1 GiB file that takes no disk space (sparse): long enough to be caught mid-way.
fn sparse_gigabyte(dir: &Path) -> PathBuf {
    let path = dir.join("big.bin");
    File::create(&path)
        .and_then(|f| f.set_len(1 << 30))
        .expect("a sparse file");
    path
}

/// Waits until the receiver has written some content into its temporary file.
fn wait_for_partial_content(dir: &Path) -> String {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let partial = listing(dir)
            .into_iter()
            .find(|(name, (len, _))| name.ends_with(".part") && *len > 0);
        if let Some((name, _)) = partial {
            return name;
        }
        assert!(Instant::now() < deadline, "no transfer in progress");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn killing_the_sender_mid_way_leaves_no_file_and_no_temporary_file() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = sparse_gigabyte(source.path());
    let target = target_dir();
    let server = receiver(target.path(), &["--keep-serving"]);
    let before = listing(target.path());

    let mut sender = spawn_sender(&path, server.addr());
    wait_for_partial_content(target.path());
    sender.kill();

    let line = server.stdout.wait_for("failed", STEP_TIMEOUT);
    assert!(
        line.contains("of 1073741824 bytes") && line.contains("nothing stored"),
        "{line}"
    );
    assert_eq!(listing(target.path()), before, "temporary file removed");
}

#[test]
fn killing_the_receiver_mid_way_makes_the_sender_fail() {
    let source = tempfile::tempdir().expect("a source directory");
    let path = sparse_gigabyte(source.path());
    let target = target_dir();
    let mut server = receiver(target.path(), &[]);
    let before = listing(target.path());

    let sender = spawn_sender(&path, server.addr());
    let partial = wait_for_partial_content(target.path());
    server.kill();
    let output = sender.finish();
    assert_fails(&output, "of 1073741824 bytes");
    assert_fails(&output, "the file was not stored");

    // A receiver killed with SIGKILL cannot clean up: its temporary file stays, under its
    // temporary name. The final name never appears.
    let mut after = listing(target.path());
    assert!(after.remove(&partial).is_some());
    assert_eq!(after, before);
}
