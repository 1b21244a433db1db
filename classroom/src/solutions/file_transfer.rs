//! Solutions for "Sending a file" (crates `file-send` and `file-recv`).
//!
//! * Exercise 2: several files on one connection. The FIN can mark the end of the last
//!   file only, so each file's end must come from its announced size: [`send_files`] writes
//!   `FILE <size> <name>` and exactly `size` bytes per file, and [`receive_files`] reads
//!   exactly `size` bytes per file with `take`, never "until the end". The lines are the
//!   lesson's own (`file_recv::protocol`); the `OK` and `DONE` answers are left out here, to
//!   keep the one new idea in view.
//! * Exercise 3: list the stale `.part` files a killed receiver left ([`stale_parts`]),
//!   without deleting them: another receiver may be writing one right now.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};

use file_recv::protocol::{Announcement, read_message};

// ANCHOR: send_files
/// Sends each file as `FILE <size> <name>\n` and exactly `<size>` bytes, then half-closes.
pub fn send_files(mut stream: &TcpStream, paths: &[&Path]) -> io::Result<()> {
    for path in paths {
        let file = File::open(path)?;
        let size = file.metadata()?.len(); // of the file we opened, not of the path
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidInput,
                format!("{path:?}: no UTF-8 file name"),
            )
        })?;
        let announcement = Announcement {
            size,
            name: name.as_bytes().to_vec(),
        };
        io::Write::write_all(&mut stream, &announcement.to_line())?;
        // `take`: never more than announced, even if the file grew since `metadata`.
        let sent = io::copy(&mut file.take(size), &mut stream)?;
        if sent != size {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                format!("{name}: shrank"),
            ));
        }
    }
    stream.shutdown(Shutdown::Write) // FIN: no more files. Only now does it mean that.
}
// ANCHOR_END: send_files

