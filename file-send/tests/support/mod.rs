//! What the sender's end-to-end tests share: the real `file-send`, the real `file-recv` on a
//! free port, and the text and digests the tests compare.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use testkit::{Running, Server, binary};

/// The real `file-recv` on a free loopback port, storing into `dir`, with `extra` options.
pub fn receiver(dir: &Path, extra: &[&str]) -> Server {
    let dir = dir.to_str().expect("a UTF-8 temporary path");
    let mut args = vec!["--listen", "127.0.0.1:0", "--dir", dir];
    args.extend_from_slice(extra);
    Server::start("file-recv", &args)
}

/// Starts `file-send PATH --to ADDR --timeout SECS` in the background.
pub fn spawn_sender_waiting(path: &Path, to: SocketAddr, timeout: u64) -> Running {
    Running::spawn(
        Command::new(binary("file-send"))
            .arg(path)
            .args(["--to", &to.to_string(), "--timeout", &timeout.to_string()])
            .stdin(Stdio::null()),
    )
}

/// Starts `file-send PATH --to ADDR` in the background, each of its waits bounded at 10 s.
pub fn spawn_sender(path: &Path, to: SocketAddr) -> Running {
    spawn_sender_waiting(path, to, 10)
}

/// Runs `file-send PATH --to ADDR` to the end.
pub fn send(path: &Path, to: SocketAddr) -> Output {
    spawn_sender(path, to).finish()
}

/// Bytes a process printed, as text (invalid UTF-8 shown as U+FFFD).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The BLAKE3 digest of `bytes` in hex, as `b3sum` prints it.
pub fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
