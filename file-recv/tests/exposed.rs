//! End-to-end tests of a receiver exposed to strangers: a loud warning when it listens
//! beyond loopback, a file larger than the free space refused before `OK`, and a bound on
//! the unfinished files of all senders together. Senders are raw sockets on loopback.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};

use testkit::{STEP_TIMEOUT, Server, connect, listing};

mod support;

use support::{exchange, exchange_from, read_all, receiver};

/// The whole well-behaved conversation for `name` with `content`, in one write.
fn send_file(addr: SocketAddr, name: &str, content: &[u8]) -> String {
    let mut message = format!("FILE {} {name}\n", content.len()).into_bytes();
    message.extend_from_slice(content);
    exchange(addr, &message)
}

fn stored(reply: &str, content: &[u8]) -> bool {
    reply.starts_with(&format!("OK\nDONE {} ", content.len()))
}

#[test]
fn a_receiver_listening_beyond_loopback_warns_loudly_and_on_loopback_says_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().to_str().expect("UTF-8");
    // Every address of this machine, for the few milliseconds of the test; we reach it
    // over loopback only.
    let args = ["--listen", "0.0.0.0:0", "--dir", path, "--keep-serving"];
    let wide = Server::start("file-recv", &args);
    let warning = wide.stderr.wait_for("WARNING", STEP_TIMEOUT);
    assert!(warning.contains("OPEN UPLOAD SERVICE"), "{warning}");
    let local = SocketAddr::from(([127, 0, 0, 1], wide.addr().port()));
    assert!(stored(&send_file(local, "a.txt", b"a\n"), b"a\n"));

    let narrow = receiver(dir.path(), &["--keep-serving"]);
    assert!(stored(&send_file(narrow.addr(), "b.txt", b"b\n"), b"b\n"));
    // The warning comes before the first sender is served: by now it would be there.
    let said = narrow.stderr.snapshot();
    assert!(said.is_empty(), "nothing on stderr for loopback: {said:?}");
}

#[cfg(unix)]
#[test]
fn a_file_larger_than_the_free_space_is_refused_before_ok() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stat = nix::sys::statvfs::statvfs(dir.path()).expect("statvfs of the test folder");
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let free = stat.blocks_available() as u64 * stat.fragment_size() as u64;
    // Twice the free space, and a limit that lets it through: only the disk says no. Free
    // space changes while other programs run; twice is far from the edge.
    let size = free.saturating_mul(2).max(1 << 30);
    let limits = ["--max-size", "1000000T", "--max-unfinished", "1000000T"];
    let server = receiver(dir.path(), &limits);
    let (peer, reply) = exchange_from(server.addr(), format!("FILE {size} big.bin\n").as_bytes());
    assert!(
        reply.starts_with("error: not enough free space: the file is ") && reply.ends_with('\n'),
        "{reply:?}"
    );
    let line = server
        .stdout
        .wait_for(&format!("{peer} refused"), STEP_TIMEOUT);
    assert!(line.contains("not enough free space"), "{line}");
    assert!(listing(dir.path()).is_empty(), "no temporary file was made");
}

#[test]
fn unfinished_files_together_stay_under_max_unfinished() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let args = ["--max-unfinished", "1000", "--keep-serving"];
    let server = receiver(dir.path(), &args);

    // A sender past OK holds 800 of the 1000 bytes while it sends nothing.
    let mut holder = connect(server.addr());
    holder.write_all(b"FILE 800 held.bin\n").expect("announce");
    let mut ok = [0; 3];
    holder.read_exact(&mut ok).expect("the answer");
    assert_eq!(&ok, b"OK\n");

    // 300 more would pass the bound: busy, and nothing is stored.
    let reply = send_file(server.addr(), "more.bin", &[b'm'; 300]);
    assert!(
        reply.starts_with("busy: 800 bytes are being received already")
            && reply.contains("--max-unfinished"),
        "{reply:?}"
    );
    // A file larger than the bound can never fit: an error, not busy.
    let reply = exchange(server.addr(), b"FILE 1001 huge.bin\n");
    assert!(
        reply.starts_with("error: too large: 1001 bytes"),
        "{reply:?}"
    );
    // 200 fit beside the 800.
    assert!(stored(
        &send_file(server.addr(), "fits.bin", &[b'f'; 200]),
        &[b'f'; 200]
    ));

    // The holder finishes; its room comes back, and the 300 bytes fit now.
    holder.write_all(&[b'h'; 800]).expect("content");
    holder.shutdown(Shutdown::Write).expect("half-close");
    assert!(read_all(&mut holder).starts_with("DONE 800 "));
    assert!(stored(
        &send_file(server.addr(), "more.bin", &[b'm'; 300]),
        &[b'm'; 300]
    ));
    assert_eq!(
        fs::read(dir.path().join("held.bin")).expect("stored").len(),
        800
    );
}