// ANCHOR: receive_files
/// Receives files into `dir` until the sender half-closes between two files; returns the
/// name and size of each one stored.
pub fn receive_files(stream: &TcpStream, dir: &Path) -> io::Result<Vec<(String, u64)>> {
    // One buffered reader for the whole connection: bytes read past an announcement are
    // the start of that file's content.
    let mut reader = BufReader::new(stream);
    let mut stored = Vec::new();
    loop {
        let Some(line) = read_message(&mut reader)? else {
            return Ok(stored); // FIN where the next file would start
        };
        let invalid = |reason: String| io::Error::new(ErrorKind::InvalidData, reason);
        let announcement = Announcement::parse(&line).map_err(|e| invalid(e.0))?;
        let name = file_recv::check_name(&announcement.name)
            .map_err(|reason| invalid(format!("refused a name: it {reason}")))?;
        let path = dir.join(name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        // Exactly `size` bytes belong to this file; the next byte is the next announcement.
        let error = match io::copy(&mut (&mut reader).take(announcement.size), &mut file) {
            Ok(copied) if copied == announcement.size => {
                stored.push((name.to_owned(), copied));
                continue;
            }
            Ok(copied) => io::Error::new(
                ErrorKind::UnexpectedEof,
                format!(
                    "{name}: the sender closed after {copied} of {} bytes",
                    announcement.size
                ),
            ),
            Err(error) => error, // a timeout, a reset, a full disk: the file is cut too
        };
        drop(file);
        fs::remove_file(&path)?; // never keep a partial file under the real name
        return Err(error);
    }
}
// ANCHOR_END: receive_files

// ANCHOR: stale_parts
/// The temporary files `file-recv` leaves in `dir` when it is killed mid-transfer, sorted.
pub fn stale_parts(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut parts = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".file-recv-") && name.ends_with(".part") {
            parts.push(entry.path());
        }
    }
    parts.sort();
    Ok(parts)
}
// ANCHOR_END: stale_parts

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::thread;
    use std::time::Duration;

    /// A connected pair on loopback: (sender's end, receiver's end).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let sender = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let (receiver, _) = listener.accept().expect("accept");
        for end in [&sender, &receiver] {
            end.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            end.set_write_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
        }
        (sender, receiver)
    }

    // ANCHOR: test
    #[test]
    fn three_files_on_one_connection_arrive_whole_and_separate() {
        let outbox = tempfile::tempdir().expect("a temporary folder");
        let inbox = tempfile::tempdir().expect("a temporary folder");
        let files: [(&str, &[u8]); 4] = [
            ("hello.txt", b"hello\n"),
            ("empty.txt", b""),
            ("looks-like-a-header.txt", b"FILE 3 x\nabc"), // content is never parsed
            ("big.bin", &[7; 300_000]),
        ];
        for (name, content) in files {
            fs::write(outbox.path().join(name), content).expect("write a file to send");
        }
        let paths: Vec<PathBuf> = files.iter().map(|(n, _)| outbox.path().join(n)).collect();

        let (sender, receiver) = pair();
        let sending = thread::spawn(move || {
            let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            send_files(&sender, &paths)
        });
        let stored = receive_files(&receiver, inbox.path()).expect("all files arrive");
        sending.join().expect("no panic").expect("all files sent");

        assert_eq!(stored.len(), 4);
        for (name, content) in files {
            assert_eq!(
                fs::read(inbox.path().join(name)).expect("stored"),
                content,
                "{name}"
            );
        }
    }
    // ANCHOR_END: test

    #[test]
    fn a_file_cut_short_is_an_error_and_is_not_kept() {
        let inbox = tempfile::tempdir().expect("a temporary folder");
        let (sender, receiver) = pair();
        (&sender)
            .write_all(b"FILE 2 ok.txt\nok")
            .expect("a whole file");
        (&sender)
            .write_all(b"FILE 10 cut.txt\n1234")
            .expect("a cut one");
        sender.shutdown(Shutdown::Write).expect("FIN mid-file");
        let error = receive_files(&receiver, inbox.path()).expect_err("cut");
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(fs::read(inbox.path().join("ok.txt")).expect("kept"), b"ok");
        assert!(!inbox.path().join("cut.txt").exists());
    }

    #[test]
    fn a_file_cut_by_a_read_error_is_an_error_and_is_not_kept() {
        let inbox = tempfile::tempdir().expect("a temporary folder");
        let (sender, receiver) = pair();
        receiver
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("a short timeout");
        (&sender)
            .write_all(b"FILE 10 stalled.txt\n1234")
            .expect("4 bytes, then silence");
        let error = receive_files(&receiver, inbox.path()).expect_err("timed out");
        assert!(
            matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{error}"
        );
        assert!(!inbox.path().join("stalled.txt").exists());
        drop(sender);
    }

    #[test]
    fn a_hostile_name_in_the_second_announcement_is_refused() {
        let scratch = tempfile::tempdir().expect("a temporary folder");
        let inbox = scratch.path().join("inbox");
        fs::create_dir(&inbox).expect("create the inbox");
        let (sender, receiver) = pair();
        (&sender)
            .write_all(b"FILE 1 a.txt\naFILE 1 ../b.txt\nb")
            .expect("send");
        sender.shutdown(Shutdown::Write).expect("FIN");
        let error = receive_files(&receiver, &inbox).expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert!(inbox.join("a.txt").exists(), "the good first file is kept");
        assert!(
            !scratch.path().join("b.txt").exists(),
            "nothing written outside"
        );
    }

    #[test]
    fn stale_parts_lists_only_the_receivers_temporary_files() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for name in [
            ".file-recv-b1.part",
            ".file-recv-a9.part",
            "movie.part",
            "notes.txt",
        ] {
            fs::write(dir.path().join(name), "x").expect("write");
        }
        let names: Vec<String> = stale_parts(dir.path())
            .expect("lists")
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, [".file-recv-a9.part", ".file-recv-b1.part"]);
    }
}
