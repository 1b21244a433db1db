//! What the server's end-to-end tests share: the real `tcp-server` on a free port, and `nc`
//! as a real client.
//!
//! Every socket here is on loopback; every wait ends within `STEP_TIMEOUT`.

use std::process::Output;

use assert_cmd::Command;
use testkit::{STEP_TIMEOUT, Server};

/// The real `tcp-server` on a free loopback port, with `extra` arguments.
pub fn start(extra: &[&str]) -> Server {
    let mut args = vec!["--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start("tcp-server", &args)
}

/// Runs `nc -N` against `server` with `input` on its stdin; returns what nc printed.
///
/// -N: after the end of stdin, half-close (FIN) and wait for the server to close, so nc ends.
pub fn netcat(server: &Server, input: &str) -> Output {
    Command::new("nc")
        .args(["-N", "127.0.0.1", &server.addr().port().to_string()])
        .write_stdin(input)
        .timeout(STEP_TIMEOUT)
        .output()
        .expect("run nc")
}
